//! Clusters: groups of devices and the agents that reach them.

use shared::ids::{AgentId, ClusterId, DeviceId};
use shared::types::{
    AgentPublic, ClusterCreate, ClusterDetailPublic, ClusterMembers, ClusterPage, ClusterPublic,
    ClusterRow, ClusterUpdate, ClustersOverview, ClustersPublic, DashboardDevice, MemberChoice,
    Message,
};

use super::dashboard::{CHOICE_LIMIT, name_order};
use super::devices::dedup;
use super::{ServiceError, Services};
use crate::domain::{parse_description, parse_name, parse_tags};
use crate::storage::{ClusterDetail, ClusterRecord, ClusterView, Membership, Page, UserRecord};

impl Services {
    /// Every cluster, newest first.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn list_clusters(
        &self,
        _actor: &UserRecord,
        page: Page,
    ) -> Result<ClustersPublic, ServiceError> {
        let (views, count) = self.store.list_cluster_views(page).await?;
        Ok(ClustersPublic {
            clusters: views.iter().map(cluster_public).collect(),
            count,
        })
    }

    /// One cluster with its devices (by name) and agents (by hostname).
    /// Viewers, who may not list agents, see only each agent's hostname
    /// and state.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn get_cluster(
        &self,
        actor: &UserRecord,
        id: ClusterId,
    ) -> Result<ClusterDetailPublic, ServiceError> {
        let ClusterDetail {
            view,
            devices,
            agents,
        } = self
            .store
            .cluster_detail(id)
            .await?
            .ok_or_else(cluster_not_found)?;
        Ok(ClusterDetailPublic {
            cluster: cluster_public(&view),
            devices: devices.into_iter().map(|d| self.device_public(d)).collect(),
            agents: agents
                .iter()
                .map(|a| {
                    let agent = self.agent_public(a);
                    if !actor.access().may_list_agents() {
                        hostname_and_state_only(agent)
                    } else {
                        agent
                    }
                })
                .collect(),
        })
    }

    /// Creates a cluster owned by `actor` (users and up) with the given members.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn create_cluster(
        &self,
        actor: &UserRecord,
        request: ClusterCreate,
    ) -> Result<ClusterPublic, ServiceError> {
        ServiceError::forbidden_unless(
            actor.access().may_create(),
            "Viewers cannot create clusters.",
        )?;
        let now = crate::storage::now();
        let cluster = ClusterRecord {
            id: ClusterId::generate(),
            name: parse_name("name", &request.name)?,
            description: parse_description(request.description.as_deref())?,
            tags: parse_tags(request.tags.as_deref().unwrap_or_default())?,
            owner_id: Some(actor.id),
            created_at: now,
            updated_at: now,
        };
        let members = self
            .check_members(actor, None, request.device_ids, request.agent_ids)
            .await?;
        self.store.insert_cluster(&cluster, &members).await?;
        tracing::info!(actor = %actor.id, cluster_id = %cluster.id, "cluster created");
        self.cluster_public_by_id(cluster.id).await
    }

    /// Changes the fields given (managers only); member lists replace.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn update_cluster(
        &self,
        actor: &UserRecord,
        id: ClusterId,
        request: ClusterUpdate,
    ) -> Result<ClusterPublic, ServiceError> {
        let view = self.cluster_to_manage(actor, id, "change").await?;
        let mut cluster = view.cluster;
        if let Some(name) = &request.name {
            cluster.name = parse_name("name", name)?;
        }
        if let Some(description) = &request.description {
            cluster.description = parse_description(description.as_deref())?;
        }
        if let Some(tags) = &request.tags {
            cluster.tags = parse_tags(tags)?;
        }
        cluster.updated_at = crate::storage::now();
        let members = self
            .check_members(actor, Some(id), request.device_ids, request.agent_ids)
            .await?;
        if !self.store.update_cluster(&cluster, &members).await? {
            return Err(cluster_not_found());
        }
        self.cluster_public_by_id(id).await
    }

    /// Deletes a cluster (managers only); its devices and agents are detached.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn delete_cluster(
        &self,
        actor: &UserRecord,
        id: ClusterId,
    ) -> Result<Message, ServiceError> {
        self.cluster_to_manage(actor, id, "delete").await?;
        self.store.delete_cluster(id).await?;
        tracing::info!(actor = %actor.id, cluster_id = %id, "cluster deleted");
        Ok(Message::new("Cluster deleted successfully"))
    }

    /// What the clusters page shows `actor`: every cluster by name with
    /// whether the actor manages it.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn clusters_overview(
        &self,
        actor: &UserRecord,
    ) -> Result<ClustersOverview, ServiceError> {
        let page = Page {
            skip: 0,
            limit: ClustersOverview::CLUSTER_LIMIT,
        };
        let (views, count) = self.store.list_cluster_views(page).await?;
        let mut clusters: Vec<ClusterRow> = views
            .iter()
            .map(|view| ClusterRow {
                cluster: cluster_public(view),
                can_manage: actor.access().may_manage(view.cluster.owner_id),
            })
            .collect();
        clusters.sort_by(|a, b| name_order(&a.cluster.name, &b.cluster.name));
        Ok(ClustersOverview {
            clusters,
            count,
            can_create: actor.access().may_create(),
        })
    }

    /// What `/clusters/{id}` shows `actor`: the cluster, its devices with
    /// whether the actor may wake each, and its agents (viewers: without
    /// interfaces).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn cluster_page(
        &self,
        actor: &UserRecord,
        id: ClusterId,
    ) -> Result<ClusterPage, ServiceError> {
        let ClusterDetailPublic {
            cluster,
            devices,
            agents,
        } = self.get_cluster(actor, id).await?;
        Ok(ClusterPage {
            can_manage: actor.access().may_manage(cluster.owner_id),
            cluster,
            devices: devices
                .into_iter()
                .map(|device| DashboardDevice {
                    can_manage: actor.access().may_manage(device.owner_id),
                    device,
                })
                .collect(),
            agents,
        })
    }

    /// What the cluster form offers `actor` when it opens: for a new
    /// cluster (`None`) if the actor may create one, or for cluster `id` if
    /// the actor manages it (its members always among the choices).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn cluster_form_choices(
        &self,
        actor: &UserRecord,
        id: Option<ClusterId>,
    ) -> Result<ClusterMembers, ServiceError> {
        let Some(id) = id else {
            ServiceError::forbidden_unless(
                actor.access().may_create(),
                "Viewers cannot create clusters.",
            )?;
            return self.cluster_members(actor, None).await;
        };
        let detail = self.get_cluster(actor, id).await?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(detail.cluster.owner_id),
            "You cannot edit this cluster.",
        )?;
        self.cluster_members(actor, Some(&detail)).await
    }

    /// Every device and agent as a choice in the cluster form, by name,
    /// marked with whether `actor` may put it into the cluster (`existing`,
    /// when editing one, whose members are always among the choices): the
    /// rules of [`Self::check_members`].
    async fn cluster_members(
        &self,
        actor: &UserRecord,
        existing: Option<&ClusterDetailPublic>,
    ) -> Result<ClusterMembers, ServiceError> {
        let page = Page {
            skip: 0,
            limit: CHOICE_LIMIT,
        };
        let cluster = existing.map(|detail| detail.cluster.id);
        let (device_views, _) = self.store.list_device_views(page).await?;
        let (agent_views, _) = self.store.list_agent_views(page).await?;
        let mut devices: Vec<MemberChoice<DeviceId>> = device_views
            .iter()
            .map(|view| MemberChoice {
                id: view.device.id,
                name: view.device.name.clone(),
                cluster_id: view.device.cluster_id,
                status: None,
                can_move: actor.access().may_move_device(
                    view.device.owner_id,
                    view.device.cluster_id,
                    cluster,
                ),
            })
            .collect();
        let mut agents: Vec<MemberChoice<AgentId>> = agent_views
            .iter()
            .map(|view| MemberChoice {
                id: view.agent.id,
                name: view.agent.hostname.clone(),
                cluster_id: view.agent.cluster_id,
                status: Some(self.status_of(view.agent.approved, view.agent.last_seen)),
                can_move: actor.access().may_move_agent(
                    view.agent.cluster_id,
                    view.cluster_owner_id,
                    cluster,
                ),
            })
            .collect();
        // Members beyond the first page of choices still show up ticked, so
        // saving the form never drops them.
        if let Some(detail) = existing {
            let offered_devices: std::collections::HashSet<DeviceId> =
                devices.iter().map(|choice| choice.id).collect();
            let offered_agents: std::collections::HashSet<AgentId> =
                agents.iter().map(|choice| choice.id).collect();
            for device in &detail.devices {
                if !offered_devices.contains(&device.id) {
                    devices.push(MemberChoice {
                        id: device.id,
                        name: device.name.clone(),
                        cluster_id: device.cluster_id,
                        status: None,
                        can_move: true,
                    });
                }
            }
            for agent in &detail.agents {
                if !offered_agents.contains(&agent.id) {
                    agents.push(MemberChoice {
                        id: agent.id,
                        name: agent.hostname.clone(),
                        cluster_id: agent.cluster_id,
                        status: Some(agent.status),
                        can_move: true,
                    });
                }
            }
        }
        devices.sort_by(|a, b| name_order(&a.name, &b.name));
        agents.sort_by(|a, b| name_order(&a.name, &b.name));
        Ok(ClusterMembers { devices, agents })
    }

    /// The cluster `actor` is about to `action`: 404 when unknown, 403 when not theirs.
    pub(super) async fn cluster_to_manage(
        &self,
        actor: &UserRecord,
        id: ClusterId,
        action: &str,
    ) -> Result<ClusterView, ServiceError> {
        let view = self
            .store
            .cluster_view(id)
            .await?
            .ok_or_else(cluster_not_found)?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(view.cluster.owner_id),
            format!("You cannot {action} this cluster."),
        )?;
        Ok(view)
    }

    /// Checks that every device exists and is already in the cluster or the
    /// actor's to move, and that every agent exists and is free or in a
    /// cluster the actor manages.
    async fn check_members(
        &self,
        actor: &UserRecord,
        cluster_id: Option<ClusterId>,
        device_ids: Option<Vec<DeviceId>>,
        agent_ids: Option<Vec<AgentId>>,
    ) -> Result<Membership, ServiceError> {
        let device_ids = device_ids.map(dedup);
        let agent_ids = agent_ids.map(dedup);
        for &device_id in device_ids.iter().flatten() {
            let device =
                self.store.device_view(device_id).await?.ok_or_else(|| {
                    ServiceError::NotFound(format!("Device {device_id} not found."))
                })?;
            ServiceError::forbidden_unless(
                actor.access().may_move_device(
                    device.device.owner_id,
                    device.device.cluster_id,
                    cluster_id,
                ),
                format!(
                    "You cannot move device {:?} into a cluster.",
                    device.device.name
                ),
            )?;
        }
        for &agent_id in agent_ids.iter().flatten() {
            let agent =
                self.store.agent_ref(agent_id).await?.ok_or_else(|| {
                    ServiceError::NotFound(format!("Agent {agent_id} not found."))
                })?;
            let owner = match agent.cluster_id {
                Some(current) => self
                    .store
                    .cluster_ref(current)
                    .await?
                    .and_then(|c| c.owner_id),
                None => None,
            };
            if !actor
                .access()
                .may_move_agent(agent.cluster_id, owner, cluster_id)
            {
                return Err(ServiceError::Forbidden(format!(
                    "Agent {:?} belongs to a cluster you do not manage.",
                    agent.hostname
                )));
            }
        }
        Ok(Membership {
            device_ids,
            agent_ids,
        })
    }

    async fn cluster_public_by_id(&self, id: ClusterId) -> Result<ClusterPublic, ServiceError> {
        let view = self
            .store
            .cluster_view(id)
            .await?
            .ok_or_else(cluster_not_found)?;
        Ok(cluster_public(&view))
    }
}

/// An agent as viewers see it in a cluster: its name and whether it is
/// online. Where it listens, what it runs and its networks are for those
/// who may use agents (`GET /api/agents` refuses viewers); the fields stay,
/// empty, so the shape is the documented one.
fn hostname_and_state_only(agent: AgentPublic) -> AgentPublic {
    AgentPublic {
        ip: String::new(),
        port: 0,
        os: String::new(),
        version: String::new(),
        interfaces: Vec::new(),
        features: Vec::new(),
        ..agent
    }
}

fn cluster_public(view: &ClusterView) -> ClusterPublic {
    let cluster = &view.cluster;
    ClusterPublic {
        id: cluster.id,
        name: cluster.name.clone(),
        description: cluster.description.clone(),
        tags: cluster.tags.clone(),
        owner_id: cluster.owner_id,
        owner_name: view.owner_name.clone(),
        device_count: view.device_count,
        agent_count: view.agent_count,
        created_at: cluster.created_at,
        updated_at: cluster.updated_at,
    }
}

fn cluster_not_found() -> ServiceError {
    ServiceError::NotFound("Cluster not found.".into())
}
