//! Rows as the storage layer reads and writes them.

use app::types::{AgentInterface, Role, UserPublic};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A user row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// Argon2id PHC string; `None` for accounts that sign in only through SSO.
    pub password_hash: Option<String>,
    pub role: Role,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRecord {
    /// The public view of this user.
    pub fn to_public(&self) -> UserPublic {
        UserPublic {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            is_active: self.is_active,
            role: self.role,
            full_name: self.full_name.clone(),
            created_at: self.created_at,
        }
    }
}

/// A user about to be inserted; the store fills in the id and timestamps.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Role,
}

impl NewUser {
    /// The full record this insert creates, stamped `now`.
    pub(super) fn into_record(self, now: DateTime<Utc>) -> UserRecord {
        UserRecord {
            id: Uuid::new_v4(),
            username: self.username,
            email: self.email,
            full_name: self.full_name,
            password_hash: self.password_hash,
            role: self.role,
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Reads the role column.
pub(super) fn parse_role(text: &str) -> Result<Role, super::StorageError> {
    Role::parse(text).ok_or_else(|| super::StorageError::Corrupt(format!("unknown role {text:?}")))
}

/// A device row. The MAC is stored canonical (`AA:BB:CC:DD:EE:FF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: Uuid,
    pub name: String,
    pub mac_address: String,
    pub ip_address: Option<String>,
    pub os_type: String,
    pub is_active: bool,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub cluster_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A device with the names around it, as listings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    pub device: DeviceRecord,
    pub owner_name: Option<String>,
    pub cluster_name: Option<String>,
    /// Linked agents, by hostname.
    pub agents: Vec<AgentRef>,
}

/// What a device or a permission check needs to know about an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRef {
    pub id: Uuid,
    pub hostname: String,
    pub ip: String,
    pub cluster_id: Option<Uuid>,
    pub approved: bool,
    pub last_seen: Option<DateTime<Utc>>,
}

/// What a permission check needs to know about a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRef {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Option<Uuid>,
}

/// A cluster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A cluster with its owner's name and member counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    pub cluster: ClusterRecord,
    pub owner_name: Option<String>,
    pub device_count: u64,
    pub agent_count: u64,
}

/// Who belongs to a cluster; `None` leaves that side as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub device_ids: Option<Vec<Uuid>>,
    pub agent_ids: Option<Vec<Uuid>>,
}

/// An enrollment key row; only a hash of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentKeyRecord {
    pub id: Uuid,
    pub name: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    pub key_prefix: String,
    pub cluster_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An agent row. The token is kept in clear because the server presents it
/// to the agent on every wake call; it never leaves the server otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: Uuid,
    pub hostname: String,
    pub ip: String,
    pub port: u16,
    pub os: String,
    pub version: String,
    pub token: String,
    /// False while an agent that registered without a key awaits approval.
    pub approved: bool,
    pub interfaces: Vec<AgentInterface>,
    /// Protocol extensions the agent announced.
    pub features: Vec<String>,
    pub cluster_id: Option<Uuid>,
    /// Who enrolled it: the creator of the enrollment key it used.
    pub owner_id: Option<Uuid>,
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
    pub id: Uuid,
    pub ip: String,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub agent: AgentRecord,
    pub cluster_name: Option<String>,
    pub cluster_owner_id: Option<Uuid>,
    pub cluster_owner_name: Option<String>,
    pub device_count: u64,
}

/// A device to wake and the agents linked to it, by hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeTarget {
    pub device_id: Uuid,
    pub name: String,
    pub mac_address: String,
    pub ip_address: Option<String>,
    pub owner_id: Option<Uuid>,
    pub agents: Vec<AgentRecord>,
}
