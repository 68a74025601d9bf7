//! What the pages read: each page's data in one call, and the choices its forms
//! offer (server functions only, not the REST API).

use super::{
    About, AgentPlatform, AgentPublic, AgentStatus, ClusterPublic, DevicePublic,
    EnrollmentKeyPublic, OidcConfigPublic, OsType, Role, UserPublic,
};
use crate::ids::{AgentId, ClusterId, DeviceId};
use serde::{Deserialize, Serialize};

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
    /// Devices by what they read as now (docs/API.md, "Presence").
    pub devices_up: u64,
    pub devices_down: u64,
    pub devices_unknown: u64,
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
    /// Devices that read as this now.
    pub presence: Option<super::PresenceState>,
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
            || self.presence.is_some()
    }
}

impl Default for DeviceQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            os: None,
            cluster: None,
            tag: None,
            presence: None,
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
