//! Persistence behind one interface, [`Store`], implemented once
//! ([`SqlStore`], `store.rs`) over one SQL text (`sql.rs`) for SQLite and
//! PostgreSQL; what differs per engine is [`SqlEngine`] (`engine.rs`).
//! Records are decoded with `sqlx::FromRow` derives (`models.rs`).
//! Everything above this module sees only the trait.

mod engine;
mod error;
mod models;
mod postgres;
mod sql;
mod sqlite;
mod store;

use std::path::Path;

use shared::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};

use crate::domain::device_search::DeviceMatch;
use std::sync::Arc;
use std::time::Duration;

pub use engine::SqlEngine;
pub use error::StorageError;
pub use models::{
    AgentRecord, AgentRef, AgentRenewal, AgentView, ClusterRecord, ClusterRef, ClusterView,
    DeviceRecord, DeviceView, EnrollmentKeyRecord, LoginAttempts, Membership, NewUser, UserChanges,
    UserRecord, WakeTarget,
};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use store::SqlStore;

/// Settings keys with a meaning of their own.
pub mod keys {
    /// The generated secret that signs access tokens.
    pub const JWT_SECRET: &str = "auth.jwt_secret";
    /// Set, once, by the first-run setup; its unique key makes setup race-safe.
    pub const SETUP_COMPLETED_AT: &str = "setup.completed_at";
    /// The single sign-on configuration, as JSON.
    pub const OIDC_CONFIG: &str = "auth.oidc";
    /// The one-time code that first-run setup from another machine needs.
    pub const SETUP_CODE: &str = "setup.code";
    /// `true` when agents may register without an enrollment key (pending approval).
    pub const OPEN_REGISTRATION: &str = "agents.open_registration";
}

/// A window of a listing: skip `skip` rows, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub skip: u64,
    pub limit: u64,
}

impl Page {
    /// Rows per page when the client does not say.
    pub const DEFAULT_LIMIT: u64 = 100;
    /// The most rows one page may ask for.
    pub const MAX_LIMIT: u64 = 1000;
}

/// The current time at the precision both engines store (microseconds), so a
/// record returned after a write equals the record read back later.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// The persistence interface. Implementations map database errors to
/// [`StorageError`] and never leak SQL to callers.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The engine behind this store.
    fn engine(&self) -> Engine;

    /// Runs a trivial query: is the database reachable?
    async fn ping(&self) -> Result<(), StorageError>;

    /// Closes every connection; later calls fail with [`StorageError::Unavailable`].
    async fn close(&self);

    /// How many users exist.
    async fn count_users(&self) -> Result<u64, StorageError>;

    /// Creates the first user, atomically with marking setup complete.
    /// Returns `None`, storing nothing, when setup already happened — also when
    /// another caller completes it concurrently.
    async fn create_first_user(&self, user: NewUser) -> Result<Option<UserRecord>, StorageError>;

    /// A user by id.
    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, StorageError>;

    /// A user by name, ignoring case.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StorageError>;

    /// Inserts a user; a taken username or email is a [`StorageError::Conflict`].
    async fn insert_user(&self, user: NewUser) -> Result<UserRecord, StorageError>;

    /// The user a single sign-on provider (`issuer`) knows as `subject`.
    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, StorageError>;

    /// Inserts a user linked to a provider's (`issuer`, `subject`); a taken
    /// username, email or identity is a [`StorageError::Conflict`].
    async fn insert_sso_user(
        &self,
        user: NewUser,
        issuer: &str,
        subject: &str,
    ) -> Result<UserRecord, StorageError>;

    /// One page of users, oldest first, and the total count.
    async fn list_users(&self, page: Page) -> Result<(Vec<UserRecord>, u64), StorageError>;

    /// Writes the fields `changes` gives (stamping `updated_at`), and only
    /// those, and returns the stored record, or `None` when no such user
    /// exists. Refuses with
    /// [`StorageError::LastSuperuser`] a change that would leave no active
    /// superuser, also under concurrent changes.
    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<UserRecord>, StorageError>;

    /// Deletes a user; `false` when none existed. Refuses the last active
    /// superuser like [`Store::update_user`].
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError>;

    /// One page of devices, newest first, with owner, cluster and agents; and the total.
    async fn list_device_views(&self, page: Page) -> Result<(Vec<DeviceView>, u64), StorageError>;

    /// One page of the devices `filter` accepts, ordered as
    /// [`Store::list_device_views`]; and how many it accepts.
    async fn find_device_views(
        &self,
        filter: &DeviceMatch,
        page: Page,
    ) -> Result<(Vec<DeviceView>, u64), StorageError>;

    /// How many devices there are.
    async fn count_devices(&self) -> Result<u64, StorageError>;

    /// Every tag of the devices, sorted, once each.
    async fn device_tags(&self) -> Result<Vec<String>, StorageError>;

    /// Writes the search columns of devices that have none (stored before
    /// the columns existed, or by a replica of an older version during an
    /// upgrade), a batch at a time; how many it wrote. Run at start-up and
    /// hourly.
    async fn fill_device_search(&self) -> Result<u64, StorageError>;

    /// One device with owner, cluster and agents.
    async fn device_view(&self, id: DeviceId) -> Result<Option<DeviceView>, StorageError>;

    /// Inserts a device linked to `agent_ids`; a taken MAC is a conflict on
    /// `devices_mac_address_key`.
    async fn insert_device(
        &self,
        device: &DeviceRecord,
        agent_ids: &[AgentId],
    ) -> Result<(), StorageError>;

    /// Writes every field of a device (stamping `updated_at`) and, when
    /// given, replaces its agent links; `false` when no such device exists.
    async fn update_device(
        &self,
        device: &DeviceRecord,
        agent_ids: Option<&[AgentId]>,
    ) -> Result<bool, StorageError>;

    /// Deletes a device and its agent links; `false` when none existed.
    async fn delete_device(&self, id: DeviceId) -> Result<bool, StorageError>;

    /// One page of clusters, newest first, with counts; and the total.
    async fn list_cluster_views(&self, page: Page)
    -> Result<(Vec<ClusterView>, u64), StorageError>;

    /// One cluster with counts.
    async fn cluster_view(&self, id: ClusterId) -> Result<Option<ClusterView>, StorageError>;

    /// A cluster's devices, by name, with owner, cluster and agents.
    async fn cluster_device_views(&self, id: ClusterId) -> Result<Vec<DeviceView>, StorageError>;

    /// A cluster's agents, by hostname.
    async fn cluster_agent_views(&self, id: ClusterId) -> Result<Vec<AgentView>, StorageError>;

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

    /// Stores a new enrollment key (its hash; the secret is never stored).
    async fn insert_enrollment_key(&self, key: &EnrollmentKeyRecord) -> Result<(), StorageError>;

    /// One page of enrollment keys, newest first, and the total.
    async fn list_enrollment_keys(
        &self,
        page: Page,
    ) -> Result<(Vec<EnrollmentKeyRecord>, u64), StorageError>;

    /// Marks a key revoked at `at` (kept if already revoked); `false` when unknown.
    async fn revoke_enrollment_key(
        &self,
        id: EnrollmentKeyId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError>;

    /// An enrollment key by the hash of its secret.
    async fn enrollment_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<EnrollmentKeyRecord>, StorageError>;

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
    /// agent exists.
    async fn approve_agent(
        &self,
        id: AgentId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError>;

    /// Records a heartbeat at `at`, and the interfaces when given; `false`
    /// when no such agent exists.
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

    /// A device and its agents, for a wake.
    async fn device_wake_target(&self, id: DeviceId) -> Result<Option<WakeTarget>, StorageError>;

    /// Every device of a cluster (by name) and their agents, for a wake.
    async fn cluster_wake_targets(&self, id: ClusterId) -> Result<Vec<WakeTarget>, StorageError>;

    /// A cluster's id, name and owner.
    async fn cluster_ref(&self, id: ClusterId) -> Result<Option<ClusterRef>, StorageError>;

    /// An agent's identity, cluster and liveness.
    async fn agent_ref(&self, id: AgentId) -> Result<Option<AgentRef>, StorageError>;

    /// A stored setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError>;

    /// Stores `value` under `key`, replacing any earlier value.
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError>;

    /// Stores `value` under `key` unless the key already has one, and returns
    /// whichever value is stored afterwards (safe for concurrent callers).
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError>;

    /// Stores a new browser session (`expires_at` in Unix seconds); `false`
    /// when the id is taken.
    async fn insert_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<bool, StorageError>;

    /// Stores a browser session, replacing the one with the same id.
    async fn save_session(&self, id: &str, data: &str, expires_at: i64)
    -> Result<(), StorageError>;

    /// A browser session's data, unless it expired by `now` (Unix seconds).
    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StorageError>;

    /// Forgets a browser session.
    async fn delete_session(&self, id: &str) -> Result<(), StorageError>;

    /// Forgets the sessions that expired by `now`; how many there were.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StorageError>;

    /// How many agents await approval.
    async fn count_pending_agents(&self) -> Result<u64, StorageError>;

    /// A sign-in throttle counter.
    async fn login_attempts(&self, key: &str) -> Result<Option<LoginAttempts>, StorageError>;

    /// Sets a throttle counter to `next` if it still is `seen` (`None`: it
    /// does not exist yet); `false` when another request changed it first.
    async fn claim_login_attempt(
        &self,
        key: &str,
        seen: Option<LoginAttempts>,
        next: LoginAttempts,
    ) -> Result<bool, StorageError>;

    /// Takes one attempt off a throttle counter.
    async fn give_back_login_attempt(&self, key: &str) -> Result<(), StorageError>;

    /// Forgets a throttle counter.
    async fn forget_login_attempts(&self, key: &str) -> Result<(), StorageError>;

    /// Forgets the counters whose last attempt was before `before_ms`.
    async fn delete_stale_login_attempts(&self, before_ms: i64) -> Result<u64, StorageError>;
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct ConnectOptions<'a> {
    /// `sqlite://…` or `postgres://…`; `None` means the default SQLite file.
    pub url: Option<&'a str>,
    /// Where the default SQLite file lives.
    pub data_dir: &'a Path,
    pub max_connections: u32,
    /// How long to wait for a connection before giving up.
    pub connect_timeout: Duration,
}

/// The file name of the default SQLite database inside the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "powerbeacon.db";

/// Connects to the configured database and brings its schema up to date.
pub async fn connect(options: ConnectOptions<'_>) -> Result<Arc<dyn Store>, StorageError> {
    match options.url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url, &options).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            Ok(Arc::new(SqliteStore::connect_url(url, &options).await?))
        }
        Some(url) => Err(StorageError::Config(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DB",
            redact_url(url)
        ))),
        None => {
            let path = options.data_dir.join(DEFAULT_SQLITE_FILE);
            Ok(Arc::new(SqliteStore::connect_file(&path, &options).await?))
        }
    }
}

/// A database URL without its password, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_masked_in_urls() {
        assert_eq!(
            redact_url("postgres://pb:hunter2@db.example:5432/pb"),
            "postgres://pb:***@db.example:5432/pb"
        );
        assert_eq!(redact_url("postgres://pb@db/pb"), "postgres://pb@db/pb");
        assert_eq!(redact_url("postgres://db/pb"), "postgres://db/pb");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(redact_url("p:w@x"), "p:w@x");
    }
}
