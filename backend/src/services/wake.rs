//! Wake requests: who may wake what, and what the answer says. The fan-out
//! itself is the [`WakeDispatcher`](crate::wake::WakeDispatcher)'s.

use shared::ids::{ClusterId, DeviceId};
use shared::types::{ClusterWakeResult, DeviceWakeResult, WakeAgentResult, WakeOutcome};

use super::{ServiceError, Services};
use crate::domain::Invalid;
use crate::domain::is_online;
use crate::storage::{UserRecord, WakeTarget};
use crate::wake::DeviceOutcome;

/// How many failing agents an error message names before "and N more".
const NAMED_IN_ERRORS: usize = 5;

impl Services {
    /// Wakes a device through every online agent linked to it (managers of
    /// the device). 422 when it has no agents; 503 when none sent the packet.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, device_id = %id), err(level = "debug"))]
    pub async fn wake_device(
        &self,
        actor: &UserRecord,
        id: DeviceId,
    ) -> Result<DeviceWakeResult, ServiceError> {
        let target = self
            .store
            .device_wake_target(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("Device not found.".into()))?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(target.owner_id),
            "Not authorized to wake this device.",
        )?;
        if target.agents.is_empty() {
            return Err(Invalid::new(
                "agent_ids",
                "Device has no associated agents. Associate at least one agent before sending a wake request.",
            )
            .into());
        }
        let outcome = self
            .dispatch(vec![target])
            .await?
            .pop()
            .ok_or_else(|| ServiceError::internal("the dispatcher lost a device"))?;
        let result = device_result(&outcome);
        tracing::info!(
            actor = %actor.id, device_id = %id,
            sent = result.successful_agents.len(), failed = result.failed_agents.len(),
            offline = result.offline_agents.len(), "device wake"
        );
        if !outcome.sent() {
            let mut message =
                "Failed to dispatch Wake-on-LAN packet through any associated agent.".to_string();
            if !result.offline_agents.is_empty() {
                message.push_str(&format!(
                    " Offline agents: {}.",
                    name_some(&result.offline_agents)
                ));
            }
            let agents = failed_agents(std::slice::from_ref(&outcome));
            return Err(ServiceError::NotDispatched {
                message,
                details: failure_details(&agents),
                agents,
            });
        }
        Ok(result)
    }

    /// Wakes every device of a cluster (managers of the cluster): one queue
    /// per agent, agents called concurrently. 422 when the cluster has no
    /// devices; 503 when no device was woken.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn wake_cluster(
        &self,
        actor: &UserRecord,
        id: ClusterId,
    ) -> Result<ClusterWakeResult, ServiceError> {
        let cluster = self.cluster_to_manage(actor, id, "wake").await?.cluster;
        let targets = self.store.cluster_wake_targets(id).await?;
        if targets.is_empty() {
            return Err(Invalid::new(
                "device_ids",
                "Cluster has no devices. Add devices before sending a wake request.",
            )
            .into());
        }
        let outcomes = self.dispatch(targets).await?;
        let devices: Vec<DeviceWakeResult> = outcomes.iter().map(device_result).collect();
        let device_count = devices.len() as u64;
        let woken = outcomes.iter().filter(|o| o.sent()).count() as u64;
        tracing::info!(actor = %actor.id, cluster_id = %id, devices = device_count, woken, "cluster wake");
        if woken == 0 {
            let agents = failed_agents(&outcomes);
            return Err(ServiceError::NotDispatched {
                message: format!(
                    "No device of cluster {:?} could be woken: no agent sent a packet.",
                    cluster.name
                ),
                details: failure_details(&agents),
                agents,
            });
        }
        Ok(ClusterWakeResult {
            message: format!(
                "Wake-on-LAN sent for {woken} of {device_count} devices in cluster {:?}.",
                cluster.name
            ),
            cluster_id: id,
            cluster_name: cluster.name,
            device_count,
            successful_device_count: woken,
            failed_device_count: device_count - woken,
            devices,
        })
    }

    /// Runs the dispatch on its own task, so a client that hangs up does not
    /// cut a wake short halfway.
    async fn dispatch(&self, targets: Vec<WakeTarget>) -> Result<Vec<DeviceOutcome>, ServiceError> {
        let dispatcher = self.dispatcher.clone();
        let offline_after = self.settings.agent_offline_after;
        let services = self.clone();
        // The task carries the caller's span, so its log lines are the wake's.
        let span = tracing::Span::current();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                dispatcher
                    .dispatch(
                        targets,
                        |agent| is_online(agent.approved, agent.last_seen, offline_after),
                        |agent| {
                            services
                                .check_agent_address(agent.ip, agent.port)
                                .map_err(|refused| refused.message)
                        },
                    )
                    .await
            },
            span,
        ))
        .await
        .map_err(|error| ServiceError::internal_from("wake task failed", error))
    }
}

/// The answer for one device.
fn device_result(outcome: &DeviceOutcome) -> DeviceWakeResult {
    let names = |wanted: WakeOutcome| -> Vec<String> {
        outcome
            .agents
            .iter()
            .filter(|a| a.outcome == wanted)
            .map(|a| a.hostname.clone())
            .collect()
    };
    let successful_agents = names(WakeOutcome::Sent);
    let failed_agents = names(WakeOutcome::Failed);
    let offline_agents = names(WakeOutcome::Offline);
    let target = &outcome.target;
    let mut message = if successful_agents.is_empty() {
        format!("Wake-on-LAN could not be sent for {}.", target.name)
    } else {
        format!(
            "Wake-on-LAN packet sent for {} through {} of {} agents ({}).",
            target.name,
            successful_agents.len(),
            outcome.agents.len(),
            name_some(&successful_agents)
        )
    };
    if target.agents.is_empty() {
        message.push_str(" It has no associated agents.");
    }
    if !failed_agents.is_empty() {
        message.push_str(&format!(" Failed: {}.", name_some(&failed_agents)));
    }
    if !offline_agents.is_empty() {
        message.push_str(&format!(" Offline: {}.", name_some(&offline_agents)));
    }
    DeviceWakeResult {
        message,
        device_id: target.device_id,
        device_name: target.name.clone(),
        mac_address: target.mac_address.to_string(),
        successful_agents,
        failed_agents,
        offline_agents,
        agents: outcome.agents.clone(),
    }
}

/// "a, b, c and 4 more".
fn name_some(names: &[String]) -> String {
    join_some(names, ", ")
}

/// The first few items joined by `separator`, then how many were left out.
fn join_some(items: &[String], separator: &str) -> String {
    let shown = items
        .iter()
        .take(NAMED_IN_ERRORS)
        .cloned()
        .collect::<Vec<_>>()
        .join(separator);
    match items.len().saturating_sub(NAMED_IN_ERRORS) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// Each agent's part in a wake that failed, once per agent.
fn failed_agents(outcomes: &[DeviceOutcome]) -> Vec<WakeAgentResult> {
    let mut seen = std::collections::HashSet::new();
    outcomes
        .iter()
        .flat_map(|o| &o.agents)
        .filter(|a| seen.insert(a.agent_id))
        .cloned()
        .collect()
}

/// Why each agent failed: "nas-agent: connection failed; …".
fn failure_details(agents: &[WakeAgentResult]) -> Option<String> {
    let reasons: Vec<String> = agents
        .iter()
        .map(|a| {
            format!(
                "{}: {}",
                a.hostname,
                a.message.as_deref().unwrap_or("no answer")
            )
        })
        .collect();
    if reasons.is_empty() {
        return Some("No device of this cluster has an associated agent.".into());
    }
    Some(join_some(&reasons, "; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_name_lists_are_shortened() {
        let names: Vec<String> = (1..=7).map(|i| format!("agent-{i}")).collect();
        assert_eq!(
            name_some(&names),
            "agent-1, agent-2, agent-3, agent-4, agent-5 and 2 more"
        );
        assert_eq!(name_some(&names[..2]), "agent-1, agent-2");
    }
}
