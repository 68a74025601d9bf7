//! Clusters: groups of devices and the agents that reach them.

use super::{AgentPublic, DevicePublic, present};
use crate::ids::{AgentId, ClusterId, DeviceId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
