//! Devices: the machines to wake, as the API shows and takes them.

use super::{AgentStatus, UnknownSpelling, present};
use crate::ids::{AgentId, ClusterId, DeviceId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// Whether it is up, as the agents that watch it see it. Absent from
    /// older servers.
    #[serde(default)]
    pub presence: super::DevicePresence,
    /// How its agents probe it. Absent from older servers.
    #[serde(default)]
    pub probe: super::DeviceProbe,
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
    /// How its agents probe it (`auto` every 30 s when absent).
    #[serde(default)]
    pub probe: Option<super::DeviceProbe>,
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
    /// Replaces how its agents probe it.
    #[serde(default)]
    pub probe: Option<super::DeviceProbe>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_absent_differ_in_updates() {
        let cleared: DeviceUpdate = serde_json::from_str(r#"{"ip_address": null}"#).unwrap();
        assert_eq!(cleared.ip_address, Some(None));
        let untouched: DeviceUpdate = serde_json::from_str("{}").unwrap();
        assert_eq!(untouched.ip_address, None);
        let set: DeviceUpdate = serde_json::from_str(r#"{"ip_address": "192.0.2.1"}"#).unwrap();
        assert_eq!(set.ip_address, Some(Some("192.0.2.1".into())));
    }
}
