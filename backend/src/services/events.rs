//! Live events: opening a client's stream, running the process's feed and
//! keeping the event table bounded (docs/API.md, "Live events").

use std::time::Duration;

use crate::events::{Credential, EventFilter, EventStream, Start};
use crate::storage::UserRecord;

use super::{ServiceError, Services};

/// How the event streams run.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// How many streams this process serves at once (each also holds a
    /// connection, and counts against `--max-connections`).
    pub max_streams: usize,
    /// How long a stream stays quiet before it sends a keep-alive comment.
    pub keep_alive: Duration,
    /// How many of the newest events the table keeps for clients that
    /// reconnect.
    pub history: u64,
    /// How long the table keeps an event at most.
    pub history_age: Duration,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            max_streams: 512,
            keep_alive: Duration::from_secs(15),
            history: 100_000,
            history_age: Duration::from_secs(3600),
        }
    }
}

impl Services {
    /// A stream of the events `user` may read and `filter` keeps, for a
    /// client signed in with `credential`; after `last_event_id` when the
    /// client reconnects (or a `reset` when the table no longer reaches
    /// back that far). 503 when this process serves its most streams, or
    /// is stopping.
    #[tracing::instrument(skip_all, fields(actor = %user.id, last_event_id), err(level = "debug"))]
    pub async fn open_event_stream(
        &self,
        user: &UserRecord,
        credential: Credential,
        filter: EventFilter,
        last_event_id: Option<i64>,
    ) -> Result<EventStream, ServiceError> {
        let permit = self
            .event_streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                ServiceError::Unavailable(
                    "This server serves as many event streams as it may; try again later.".into(),
                )
            })?;
        let subscription = self
            .events
            .subscribe()
            .await
            .ok_or_else(|| ServiceError::Unavailable("The server is stopping.".into()))?;
        let start = match last_event_id {
            None => Start::Live,
            Some(_) => Start::of(
                last_event_id,
                self.store.event_bounds().await?,
                subscription.position,
            ),
        };
        Ok(EventStream::new(
            self.clone(),
            credential,
            user.access(),
            filter,
            subscription,
            start,
            self.settings.events.keep_alive,
            permit,
        ))
    }

    /// Reads the event table for this process's streams, for as long as it
    /// runs (started once, by the server).
    pub async fn run_event_feed(&self) {
        self.events.run(self.store.clone()).await;
    }

    /// Ends every stream of this process (it stops).
    pub fn close_event_streams(&self) {
        self.events.close();
    }

    /// How many streams this process serves.
    pub fn event_stream_count(&self) -> usize {
        self.events.streams()
    }

    /// Forgets the events beyond what the table keeps (every replica's
    /// pass); how many.
    pub async fn prune_events(&self) -> Result<u64, ServiceError> {
        let settings = &self.settings.events;
        let before = crate::domain::before(crate::storage::now(), settings.history_age);
        Ok(self.store.prune_events(settings.history, before).await?)
    }
}
