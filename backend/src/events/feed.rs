//! The process's one reader of the event table: it reads what was appended
//! after the newest event it has seen (on any replica), in id order, and
//! hands each event to every stream of this process through a broadcast
//! channel of bounded size. A stream that falls further behind than the
//! channel holds is ended (it reconnects and resumes from the table).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::storage::{Store, StoredEvent};

/// How many events the broadcast channel holds for streams that have not
/// taken them yet: a stream further behind is ended.
pub const FANOUT_CAPACITY: usize = 4096;

/// How many events one read of the table takes.
const READ_BATCH: u32 = 1000;

/// How long the reader waits for a notification before it reads anyway: a
/// notification lost (PostgreSQL's listening connection dropped) costs at
/// most this.
const READ_AT_LEAST_EVERY: Duration = Duration::from_secs(1);

/// The process's event feed: shared by every stream (cheap to clone).
#[derive(Clone)]
pub struct EventFeed {
    sender: broadcast::Sender<Arc<StoredEvent>>,
    /// The newest id handed out; `None` until the reader has started.
    position: watch::Sender<Option<i64>>,
    /// Set when the process stops, so streams end.
    closed: watch::Sender<bool>,
}

impl std::fmt::Debug for EventFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFeed")
            .field("position", &*self.position.borrow())
            .field("streams", &self.sender.receiver_count())
            .finish()
    }
}

impl Default for EventFeed {
    fn default() -> Self {
        Self::new(FANOUT_CAPACITY)
    }
}

/// What a stream listens to: the events handed out after it subscribed,
/// from `position` on, and whether the process stops.
pub struct Subscription {
    pub events: broadcast::Receiver<Arc<StoredEvent>>,
    pub position: i64,
    pub closed: watch::Receiver<bool>,
}

impl EventFeed {
    /// A feed whose channel holds `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            sender: broadcast::channel(capacity.max(1)).0,
            position: watch::channel(None).0,
            closed: watch::channel(false).0,
        }
    }

    /// Starts listening: every event handed out from now on, and the
    /// newest id handed out before (waiting for the reader to start).
    /// `None` when the process is stopping.
    pub async fn subscribe(&self) -> Option<Subscription> {
        let events = self.sender.subscribe();
        let mut position = self.position.subscribe();
        let closed = self.closed.subscribe();
        if *closed.borrow() {
            return None;
        }
        let position = position.wait_for(Option::is_some).await.ok()?.to_owned()?;
        Some(Subscription {
            events,
            position,
            closed,
        })
    }

    /// How many streams listen.
    pub fn streams(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Ends every stream, for good (the process stops).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Reads the table for as long as the process runs, from its newest
    /// event on. Errors (the database away) are logged and retried.
    pub async fn run(&self, store: Arc<dyn Store>) {
        let mut listener = loop {
            match store.event_listener().await {
                Ok(listener) => break listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for events yet; trying again");
                    tokio::time::sleep(READ_AT_LEAST_EVERY).await;
                }
            }
        };
        let mut last = loop {
            match store.event_bounds().await {
                Ok(bounds) => break bounds.map_or(0, |(_, newest)| newest),
                Err(error) => {
                    tracing::warn!(%error, "cannot read the event table yet; trying again");
                    tokio::time::sleep(READ_AT_LEAST_EVERY).await;
                }
            }
        };
        self.position.send_replace(Some(last));
        loop {
            let batch = match store.events_after(last, READ_BATCH).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "could not read new events");
                    listener.wait(READ_AT_LEAST_EVERY).await;
                    continue;
                }
            };
            let full = batch.len() == READ_BATCH as usize;
            for event in batch {
                last = event.id;
                // The position moves first: a stream that subscribes in
                // between receives the event too and skips it as seen.
                self.position.send_replace(Some(last));
                // No stream listening is no error.
                let _ = self.sender.send(Arc::new(event));
            }
            if !full {
                listener.wait(READ_AT_LEAST_EVERY).await;
            }
        }
    }
}
