//! Live events: what `GET /api/events` streams (docs/API.md, "Live events").
//! Each server-sent event's `event:` is its type and its `data:` one
//! [`LiveEvent`] as JSON, which names its type again in `type`.
//!
//! The bodies carry ids, states and names only, which every role that
//! receives them may read; a client that wants the rest of a device,
//! cluster or agent reads it from the API, which applies its own rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AgentStatus, Elapsed, PresenceState, UnknownSpelling, WakeVerdict};
use crate::ids::{AgentId, ClusterId, DeviceId, WakeId};

/// The types of live event, as `event:` and `?types=` spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// A device's presence changed.
    Presence,
    /// A wake was recorded for a device, or its verdict was decided.
    Wake,
    /// An agent registered, was approved or deleted, came online or went
    /// offline.
    Agent,
    /// A device was added, changed or deleted.
    Device,
    /// A cluster was added, changed or deleted.
    Cluster,
}

impl EventType {
    /// Every type.
    pub const ALL: [EventType; 5] = [
        EventType::Presence,
        EventType::Wake,
        EventType::Agent,
        EventType::Device,
        EventType::Cluster,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Presence => "presence",
            Self::Wake => "wake",
            Self::Agent => "agent",
            Self::Device => "device",
            Self::Cluster => "cluster",
        }
    }
}

impl std::str::FromStr for EventType {
    type Err = UnknownSpelling;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownSpelling::new("event type", text))
    }
}

/// The `event:` of the event that tells a reconnecting client it missed
/// more than the server keeps: reload what it shows, then read on.
pub const RESET_EVENT: &str = "reset";

/// One live event's `data:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LiveEvent {
    Presence(PresenceEvent),
    Wake(WakeEvent),
    Agent(AgentEvent),
    Device(DeviceEvent),
    Cluster(ClusterEvent),
}

impl LiveEvent {
    /// Its type.
    pub fn kind(&self) -> EventType {
        match self {
            Self::Presence(_) => EventType::Presence,
            Self::Wake(_) => EventType::Wake,
            Self::Agent(_) => EventType::Agent,
            Self::Device(_) => EventType::Device,
            Self::Cluster(_) => EventType::Cluster,
        }
    }
}

/// A device's presence changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceEvent {
    pub device_id: DeviceId,
    pub state: PresenceState,
    /// Since when the device is in this state.
    pub since: DateTime<Utc>,
    /// The hostname of the agent that saw it so, if one did.
    pub via: Option<String>,
}

/// A device's part in a wake: recorded (its first verdict), or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WakeEvent {
    pub wake_id: WakeId,
    pub device_id: DeviceId,
    /// The cluster woken, for a cluster wake.
    pub cluster_id: Option<ClusterId>,
    pub verdict: WakeVerdict,
    /// How many of the device's agents sent the packet.
    pub sent_by: u32,
    /// How many agents the device has.
    pub agents: u32,
    pub requested_at: DateTime<Utc>,
    /// When `no_sign_of_life` is decided, if the machine stays away.
    pub deadline: DateTime<Utc>,
    /// How long it took to show up, once `verdict` is `up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_to_up: Option<Elapsed>,
}

/// What became of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AgentChange {
    /// It registered, or registered again.
    Registered,
    /// It was approved.
    Approved,
    /// Its heartbeats came back after it was offline, or it sent its first.
    Online,
    /// It has been silent for the offline timeout.
    Offline,
    /// It was deleted.
    Deleted,
}

/// An agent changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentEvent {
    pub agent_id: AgentId,
    pub hostname: String,
    pub cluster_id: Option<ClusterId>,
    pub change: AgentChange,
    /// Whether it is online now.
    pub status: AgentStatus,
    pub approved: bool,
}

/// What became of a device or a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
    Deleted,
}

/// A device was added, changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceEvent {
    pub device_id: DeviceId,
    /// Its cluster after the change (before it, for a deletion).
    pub cluster_id: Option<ClusterId>,
    pub name: String,
    pub change: Change,
}

/// A cluster was added, changed (also its members) or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterEvent {
    pub cluster_id: ClusterId,
    pub name: String,
    pub change: Change,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_its_type_in_its_data() {
        let event = LiveEvent::Cluster(ClusterEvent {
            cluster_id: ClusterId::from_uuid(uuid::Uuid::from_u128(7)),
            name: "lab".into(),
            change: Change::Deleted,
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "cluster");
        assert_eq!(json["change"], "deleted");
        assert_eq!(event.kind().as_str(), "cluster");
        assert_eq!(serde_json::from_value::<LiveEvent>(json).unwrap(), event);
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse::<EventType>().unwrap(), kind);
        }
        assert!("reset".parse::<EventType>().is_err());
    }
}
