//! Rows as the storage layer reads and writes them.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use powerbeacon_agent::MacAddress;
use shared::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};
use shared::types::{AgentInterface, OsType, ProbeMethod, Role, UserPublic};

use super::engine::{Parsed, ParsedOpt};
use crate::domain::{Email, FullName, Username};

/// A user row.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: UserId,
    #[sqlx(try_from = "Parsed<Username>")]
    pub username: Username,
    #[sqlx(try_from = "ParsedOpt<Email>")]
    pub email: Option<Email>,
    #[sqlx(try_from = "ParsedOpt<FullName>")]
    pub full_name: Option<FullName>,
    /// Argon2id PHC string; `None` for accounts that sign in only through SSO.
    pub password_hash: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sessions and access tokens issued under another version are over.
    pub token_version: i64,
}

impl UserRecord {
    /// The public view of this user.
    /// The user as the access rules see them ([`shared::access`]).
    pub fn access(&self) -> shared::access::Actor {
        shared::access::Actor {
            id: self.id,
            role: self.role,
        }
    }

    pub fn to_public(&self) -> UserPublic {
        UserPublic {
            id: self.id,
            username: self.username.as_str().to_string(),
            email: self.email.as_ref().map(|email| email.as_str().to_string()),
            is_active: self.is_active,
            role: self.role,
            full_name: self
                .full_name
                .as_ref()
                .map(|name| name.as_str().to_string()),
            created_at: self.created_at,
        }
    }
}

/// A user about to be inserted; the store fills in the id and timestamps.
#[derive(Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Option<Email>,
    pub full_name: Option<FullName>,
    pub password_hash: Option<String>,
    pub role: Role,
}

impl NewUser {
    /// The full record this insert creates, stamped `now`.
    pub(super) fn into_record(self, now: DateTime<Utc>) -> UserRecord {
        UserRecord {
            id: UserId::generate(),
            username: self.username,
            email: self.email,
            full_name: self.full_name,
            password_hash: self.password_hash,
            role: self.role,
            is_active: true,
            created_at: now,
            updated_at: now,
            token_version: 0,
        }
    }
}

/// What to change about a user; `None` leaves a field as it is. Only the
/// fields given are written, so two changes at once never undo each other.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    pub username: Option<Username>,
    /// `Some(None)` clears it.
    pub email: Option<Option<Email>>,
    /// `Some(None)` clears it.
    pub full_name: Option<Option<FullName>>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Ends the user's browser sessions and access tokens (their version
    /// moves on).
    pub end_sessions: bool,
}

/// A device row. The MAC is stored canonical (`AA:BB:CC:DD:EE:FF`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub name: String,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    pub mac_address: MacAddress,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    pub ip_address: Option<IpAddr>,
    #[sqlx(try_from = "Parsed<OsType>")]
    pub os_type: OsType,
    pub is_active: bool,
    pub description: Option<String>,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub cluster_id: Option<ClusterId>,
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How its agents probe it.
    #[sqlx(try_from = "Parsed<ProbeMethod>")]
    pub probe_method: ProbeMethod,
    #[sqlx(json)]
    pub probe_ports: Vec<u16>,
    /// Seconds between probes; `None` for the server's default.
    pub probe_interval_s: Option<i32>,
    /// Whether an address it is seen up at becomes its `ip_address`.
    pub probe_adopt_address: bool,
    /// Seconds a woken machine has to show up; `None` for the server's
    /// default.
    pub boot_timeout_s: Option<i32>,
}

impl DeviceRecord {
    /// How its agents probe it, as the API shows it.
    pub fn probe(&self) -> shared::types::DeviceProbe {
        shared::types::DeviceProbe {
            method: self.probe_method,
            ports: self.probe_ports.clone(),
            interval_s: self.probe_interval_s.and_then(|s| u32::try_from(s).ok()),
            adopt_address: self.probe_adopt_address,
            boot_timeout_s: self.boot_timeout_s.and_then(|s| u32::try_from(s).ok()),
        }
    }

    /// What the dashboard's search looks in (`domain::device_search`).
    pub fn search_text(&self) -> String {
        crate::domain::device_search::search_text(
            &self.name,
            &self.mac_address,
            self.ip_address,
            &self.tags,
        )
    }

    /// What the dashboard's tag filter looks in (`domain::device_search`).
    pub fn tag_keys(&self) -> String {
        crate::domain::device_search::tag_keys(&self.tags)
    }
}

/// A device with the names around it, as listings show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceView {
    #[sqlx(flatten)]
    pub device: DeviceRecord,
    pub owner_name: Option<String>,
    pub cluster_name: Option<String>,
    /// Linked agents, by hostname.
    #[sqlx(skip)]
    pub agents: Vec<AgentRef>,
    /// What is concluded about whether it is up; `None` when nothing ever was.
    #[sqlx(skip)]
    pub presence: Option<crate::domain::presence::Presence>,
}

/// What a device or a permission check needs to know about an agent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentRef {
    pub id: AgentId,
    pub hostname: String,
    #[sqlx(try_from = "Parsed<IpAddr>")]
    pub ip: IpAddr,
    pub cluster_id: Option<ClusterId>,
    pub approved: bool,
    pub last_seen: Option<DateTime<Utc>>,
}

/// What a permission check needs to know about a cluster.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClusterRef {
    pub id: ClusterId,
    pub name: String,
    pub owner_id: Option<UserId>,
}

/// A cluster row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClusterRecord {
    pub id: ClusterId,
    pub name: String,
    pub description: Option<String>,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A cluster with its owner's name and member counts.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClusterView {
    #[sqlx(flatten)]
    pub cluster: ClusterRecord,
    pub owner_name: Option<String>,
    #[sqlx(try_from = "i64")]
    pub device_count: u64,
    #[sqlx(try_from = "i64")]
    pub agent_count: u64,
}

/// A cluster with its members, as its page and `GET /api/clusters/{id}`
/// show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDetail {
    pub view: ClusterView,
    /// By name.
    pub devices: Vec<DeviceView>,
    /// By hostname.
    pub agents: Vec<AgentView>,
}

/// Who belongs to a cluster; `None` leaves that side as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub device_ids: Option<Vec<DeviceId>>,
    pub agent_ids: Option<Vec<AgentId>>,
}

/// An enrollment key row; only a hash of the secret is stored.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnrollmentKeyRecord {
    pub id: EnrollmentKeyId,
    pub name: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    pub key_prefix: String,
    pub cluster_id: Option<ClusterId>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An agent row. The token is kept in clear because the server presents it
/// to the agent on every wake call; it never leaves the server otherwise.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentRecord {
    pub id: AgentId,
    pub hostname: String,
    #[sqlx(try_from = "Parsed<IpAddr>")]
    pub ip: IpAddr,
    #[sqlx(try_from = "i32")]
    pub port: u16,
    pub os: String,
    pub version: String,
    pub token: String,
    /// False while an agent that registered without a key awaits approval.
    pub approved: bool,
    #[sqlx(json)]
    pub interfaces: Vec<AgentInterface>,
    /// Protocol extensions the agent announced.
    #[sqlx(json)]
    pub features: Vec<String>,
    pub cluster_id: Option<ClusterId>,
    /// Who enrolled it: the creator of the enrollment key it used.
    pub owner_id: Option<UserId>,
    pub last_seen: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgentRecord {
    /// Whether the agent announced `feature`.
    pub fn supports(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// What a known agent re-registering with its token may change. Only these
/// columns are written, so a concurrent approval, cluster move or heartbeat
/// is never undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRenewal {
    pub id: AgentId,
    pub ip: IpAddr,
    pub port: u16,
    pub os: String,
    pub version: String,
    /// `None` keeps the stored interfaces.
    pub interfaces: Option<Vec<AgentInterface>>,
    pub features: Vec<String>,
    pub at: DateTime<Utc>,
    /// A valid enrollment key presented by a pending agent: approves it, and
    /// gives it the key's cluster and creator when it has none.
    pub approving_key: Option<EnrollmentKeyRecord>,
}

/// An agent with its cluster and how many devices it serves.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentView {
    #[sqlx(flatten)]
    pub agent: AgentRecord,
    pub cluster_name: Option<String>,
    pub cluster_owner_id: Option<UserId>,
    pub cluster_owner_name: Option<String>,
    #[sqlx(try_from = "i64")]
    pub device_count: u64,
}

/// A device to wake and the agents linked to it, by hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeTarget {
    pub device_id: DeviceId,
    pub name: String,
    pub mac_address: MacAddress,
    pub ip_address: Option<IpAddr>,
    pub owner_id: Option<UserId>,
    /// How its agents probe it (`off`: not watched).
    pub probe_method: powerbeacon_agent::wire::ProbeMethod,
    /// Its own boot timeout, in seconds, if it has one.
    pub boot_timeout_s: Option<i32>,
    /// What is concluded about its presence, as stored.
    pub presence: Option<crate::domain::presence::Presence>,
    pub agents: Vec<AgentRecord>,
}

impl WakeTarget {
    /// How long it has to show up once woken: its own boot timeout, else
    /// `default` (the server's).
    pub fn boot_timeout(&self, default: std::time::Duration) -> std::time::Duration {
        self.boot_timeout_s
            .and_then(|s| u64::try_from(s).ok())
            .map_or(default, std::time::Duration::from_secs)
    }
}

/// A sign-in throttle counter: attempts so far and when the last one was
/// made (Unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempts {
    pub attempts: i64,
    pub last_at_ms: i64,
}

/// What secrets show as in `Debug` output (logs, panics).
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| REDACTED),
            )
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("token_version", &self.token_version)
            .finish()
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| REDACTED),
            )
            .field("role", &self.role)
            .finish()
    }
}

impl std::fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChanges")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| REDACTED),
            )
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .field("end_sessions", &self.end_sessions)
            .finish()
    }
}

impl std::fmt::Debug for EnrollmentKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentKeyRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_hash", &REDACTED)
            .field("key_prefix", &self.key_prefix)
            .field("cluster_id", &self.cluster_id)
            .field("created_by", &self.created_by)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("last_used_at", &self.last_used_at)
            .finish()
    }
}

impl std::fmt::Debug for AgentRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRecord")
            .field("id", &self.id)
            .field("hostname", &self.hostname)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("os", &self.os)
            .field("version", &self.version)
            .field("token", &REDACTED)
            .field("approved", &self.approved)
            .field("interfaces", &self.interfaces)
            .field("features", &self.features)
            .field("cluster_id", &self.cluster_id)
            .field("owner_id", &self.owner_id)
            .field("last_seen", &self.last_seen)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        const SECRET: &str = "$argon2id$secret-hash";
        let now = chrono::Utc::now();
        let user = NewUser {
            username: Username::parse("a").unwrap(),
            email: None,
            full_name: None,
            password_hash: Some(SECRET.into()),
            role: Role::User,
        };
        let changes = UserChanges {
            password_hash: Some(SECRET.into()),
            ..UserChanges::default()
        };
        let key = EnrollmentKeyRecord {
            id: EnrollmentKeyId::generate(),
            name: "k".into(),
            key_hash: SECRET.into(),
            key_prefix: "pbek_".into(),
            cluster_id: None,
            created_by: None,
            created_at: now,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        };
        let agent = AgentRecord {
            id: AgentId::generate(),
            hostname: "h".into(),
            ip: "192.0.2.1".parse().unwrap(),
            port: 1,
            os: String::new(),
            version: String::new(),
            token: SECRET.into(),
            approved: true,
            interfaces: Vec::new(),
            features: Vec::new(),
            cluster_id: None,
            owner_id: None,
            last_seen: None,
            created_at: now,
            updated_at: now,
        };
        let printed = [
            format!("{user:?}"),
            format!("{:?}", user.clone().into_record(now)),
            format!("{changes:?}"),
            format!("{key:?}"),
            format!("{agent:?}"),
        ];
        for text in printed {
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}
