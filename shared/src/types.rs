//! Types of the REST API and the server functions, compiled by both the
//! server and the browser so the two can never disagree on a field name.

use crate::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The body of every error response (docs/API.md, "Conventions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The HTTP status code, repeated in the body.
    pub status_code: u16,
    /// What went wrong, in words a person can act on.
    pub message: String,
    /// More detail, such as the name of the offending field.
    pub details: Option<String>,
    /// A wake that no agent carried out (503): each agent's part, the
    /// reasons `details` sums up. Absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<WakeAgentResult>,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// `"ok"` when the server can reach its database, `"error"` otherwise.
    pub status: String,
    pub message: String,
    /// Whether the database answered.
    pub database: String,
}

/// `GET /api/setup/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupStatus {
    /// True once the first user exists.
    pub is_setup_complete: bool,
    pub user_count: u64,
}

/// `POST /api/setup/init`: the first account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupInitRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    /// Optional single sign-on settings, validated like `PUT /api/config/oidc`.
    #[serde(default)]
    pub oidc: Option<OidcConfigUpdate>,
    /// The one-time code the server prints in its log while it is not set
    /// up: needed when the request does not come from the server's own
    /// machine (loopback).
    #[serde(default)]
    pub setup_code: Option<String>,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPublic {
    pub id: UserId,
    pub username: String,
    pub email: Option<String>,
    pub is_active: bool,
    pub role: Role,
    pub full_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl ErrorBody {
    /// An error with a status and a message.
    pub fn new(status_code: u16, message: impl Into<String>) -> Self {
        Self {
            status_code,
            message: message.into(),
            details: None,
            agents: Vec::new(),
        }
    }

    /// An error with a status, a message and details (a field's name for 422).
    pub fn with_details(
        status_code: u16,
        message: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        Self {
            details: Some(details.into()),
            ..Self::new(status_code, message)
        }
    }

    /// This error with `details` (none when `None`).
    pub fn with_optional_details(self, details: Option<String>) -> Self {
        Self { details, ..self }
    }

    /// The field a validation error names, if any.
    pub fn field(&self) -> Option<&str> {
        (self.status_code == 422)
            .then_some(self.details.as_deref())
            .flatten()
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// Server functions answer errors as the API's error body, so the browser
/// gets the status, message and field, not just text.
#[cfg(feature = "server-fn")]
impl server_fn::error::FromServerFnError for ErrorBody {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(error: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        let status_code = match error {
            // On the server, a request body that does not decode.
            E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => 400,
            E::UnsupportedRequestMethod(_) => 405,
            E::Request(_) => 0,
            _ => 500,
        };
        let message = match &error {
            E::Request(_) => {
                "The server cannot be reached; check the connection and retry.".to_string()
            }
            other => other.to_string(),
        };
        // On the server this is an argument that did not decode: the
        // response gets the status too.
        #[cfg(feature = "ssr")]
        crate::server_fn_status::set(status_code);
        Self::new(status_code, message)
    }
}

/// `POST /api/auth/login`: an OAuth2 bearer token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Token {
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
}

impl Token {
    /// A bearer token.
    pub fn bearer(access_token: String) -> Self {
        Self {
            access_token,
            token_type: "bearer".into(),
        }
    }
}

/// `GET /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsersPublic {
    pub data: Vec<UserPublic>,
    /// All users, not just this page.
    pub count: u64,
}

/// `POST /api/users`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCreate {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    /// Defaults to `viewer` (least privilege, as the original API).
    #[serde(default)]
    pub role: Option<Role>,
    /// Defaults to `true`.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `PATCH /api/users/{id}`: only the fields given change. An empty `email`
/// or `full_name` clears it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `PATCH /api/users/me`: one's own profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdateMe {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
}

/// `PATCH /api/users/me/password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdatePassword {
    pub current_password: String,
    pub new_password: String,
}

/// A plain confirmation, e.g. after a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub message: String,
}

impl Message {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// `GET /api/config/oidc`: single sign-on settings, never the secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcConfigPublic {
    pub enabled: bool,
    pub server_metadata_url: Option<String>,
    pub client_id: Option<String>,
    /// Whether a client secret is stored (the secret itself is write-only).
    pub client_secret_set: bool,
    /// The role of accounts created by a first single sign-on.
    #[serde(default)]
    pub default_role: Role,
}

/// `PUT /api/config/oidc` and the `oidc` part of setup. An omitted
/// `client_secret` keeps the stored one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcConfigUpdate {
    pub enabled: bool,
    #[serde(default)]
    pub server_metadata_url: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The role of accounts created by a first single sign-on (below
    /// superuser); omitted keeps the stored one (`viewer` at first).
    #[serde(default)]
    pub default_role: Option<Role>,
}

/// `GET /api/config/about`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct About {
    pub current_version: String,
    /// Never looked up: PowerBeacon makes no calls to the internet.
    pub latest_version: Option<String>,
    pub update_available: bool,
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
}

/// The operating system of a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OsType {
    #[default]
    Linux,
    Windows,
    Macos,
}

impl OsType {
    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OsType::Linux => "linux",
            OsType::Windows => "windows",
            OsType::Macos => "macos",
        }
    }

    /// Parses the JSON/database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "linux" => Some(OsType::Linux),
            "windows" => Some(OsType::Windows),
            "macos" => Some(OsType::Macos),
            _ => None,
        }
    }
}

/// Reads the database's spelling; anything else is an error, never a default.
impl std::str::FromStr for OsType {
    type Err = UnknownSpelling;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| UnknownSpelling::new("OS type", text))
    }
}

/// Whether an agent has sent a heartbeat within the offline timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    Online,
    Offline,
}

/// An agent as a device lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceAgentPublic {
    pub id: AgentId,
    pub hostname: String,
    pub ip: String,
    pub status: AgentStatus,
    /// `true` when the agent is not in the device's cluster (or is in one
    /// while the device is in none): a link such as a cluster change leaves
    /// behind, which could not be set now. Wakes still go through it; the
    /// device's managers see it and may fix it. Absent from older servers.
    #[serde(default)]
    pub crosses_cluster: bool,
}

/// A device as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicePublic {
    pub id: DeviceId,
    pub name: String,
    /// Always `AA:BB:CC:DD:EE:FF`.
    pub mac_address: String,
    pub ip_address: Option<String>,
    pub os_type: OsType,
    pub is_active: bool,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub cluster_id: Option<ClusterId>,
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub owner_name: Option<String>,
    pub cluster_name: Option<String>,
    pub agents: Vec<DeviceAgentPublic>,
}

/// `GET /api/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicesPublic {
    pub devices: Vec<DevicePublic>,
    pub count: u64,
}

/// `POST /api/devices`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCreate {
    pub name: String,
    /// `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff` or `aabbccddeeff`.
    pub mac_address: String,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub os_type: Option<OsType>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub cluster_id: Option<ClusterId>,
    /// Agents that may wake this device; they must be in its cluster.
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
}

/// `PUT /api/devices/{id}`: only the fields given change; `null` clears
/// `ip_address`, `description` and `cluster_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mac_address: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub ip_address: Option<Option<String>>,
    #[serde(default)]
    pub os_type: Option<OsType>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ClusterId>))]
    pub cluster_id: Option<Option<ClusterId>>,
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
}

/// A cluster as listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterPublic {
    pub id: ClusterId,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub device_count: u64,
    pub agent_count: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/clusters/{id}`: the cluster with its devices and agents, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterDetailPublic {
    #[serde(flatten)]
    pub cluster: ClusterPublic,
    pub devices: Vec<DevicePublic>,
    pub agents: Vec<AgentPublic>,
}

/// `GET /api/clusters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClustersPublic {
    pub clusters: Vec<ClusterPublic>,
    pub count: u64,
}

/// `POST /api/clusters`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterCreate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub device_ids: Option<Vec<DeviceId>>,
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
}

/// `PUT /api/clusters/{id}`: only the fields given change; a member list,
/// when given, replaces the old one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub device_ids: Option<Vec<DeviceId>>,
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
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

/// What happened to a wake request at one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WakeOutcome {
    /// The agent sent the magic packet.
    Sent,
    /// The agent could not be reached or reported an error.
    Failed,
    /// The agent is offline (or pending approval); nothing was asked of it.
    Offline,
}

/// One agent's part in waking one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakeAgentResult {
    pub agent_id: AgentId,
    pub hostname: String,
    pub outcome: WakeOutcome,
    /// The agent's answer or why the call failed.
    pub message: Option<String>,
}

/// `POST /api/devices/{id}/wake`: the result for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceWakeResult {
    pub message: String,
    pub device_id: DeviceId,
    pub device_name: String,
    pub mac_address: String,
    /// Hostnames of the agents that sent the packet.
    pub successful_agents: Vec<String>,
    /// Hostnames of the agents that failed.
    pub failed_agents: Vec<String>,
    /// Hostnames of the agents that were offline.
    pub offline_agents: Vec<String>,
    /// Every agent's result, by hostname.
    pub agents: Vec<WakeAgentResult>,
}

/// `POST /api/clusters/{id}/wake`: the result for every device of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterWakeResult {
    pub message: String,
    pub cluster_id: ClusterId,
    pub cluster_name: String,
    pub device_count: u64,
    /// Devices at least one agent sent the packet for.
    pub successful_device_count: u64,
    pub failed_device_count: u64,
    /// Per device, by name.
    pub devices: Vec<DeviceWakeResult>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What a user may do, from most to least powerful. The default is the
/// least: `viewer`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Viewer,
    User,
    Admin,
    Superuser,
}

impl Role {
    /// How a role reads on screen.
    pub fn label(self) -> &'static str {
        match self {
            Role::Superuser => "Superuser",
            Role::Admin => "Admin",
            Role::User => "User",
            Role::Viewer => "Viewer",
        }
    }

    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superuser => "superuser",
            Role::Admin => "admin",
            Role::User => "user",
            Role::Viewer => "viewer",
        }
    }

    /// Parses the JSON/database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "superuser" => Some(Role::Superuser),
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A stored spelling that names none of an enum's values (a role, an OS type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSpelling {
    /// What was being read, e.g. `"role"`.
    pub of: &'static str,
    /// The text found (at most 32 characters of it).
    pub text: String,
}

impl UnknownSpelling {
    fn new(of: &'static str, text: &str) -> Self {
        Self {
            of,
            text: text.chars().take(32).collect(),
        }
    }
}

impl std::fmt::Display for UnknownSpelling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} {:?}", self.of, self.text)
    }
}

impl std::error::Error for UnknownSpelling {}

/// Reads the database's spelling; anything else is an error, never a default.
impl TryFrom<String> for Role {
    type Error = UnknownSpelling;

    fn try_from(text: String) -> Result<Self, UnknownSpelling> {
        Role::parse(&text).ok_or_else(|| UnknownSpelling::new("role", &text))
    }
}

/// What secrets show as in `Debug` output (logs, panics).
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for SetupInitRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupInitRequest")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("oidc", &self.oidc)
            .field("setup_code", &self.setup_code.as_ref().map(|_| REDACTED))
            .finish()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl std::fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCreate")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .finish()
    }
}

impl std::fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserUpdate")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .finish()
    }
}

impl std::fmt::Debug for UpdatePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdatePassword")
            .field("current_password", &REDACTED)
            .field("new_password", &REDACTED)
            .finish()
    }
}

impl std::fmt::Debug for OidcConfigUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfigUpdate")
            .field("enabled", &self.enabled)
            .field("server_metadata_url", &self.server_metadata_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .field("default_role", &self.default_role)
            .finish()
    }
}

impl std::fmt::Debug for EnrollmentKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentKeyCreated")
            .field("info", &self.info)
            .field("key", &REDACTED)
            .finish()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_never_show_in_debug_output() {
        const SECRET: &str = "hunter2-secret";
        let key = EnrollmentKeyCreated {
            info: EnrollmentKeyPublic {
                id: EnrollmentKeyId::from_uuid(uuid::Uuid::from_u128(1)),
                name: "k".into(),
                key_prefix: "pbek_".into(),
                cluster_id: None,
                created_at: chrono::Utc::now(),
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            },
            key: SECRET.into(),
        };
        let printed = [
            format!(
                "{:?}",
                SetupInitRequest {
                    username: "a".into(),
                    password: SECRET.into(),
                    email: None,
                    full_name: None,
                    oidc: None,
                    setup_code: Some(SECRET.into())
                }
            ),
            format!("{:?}", Token::bearer(SECRET.into())),
            format!(
                "{:?}",
                UserCreate {
                    username: "a".into(),
                    password: SECRET.into(),
                    email: None,
                    full_name: None,
                    role: None,
                    is_active: None
                }
            ),
            format!(
                "{:?}",
                UserUpdate {
                    password: Some(SECRET.into()),
                    ..UserUpdate::default()
                }
            ),
            format!(
                "{:?}",
                UpdatePassword {
                    current_password: SECRET.into(),
                    new_password: SECRET.into()
                }
            ),
            format!(
                "{:?}",
                OidcConfigUpdate {
                    enabled: true,
                    server_metadata_url: None,
                    client_id: None,
                    client_secret: Some(SECRET.into()),
                    default_role: None
                }
            ),
            format!("{key:?}"),
        ];
        for text in printed {
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Superuser > Role::Admin);
        assert!(Role::Admin > Role::User);
        assert!(Role::User > Role::Viewer);
    }

    #[test]
    fn null_and_absent_differ_in_updates() {
        let cleared: DeviceUpdate = serde_json::from_str(r#"{"ip_address": null}"#).unwrap();
        assert_eq!(cleared.ip_address, Some(None));
        let untouched: DeviceUpdate = serde_json::from_str("{}").unwrap();
        assert_eq!(untouched.ip_address, None);
        let set: DeviceUpdate = serde_json::from_str(r#"{"ip_address": "192.0.2.1"}"#).unwrap();
        assert_eq!(set.ip_address, Some(Some("192.0.2.1".into())));
    }

    #[test]
    fn role_spellings_round_trip() {
        for role in [Role::Superuser, Role::Admin, Role::User, Role::Viewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

/// A device on the dashboard, with what the viewer may do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardDevice {
    #[serde(flatten)]
    pub device: DevicePublic,
    /// Whether the signed-in user may edit, delete and wake it.
    pub can_manage: bool,
}

/// A cluster as a choice in a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterChoice {
    pub id: ClusterId,
    pub name: String,
    /// Whether the signed-in user may put devices into it.
    pub can_manage: bool,
}

/// An agent as a choice in a form: only agents of the device's cluster can
/// be picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentChoice {
    pub id: AgentId,
    pub hostname: String,
    pub cluster_id: Option<ClusterId>,
    pub status: AgentStatus,
}

/// The dashboard's summary: the counts, and what its filters offer. The
/// devices come page by page, through a [`DeviceQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub device_count: u64,
    pub cluster_count: u64,
    /// The cluster filter's choices, by name.
    pub clusters: Vec<ClusterChoice>,
    /// The tag filter's choices: every tag of the devices, sorted, once each.
    pub tags: Vec<String>,
    pub agents_online: u64,
    pub agents_offline: u64,
    /// Whether the signed-in user may add devices.
    pub can_create_devices: bool,
}

/// Which devices to show: a search, three filters, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceQuery {
    /// Matches name, IP, MAC (any spelling) and tags, case-insensitively.
    pub search: String,
    pub os: Option<OsType>,
    pub cluster: Option<ClusterId>,
    /// Devices with exactly this tag.
    pub tag: Option<String>,
    /// How many to show, newest first; at most [`DeviceQuery::MAX_LIMIT`].
    pub limit: u64,
}

impl DeviceQuery {
    /// How many device cards a page shows at first, and adds per "Show more":
    /// rows of 1, 2, 3 or 4 cards come out even, and the page's HTML (cards
    /// and their hydration data, about 2.3 KB a card) stays under 100 KB.
    pub const PAGE_SIZE: u64 = 36;
    /// The most devices one answer holds.
    pub const MAX_LIMIT: u64 = 1000;

    /// Whether anything narrows the devices down.
    pub fn narrows(&self) -> bool {
        !self.search.trim().is_empty()
            || self.os.is_some()
            || self.cluster.is_some()
            || self.tag.is_some()
    }
}

impl Default for DeviceQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            os: None,
            cluster: None,
            tag: None,
            limit: Self::PAGE_SIZE,
        }
    }
}

/// The devices a [`DeviceQuery`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePage {
    /// Newest first, at most the query's limit.
    pub devices: Vec<DashboardDevice>,
    /// How many devices match, shown or not.
    pub matching: u64,
    /// How many devices there are.
    pub total: u64,
}

/// What the device form offers: clusters, and agents (none for viewers,
/// who may not list agents). Fetched when the form opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceChoices {
    pub clusters: Vec<ClusterChoice>,
    pub agents: Vec<AgentChoice>,
}

/// An agent on the agents page, with what the viewer may do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRow {
    #[serde(flatten)]
    pub agent: AgentPublic,
    /// Whether the signed-in user may delete it.
    pub can_delete: bool,
}

/// Everything the agents page shows, read in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsOverview {
    /// By hostname; at most [`AgentsOverview::AGENT_LIMIT`].
    pub agents: Vec<AgentRow>,
    pub count: u64,
    /// Whether the signed-in user approves agents and manages keys and installs.
    pub is_admin: bool,
    /// Newest first; empty unless `is_admin`.
    pub keys: Vec<EnrollmentKeyPublic>,
    pub clusters: Vec<ClusterChoice>,
    /// Platforms the server has agent binaries for.
    pub platforms: Vec<AgentPlatform>,
    /// Whether agents may register without an enrollment key
    /// (`GET /api/config/agents`); admins switch it.
    pub open_registration: bool,
}

impl AgentsOverview {
    /// The most agents the page loads at once.
    pub const AGENT_LIMIT: u64 = 1000;
}

/// A device or an agent as a choice in the cluster form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChoice<Id> {
    pub id: Id,
    /// The device's name or the agent's hostname.
    pub name: String,
    /// The cluster it is in now.
    pub cluster_id: Option<ClusterId>,
    /// Agents only: whether it is online.
    pub status: Option<AgentStatus>,
    /// Whether the signed-in user may move it into a cluster they manage.
    pub can_move: bool,
}

/// What the cluster form may pick from, fetched when it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMembers {
    /// By name.
    pub devices: Vec<MemberChoice<DeviceId>>,
    /// By hostname; empty for viewers, who may not list agents.
    pub agents: Vec<MemberChoice<AgentId>>,
}

/// A cluster on the clusters page, with what the signed-in user may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRow {
    #[serde(flatten)]
    pub cluster: ClusterPublic,
    /// Whether the signed-in user may edit, delete and wake it.
    pub can_manage: bool,
}

/// Everything the clusters page shows, read in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClustersOverview {
    /// By name; at most [`ClustersOverview::CLUSTER_LIMIT`].
    pub clusters: Vec<ClusterRow>,
    pub count: u64,
    /// Whether the signed-in user may create clusters.
    pub can_create: bool,
}

impl ClustersOverview {
    /// The most clusters (and member choices) the page loads at once.
    pub const CLUSTER_LIMIT: u64 = 1000;
}

/// Everything `/clusters/:id` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterPage {
    pub cluster: ClusterPublic,
    pub can_manage: bool,
    /// By name, each with whether the signed-in user may wake it.
    pub devices: Vec<DashboardDevice>,
    /// By hostname; viewers see them without interfaces.
    pub agents: Vec<AgentPublic>,
}

/// Which of a user's fields the signed-in user may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserEditScope {
    /// Nothing.
    None,
    /// Role (below superuser) and active state: what admins may change.
    RoleAndActive,
    /// Every field: superusers.
    Full,
}

/// A user on the users page, with what the signed-in user may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    #[serde(flatten)]
    pub user: UserPublic,
    pub edit: UserEditScope,
    pub can_delete: bool,
}

/// Everything the users page shows, read in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersOverview {
    /// In order of creation; at most [`UsersOverview::USER_LIMIT`].
    pub users: Vec<UserRow>,
    pub count: u64,
    /// Whether the signed-in user may create users.
    pub can_create: bool,
    /// The roles the signed-in user may give, highest first.
    pub assignable_roles: Vec<Role>,
    /// Whether the list shows roles, emails and states (admins and up).
    pub shows_details: bool,
}

impl UsersOverview {
    /// The most users the page loads at once.
    pub const USER_LIMIT: u64 = 1000;
}

/// Everything `/settings` shows the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub user: UserPublic,
    /// Whether the account has a local password (accounts made by SSO do not).
    pub has_password: bool,
    /// The single sign-on configuration; superusers only.
    pub oidc: Option<OidcConfigPublic>,
    pub about: About,
}
