//! Wakes: what happened at each agent, for one device or a whole cluster,
//! and whether the machines woke (docs/API.md, "Wakes").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use powerbeacon_agent::wire::SentPackets;

use super::UnknownSpelling;
use crate::ids::{AgentId, ClusterId, DeviceId, UserId, WakeId};

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
    /// What it sent: interface, destination, port, how many packets and
    /// their size (agents that say; the original one does not).
    /// The browser app reads it only on the server (the wake's page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "ssr"), serde(skip_deserializing))]
    pub sent: Option<SentPackets>,
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
    /// The wake's record: `GET /api/wakes/{wake_id}`.
    pub wake_id: WakeId,
    /// Whether the machine woke, as far as known when this was answered.
    pub verdict: WakeVerdict,
    /// How long it took to show up, once `verdict` is `up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_to_up: Option<Elapsed>,
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
    /// The wake's record: `GET /api/wakes/{wake_id}`.
    pub wake_id: WakeId,
    /// How many devices have each verdict.
    pub counts: WakeCounts,
}

/// A time a machine took, held in milliseconds and shown in seconds
/// (`14.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Elapsed {
    pub millis: u64,
}

impl Elapsed {
    /// The time from `start` to `end`, none when `end` is earlier.
    pub fn between(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            millis: u64::try_from((end - start).num_milliseconds()).unwrap_or(0),
        }
    }

    /// Whole seconds, rounded (for words: "up after 14 s").
    pub fn whole_seconds(self) -> u64 {
        (self.millis + 500) / 1000
    }
}

impl Serialize for Elapsed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Exact for any time a wake can take (under 2^53 ms).
        serializer.serialize_f64(self.millis as f64 / 1000.0)
    }
}

impl<'de> Deserialize<'de> for Elapsed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !(0.0..=1.0e12).contains(&seconds) {
            return Err(serde::de::Error::custom("seconds out of range"));
        }
        // In range: the cast neither wraps nor saturates.
        Ok(Self {
            millis: (seconds * 1000.0).round() as u64,
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Elapsed {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("Seconds, to the millisecond."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Elapsed {}

/// Whether a machine woke (docs/API.md, "Wakes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WakeVerdict {
    /// Packets went out; no verdict yet.
    Pending,
    /// It showed up within its boot timeout.
    Up,
    /// Packets went out; it did not show up within its boot timeout.
    NoSignOfLife,
    /// No agent could send a packet.
    NotSent,
    /// It was up before the wake (nothing is sent unless forced).
    AlreadyUp,
    /// Packets went out, but no agent watches the machine (or they all
    /// stopped watching), so nothing can say whether it woke.
    Unconfirmed,
}

impl WakeVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Up => "up",
            Self::NoSignOfLife => "no_sign_of_life",
            Self::NotSent => "not_sent",
            Self::AlreadyUp => "already_up",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

impl std::str::FromStr for WakeVerdict {
    type Err = UnknownSpelling;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "pending" => Self::Pending,
            "up" => Self::Up,
            "no_sign_of_life" => Self::NoSignOfLife,
            "not_sent" => Self::NotSent,
            "already_up" => Self::AlreadyUp,
            "unconfirmed" => Self::Unconfirmed,
            other => return Err(UnknownSpelling::new("wake verdict", other)),
        })
    }
}

/// How many devices of a wake have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakeCounts {
    pub up: u64,
    pub pending: u64,
    pub no_sign_of_life: u64,
    pub not_sent: u64,
    pub already_up: u64,
    pub unconfirmed: u64,
}

impl WakeCounts {
    /// Counts `verdicts`.
    pub fn of(verdicts: impl IntoIterator<Item = WakeVerdict>) -> Self {
        let mut counts = Self::default();
        for verdict in verdicts {
            *match verdict {
                WakeVerdict::Pending => &mut counts.pending,
                WakeVerdict::Up => &mut counts.up,
                WakeVerdict::NoSignOfLife => &mut counts.no_sign_of_life,
                WakeVerdict::NotSent => &mut counts.not_sent,
                WakeVerdict::AlreadyUp => &mut counts.already_up,
                WakeVerdict::Unconfirmed => &mut counts.unconfirmed,
            } += 1;
        }
        counts
    }
}

/// What a wake was of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WakeKind {
    Device,
    Cluster,
}

impl WakeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Cluster => "cluster",
        }
    }
}

impl std::str::FromStr for WakeKind {
    type Err = UnknownSpelling;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "device" => Ok(Self::Device),
            "cluster" => Ok(Self::Cluster),
            other => Err(UnknownSpelling::new("wake kind", other)),
        }
    }
}

/// Who asked for a wake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakeRequester {
    /// How it was asked: `user` (through the API or the browser).
    pub via: String,
    /// The user, while the account exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Their username when they asked.
    pub name: String,
}

/// One device of a wake: what each agent did, and whether it woke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakeDeviceProgress {
    pub device_id: DeviceId,
    pub device_name: String,
    pub mac_address: String,
    pub verdict: WakeVerdict,
    /// How long it took to show up, once `verdict` is `up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_to_up: Option<Elapsed>,
    /// Until when a pending wake waits for the machine (its boot timeout).
    pub deadline: DateTime<Utc>,
    /// When the verdict was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Every agent's part, by hostname.
    pub agents: Vec<WakeAgentResult>,
}

/// `GET /api/wakes/{id}`: a wake's progress and verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakePublic {
    pub id: WakeId,
    pub kind: WakeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    pub requested_by: WakeRequester,
    pub requested_at: DateTime<Utc>,
    /// Sent even to machines that were up (`?force=true`).
    pub forced: bool,
    /// A device wake's verdict (its one device's); for a cluster wake,
    /// `pending` while any device's is, else absent (see `counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<WakeVerdict>,
    /// A device wake's time to up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_to_up: Option<Elapsed>,
    pub counts: WakeCounts,
    pub devices: Vec<WakeDeviceProgress>,
}

/// One wake of a device, in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceWakeEntry {
    pub wake_id: WakeId,
    pub kind: WakeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    pub requested_by: WakeRequester,
    pub requested_at: DateTime<Utc>,
    pub forced: bool,
    pub verdict: WakeVerdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_to_up: Option<Elapsed>,
    /// Until when the wake waited, or waits, for the machine (its boot
    /// timeout).
    pub deadline: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    pub agents: Vec<WakeAgentResult>,
}

/// `GET /api/devices/{id}/wakes`: a device's wakes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceWakesPublic {
    pub wakes: Vec<DeviceWakeEntry>,
    pub count: u64,
}
