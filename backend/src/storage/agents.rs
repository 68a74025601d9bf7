//! Agents: registration, approval, heartbeats, and the views the pages and
//! wakes read.
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use shared::ids::{AgentId, ClusterId, EnrollmentKeyId};
use shared::types::{AgentChange, AgentEvent, AgentStatus, LiveEvent};

use super::engine::{Sql, SqlEngine};
use super::events::NewEvent;
use super::store::SqlStore;
use super::{AgentRecord, AgentRef, AgentRenewal, AgentView, Page, StorageError};

const SELECT_AGENT_REF: &str = concat!(
    "SELECT ",
    agent_ref_columns!(),
    " FROM agents a WHERE a.id = $1"
);

const SELECT_AGENT_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    agent_view_columns!(),
    " ORDER BY lower(a.hostname), a.hostname, a.id LIMIT $1 OFFSET $2"
);

const SELECT_AGENT_VIEW: &str = concat!("SELECT ", agent_view_columns!(), " WHERE a.id = $1");

const COUNT_AGENTS: &str = "SELECT COUNT(*) FROM agents";

const SELECT_AGENT_BY_ID: &str = concat!(
    "SELECT ",
    agent_columns!(),
    " FROM agents a WHERE a.id = $1"
);

const SELECT_AGENT_BY_HOSTNAME: &str = concat!(
    "SELECT ",
    agent_columns!(),
    " FROM agents a WHERE a.hostname = $1"
);

const INSERT_AGENT: &str = "INSERT INTO agents (id, hostname, ip, port, os, version, token, \
    approved, interfaces, features, cluster_id, owner_id, last_seen, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// A re-registration: never touches `approved`, `cluster_id` or the token.
const RENEW_AGENT: &str = "UPDATE agents SET ip = $2, port = $3, os = $4, version = $5, \
    interfaces = COALESCE($6, interfaces), features = $7, last_seen = $8, updated_at = $8 \
    WHERE id = $1";

/// Approval by an enrollment key presented at re-registration: the key's
/// cluster and creator only where the agent has none.
const APPROVE_AGENT_WITH_KEY: &str = "UPDATE agents SET approved = TRUE, \
    cluster_id = COALESCE(cluster_id, $2), owner_id = COALESCE(owner_id, $3), updated_at = $4 \
    WHERE id = $1 AND NOT approved";

const APPROVE_AGENT: &str = "UPDATE agents SET approved = TRUE, updated_at = $2 WHERE id = $1";

/// A heartbeat, and whether the agent's being online is still to announce.
const RECORD_HEARTBEAT: &str = "UPDATE agents SET last_seen = $2 WHERE id = $1 \
    RETURNING approved AND NOT online_announced";

const RECORD_HEARTBEAT_WITH_INTERFACES: &str = "UPDATE agents SET last_seen = $2, \
    interfaces = $3 WHERE id = $1 RETURNING approved AND NOT online_announced";

const DELETE_AGENT: &str = "DELETE FROM agents WHERE id = $1 \
    RETURNING id, hostname, cluster_id, approved, FALSE AS online_announced";

/// Whether an agent is online now (approved and heard from since `$2`), as
/// announced with the event of a change.
const ANNOUNCE_AGENT: &str = "UPDATE agents SET online_announced = \
    (approved AND last_seen IS NOT NULL AND last_seen >= $2) WHERE id = $1 \
    RETURNING id, hostname, cluster_id, approved, online_announced";

/// An agent heard from again, once, whichever replica hears it first.
const ANNOUNCE_ONLINE: &str = "UPDATE agents SET online_announced = TRUE \
    WHERE id = $1 AND approved AND NOT online_announced \
    RETURNING id, hostname, cluster_id, approved, online_announced";

/// Agents announced online that are no longer (silent since before `$1`),
/// once, whichever replica's pass sees it first.
const ANNOUNCE_OFFLINE: &str = "UPDATE agents SET online_announced = FALSE \
    WHERE online_announced AND (NOT approved OR last_seen IS NULL OR last_seen < $1) \
    RETURNING id, hostname, cluster_id, approved, online_announced";

const COUNT_PENDING_AGENTS: &str = "SELECT COUNT(*) FROM agents WHERE approved = FALSE";

/// Agents: registration, approval, heartbeats, and the views the pages and
/// wakes read.
#[async_trait::async_trait]
pub trait AgentStore: Send + Sync {
    /// Inserts an agent and, when it enrolled with a key, stamps the key's
    /// `last_used_at`, in one transaction. A taken hostname is a conflict on
    /// `agents_hostname_key`.
    async fn insert_agent(
        &self,
        agent: &AgentRecord,
        used_key: Option<EnrollmentKeyId>,
    ) -> Result<(), StorageError>;

    /// An agent, token included, by id.
    async fn agent_record(&self, id: AgentId) -> Result<Option<AgentRecord>, StorageError>;

    /// An agent, token included, by hostname.
    async fn agent_by_hostname(&self, hostname: &str) -> Result<Option<AgentRecord>, StorageError>;

    /// Writes what a re-registration may change (see [`AgentRenewal`]) and
    /// stamps `last_seen` and `updated_at`; with an approving key, approves a
    /// pending agent and stamps the key's `last_used_at`, in one transaction.
    /// `false` when no such agent exists.
    async fn renew_agent(&self, renewal: &AgentRenewal) -> Result<bool, StorageError>;

    /// Approves a pending agent, touching nothing else; `false` when no such
    /// agent exists. It is online when heard from since `online_since`.
    async fn approve_agent(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
        online_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError>;

    /// Records a heartbeat at `at`, and the interfaces when given (and
    /// announces the agent online when it was not); `false` when no such
    /// agent exists.
    async fn record_heartbeat(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
        interfaces: Option<&[shared::types::AgentInterface]>,
    ) -> Result<bool, StorageError>;

    /// One page of agents, by hostname, and the total.
    async fn list_agent_views(&self, page: Page) -> Result<(Vec<AgentView>, u64), StorageError>;

    /// One agent with its cluster and device count.
    async fn agent_view(&self, id: AgentId) -> Result<Option<AgentView>, StorageError>;

    /// Deletes an agent and its device links; `false` when none existed.
    async fn delete_agent(&self, id: AgentId) -> Result<bool, StorageError>;

    /// Announces offline the agents announced online but silent since
    /// before `cutoff` (or no longer approved); how many.
    async fn announce_offline_agents(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StorageError>;

    /// An agent's identity, cluster and liveness.
    async fn agent_ref(&self, id: AgentId) -> Result<Option<AgentRef>, StorageError>;

    /// How many agents await approval.
    async fn count_pending_agents(&self) -> Result<u64, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> AgentStore for SqlStore<DB> {
    async fn insert_agent(
        &self,
        agent: &AgentRecord,
        used_key: Option<EnrollmentKeyId>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(INSERT_AGENT)
            .bind(agent.id)
            .bind(&agent.hostname)
            .bind(agent.ip.to_string())
            .bind(i32::from(agent.port))
            .bind(&agent.os)
            .bind(&agent.version)
            .bind(&agent.token)
            .bind(agent.approved)
            .bind(sqlx::types::Json(&agent.interfaces))
            .bind(sqlx::types::Json(&agent.features))
            .bind(agent.cluster_id)
            .bind(agent.owner_id)
            .bind(agent.last_seen)
            .bind(agent.created_at)
            .bind(agent.updated_at)
            .execute(&mut tx)
            .await?;
        if let Some(key_id) = used_key {
            Sql::<DB>::new(super::enrollment_keys::TOUCH_ENROLLMENT_KEY)
                .bind(key_id)
                .bind(agent.created_at)
                .execute(&mut tx)
                .await?;
        }
        let event =
            announce::<DB>(&mut tx, agent.id, agent.created_at, AgentChange::Registered).await?;
        self.commit_with_events(tx, &event).await
    }

    async fn agent_record(&self, id: AgentId) -> Result<Option<AgentRecord>, StorageError> {
        Sql::<DB>::new(SELECT_AGENT_BY_ID)
            .bind(id)
            .fetch_optional::<AgentRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn agent_by_hostname(&self, hostname: &str) -> Result<Option<AgentRecord>, StorageError> {
        Sql::<DB>::new(SELECT_AGENT_BY_HOSTNAME)
            .bind(hostname)
            .fetch_optional::<AgentRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn renew_agent(&self, renewal: &AgentRenewal) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(RENEW_AGENT)
            .bind(renewal.id)
            .bind(renewal.ip.to_string())
            .bind(i32::from(renewal.port))
            .bind(&renewal.os)
            .bind(&renewal.version)
            .bind(renewal.interfaces.as_ref().map(sqlx::types::Json))
            .bind(sqlx::types::Json(&renewal.features))
            .bind(renewal.at)
            .execute(&mut tx)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        if let Some(key) = &renewal.approving_key {
            let approved = Sql::<DB>::new(APPROVE_AGENT_WITH_KEY)
                .bind(renewal.id)
                .bind(key.cluster_id)
                .bind(key.created_by)
                .bind(renewal.at)
                .execute(&mut tx)
                .await?;
            if approved > 0 {
                Sql::<DB>::new(super::enrollment_keys::TOUCH_ENROLLMENT_KEY)
                    .bind(key.id)
                    .bind(renewal.at)
                    .execute(&mut tx)
                    .await?;
            }
        }
        let event =
            announce::<DB>(&mut tx, renewal.id, renewal.at, AgentChange::Registered).await?;
        self.commit_with_events(tx, &event).await?;
        Ok(true)
    }

    async fn approve_agent(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
        online_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(APPROVE_AGENT)
            .bind(id)
            .bind(at)
            .execute(&mut tx)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        let event = announce::<DB>(&mut tx, id, online_since, AgentChange::Approved).await?;
        self.commit_with_events(tx, &event).await?;
        Ok(true)
    }

    async fn record_heartbeat(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
        interfaces: Option<&[shared::types::AgentInterface]>,
    ) -> Result<bool, StorageError> {
        let query = match interfaces {
            Some(interfaces) => Sql::<DB>::new(RECORD_HEARTBEAT_WITH_INTERFACES)
                .bind(id)
                .bind(at)
                .bind(sqlx::types::Json(interfaces)),
            None => Sql::<DB>::new(RECORD_HEARTBEAT).bind(id).bind(at),
        };
        let Some((to_announce,)): Option<(bool,)> =
            query.fetch_optional(&mut *self.conn().await?).await?
        else {
            return Ok(false);
        };
        if to_announce {
            let mut tx = self.pool.begin().await?;
            let row: Option<AgentAnnouncement> = Sql::<DB>::new(ANNOUNCE_ONLINE)
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
            let events: Vec<NewEvent> = row
                .map(|row| row.event(AgentChange::Online))
                .into_iter()
                .collect();
            self.commit_with_events(tx, &events).await?;
        }
        Ok(true)
    }

    async fn list_agent_views(&self, page: Page) -> Result<(Vec<AgentView>, u64), StorageError> {
        self.page(SELECT_AGENT_VIEWS_PAGE, COUNT_AGENTS, page).await
    }

    async fn agent_view(&self, id: AgentId) -> Result<Option<AgentView>, StorageError> {
        Sql::<DB>::new(SELECT_AGENT_VIEW)
            .bind(id)
            .fetch_optional::<AgentView>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn delete_agent(&self, id: AgentId) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let deleted: Option<AgentAnnouncement> = Sql::<DB>::new(DELETE_AGENT)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        let Some(deleted) = deleted else {
            return Ok(false);
        };
        self.commit_with_events(tx, &[deleted.event(AgentChange::Deleted)])
            .await?;
        Ok(true)
    }

    async fn announce_offline_agents(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StorageError> {
        let mut tx = self.pool.begin().await?;
        let gone: Vec<AgentAnnouncement> = Sql::<DB>::new(ANNOUNCE_OFFLINE)
            .bind(cutoff)
            .fetch_all(&mut tx)
            .await?;
        let events: Vec<NewEvent> = gone
            .into_iter()
            .map(|row| row.event(AgentChange::Offline))
            .collect();
        self.commit_with_events(tx, &events).await?;
        Ok(events.len())
    }

    async fn agent_ref(&self, id: AgentId) -> Result<Option<AgentRef>, StorageError> {
        Sql::<DB>::new(SELECT_AGENT_REF)
            .bind(id)
            .fetch_optional::<AgentRef>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn count_pending_agents(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(COUNT_PENDING_AGENTS)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

/// An agent as a change to it announces it.
#[derive(sqlx::FromRow)]
struct AgentAnnouncement {
    id: AgentId,
    hostname: String,
    cluster_id: Option<ClusterId>,
    approved: bool,
    online_announced: bool,
}

impl AgentAnnouncement {
    fn event(self, change: AgentChange) -> NewEvent {
        NewEvent::live(&LiveEvent::Agent(AgentEvent {
            agent_id: self.id,
            hostname: self.hostname,
            cluster_id: self.cluster_id,
            change,
            status: if self.online_announced {
                AgentStatus::Online
            } else {
                AgentStatus::Offline
            },
            approved: self.approved,
        }))
    }
}

/// Settles whether agent `id` is announced online (heard from since
/// `online_since`), inside a transaction that changed it: the event that
/// reports `change`.
async fn announce<DB: SqlEngine>(
    conn: &mut DB::Connection,
    id: AgentId,
    online_since: chrono::DateTime<chrono::Utc>,
    change: AgentChange,
) -> Result<Vec<NewEvent>, StorageError> {
    let row: Option<AgentAnnouncement> = Sql::<DB>::new(ANNOUNCE_AGENT)
        .bind(id)
        .bind(online_since)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|row| row.event(change)).into_iter().collect())
}
