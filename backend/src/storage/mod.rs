//! Persistence behind one interface, [`Store`], the union of one trait per
//! area (users, devices, clusters, agents, enrollment keys, browser
//! sessions, the sign-in throttle, settings, presence, wakes, live events). Each area's file holds its
//! trait, its SQL (one text for SQLite and PostgreSQL) and its
//! implementation over [`SqlStore`] (`store.rs`); what differs per engine is
//! [`SqlEngine`] (`engine.rs`). Records are decoded with `sqlx::FromRow`
//! derives (`models.rs`). Everything above this module sees only the
//! traits; adding an area is a worked example in docs/ARCHITECTURE.md.

#[macro_use]
mod columns;
mod agents;
mod clusters;
mod devices;
mod engine;
mod enrollment_keys;
mod error;
mod events;
mod models;
mod postgres;
mod presence;
mod sessions;
mod settings;
mod sqlite;
mod store;
mod throttle;
mod users;
mod wakes;

use std::path::Path;

use std::sync::Arc;
use std::time::Duration;

pub use agents::AgentStore;
pub use clusters::ClusterStore;
pub use devices::DeviceStore;
pub use engine::SqlEngine;
pub use enrollment_keys::EnrollmentKeyStore;
pub use error::{StorageError, UniqueKey};
pub use events::{ACCESS_KIND, EventListener, EventStore, NewEvent, StoredEvent};
pub use models::{
    AgentRecord, AgentRef, AgentRenewal, AgentView, ClusterDetail, ClusterRecord, ClusterRef,
    ClusterView, DeviceRecord, DeviceView, EnrollmentKeyRecord, LoginAttempts, Membership, NewUser,
    UserChanges, UserRecord, WakeTarget,
};
pub use postgres::PostgresStore;
pub use presence::{
    DeviceTransition, Liveness, PresenceCounts, PresenceStore, Recorded, SightingReport,
    WatchedDevice,
};
pub use sessions::BrowserSessionStore;
pub use settings::SettingStore;
pub use sqlite::SqliteStore;
pub use store::SqlStore;
pub use throttle::ThrottleStore;
pub use users::UserStore;
pub use wakes::{NewWake, NewWakeDevice, Requester, WakeDeviceRecord, WakeRecord, WakeStore};

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

    /// The `LIMIT` and `OFFSET` to bind, saturated to what SQL takes.
    pub(crate) fn binds(self) -> (i64, i64) {
        (
            i64::try_from(self.limit).unwrap_or(i64::MAX),
            i64::try_from(self.skip).unwrap_or(i64::MAX),
        )
    }
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

/// The persistence interface: every area's trait, and what concerns the
/// database as a whole. Implementations map database errors to
/// [`StorageError`] and never leak SQL to callers.
#[async_trait::async_trait]
pub trait Store:
    UserStore
    + DeviceStore
    + ClusterStore
    + AgentStore
    + EnrollmentKeyStore
    + BrowserSessionStore
    + ThrottleStore
    + SettingStore
    + PresenceStore
    + WakeStore
    + EventStore
    + Send
    + Sync
    + 'static
{
    /// The engine behind this store.
    fn engine(&self) -> Engine;

    /// Runs a trivial query: is the database reachable?
    async fn ping(&self) -> Result<(), StorageError>;

    /// Closes every connection; later calls fail with [`StorageError::Unavailable`].
    async fn close(&self);
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct ConnectOptions<'a> {
    /// `sqlite://…` or `postgres://…`; `None` means the default SQLite file.
    pub url: Option<&'a str>,
    /// Where the default SQLite file lives.
    pub data_dir: &'a Path,
    /// Most connections to hold open; `None` for the engine's default
    /// ([`SQLITE_MAX_CONNECTIONS`], [`POSTGRES_MAX_CONNECTIONS`]).
    pub max_connections: Option<u32>,
    /// How long to wait for a connection before giving up.
    pub connect_timeout: Duration,
}

/// SQLite's pool unless configured: every connection has a thread and a page
/// cache of its own (up to 2 MiB), while one writer at a time and readers
/// bounded by the cores gain nothing from more. At 16 clients listing 1 000
/// devices, 16 connections peaked 32 MiB higher than 4 and served fewer
/// lists (docs/ARCHITECTURE.md, "Memory").
pub const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// PostgreSQL's pool unless configured.
pub const POSTGRES_MAX_CONNECTIONS: u32 = 16;

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
