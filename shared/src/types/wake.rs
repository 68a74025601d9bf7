//! Wakes: what happened at each agent, for one device or a whole cluster.

use crate::ids::{AgentId, ClusterId, DeviceId};
use serde::{Deserialize, Serialize};

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
