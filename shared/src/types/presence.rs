//! Presence: whether a device is up, as the agents that watch it see it
//! (docs/API.md, "Presence").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UnknownSpelling;
use crate::ids::AgentId;

pub use powerbeacon_agent::wire::{ProbeKind, ProbeMethod};

/// Whether a device is up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    /// An online agent saw it answer.
    Up,
    /// The online agents that watch it saw no answer, several probes in a row.
    Down,
    /// No online agent watches it (or none has reported yet).
    #[default]
    Unknown,
}

impl PresenceState {
    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceState::Up => "up",
            PresenceState::Down => "down",
            PresenceState::Unknown => "unknown",
        }
    }

    /// Parses the JSON/database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "up" => Some(PresenceState::Up),
            "down" => Some(PresenceState::Down),
            "unknown" => Some(PresenceState::Unknown),
            _ => None,
        }
    }
}

/// Reads the database's spelling; anything else is an error, never a default.
impl std::str::FromStr for PresenceState {
    type Err = UnknownSpelling;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| UnknownSpelling::new("presence state", text))
    }
}

/// The agent whose sighting a presence rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceVia {
    pub agent_id: AgentId,
    pub hostname: String,
}

/// A round-trip time, held in microseconds and shown in milliseconds
/// (`0.412`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundTrip {
    pub micros: u32,
}

impl Serialize for RoundTrip {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from(self.micros) / 1000.0)
    }
}

impl<'de> Deserialize<'de> for RoundTrip {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let millis = f64::deserialize(deserializer)?;
        if !(0.0..=f64::from(u32::MAX) / 1000.0).contains(&millis) {
            return Err(serde::de::Error::custom("rtt_ms out of range"));
        }
        // In range: the cast neither wraps nor saturates.
        Ok(Self {
            micros: (millis * 1000.0).round() as u32,
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RoundTrip {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("Milliseconds, to the microsecond."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RoundTrip {}

/// How a device's agents probe it (docs/API.md, "Presence").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceProbe {
    #[serde(default)]
    pub method: ProbeMethod,
    /// TCP ports to try (at most 8): open or refused both mean up. Left
    /// out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// Seconds between probes, 1–3600; left out (or `null`) for the
    /// server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u32>,
    /// Whether an address the device is seen up at becomes its
    /// `ip_address` by itself (a machine on DHCP). Left out while false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt_address: bool,
    /// Seconds a woken machine has to show up before its wake's verdict is
    /// `no_sign_of_life`, 1–3600; left out (or `null`) for the server's
    /// default. The browser app does not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "ssr"), serde(skip_deserializing))]
    pub boot_timeout_s: Option<u32>,
}

/// A device's presence, as `DevicePublic.presence` shows it. Fields without
/// a value are left out, so a fleet nobody watches costs a few bytes a
/// device (`{"state":"unknown"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicePresence {
    pub state: PresenceState,
    /// When it entered this state (absent while nothing was ever seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// When an agent last saw it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// The agent whose sighting this rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<PresenceVia>,
    /// The probe behind that sighting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ProbeKind>,
    /// The address the device answered at (or was probed at, when down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<RoundTrip>,
    /// `true` when the device is up at an address other than its
    /// `ip_address`: its owner may adopt the new one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub address_changed: bool,
}

/// One change of a device's presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceTransitionPublic {
    pub from: PresenceState,
    pub to: PresenceState,
    pub at: DateTime<Utc>,
    /// The agent whose sighting caused it (absent when the last agent
    /// watching the device went offline).
    pub via: Option<PresenceVia>,
    pub method: Option<ProbeKind>,
    pub address: Option<String>,
}

/// `GET /api/devices/{id}/presence`: a device's presence changes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceHistoryPublic {
    pub presence: DevicePresence,
    pub transitions: Vec<PresenceTransitionPublic>,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_show_in_milliseconds() {
        let rtt = RoundTrip { micros: 412 };
        assert_eq!(serde_json::to_string(&rtt).unwrap(), "0.412");
        assert_eq!(serde_json::from_str::<RoundTrip>("0.412").unwrap(), rtt);
        assert_eq!(
            serde_json::to_string(&RoundTrip { micros: 15_000 }).unwrap(),
            "15.0"
        );
        assert!(serde_json::from_str::<RoundTrip>("-1").is_err());
    }

    #[test]
    fn presence_spellings_round_trip() {
        for state in [
            PresenceState::Up,
            PresenceState::Down,
            PresenceState::Unknown,
        ] {
            assert_eq!(state.as_str().parse::<PresenceState>().unwrap(), state);
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
        assert!("Up".parse::<PresenceState>().is_err());
    }
}
