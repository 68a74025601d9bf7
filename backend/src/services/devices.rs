//! Devices: the machines to wake, who manages them, and which agents reach them.

use powerbeacon_agent::MacAddress;
use shared::access::agent_may_serve;
use shared::ids::{AgentId, ClusterId, DeviceId};
use shared::types::{
    DeviceCreate, DeviceProbe, DevicePublic, DeviceQuery, DeviceUpdate, DevicesPublic, Message,
    PresenceState, ProbeMethod,
};

use super::{ServiceError, Services};
use crate::domain::{Invalid, parse_description, parse_ip, parse_mac, parse_name, parse_tags};
use crate::storage::{
    AgentRef, DeviceRecord, DeviceView, Page, StorageError, UniqueKey, UserRecord,
};

impl Services {
    /// Every device, newest first; only those that read as `presence` now
    /// when given.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn list_devices(
        &self,
        _actor: &UserRecord,
        page: Page,
        presence: Option<PresenceState>,
    ) -> Result<DevicesPublic, ServiceError> {
        let (views, count) = match presence {
            None => self.store.list_device_views(page).await?,
            Some(state) => {
                let query = DeviceQuery {
                    presence: Some(state),
                    ..DeviceQuery::default()
                };
                let filter = crate::domain::device_search::DeviceMatch::new(
                    &query,
                    self.settings.agent_offline_after,
                );
                self.store.find_device_views(&filter, page).await?
            }
        };
        Ok(DevicesPublic {
            devices: views
                .into_iter()
                .map(|view| self.device_public(view))
                .collect(),
            count,
        })
    }

    /// One device.
    #[tracing::instrument(skip_all, fields(device_id = %id), err(level = "debug"))]
    pub async fn get_device(
        &self,
        _actor: &UserRecord,
        id: DeviceId,
    ) -> Result<DevicePublic, ServiceError> {
        let view = self
            .store
            .device_view(id)
            .await?
            .ok_or_else(device_not_found)?;
        Ok(self.device_public(view))
    }

    /// Registers a device owned by `actor` (users and up).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn create_device(
        &self,
        actor: &UserRecord,
        request: DeviceCreate,
    ) -> Result<DevicePublic, ServiceError> {
        ServiceError::forbidden_unless(actor.access().may_create(), "Viewers cannot add devices.")?;
        let now = crate::storage::now();
        let mut device = DeviceRecord {
            id: DeviceId::generate(),
            name: parse_name("name", &request.name)?,
            mac_address: parse_mac(&request.mac_address)?,
            ip_address: parse_ip(request.ip_address.as_deref())?,
            os_type: request.os_type.unwrap_or_default(),
            is_active: request.is_active.unwrap_or(true),
            description: parse_description(request.description.as_deref())?,
            tags: parse_tags(request.tags.as_deref().unwrap_or_default())?,
            cluster_id: request.cluster_id,
            owner_id: Some(actor.id),
            created_at: now,
            updated_at: now,
            probe_method: ProbeMethod::Auto,
            probe_ports: Vec::new(),
            probe_interval_s: None,
            probe_adopt_address: false,
            boot_timeout_s: None,
        };
        if let Some(probe) = &request.probe {
            set_probe(&mut device, probe)?;
        }
        let agent_ids = dedup(request.agent_ids.unwrap_or_default());
        self.check_cluster(actor, device.cluster_id).await?;
        self.check_agents(device.cluster_id, &agent_ids).await?;
        self.store
            .insert_device(&device, &agent_ids)
            .await
            .map_err(|e| mac_conflict(e, &device.mac_address))?;
        tracing::info!(actor = %actor.id, device_id = %device.id, "device created");
        self.get_device(actor, device.id).await
    }

    /// Changes the fields given (managers of the device only).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, device_id = %id), err(level = "debug"))]
    pub async fn update_device(
        &self,
        actor: &UserRecord,
        id: DeviceId,
        request: DeviceUpdate,
    ) -> Result<DevicePublic, ServiceError> {
        let view = self.device_to_manage(actor, id, "change").await?;
        let mut device = view.device.clone();
        if let Some(name) = &request.name {
            device.name = parse_name("name", name)?;
        }
        if let Some(mac) = &request.mac_address {
            device.mac_address = parse_mac(mac)?;
        }
        if let Some(ip) = &request.ip_address {
            device.ip_address = parse_ip(ip.as_deref())?;
        }
        if let Some(os_type) = request.os_type {
            device.os_type = os_type;
        }
        if let Some(is_active) = request.is_active {
            device.is_active = is_active;
        }
        if let Some(description) = &request.description {
            device.description = parse_description(description.as_deref())?;
        }
        if let Some(tags) = &request.tags {
            device.tags = parse_tags(tags)?;
        }
        if let Some(cluster_id) = request.cluster_id {
            device.cluster_id = cluster_id;
        }
        if let Some(probe) = &request.probe {
            set_probe(&mut device, probe)?;
        }
        let moved = device.cluster_id != view.device.cluster_id;
        if moved {
            self.check_cluster(actor, device.cluster_id).await?;
        }
        // Links the device already has may stay while it stays in its
        // cluster, even those a cluster change left crossing the cluster's
        // edge; new links, and every link of a device that moves, must fit
        // (docs/API.md, "Devices").
        let kept: Vec<AgentId> = if moved {
            Vec::new()
        } else {
            view.agents.iter().map(|agent| agent.id).collect()
        };
        let agent_ids =
            match request.agent_ids {
                Some(ids) => {
                    let ids = dedup(ids);
                    let new: Vec<AgentId> = ids
                        .iter()
                        .copied()
                        .filter(|id| !kept.contains(id))
                        .collect();
                    self.check_agents(device.cluster_id, &new).await?;
                    Some(ids)
                }
                None => {
                    // A move away from the cluster of the device's agents is
                    // refused, as the original API does; the caller moves the
                    // device with the agents it should keep (or none).
                    if let Some(agent) = view.agents.iter().find(|agent| {
                        moved && !agent_may_serve(agent.cluster_id, device.cluster_id)
                    }) {
                        return Err(Invalid::new(
                            "cluster_id",
                            format!(
                                "Agent {:?} serves this device and is not in that cluster; \
                             send agent_ids with the move.",
                                agent.hostname
                            ),
                        )
                        .into());
                    }
                    None
                }
            };
        device.updated_at = crate::storage::now();
        let found = self
            .store
            .update_device(&device, agent_ids.as_deref())
            .await
            .map_err(|e| mac_conflict(e, &device.mac_address))?;
        if !found {
            return Err(device_not_found());
        }
        self.get_device(actor, id).await
    }

    /// Deletes a device (managers only).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, device_id = %id), err(level = "debug"))]
    pub async fn delete_device(
        &self,
        actor: &UserRecord,
        id: DeviceId,
    ) -> Result<Message, ServiceError> {
        self.device_to_manage(actor, id, "delete").await?;
        self.store.delete_device(id).await?;
        tracing::info!(actor = %actor.id, device_id = %id, "device deleted");
        Ok(Message::new("Device deleted successfully"))
    }

    /// The device `actor` is about to `action`: 404 when unknown, 403 when not theirs.
    pub(super) async fn device_to_manage(
        &self,
        actor: &UserRecord,
        id: DeviceId,
        action: &str,
    ) -> Result<DeviceView, ServiceError> {
        let view = self
            .store
            .device_view(id)
            .await?
            .ok_or_else(device_not_found)?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(view.device.owner_id),
            format!("You cannot {action} this device."),
        )?;
        Ok(view)
    }

    /// A cluster a device may join: it exists and `actor` manages it.
    async fn check_cluster(
        &self,
        actor: &UserRecord,
        cluster_id: Option<ClusterId>,
    ) -> Result<(), ServiceError> {
        let Some(cluster_id) = cluster_id else {
            return Ok(());
        };
        let cluster =
            self.store.cluster_ref(cluster_id).await?.ok_or_else(|| {
                ServiceError::NotFound(format!("Cluster {cluster_id} not found."))
            })?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(cluster.owner_id),
            format!("You cannot add devices to cluster {:?}.", cluster.name),
        )?;
        Ok(())
    }

    /// Agents a device may use: they exist and sit in the device's cluster
    /// (or, for a device in no cluster, in none).
    async fn check_agents(
        &self,
        cluster_id: Option<ClusterId>,
        agent_ids: &[AgentId],
    ) -> Result<Vec<AgentRef>, ServiceError> {
        let mut agents = Vec::with_capacity(agent_ids.len());
        for &agent_id in agent_ids {
            let agent =
                self.store.agent_ref(agent_id).await?.ok_or_else(|| {
                    ServiceError::NotFound(format!("Agent {agent_id} not found."))
                })?;
            if !agent_may_serve(agent.cluster_id, cluster_id) {
                return Err(Invalid::new(
                    "agent_ids",
                    match cluster_id {
                        Some(_) => format!("Agent {:?} is not in the device's cluster.", agent.hostname),
                        None => format!(
                            "Agent {:?} is in a cluster; a device in no cluster uses agents in none.",
                            agent.hostname
                        ),
                    },
                )
                .into());
            }
            agents.push(agent);
        }
        Ok(agents)
    }

    /// The public view, with agent status computed now. It takes the view
    /// and moves its text into the answer: a list converts 1 000 of them.
    pub(crate) fn device_public(&self, view: DeviceView) -> DevicePublic {
        let DeviceView {
            device,
            owner_name,
            cluster_name,
            agents,
            presence,
        } = view;
        let probe = device.probe();
        DevicePublic {
            id: device.id,
            mac_address: device.mac_address.to_string(),
            ip_address: device.ip_address.map(|ip| ip.to_string()),
            name: device.name,
            os_type: device.os_type,
            is_active: device.is_active,
            description: device.description,
            tags: device.tags,
            cluster_id: device.cluster_id,
            owner_id: device.owner_id,
            created_at: device.created_at,
            updated_at: device.updated_at,
            owner_name,
            cluster_name,
            presence: self.presence_public(presence.as_ref(), &agents, device.ip_address),
            probe,
            agents: agents
                .iter()
                .map(|agent| self.agent_summary(agent, device.cluster_id))
                .collect(),
        }
    }
}

/// The ids in their first order, each once.
pub(super) fn dedup<Id: Copy + Eq + std::hash::Hash>(mut ids: Vec<Id>) -> Vec<Id> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

/// Checks `probe` and writes it into `device`.
fn set_probe(device: &mut DeviceRecord, probe: &DeviceProbe) -> Result<(), Invalid> {
    let probe = crate::domain::presence::parse_probe(probe)?;
    device.probe_method = probe.method;
    device.probe_ports = probe.ports;
    device.probe_interval_s = probe.interval_s.map(|s| s as i32);
    device.probe_adopt_address = probe.adopt_address;
    device.boot_timeout_s = probe.boot_timeout_s.map(|s| s as i32);
    Ok(())
}

fn device_not_found() -> ServiceError {
    ServiceError::NotFound("Device not found.".into())
}

fn mac_conflict(error: StorageError, mac: &MacAddress) -> ServiceError {
    match &error {
        StorageError::Conflict(UniqueKey::DeviceMac) => {
            ServiceError::Conflict(format!("A device with MAC address {mac} already exists."))
        }
        _ => error.into(),
    }
}
