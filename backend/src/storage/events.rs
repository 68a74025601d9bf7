//! Live events (docs/ARCHITECTURE.md, "Live events"): each change the event
//! stream reports is a row of `events`, appended in the transaction of the
//! change ([`SqlStore::commit_with_events`]), so an event is stored exactly
//! when its change is. Ids are in commit order on both engines: SQLite has
//! one writer at a time, and on PostgreSQL every appending transaction holds
//! an advisory lock from its append to its commit
//! ([`SqlEngine::ORDER_EVENTS`]). Every process reads the table after the
//! newest id it has seen, woken by `NOTIFY` on PostgreSQL (any replica's
//! append) or by its own appends on SQLite ([`EventStore::event_listener`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::ids::{AgentId, ClusterId, DeviceId, UserId};
use shared::types::{EventType, LiveEvent};
use sqlx::Transaction;

use super::StorageError;
use super::engine::{Sql, SqlEngine};
use super::store::SqlStore;

/// How many events one statement appends at most.
const INSERT_BATCH: usize = 64;

/// The statement that appends `rows` events (1 to [`INSERT_BATCH`]): `$1`
/// is their time, then six values per event. The cluster is the device's
/// when the event does not name one. One statement for a report's 100
/// changes instead of 100 round trips.
fn insert_events_sql(rows: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (1..=INSERT_BATCH)
            .map(|rows| {
                let values: Vec<String> = (0..rows)
                    .map(|row| {
                        let n = 2 + row * 6;
                        format!(
                            "($1, ${n}, ${d}, COALESCE(${c}, (SELECT cluster_id FROM devices \
                             WHERE id = ${d})), ${a}, ${u}, ${b})",
                            d = n + 1,
                            c = n + 2,
                            a = n + 3,
                            u = n + 4,
                            b = n + 5,
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO events (at, kind, device_id, cluster_id, agent_id, user_id, \
                     body) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &texts[rows.clamp(1, INSERT_BATCH) - 1]
}

const SELECT_EVENTS_AFTER: &str = "SELECT id, kind, device_id, cluster_id, agent_id, user_id, \
    body FROM events WHERE id > $1 ORDER BY id LIMIT $2";

const SELECT_EVENT_BOUNDS: &str = "SELECT MIN(id), MAX(id) FROM events";

/// Events beyond the newest `$1`, and those older than `$2`; never the
/// newest, which tells where the ids stand. Ids follow time, so the old
/// ones are those before the first at or after `$2` (found walking the ids
/// from the oldest, not scanning the table).
const PRUNE_EVENTS: &str = "DELETE FROM events WHERE id < (SELECT MAX(id) FROM events) AND \
    (id <= (SELECT MAX(id) FROM events) - $1 OR id < COALESCE((SELECT id FROM events \
    WHERE at >= $2 ORDER BY id LIMIT 1), (SELECT MAX(id) FROM events)))";

/// The channel PostgreSQL's `NOTIFY` announces appends on.
pub(super) const EVENTS_CHANNEL: &str = "powerbeacon_events";

/// The kind of the internal event that makes a user's streams check their
/// rights again (a deactivation, a lower role, a new password, a deletion).
/// It is never sent to a client.
pub const ACCESS_KIND: &str = "access";

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    kind: &'static str,
    device_id: Option<DeviceId>,
    cluster_id: Option<ClusterId>,
    agent_id: Option<AgentId>,
    user_id: Option<UserId>,
    body: String,
}

impl NewEvent {
    /// A live event, with what it concerns taken from it (a device's
    /// cluster, when the event does not name one, is the device's).
    pub fn live(event: &LiveEvent) -> Self {
        let (device_id, cluster_id, agent_id) = match event {
            LiveEvent::Presence(e) => (Some(e.device_id), None, None),
            LiveEvent::Wake(e) => (Some(e.device_id), e.cluster_id, None),
            LiveEvent::Agent(e) => (None, e.cluster_id, Some(e.agent_id)),
            LiveEvent::Device(e) => (Some(e.device_id), e.cluster_id, None),
            LiveEvent::Cluster(e) => (None, Some(e.cluster_id), None),
        };
        Self {
            kind: event.kind().as_str(),
            device_id,
            cluster_id,
            agent_id,
            user_id: None,
            // A derived Serialize of ids, names and enums cannot fail.
            body: serde_json::to_string(event).unwrap_or_default(),
        }
    }

    /// The internal event: `user`'s rights changed.
    pub fn access(user: UserId) -> Self {
        Self {
            kind: ACCESS_KIND,
            device_id: None,
            cluster_id: None,
            agent_id: None,
            user_id: Some(user),
            body: String::from("{}"),
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: i64,
    /// An [`EventType`]'s spelling, or [`ACCESS_KIND`].
    pub kind: String,
    pub device_id: Option<DeviceId>,
    pub cluster_id: Option<ClusterId>,
    pub agent_id: Option<AgentId>,
    pub user_id: Option<UserId>,
    /// The `data:` to send.
    pub body: String,
}

impl StoredEvent {
    /// Its type, when clients may receive it.
    pub fn event_type(&self) -> Option<EventType> {
        self.kind.parse().ok()
    }
}

/// Waits for events appended after it last woke.
#[async_trait::async_trait]
pub trait EventListener: Send {
    /// Returns when events may have been appended since the last call, or
    /// after `at_most` (so a lost notification costs at most that).
    async fn wait(&mut self, at_most: Duration);
}

/// The event table.
#[async_trait::async_trait]
pub trait EventStore: Send + Sync {
    /// At most `limit` events after `after`, oldest first.
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StorageError>;

    /// The oldest and the newest id kept; `None` before the first event.
    async fn event_bounds(&self) -> Result<Option<(i64, i64)>, StorageError>;

    /// Forgets all but the newest `keep` events, and those older than
    /// `before` (never the newest); how many it deleted.
    async fn prune_events(&self, keep: u64, before: DateTime<Utc>) -> Result<u64, StorageError>;

    /// What wakes this process's reader of the table.
    async fn event_listener(&self) -> Result<Box<dyn EventListener>, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> EventStore for SqlStore<DB> {
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StorageError> {
        Ok(Sql::<DB>::new(SELECT_EVENTS_AFTER)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    async fn event_bounds(&self) -> Result<Option<(i64, i64)>, StorageError> {
        let (oldest, newest): (Option<i64>, Option<i64>) = Sql::<DB>::new(SELECT_EVENT_BOUNDS)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(oldest.zip(newest))
    }

    async fn prune_events(&self, keep: u64, before: DateTime<Utc>) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(PRUNE_EVENTS)
            .bind(i64::try_from(keep).unwrap_or(i64::MAX))
            .bind(before)
            .execute(&mut *self.conn().await?)
            .await?)
    }

    async fn event_listener(&self) -> Result<Box<dyn EventListener>, StorageError> {
        Ok(DB::event_listener(&self.pool, &self.appended).await?)
    }
}

impl<DB: SqlEngine> SqlStore<DB> {
    /// Appends `events` to the transaction and commits it, then wakes this
    /// process's reader (other replicas' readers are woken by the `NOTIFY`
    /// that commits with the events on PostgreSQL). Use it in place of
    /// `tx.commit()` in every write that reports a change.
    pub(super) async fn commit_with_events(
        &self,
        mut tx: Transaction<'static, DB>,
        events: &[NewEvent],
    ) -> Result<(), StorageError> {
        if events.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        for statement in DB::ORDER_EVENTS {
            Sql::<DB>::new(statement).execute(&mut tx).await?;
        }
        let at = super::now();
        for batch in events.chunks(INSERT_BATCH) {
            let mut insert = Sql::<DB>::new(insert_events_sql(batch.len())).bind(at);
            for event in batch {
                insert = insert
                    .bind(event.kind)
                    .bind(event.device_id)
                    .bind(event.cluster_id)
                    .bind(event.agent_id)
                    .bind(event.user_id)
                    .bind(event.body.as_str());
            }
            insert.execute(&mut tx).await?;
        }
        tx.commit().await?;
        self.appended.notify_one();
        Ok(())
    }
}

/// SQLite's listener: this process's own appends (one process per file).
pub(super) struct InProcess(pub(super) std::sync::Arc<tokio::sync::Notify>);

#[async_trait::async_trait]
impl EventListener for InProcess {
    async fn wait(&mut self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.0.notified()).await;
    }
}

/// PostgreSQL's listener: `LISTEN` on a connection of its own, which sqlx
/// opens again when it is lost (the notifications sent meanwhile are lost,
/// and the wait's bound catches up on them).
pub(super) struct Notifications(pub(super) sqlx::postgres::PgListener);

#[async_trait::async_trait]
impl EventListener for Notifications {
    async fn wait(&mut self, at_most: Duration) {
        let deadline = tokio::time::Instant::now() + at_most;
        match tokio::time::timeout_at(deadline, self.0.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "lost the connection that listens for events");
                // Not in a loop against a database that is away.
                tokio::time::sleep_until(deadline).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{INSERT_BATCH, insert_events_sql};

    #[test]
    fn each_event_of_a_batch_has_its_own_placeholders() {
        assert_eq!(
            insert_events_sql(1),
            "INSERT INTO events (at, kind, device_id, cluster_id, agent_id, user_id, body) \
             VALUES ($1, $2, $3, COALESCE($4, (SELECT cluster_id FROM devices WHERE id = $3)), \
             $5, $6, $7)"
        );
        let last = insert_events_sql(INSERT_BATCH);
        assert!(last.ends_with("$385)"), "{last}");
        assert_eq!(last.matches("($1, ").count(), INSERT_BATCH);
    }
}
