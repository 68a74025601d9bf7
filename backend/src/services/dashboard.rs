//! The dashboard's read model: devices, clusters and agents in one call,
//! each marked with what the signed-in user may do.

use shared::types::{AgentChoice, AgentStatus, ClusterChoice, Dashboard, DashboardDevice};

use super::{ServiceError, Services};
use crate::storage::{Page, UserRecord};

/// The most clusters and agents offered as choices.
pub(crate) const CHOICE_LIMIT: u64 = 1000;

/// Names in the order the database sorts them: ASCII case-insensitive,
/// ties by the name itself.
pub(crate) fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.to_ascii_lowercase(), a).cmp(&(b.to_ascii_lowercase(), b))
}

impl Services {
    /// Every cluster as a form choice, by name (ASCII case-insensitive, as
    /// the database sorts names), marked with whether `actor` manages it;
    /// and how many clusters there are.
    pub(crate) async fn cluster_choices(
        &self,
        actor: &UserRecord,
    ) -> Result<(Vec<ClusterChoice>, u64), ServiceError> {
        let page = Page {
            skip: 0,
            limit: CHOICE_LIMIT,
        };
        let (views, count) = self.store.list_cluster_views(page).await?;
        let mut choices: Vec<ClusterChoice> = views
            .iter()
            .map(|view| ClusterChoice {
                id: view.cluster.id,
                name: view.cluster.name.clone(),
                can_manage: actor.access().may_manage(view.cluster.owner_id),
            })
            .collect();
        choices.sort_by(|a, b| name_order(&a.name, &b.name));
        Ok((choices, count))
    }

    /// What the dashboard shows `actor`. Viewers get the agent counts but not
    /// the agents.
    pub async fn dashboard(&self, actor: &UserRecord) -> Result<Dashboard, ServiceError> {
        let all = |limit| Page { skip: 0, limit };
        let (devices, device_count) = self
            .store
            .list_device_views(all(Dashboard::DEVICE_LIMIT))
            .await?;
        let (clusters, cluster_count) = self.cluster_choices(actor).await?;
        let (agents, _) = self.store.list_agent_views(all(CHOICE_LIMIT)).await?;
        let agents: Vec<AgentChoice> = agents
            .iter()
            .map(|view| AgentChoice {
                id: view.agent.id,
                hostname: view.agent.hostname.clone(),
                cluster_id: view.agent.cluster_id,
                status: self.status_of(view.agent.approved, view.agent.last_seen),
            })
            .collect();
        let agents_online = agents
            .iter()
            .filter(|agent| agent.status == AgentStatus::Online)
            .count() as u64;
        let agents_offline = agents.len() as u64 - agents_online;
        Ok(Dashboard {
            devices: devices
                .iter()
                .map(|view| DashboardDevice {
                    device: self.device_public(view),
                    can_manage: actor.access().may_manage(view.device.owner_id),
                })
                .collect(),
            device_count,
            cluster_count,
            clusters,
            agents: if actor.access().may_list_agents() {
                agents
            } else {
                Vec::new()
            },
            agents_online,
            agents_offline,
            can_create_devices: actor.access().may_create(),
        })
    }
}
