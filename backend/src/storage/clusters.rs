//! Clusters: groups of devices and the agents that reach them, their
//! membership, and what a wake of one reads.
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use shared::ids::{AgentId, ClusterId};
use shared::types::{Change, ClusterEvent, LiveEvent};

use super::devices::{DeviceListSql, WakeDeviceRow, WakeLinkRow, device_views_of, wake_targets};
use super::engine::{Sql, SqlEngine};
use super::events::NewEvent;
use super::presence::{PresenceRow, presence_by_device};
use super::store::SqlStore;
use super::{
    AgentView, ClusterDetail, ClusterRecord, ClusterRef, ClusterView, Membership, Page,
    StorageError, WakeTarget,
};

macro_rules! cluster_columns {
    () => {
        "c.id, c.name, c.description, c.tags, c.owner_id, c.created_at, c.updated_at, \
         COALESCE(NULLIF(u.full_name, ''), u.username) AS owner_name, \
         (SELECT COUNT(*) FROM devices d WHERE d.cluster_id = c.id) AS device_count, \
         (SELECT COUNT(*) FROM agents a WHERE a.cluster_id = c.id) AS agent_count \
         FROM clusters c LEFT JOIN users u ON u.id = c.owner_id"
    };
}

const SELECT_CLUSTER_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    cluster_columns!(),
    " ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2"
);

const SELECT_CLUSTER_VIEW: &str = concat!("SELECT ", cluster_columns!(), " WHERE c.id = $1");

const COUNT_CLUSTERS: &str = "SELECT COUNT(*) FROM clusters";

const INSERT_CLUSTER: &str = "INSERT INTO clusters (id, name, description, tags, owner_id, \
    created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const UPDATE_CLUSTER: &str = "UPDATE clusters SET name = $2, description = $3, tags = $4, \
    updated_at = $5 WHERE id = $1";

const DELETE_CLUSTER: &str = "DELETE FROM clusters WHERE id = $1 RETURNING name";

const DETACH_CLUSTER_DEVICES: &str = "UPDATE devices SET cluster_id = NULL WHERE cluster_id = $1";

const DETACH_CLUSTER_AGENTS: &str = "UPDATE agents SET cluster_id = NULL WHERE cluster_id = $1";

const ATTACH_DEVICE: &str = "UPDATE devices SET cluster_id = $1 WHERE id = $2";

const ATTACH_AGENT: &str = "UPDATE agents SET cluster_id = $1 WHERE id = $2";

const SELECT_CLUSTER_AGENT_IDS: &str = "SELECT id FROM agents WHERE cluster_id = $1";

/// An agent dropped from cluster $1 (agent $2) no longer serves the
/// cluster's devices; every other link stays.
const UNLINK_AGENT_FROM_CLUSTER_DEVICES: &str = "DELETE FROM device_agents \
    WHERE agent_id = $2 AND device_id IN (SELECT id FROM devices WHERE cluster_id = $1)";

/// A cluster's devices by name, with owner, cluster and agent ids; their
/// agents come from `agents` (see `devices::device_views_of`).
macro_rules! devices_of_cluster {
    () => {
        concat!(
            "SELECT ",
            device_columns!(),
            device_agent_ids!(),
            " FROM devices d",
            device_record_joins!(),
            " WHERE d.cluster_id = $1 ORDER BY lower(d.name), d.name, d.id"
        )
    };
}

const DEVICES_OF_CLUSTER: DeviceListSql = device_list_sql!(
    devices_of_cluster!(),
    "lower(name), name, id",
    "SELECT id FROM devices WHERE cluster_id = $1"
);

const SELECT_AGENT_VIEWS_OF_CLUSTER: &str = concat!(
    "SELECT ",
    agent_view_columns!(),
    " WHERE a.cluster_id = $1 ORDER BY lower(a.hostname), a.hostname, a.id"
);

const SELECT_CLUSTER_REF: &str = "SELECT id, name, owner_id FROM clusters WHERE id = $1";

const SELECT_WAKE_DEVICES_OF_CLUSTER: &str = "SELECT id, name, mac_address, ip_address, owner_id, \
    probe_method, boot_timeout_s FROM devices WHERE cluster_id = $1 ORDER BY lower(name), name, id";

/// What is concluded about the members of a cluster.
const SELECT_PRESENCE_OF_CLUSTER: &str = concat!(
    presence_of_devices!(),
    "SELECT id FROM devices WHERE cluster_id = $1)"
);

const SELECT_WAKE_AGENTS_OF_CLUSTER: &str = concat!(
    "SELECT da.device_id, ",
    agent_columns!(),
    " FROM device_agents da JOIN agents a ON a.id = da.agent_id \
     WHERE da.device_id IN (SELECT id FROM devices WHERE cluster_id = $1) \
     ORDER BY lower(a.hostname), a.hostname, a.id"
);

/// Clusters: groups of devices and the agents that reach them, their
/// membership, and what a wake of one reads.
#[async_trait::async_trait]
pub trait ClusterStore: Send + Sync {
    /// One page of clusters, newest first, with counts; and the total.
    async fn list_cluster_views(&self, page: Page)
    -> Result<(Vec<ClusterView>, u64), StorageError>;

    /// One cluster with counts.
    async fn cluster_view(&self, id: ClusterId) -> Result<Option<ClusterView>, StorageError>;

    /// One cluster with counts, its devices (by name, with owner, cluster
    /// and agents) and its agents (by hostname), read together.
    async fn cluster_detail(&self, id: ClusterId) -> Result<Option<ClusterDetail>, StorageError>;

    /// Inserts a cluster and moves the given devices and agents into it;
    /// no device↔agent link is removed.
    async fn insert_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<(), StorageError>;

    /// Writes a cluster's fields; a given member list replaces the old one.
    /// An agent dropped from the agent list loses its links to the
    /// cluster's devices (as they are afterwards); no other link is
    /// removed. `false` when no such cluster exists.
    async fn update_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<bool, StorageError>;

    /// Deletes a cluster; its devices and agents stay, detached.
    async fn delete_cluster(&self, id: ClusterId) -> Result<bool, StorageError>;

    /// Every device of a cluster (by name) and their agents, for a wake.
    async fn cluster_wake_targets(&self, id: ClusterId) -> Result<Vec<WakeTarget>, StorageError>;

    /// A cluster's id, name and owner.
    async fn cluster_ref(&self, id: ClusterId) -> Result<Option<ClusterRef>, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> ClusterStore for SqlStore<DB> {
    async fn list_cluster_views(
        &self,
        page: Page,
    ) -> Result<(Vec<ClusterView>, u64), StorageError> {
        self.page(SELECT_CLUSTER_VIEWS_PAGE, COUNT_CLUSTERS, page)
            .await
    }

    async fn cluster_view(&self, id: ClusterId) -> Result<Option<ClusterView>, StorageError> {
        Sql::<DB>::new(SELECT_CLUSTER_VIEW)
            .bind(id)
            .fetch_optional::<ClusterView>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn cluster_detail(&self, id: ClusterId) -> Result<Option<ClusterDetail>, StorageError> {
        // One snapshot: the counts are those of the members listed.
        let mut tx = self.snapshot().await?;
        let Some(view) = Sql::<DB>::new(SELECT_CLUSTER_VIEW)
            .bind(id)
            .fetch_optional::<ClusterView>(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        let devices =
            device_views_of::<DB>(&mut tx, &DEVICES_OF_CLUSTER, |sql| sql.bind(id)).await?;
        let agents = Sql::<DB>::new(SELECT_AGENT_VIEWS_OF_CLUSTER)
            .bind(id)
            .fetch_all::<AgentView>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(ClusterDetail {
            view,
            devices,
            agents,
        }))
    }

    async fn insert_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(INSERT_CLUSTER)
            .bind(cluster.id)
            .bind(&cluster.name)
            .bind(&cluster.description)
            .bind(sqlx::types::Json(&cluster.tags))
            .bind(cluster.owner_id)
            .bind(cluster.created_at)
            .bind(cluster.updated_at)
            .execute(&mut tx)
            .await?;
        set_members::<DB>(&mut tx, cluster.id, members).await?;
        self.commit_with_events(
            tx,
            &[cluster_event(cluster.id, &cluster.name, Change::Created)],
        )
        .await
    }

    async fn update_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(UPDATE_CLUSTER)
            .bind(cluster.id)
            .bind(&cluster.name)
            .bind(&cluster.description)
            .bind(sqlx::types::Json(&cluster.tags))
            .bind(cluster.updated_at)
            .execute(&mut tx)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        set_members::<DB>(&mut tx, cluster.id, members).await?;
        self.commit_with_events(
            tx,
            &[cluster_event(cluster.id, &cluster.name, Change::Updated)],
        )
        .await?;
        Ok(true)
    }

    async fn delete_cluster(&self, id: ClusterId) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let deleted: Option<(String,)> = Sql::<DB>::new(DELETE_CLUSTER)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        let Some((name,)) = deleted else {
            return Ok(false);
        };
        self.commit_with_events(tx, &[cluster_event(id, &name, Change::Deleted)])
            .await?;
        Ok(true)
    }

    async fn cluster_wake_targets(&self, id: ClusterId) -> Result<Vec<WakeTarget>, StorageError> {
        // One snapshot: the members and the links they had at that moment.
        let mut tx = self.snapshot().await?;
        let devices = Sql::<DB>::new(SELECT_WAKE_DEVICES_OF_CLUSTER)
            .bind(id)
            .fetch_all::<WakeDeviceRow>(&mut tx)
            .await?;
        let links = Sql::<DB>::new(SELECT_WAKE_AGENTS_OF_CLUSTER)
            .bind(id)
            .fetch_all::<WakeLinkRow>(&mut tx)
            .await?;
        let presence: Vec<PresenceRow> = Sql::<DB>::new(SELECT_PRESENCE_OF_CLUSTER)
            .bind(id)
            .fetch_all(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(wake_targets(devices, links, presence_by_device(presence)?))
    }

    async fn cluster_ref(&self, id: ClusterId) -> Result<Option<ClusterRef>, StorageError> {
        Sql::<DB>::new(SELECT_CLUSTER_REF)
            .bind(id)
            .fetch_optional::<ClusterRef>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }
}

/// Replaces the given sides of a cluster's membership. The only links it
/// removes are those the caller named by dropping an agent from the
/// cluster's `agent_ids`: that agent's links to the devices the cluster
/// holds afterwards (docs/API.md, "Clusters"). A device released from the
/// cluster keeps its links, and so does every device outside it.
async fn set_members<DB: SqlEngine>(
    conn: &mut DB::Connection,
    cluster_id: ClusterId,
    members: &Membership,
) -> Result<(), StorageError> {
    if let Some(device_ids) = &members.device_ids {
        Sql::<DB>::new(DETACH_CLUSTER_DEVICES)
            .bind(cluster_id)
            .execute(conn)
            .await?;
        for id in device_ids {
            Sql::<DB>::new(ATTACH_DEVICE)
                .bind(cluster_id)
                .bind(*id)
                .execute(conn)
                .await?;
        }
    }
    if let Some(agent_ids) = &members.agent_ids {
        let current: Vec<(AgentId,)> = Sql::<DB>::new(SELECT_CLUSTER_AGENT_IDS)
            .bind(cluster_id)
            .fetch_all(conn)
            .await?;
        for (dropped,) in current.into_iter().filter(|(id,)| !agent_ids.contains(id)) {
            Sql::<DB>::new(UNLINK_AGENT_FROM_CLUSTER_DEVICES)
                .bind(cluster_id)
                .bind(dropped)
                .execute(conn)
                .await?;
        }
        Sql::<DB>::new(DETACH_CLUSTER_AGENTS)
            .bind(cluster_id)
            .execute(conn)
            .await?;
        for id in agent_ids {
            Sql::<DB>::new(ATTACH_AGENT)
                .bind(cluster_id)
                .bind(*id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// The event that reports `change` to a cluster (for its members too).
fn cluster_event(cluster_id: ClusterId, name: &str, change: Change) -> NewEvent {
    NewEvent::live(&LiveEvent::Cluster(ClusterEvent {
        cluster_id,
        name: name.to_string(),
        change,
    }))
}
