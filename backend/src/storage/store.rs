//! The [`Store`] on either engine: one implementation over the shared SQL
//! (`sql.rs`), generic over the [`SqlEngine`] (`engine.rs`).

use std::collections::HashMap;

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use std::net::IpAddr;

use powerbeacon_agent::MacAddress;
use shared::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};
use shared::types::OsType;

use crate::domain::device_search::{self, DeviceMatch};
use crate::domain::{Email, FullName, Username};

use super::engine::{Parsed, ParsedOpt, Readable, Sql, SqlEngine};
use super::{
    AgentRecord, AgentRef, AgentRenewal, AgentView, ClusterRecord, ClusterRef, ClusterView,
    DeviceRecord, DeviceView, Engine, EnrollmentKeyRecord, LoginAttempts, Membership, NewUser,
    Page, StorageError, Store, UserChanges, UserRecord, WakeTarget, keys, now, sql,
};

/// A [`Store`] on a pool of engine `DB` (`SqliteStore`, `PostgresStore`).
#[derive(Debug)]
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: SqlEngine> SqlStore<DB> {
    /// The connection pool, for tests that inspect the schema.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    async fn conn(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// The body of [`Store::fill_device_search`].
    async fn fill_search_columns(&self) -> Result<u64, StorageError> {
        let mut filled = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let devices: Vec<DeviceRecord> = Sql::<DB>::new(sql::SELECT_DEVICES_TO_INDEX)
                .fetch_all(&mut tx)
                .await?;
            if devices.is_empty() {
                return Ok(filled);
            }
            for device in &devices {
                filled += Sql::<DB>::new(sql::UPDATE_DEVICE_SEARCH)
                    .bind(device.id)
                    .bind(device.search_text())
                    .bind(device.tag_keys())
                    .execute(&mut tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// Runs `page_sql` (`LIMIT $1 OFFSET $2`) and `count_sql`.
    async fn page<T: Readable>(
        &self,
        page_sql: &'static str,
        count_sql: &'static str,
        page: Page,
    ) -> Result<(Vec<T>, u64), StorageError> {
        // `LIMIT`/`OFFSET` binds, saturated to what SQL takes.
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        let skip = i64::try_from(page.skip).unwrap_or(i64::MAX);
        let mut conn = self.conn().await?;
        let rows = Sql::<DB>::new(page_sql)
            .bind(limit)
            .bind(skip)
            .fetch_all(&mut conn)
            .await?;
        let (count,): (i64,) = Sql::<DB>::new(count_sql).fetch_one(&mut conn).await?;
        Ok((rows, count.try_into().unwrap_or_default()))
    }
}

/// Fills in the search columns at start-up; a device that cannot be read
/// stops the fill, not the server (its search columns stay empty).
pub(super) async fn fill_device_search_or_warn(store: &dyn Store) {
    if let Err(error) = store.fill_device_search().await {
        tracing::warn!(%error, "could not fill in the search columns of older devices");
    }
}

/// Inserts `record`, linked to a single sign-on `identity` (issuer,
/// subject) if given.
async fn insert_user_row<DB: SqlEngine>(
    conn: &mut DB::Connection,
    record: &UserRecord,
    identity: Option<(&str, &str)>,
) -> Result<(), StorageError> {
    Sql::<DB>::new(sql::INSERT_USER)
        .bind(record.id)
        .bind(record.username.as_str())
        .bind(record.email.as_ref().map(Email::as_str))
        .bind(record.full_name.as_ref().map(FullName::as_str))
        .bind(&record.password_hash)
        .bind(record.role.as_str())
        .bind(record.is_active)
        .bind(record.created_at)
        .bind(record.updated_at)
        .bind(identity.map(|(issuer, _)| issuer))
        .bind(identity.map(|(_, subject)| subject))
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a device's agent links.
async fn link_agents<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device_id: DeviceId,
    agent_ids: &[AgentId],
) -> Result<(), StorageError> {
    Sql::<DB>::new(sql::DELETE_DEVICE_AGENTS)
        .bind(device_id)
        .execute(conn)
        .await?;
    for agent_id in agent_ids {
        Sql::<DB>::new(sql::INSERT_DEVICE_AGENT)
            .bind(device_id)
            .bind(*agent_id)
            .execute(conn)
            .await?;
    }
    Ok(())
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
        Sql::<DB>::new(sql::DETACH_CLUSTER_DEVICES)
            .bind(cluster_id)
            .execute(conn)
            .await?;
        for id in device_ids {
            Sql::<DB>::new(sql::ATTACH_DEVICE)
                .bind(cluster_id)
                .bind(*id)
                .execute(conn)
                .await?;
        }
    }
    if let Some(agent_ids) = &members.agent_ids {
        let current: Vec<(AgentId,)> = Sql::<DB>::new(sql::SELECT_CLUSTER_AGENT_IDS)
            .bind(cluster_id)
            .fetch_all(conn)
            .await?;
        for (dropped,) in current.into_iter().filter(|(id,)| !agent_ids.contains(id)) {
            Sql::<DB>::new(sql::UNLINK_AGENT_FROM_CLUSTER_DEVICES)
                .bind(cluster_id)
                .bind(dropped)
                .execute(conn)
                .await?;
        }
        Sql::<DB>::new(sql::DETACH_CLUSTER_AGENTS)
            .bind(cluster_id)
            .execute(conn)
            .await?;
        for id in agent_ids {
            Sql::<DB>::new(sql::ATTACH_AGENT)
                .bind(cluster_id)
                .bind(*id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// A device's columns and those of one of its agents (all NULL when it has
/// none; see `sql::device_view_columns`).
#[derive(sqlx::FromRow)]
struct DeviceViewRow {
    #[sqlx(flatten)]
    view: DeviceView,
    agent_id: Option<AgentId>,
    agent_hostname: Option<String>,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    agent_ip: Option<IpAddr>,
    agent_cluster_id: Option<ClusterId>,
    agent_approved: Option<bool>,
    agent_last_seen: Option<chrono::DateTime<chrono::Utc>>,
}

/// Folds rows of one device and one agent each into device views, in row order.
fn device_views(rows: Vec<DeviceViewRow>) -> Vec<DeviceView> {
    let mut views: Vec<DeviceView> = Vec::new();
    for row in rows {
        if views
            .last()
            .is_none_or(|view| view.device.id != row.view.device.id)
        {
            views.push(row.view);
        }
        if let (Some(id), Some(hostname), Some(ip), Some(approved)) = (
            row.agent_id,
            row.agent_hostname,
            row.agent_ip,
            row.agent_approved,
        ) {
            let view = views.last_mut().expect("pushed above");
            view.agents.push(AgentRef {
                id,
                hostname,
                ip,
                cluster_id: row.agent_cluster_id,
                approved,
                last_seen: row.agent_last_seen,
            });
        }
    }
    views
}

/// A device to wake, without its agents.
#[derive(sqlx::FromRow)]
struct WakeDeviceRow {
    id: DeviceId,
    name: String,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    mac_address: MacAddress,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    ip_address: Option<IpAddr>,
    owner_id: Option<UserId>,
}

/// An agent linked to the device `device_id`.
#[derive(sqlx::FromRow)]
struct WakeLinkRow {
    device_id: DeviceId,
    #[sqlx(flatten)]
    agent: AgentRecord,
}

/// Attaches each link's agent to its device, in row order.
fn wake_targets(devices: Vec<WakeDeviceRow>, links: Vec<WakeLinkRow>) -> Vec<WakeTarget> {
    let mut by_device: HashMap<DeviceId, Vec<AgentRecord>> = HashMap::new();
    for link in links {
        by_device
            .entry(link.device_id)
            .or_default()
            .push(link.agent);
    }
    devices
        .into_iter()
        .map(|device| WakeTarget {
            device_id: device.id,
            name: device.name,
            mac_address: device.mac_address,
            ip_address: device.ip_address,
            owner_id: device.owner_id,
            agents: by_device.remove(&device.id).unwrap_or_default(),
        })
        .collect()
}

#[async_trait::async_trait]
impl<DB: SqlEngine> Store for SqlStore<DB> {
    fn engine(&self) -> Engine {
        DB::ENGINE
    }

    async fn ping(&self) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::PING)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn count_users(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(sql::COUNT_USERS)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(count.try_into().unwrap_or_default())
    }

    async fn create_first_user(&self, user: NewUser) -> Result<Option<UserRecord>, StorageError> {
        let now = now();
        let record = user.into_record(now);
        let mut tx = self.pool.begin().await?;
        // The settings key is the lock: a concurrent caller waits on
        // it until we commit, then inserts nothing.
        let claimed = Sql::<DB>::new(sql::INSERT_SETTING_IF_ABSENT)
            .bind(keys::SETUP_COMPLETED_AT)
            .bind(now.to_rfc3339())
            .bind(now)
            .execute(&mut tx)
            .await?;
        let (existing,): (i64,) = Sql::<DB>::new(sql::COUNT_USERS).fetch_one(&mut tx).await?;
        if claimed == 0 || existing > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_user_row::<DB>(&mut tx, &record, None).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_USER_BY_ID)
            .bind(id)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_USER_BY_USERNAME)
            .bind(username)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_user(&self, user: NewUser) -> Result<UserRecord, StorageError> {
        let record = user.into_record(now());
        insert_user_row::<DB>(&mut *self.conn().await?, &record, None).await?;
        Ok(record)
    }

    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_USER_BY_IDENTITY)
            .bind(issuer)
            .bind(subject)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_sso_user(
        &self,
        user: NewUser,
        issuer: &str,
        subject: &str,
    ) -> Result<UserRecord, StorageError> {
        let record = user.into_record(now());
        insert_user_row::<DB>(&mut *self.conn().await?, &record, Some((issuer, subject))).await?;
        Ok(record)
    }

    async fn list_users(&self, page: Page) -> Result<(Vec<UserRecord>, u64), StorageError> {
        self.page(sql::SELECT_USERS_PAGE, sql::COUNT_USERS, page)
            .await
    }

    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<UserRecord>, StorageError> {
        let mut tx = DB::begin_serialized(&self.pool).await?;
        let row = Sql::<DB>::new(sql::UPDATE_USER)
            .bind(id)
            .bind(changes.username.as_ref().map(Username::as_str))
            .bind(changes.email.is_some())
            .bind(
                changes
                    .email
                    .as_ref()
                    .and_then(|email| email.as_ref().map(Email::as_str)),
            )
            .bind(changes.full_name.is_some())
            .bind(
                changes
                    .full_name
                    .as_ref()
                    .and_then(|name| name.as_ref().map(FullName::as_str)),
            )
            .bind(&changes.password_hash)
            .bind(changes.role.map(|role| role.as_str()))
            .bind(changes.is_active)
            .bind(i64::from(changes.end_sessions))
            .bind(now())
            .fetch_optional::<UserRecord>(&mut tx)
            .await?;
        let Some(user) = row else {
            return Ok(None);
        };
        let (superusers,): (i64,) = Sql::<DB>::new(sql::COUNT_ACTIVE_SUPERUSERS)
            .fetch_one(&mut tx)
            .await?;
        if superusers == 0 {
            tx.rollback().await?;
            return Err(StorageError::LastSuperuser);
        }
        tx.commit().await?;
        Ok(Some(user))
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        let mut tx = DB::begin_serialized(&self.pool).await?;
        let deleted = Sql::<DB>::new(sql::DELETE_USER)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if deleted == 0 {
            return Ok(false);
        }
        let (superusers,): (i64,) = Sql::<DB>::new(sql::COUNT_ACTIVE_SUPERUSERS)
            .fetch_one(&mut tx)
            .await?;
        if superusers == 0 {
            tx.rollback().await?;
            return Err(StorageError::LastSuperuser);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn list_device_views(&self, page: Page) -> Result<(Vec<DeviceView>, u64), StorageError> {
        let (rows, count) = self
            .page::<DeviceViewRow>(sql::SELECT_DEVICE_VIEWS_PAGE, sql::COUNT_DEVICES, page)
            .await?;
        Ok((device_views(rows), count))
    }

    async fn find_device_views(
        &self,
        filter: &DeviceMatch,
        page: Page,
    ) -> Result<(Vec<DeviceView>, u64), StorageError> {
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        let skip = i64::try_from(page.skip).unwrap_or(i64::MAX);
        let bind = |sql| {
            Sql::<DB>::new(sql)
                .bind(filter.text.clone())
                .bind(filter.bare_mac.clone())
                .bind(filter.os.map(OsType::as_str))
                .bind(filter.cluster)
                .bind(filter.tag_key.clone())
        };
        let mut conn = self.conn().await?;
        let rows: Vec<DeviceViewRow> = bind(sql::SELECT_MATCHING_DEVICE_VIEWS_PAGE)
            .bind(limit)
            .bind(skip)
            .fetch_all(&mut conn)
            .await?;
        let (count,): (i64,) = bind(sql::COUNT_MATCHING_DEVICES)
            .fetch_one(&mut conn)
            .await?;
        Ok((device_views(rows), count.try_into().unwrap_or_default()))
    }

    async fn count_devices(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(sql::COUNT_DEVICES)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(count.try_into().unwrap_or_default())
    }

    async fn fill_device_search(&self) -> Result<u64, StorageError> {
        self.fill_search_columns().await
    }

    async fn device_tags(&self) -> Result<Vec<String>, StorageError> {
        let keys: Vec<(String,)> = Sql::<DB>::new(sql::SELECT_DEVICE_TAG_KEYS)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        let mut tags: Vec<String> = keys
            .iter()
            .flat_map(|(keys,)| device_search::tags_of_keys(keys))
            .map(str::to_string)
            .collect();
        tags.sort_by(|a, b| (a.to_lowercase(), a).cmp(&(b.to_lowercase(), b)));
        tags.dedup();
        Ok(tags)
    }

    async fn device_view(&self, id: DeviceId) -> Result<Option<DeviceView>, StorageError> {
        let rows = Sql::<DB>::new(sql::SELECT_DEVICE_VIEW)
            .bind(id)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        Ok(device_views(rows).pop())
    }

    async fn insert_device(
        &self,
        device: &DeviceRecord,
        agent_ids: &[AgentId],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(sql::INSERT_DEVICE)
            .bind(device.id)
            .bind(&device.name)
            .bind(device.mac_address.to_string())
            .bind(device.ip_address.map(|ip| ip.to_string()))
            .bind(device.os_type.as_str())
            .bind(device.is_active)
            .bind(&device.description)
            .bind(sqlx::types::Json(&device.tags))
            .bind(device.cluster_id)
            .bind(device.owner_id)
            .bind(device.created_at)
            .bind(device.updated_at)
            .bind(device.search_text())
            .bind(device.tag_keys())
            .execute(&mut tx)
            .await?;
        link_agents::<DB>(&mut tx, device.id, agent_ids).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_device(
        &self,
        device: &DeviceRecord,
        agent_ids: Option<&[AgentId]>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(sql::UPDATE_DEVICE)
            .bind(device.id)
            .bind(&device.name)
            .bind(device.mac_address.to_string())
            .bind(device.ip_address.map(|ip| ip.to_string()))
            .bind(device.os_type.as_str())
            .bind(device.is_active)
            .bind(&device.description)
            .bind(sqlx::types::Json(&device.tags))
            .bind(device.cluster_id)
            .bind(device.updated_at)
            .bind(device.search_text())
            .bind(device.tag_keys())
            .execute(&mut tx)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        if let Some(agent_ids) = agent_ids {
            link_agents::<DB>(&mut tx, device.id, agent_ids).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_device(&self, id: DeviceId) -> Result<bool, StorageError> {
        let deleted = Sql::<DB>::new(sql::DELETE_DEVICE)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(deleted > 0)
    }

    async fn list_cluster_views(
        &self,
        page: Page,
    ) -> Result<(Vec<ClusterView>, u64), StorageError> {
        self.page(sql::SELECT_CLUSTER_VIEWS_PAGE, sql::COUNT_CLUSTERS, page)
            .await
    }

    async fn cluster_view(&self, id: ClusterId) -> Result<Option<ClusterView>, StorageError> {
        Sql::<DB>::new(sql::SELECT_CLUSTER_VIEW)
            .bind(id)
            .fetch_optional::<ClusterView>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn cluster_device_views(&self, id: ClusterId) -> Result<Vec<DeviceView>, StorageError> {
        let rows = Sql::<DB>::new(sql::SELECT_DEVICE_VIEWS_OF_CLUSTER)
            .bind(id)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        Ok(device_views(rows))
    }

    async fn cluster_agent_views(&self, id: ClusterId) -> Result<Vec<AgentView>, StorageError> {
        Sql::<DB>::new(sql::SELECT_AGENT_VIEWS_OF_CLUSTER)
            .bind(id)
            .fetch_all::<AgentView>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(sql::INSERT_CLUSTER)
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
        tx.commit().await?;
        Ok(())
    }

    async fn update_cluster(
        &self,
        cluster: &ClusterRecord,
        members: &Membership,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(sql::UPDATE_CLUSTER)
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
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_cluster(&self, id: ClusterId) -> Result<bool, StorageError> {
        let deleted = Sql::<DB>::new(sql::DELETE_CLUSTER)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(deleted > 0)
    }

    async fn insert_enrollment_key(&self, key: &EnrollmentKeyRecord) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::INSERT_ENROLLMENT_KEY)
            .bind(key.id)
            .bind(&key.name)
            .bind(&key.key_hash)
            .bind(&key.key_prefix)
            .bind(key.cluster_id)
            .bind(key.created_by)
            .bind(key.created_at)
            .bind(key.expires_at)
            .bind(key.revoked_at)
            .bind(key.last_used_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn list_enrollment_keys(
        &self,
        page: Page,
    ) -> Result<(Vec<EnrollmentKeyRecord>, u64), StorageError> {
        self.page(
            sql::SELECT_ENROLLMENT_KEYS_PAGE,
            sql::COUNT_ENROLLMENT_KEYS,
            page,
        )
        .await
    }

    async fn revoke_enrollment_key(
        &self,
        id: EnrollmentKeyId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError> {
        let updated = Sql::<DB>::new(sql::REVOKE_ENROLLMENT_KEY)
            .bind(id)
            .bind(at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(updated > 0)
    }

    async fn enrollment_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<EnrollmentKeyRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_ENROLLMENT_KEY_BY_HASH)
            .bind(key_hash)
            .fetch_optional::<EnrollmentKeyRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_agent(
        &self,
        agent: &AgentRecord,
        used_key: Option<EnrollmentKeyId>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(sql::INSERT_AGENT)
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
            Sql::<DB>::new(sql::TOUCH_ENROLLMENT_KEY)
                .bind(key_id)
                .bind(agent.created_at)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_record(&self, id: AgentId) -> Result<Option<AgentRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_AGENT_BY_ID)
            .bind(id)
            .fetch_optional::<AgentRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn agent_by_hostname(&self, hostname: &str) -> Result<Option<AgentRecord>, StorageError> {
        Sql::<DB>::new(sql::SELECT_AGENT_BY_HOSTNAME)
            .bind(hostname)
            .fetch_optional::<AgentRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn renew_agent(&self, renewal: &AgentRenewal) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(sql::RENEW_AGENT)
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
            let approved = Sql::<DB>::new(sql::APPROVE_AGENT_WITH_KEY)
                .bind(renewal.id)
                .bind(key.cluster_id)
                .bind(key.created_by)
                .bind(renewal.at)
                .execute(&mut tx)
                .await?;
            if approved > 0 {
                Sql::<DB>::new(sql::TOUCH_ENROLLMENT_KEY)
                    .bind(key.id)
                    .bind(renewal.at)
                    .execute(&mut tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn approve_agent(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError> {
        let updated = Sql::<DB>::new(sql::APPROVE_AGENT)
            .bind(id)
            .bind(at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(updated > 0)
    }

    async fn record_heartbeat(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
        interfaces: Option<&[shared::types::AgentInterface]>,
    ) -> Result<bool, StorageError> {
        let query = match interfaces {
            Some(interfaces) => Sql::<DB>::new(sql::RECORD_HEARTBEAT_WITH_INTERFACES)
                .bind(id)
                .bind(at)
                .bind(sqlx::types::Json(interfaces)),
            None => Sql::<DB>::new(sql::RECORD_HEARTBEAT).bind(id).bind(at),
        };
        Ok(query.execute(&mut *self.conn().await?).await? > 0)
    }

    async fn list_agent_views(&self, page: Page) -> Result<(Vec<AgentView>, u64), StorageError> {
        self.page(sql::SELECT_AGENT_VIEWS_PAGE, sql::COUNT_AGENTS, page)
            .await
    }

    async fn agent_view(&self, id: AgentId) -> Result<Option<AgentView>, StorageError> {
        Sql::<DB>::new(sql::SELECT_AGENT_VIEW)
            .bind(id)
            .fetch_optional::<AgentView>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn delete_agent(&self, id: AgentId) -> Result<bool, StorageError> {
        let deleted = Sql::<DB>::new(sql::DELETE_AGENT)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(deleted > 0)
    }

    async fn device_wake_target(&self, id: DeviceId) -> Result<Option<WakeTarget>, StorageError> {
        let devices = Sql::<DB>::new(sql::SELECT_WAKE_DEVICE)
            .bind(id)
            .fetch_all::<WakeDeviceRow>(&mut *self.conn().await?)
            .await?;
        if devices.is_empty() {
            return Ok(None);
        }
        let links = Sql::<DB>::new(sql::SELECT_WAKE_AGENTS_OF_DEVICE)
            .bind(id)
            .fetch_all::<WakeLinkRow>(&mut *self.conn().await?)
            .await?;
        Ok(wake_targets(devices, links).pop())
    }

    async fn cluster_wake_targets(&self, id: ClusterId) -> Result<Vec<WakeTarget>, StorageError> {
        let devices = Sql::<DB>::new(sql::SELECT_WAKE_DEVICES_OF_CLUSTER)
            .bind(id)
            .fetch_all::<WakeDeviceRow>(&mut *self.conn().await?)
            .await?;
        let links = Sql::<DB>::new(sql::SELECT_WAKE_AGENTS_OF_CLUSTER)
            .bind(id)
            .fetch_all::<WakeLinkRow>(&mut *self.conn().await?)
            .await?;
        Ok(wake_targets(devices, links))
    }

    async fn cluster_ref(&self, id: ClusterId) -> Result<Option<ClusterRef>, StorageError> {
        Sql::<DB>::new(sql::SELECT_CLUSTER_REF)
            .bind(id)
            .fetch_optional::<ClusterRef>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn agent_ref(&self, id: AgentId) -> Result<Option<AgentRef>, StorageError> {
        Sql::<DB>::new(sql::SELECT_AGENT_REF)
            .bind(id)
            .fetch_optional::<AgentRef>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let value: Option<(String,)> = Sql::<DB>::new(sql::SELECT_SETTING)
            .bind(key)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(value.map(|(value,)| value))
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::UPSERT_SETTING)
            .bind(key)
            .bind(value)
            .bind(now())
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn insert_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<bool, StorageError> {
        let inserted = Sql::<DB>::new(sql::INSERT_SESSION)
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(inserted > 0)
    }

    async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::UPSERT_SESSION)
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StorageError> {
        let data: Option<(String,)> = Sql::<DB>::new(sql::SELECT_SESSION)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(data.map(|(data,)| data))
    }

    async fn delete_session(&self, id: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::DELETE_SESSION)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(sql::DELETE_EXPIRED_SESSIONS)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?)
    }

    async fn count_pending_agents(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(sql::COUNT_PENDING_AGENTS)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn login_attempts(&self, key: &str) -> Result<Option<LoginAttempts>, StorageError> {
        let row: Option<(i64, i64)> = Sql::<DB>::new(sql::SELECT_LOGIN_ATTEMPTS)
            .bind(key)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|(attempts, last_at_ms)| LoginAttempts {
            attempts,
            last_at_ms,
        }))
    }

    async fn claim_login_attempt(
        &self,
        key: &str,
        seen: Option<LoginAttempts>,
        next: LoginAttempts,
    ) -> Result<bool, StorageError> {
        let done = match seen {
            None => {
                Sql::<DB>::new(sql::INSERT_LOGIN_ATTEMPTS)
                    .bind(key)
                    .bind(next.attempts)
                    .bind(next.last_at_ms)
                    .execute(&mut *self.conn().await?)
                    .await?
            }
            Some(seen) => {
                Sql::<DB>::new(sql::UPDATE_LOGIN_ATTEMPTS)
                    .bind(key)
                    .bind(next.attempts)
                    .bind(next.last_at_ms)
                    .bind(seen.attempts)
                    .bind(seen.last_at_ms)
                    .execute(&mut *self.conn().await?)
                    .await?
            }
        };
        Ok(done == 1)
    }

    async fn give_back_login_attempt(&self, key: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::GIVE_BACK_LOGIN_ATTEMPT)
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn forget_login_attempts(&self, key: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(sql::DELETE_LOGIN_ATTEMPTS)
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn delete_stale_login_attempts(&self, before_ms: i64) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(sql::DELETE_STALE_LOGIN_ATTEMPTS)
            .bind(before_ms)
            .execute(&mut *self.conn().await?)
            .await?)
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError> {
        Sql::<DB>::new(sql::INSERT_SETTING_IF_ABSENT)
            .bind(key)
            .bind(value)
            .bind(now())
            .execute(&mut *self.conn().await?)
            .await?;
        self.setting(key)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("setting {key} vanished after insert")))
    }
}
