//! One client's event stream: where it starts (live, or resumed from the
//! table after the client's `Last-Event-ID`, or a `reset` when the table
//! no longer reaches back that far), what it sends ([`EventFilter`]), and
//! when it ends: the process stops, the client falls further behind than
//! the feed holds, or its user's rights are taken away.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use shared::access::Actor;
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio::time::Instant;

use super::EventFilter;
use crate::services::Services;
use crate::storage::{ACCESS_KIND, StoredEvent};

/// How many events one read of the table takes while a stream catches up.
const RESUME_BATCH: u32 = 500;

/// What a stream sends next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The stream starts at `id`: a reconnect with it resumes here.
    Ready { id: i64 },
    /// The client missed more than the server keeps: it reloads what it
    /// shows, then reads on from `id`.
    Reset { id: i64 },
    /// An event.
    Event(Arc<StoredEvent>),
    /// Nothing was sent for a while: a comment keeps proxies from closing
    /// the stream, and `id` moves the client's resume point past the
    /// events it was not sent.
    KeepAlive { id: i64 },
}

/// What the stream's client signed in with, checked again whenever its
/// user's rights change (and every [`EventStream`] recheck period).
#[derive(Debug, Clone)]
pub enum Credential {
    /// An access token (`Authorization: Bearer`).
    Token(String),
    /// A browser session.
    Session(tower_sessions::Session),
}

/// Where a stream starts, from the client's last event and the ids the
/// table keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Live, from the feed's position.
    Live,
    /// Read the table after this id, then live.
    Resume(i64),
    /// Tell the client to reload, then live from this id.
    Reset(i64),
}

impl Start {
    /// Where a client that last saw `last` (none: a new client) starts,
    /// when the table keeps ids `bounds` (oldest, newest; none when it
    /// is empty) and the feed has handed out up to `position`.
    pub fn of(last: Option<i64>, bounds: Option<(i64, i64)>, position: i64) -> Self {
        let Some(last) = last else {
            return Self::Live;
        };
        match bounds {
            // Nothing missed: the oldest kept follows what it saw, and it
            // saw nothing later than exists.
            Some((oldest, newest)) if last >= oldest - 1 && last <= newest => Self::Resume(last),
            // An id from before what is kept, or one this database never gave.
            Some((_, newest)) => Self::Reset(newest.max(position)),
            None if last == 0 => Self::Resume(0),
            None => Self::Reset(position),
        }
    }
}

/// How often a stream checks its user's rights even without an event that
/// says they changed (an access token that expires).
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// One client's stream of events.
pub struct EventStream {
    services: Services,
    credential: Credential,
    actor: Actor,
    filter: EventFilter,
    events: broadcast::Receiver<Arc<StoredEvent>>,
    closed: watch::Receiver<bool>,
    first: Option<Delivery>,
    /// Reading the table after this id before the live events.
    resume_after: Option<i64>,
    backlog: VecDeque<Arc<StoredEvent>>,
    /// The newest id looked at.
    seen: i64,
    keep_alive: Duration,
    quiet_until: Instant,
    recheck_at: Instant,
    _permit: OwnedSemaphorePermit,
}

/// What the live part of a stream found.
enum Live {
    Event(Arc<StoredEvent>),
    KeepAlive,
    Recheck,
}

impl EventStream {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        services: Services,
        credential: Credential,
        actor: Actor,
        filter: EventFilter,
        subscription: super::Subscription,
        start: Start,
        keep_alive: Duration,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        let (first, resume_after, seen) = match start {
            Start::Live => (subscription.position, None, subscription.position),
            Start::Resume(after) => (after, Some(after), after),
            Start::Reset(id) => (id, None, id),
        };
        let first = match start {
            Start::Reset(_) => Delivery::Reset { id: first },
            Start::Live | Start::Resume(_) => Delivery::Ready { id: first },
        };
        let now = Instant::now();
        Self {
            services,
            credential,
            actor,
            filter,
            events: subscription.events,
            closed: subscription.closed,
            first: Some(first),
            resume_after,
            backlog: VecDeque::new(),
            seen,
            keep_alive,
            quiet_until: now + keep_alive,
            recheck_at: now + RECHECK_EVERY,
            _permit: permit,
        }
    }

    /// What to send next; `None` when the stream ends.
    pub async fn next(&mut self) -> Option<Delivery> {
        let delivery = self.next_delivery().await?;
        self.quiet_until = Instant::now() + self.keep_alive;
        Some(delivery)
    }

    async fn next_delivery(&mut self) -> Option<Delivery> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            let event = match self.backlog.pop_front() {
                Some(event) => event,
                None if self.resume_after.is_some() => {
                    self.read_backlog().await?;
                    continue;
                }
                None => match self.live().await? {
                    Live::Event(event) => event,
                    Live::KeepAlive => return Some(Delivery::KeepAlive { id: self.seen }),
                    Live::Recheck => {
                        if !self.recheck().await {
                            return None;
                        }
                        continue;
                    }
                },
            };
            if event.id <= self.seen {
                continue;
            }
            self.seen = event.id;
            if event.kind == ACCESS_KIND && event.user_id == Some(self.actor.id) {
                if !self.recheck().await {
                    return None;
                }
                continue;
            }
            if self.filter.passes(self.actor, &event) {
                return Some(Delivery::Event(event));
            }
        }
    }

    /// Reads the next events of the table while catching up.
    async fn read_backlog(&mut self) -> Option<()> {
        let after = self.resume_after?;
        match self
            .services
            .store()
            .events_after(after, RESUME_BATCH)
            .await
        {
            Ok(batch) => {
                self.resume_after = batch.last().map(|event| event.id);
                self.backlog.extend(batch.into_iter().map(Arc::new));
                Some(())
            }
            Err(error) => {
                tracing::warn!(%error, "could not read missed events; ending the stream");
                None
            }
        }
    }

    async fn live(&mut self) -> Option<Live> {
        tokio::select! {
            biased;
            _ = self.closed.wait_for(|closed| *closed) => None,
            () = tokio::time::sleep_until(self.recheck_at) => Some(Live::Recheck),
            received = self.events.recv() => match received {
                Ok(event) => Some(Live::Event(event)),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::info!(missed, user = %self.actor.id, "an event stream fell behind; ending it");
                    None
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
            () = tokio::time::sleep_until(self.quiet_until) => Some(Live::KeepAlive),
        }
    }

    /// Whether the stream's credential still signs its user in; takes the
    /// user's current role.
    async fn recheck(&mut self) -> bool {
        self.recheck_at = Instant::now() + RECHECK_EVERY;
        let user = match &self.credential {
            Credential::Token(token) => self.services.authenticate(token).await.ok(),
            Credential::Session(session) => crate::sessions::session_user(&self.services, session)
                .await
                .ok()
                .flatten(),
        };
        match user {
            Some(user) => {
                self.actor = user.access();
                true
            }
            None => {
                tracing::info!(user = %self.actor.id, "an event stream's access ended");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Start;

    #[test]
    fn a_new_client_starts_live() {
        assert_eq!(Start::of(None, Some((5, 9)), 9), Start::Live);
        assert_eq!(Start::of(None, None, 0), Start::Live);
    }

    #[test]
    fn a_client_resumes_while_the_table_reaches_back() {
        assert_eq!(Start::of(Some(7), Some((5, 9)), 9), Start::Resume(7));
        assert_eq!(Start::of(Some(4), Some((5, 9)), 9), Start::Resume(4));
        assert_eq!(Start::of(Some(9), Some((5, 9)), 9), Start::Resume(9));
        assert_eq!(Start::of(Some(0), None, 0), Start::Resume(0));
    }

    #[test]
    fn a_client_resets_when_it_missed_pruned_events_or_names_no_known_id() {
        assert_eq!(Start::of(Some(3), Some((5, 9)), 9), Start::Reset(9));
        assert_eq!(Start::of(Some(12), Some((5, 9)), 9), Start::Reset(9));
        assert_eq!(Start::of(Some(3), None, 0), Start::Reset(0));
        assert_eq!(Start::of(Some(3), Some((5, 9)), 11), Start::Reset(11));
    }
}
