//! The dashboard's read model: its summary, the devices a search finds (one
//! page at a time, filtered by the database), and the device form's
//! choices; each marked with what the signed-in user may do.

use shared::types::{
    AgentChoice, AgentStatus, ClusterChoice, Dashboard, DashboardDevice, DeviceChoices, DevicePage,
    DeviceQuery,
};

use super::{ServiceError, Services};
use crate::domain::device_search::DeviceMatch;
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

    /// The dashboard's summary for `actor`: counts, and the filters'
    /// choices.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn dashboard(&self, actor: &UserRecord) -> Result<Dashboard, ServiceError> {
        let device_count = self.store.count_devices().await?;
        let (clusters, cluster_count) = self.cluster_choices(actor).await?;
        let agents = self.agent_choices().await?;
        let agents_online = agents
            .iter()
            .filter(|agent| agent.status == AgentStatus::Online)
            .count() as u64;
        let cutoff = self.online_cutoff(chrono::Utc::now());
        let presence = self.store.presence_counts(cutoff).await?;
        Ok(Dashboard {
            device_count,
            devices_up: presence.up,
            devices_down: presence.down,
            devices_unknown: presence.unknown,
            cluster_count,
            clusters,
            tags: self.store.device_tags().await?,
            agents_online,
            agents_offline: agents.len() as u64 - agents_online,
            can_create_devices: actor.access().may_create(),
        })
    }

    /// The devices `query` finds, newest first, each marked with whether
    /// `actor` manages it.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn find_devices(
        &self,
        actor: &UserRecord,
        query: &DeviceQuery,
    ) -> Result<DevicePage, ServiceError> {
        let page = Page {
            skip: 0,
            limit: query.limit.clamp(1, DeviceQuery::MAX_LIMIT),
        };
        let filter = DeviceMatch::new(query, self.settings.agent_offline_after);
        let (views, matching) = self.store.find_device_views(&filter, page).await?;
        let total = if query.narrows() {
            self.store.count_devices().await?
        } else {
            matching
        };
        Ok(DevicePage {
            devices: views
                .into_iter()
                .map(|view| DashboardDevice {
                    can_manage: actor.access().may_manage(view.device.owner_id),
                    device: self.device_public(view),
                })
                .collect(),
            matching,
            total,
        })
    }

    /// What the device form offers `actor`: clusters, and agents unless
    /// `actor` may not list them.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn device_choices(&self, actor: &UserRecord) -> Result<DeviceChoices, ServiceError> {
        let (clusters, _) = self.cluster_choices(actor).await?;
        let agents = if actor.access().may_list_agents() {
            self.agent_choices().await?
        } else {
            Vec::new()
        };
        Ok(DeviceChoices { clusters, agents })
    }

    /// Every agent as a form choice, by hostname, with its status now.
    async fn agent_choices(&self) -> Result<Vec<AgentChoice>, ServiceError> {
        let page = Page {
            skip: 0,
            limit: CHOICE_LIMIT,
        };
        let (agents, _) = self.store.list_agent_views(page).await?;
        Ok(agents
            .iter()
            .map(|view| AgentChoice {
                id: view.agent.id,
                hostname: view.agent.hostname.clone(),
                cluster_id: view.agent.cluster_id,
                status: self.status_of(view.agent.approved, view.agent.last_seen),
            })
            .collect())
    }
}
