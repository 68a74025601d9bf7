//! Agents, their network interfaces and status, enrollment keys and installing
//! agents.

use super::REDACTED;
use crate::ids::{AgentId, ClusterId, EnrollmentKeyId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The spellings of the features agents announce (`AgentPublic.features`).
pub use powerbeacon_agent::wire::{FEATURE_PRESENCE, FEATURE_PRESENCE_ICMP};

/// Whether an agent has sent a heartbeat within the offline timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    Online,
    Offline,
}

/// `POST /api/agents/enrollment-keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentKeyCreate {
    /// What the key is for, e.g. the site or host it will be used on.
    #[serde(default)]
    pub name: Option<String>,
    /// Agents enrolled with this key join this cluster.
    #[serde(default)]
    pub cluster_id: Option<ClusterId>,
    /// Hours until the key stops working; none means it never expires.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
}

/// An enrollment key as listed: never the secret, only its first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentKeyPublic {
    pub id: EnrollmentKeyId,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub key_prefix: String,
    pub cluster_id: Option<ClusterId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the only time the whole key is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentKeyCreated {
    #[serde(flatten)]
    pub info: EnrollmentKeyPublic,
    /// The secret to give the agent as `ENROLLMENT_KEY`.
    pub key: String,
}

impl std::fmt::Debug for EnrollmentKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentKeyCreated")
            .field("info", &self.info)
            .field("key", &REDACTED)
            .finish()
    }
}

/// `GET /api/agents/enrollment-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentKeysPublic {
    pub keys: Vec<EnrollmentKeyPublic>,
    pub count: u64,
}

/// A platform the server has an agent binary for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentPlatform {
    /// `{os}-{arch}` as `uname` names them, lower case: e.g. `linux-x86_64`.
    pub platform: String,
    /// Where to download the binary.
    pub url: String,
    /// Its size in bytes.
    pub size: u64,
}

/// `POST /api/agents/install`: a fresh enrollment key and the command line
/// that installs an agent with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentInstall {
    /// Run as root on the always-on Linux host of the LAN.
    pub command: String,
    pub script_url: String,
    /// The server address the agent will use.
    pub server_url: String,
    /// The platforms the script can install; empty when the server has no
    /// agent binaries (then the command fails with a clear message).
    pub platforms: Vec<AgentPlatform>,
    /// The key inside the command: its only full showing.
    pub enrollment_key: EnrollmentKeyCreated,
}

/// A network interface an agent reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentInterface {
    pub name: String,
    pub address: String,
    pub prefix: u8,
    pub broadcast: Option<String>,
    pub mac: Option<String>,
}

/// An agent as the API shows it; its token is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentPublic {
    pub id: AgentId,
    pub hostname: String,
    pub ip: String,
    pub port: u16,
    pub os: String,
    pub version: String,
    pub cluster_id: Option<ClusterId>,
    /// The owner of the agent's cluster.
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    /// Online when approved and heard from within the offline timeout.
    pub status: AgentStatus,
    pub last_seen: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub cluster_name: Option<String>,
    /// How many devices this agent may wake.
    pub device_count: u64,
    /// False while an agent that registered without a key awaits approval.
    pub approved: bool,
    pub interfaces: Vec<AgentInterface>,
    /// The protocol extensions it announced at registration (docs/API.md,
    /// "Agents"): `wol-batch`, `presence`, `presence-icmp`. Empty for the
    /// original agent.
    #[serde(default)]
    pub features: Vec<String>,
}

/// `GET /api/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentsPublic {
    pub agents: Vec<AgentPublic>,
    pub count: u64,
}

/// `GET`/`PUT /api/config/agents`: how new agents may join.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRegistrationConfig {
    /// When on, agents without an enrollment key may register and wait,
    /// pending, until an admin approves them.
    pub open_registration: bool,
}
