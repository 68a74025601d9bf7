//! Fans wake requests out over agents: every online agent of a device at
//! once, one queue per agent, a bounded number of agents in flight.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use powerbeacon_agent::net::{broadcast_toward, directed_broadcast};
use powerbeacon_agent::wire::{FEATURE_PRESENCE, FEATURE_WOL_BATCH, WolBatchRequest, WolRequest};
use shared::ids::AgentId;
use shared::types::{AgentInterface, WakeAgentResult, WakeOutcome};

use super::{AgentCallError, AgentClient, AgentSent};
use crate::storage::{AgentRecord, WakeTarget};

/// Agents called at the same time during one wake.
const AGENTS_IN_FLIGHT: usize = 64;
/// Requests in flight to one agent that takes one machine per request.
const CALLS_PER_AGENT: usize = 16;
/// Machines per request to an agent that takes batches.
const BATCH_SIZE: usize = 500;
/// The UDP port magic packets go to.
const WOL_PORT: u16 = 9;

/// A device and, in the order of its agents, what each one did.
#[derive(Debug, Clone)]
pub struct DeviceOutcome {
    pub target: WakeTarget,
    pub agents: Vec<WakeAgentResult>,
}

impl DeviceOutcome {
    /// True when at least one agent sent the packet.
    pub fn sent(&self) -> bool {
        self.agents.iter().any(|a| a.outcome == WakeOutcome::Sent)
    }
}

/// Sends wake requests through agents.
#[derive(Debug, Clone)]
pub struct WakeDispatcher {
    client: AgentClient,
}

/// One machine for one agent; `slot` says where its result goes.
struct Job {
    slot: (usize, usize),
    request: WolRequest,
}

/// Everything one agent is asked to do in one wake.
struct AgentQueue {
    agent: AgentRecord,
    jobs: Vec<Job>,
}

type SlotResult = ((usize, usize), Result<AgentSent, AgentCallError>);

impl WakeDispatcher {
    pub fn new(client: AgentClient) -> Self {
        Self { client }
    }

    /// Wakes every target through each of its agents for which `online`
    /// holds and whose address `callable` accepts; the others are reported
    /// offline, or failed with `callable`'s reason, without being called.
    /// Agents that watch presence are asked to probe each machine every
    /// second for `watch_s(target)` seconds, to see it come up.
    #[tracing::instrument(skip_all, fields(devices = targets.len()))]
    pub async fn dispatch(
        &self,
        targets: Vec<WakeTarget>,
        watch_s: impl Fn(&WakeTarget) -> u32,
        online: impl Fn(&AgentRecord) -> bool,
        callable: impl Fn(&AgentRecord) -> Result<(), String>,
    ) -> Vec<DeviceOutcome> {
        let mut results: Vec<Vec<Option<WakeAgentResult>>> = targets
            .iter()
            .map(|target| vec![None; target.agents.len()])
            .collect();
        let mut queues: Vec<AgentQueue> = Vec::new();
        let mut queue_of: HashMap<AgentId, usize> = HashMap::new();
        for (t, target) in targets.iter().enumerate() {
            for (a, agent) in target.agents.iter().enumerate() {
                if !online(agent) {
                    results[t][a] = Some(agent_result(
                        agent,
                        WakeOutcome::Offline,
                        Some(offline_reason(agent)),
                    ));
                    continue;
                }
                if let Err(reason) = callable(agent) {
                    results[t][a] = Some(agent_result(agent, WakeOutcome::Failed, Some(reason)));
                    continue;
                }
                let index = *queue_of.entry(agent.id).or_insert_with(|| {
                    queues.push(AgentQueue {
                        agent: agent.clone(),
                        jobs: Vec::new(),
                    });
                    queues.len() - 1
                });
                queues[index].jobs.push(Job {
                    slot: (t, a),
                    request: wol_request(target, agent, watch_s(target)),
                });
            }
        }

        let answers: Vec<Vec<SlotResult>> = futures::stream::iter(queues)
            .map(|queue| self.run_queue(queue))
            .buffer_unordered(AGENTS_IN_FLIGHT)
            .collect()
            .await;
        for ((t, a), answer) in answers.into_iter().flatten() {
            let agent = &targets[t].agents[a];
            results[t][a] = Some(match answer {
                Ok(AgentSent { message, sent }) => WakeAgentResult {
                    sent,
                    ..agent_result(agent, WakeOutcome::Sent, Some(message))
                },
                Err(error) => agent_result(agent, WakeOutcome::Failed, Some(error.to_string())),
            });
        }

        targets
            .into_iter()
            .zip(results)
            .map(|(target, agents)| DeviceOutcome {
                agents: agents
                    .into_iter()
                    .zip(&target.agents)
                    .map(|(result, agent)| {
                        result.unwrap_or_else(|| {
                            agent_result(agent, WakeOutcome::Failed, Some("not attempted".into()))
                        })
                    })
                    .collect(),
                target,
            })
            .collect()
    }

    /// Sends one agent its machines: in batches when it takes them, else one
    /// request per machine with a few in flight. Once the agent fails to
    /// answer, the rest of its queue fails at once instead of timing out again.
    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(agent = %queue.agent.hostname, devices = queue.jobs.len())
    )]
    async fn run_queue(&self, queue: AgentQueue) -> Vec<SlotResult> {
        let AgentQueue { agent, jobs } = queue;
        if agent.supports(FEATURE_WOL_BATCH) && jobs.len() > 1 {
            return self.run_batches(&agent, jobs).await;
        }
        let dead = AtomicBool::new(false);
        let agent = &agent;
        let dead = &dead;
        futures::stream::iter(jobs)
            .map(|job| async move {
                if dead.load(Ordering::Relaxed) {
                    return (job.slot, Err(skipped()));
                }
                let answer = self.client.wake(agent, &job.request).await;
                if matches!(answer, Err(AgentCallError::Unreachable(_))) {
                    dead.store(true, Ordering::Relaxed);
                }
                (job.slot, answer)
            })
            .buffer_unordered(CALLS_PER_AGENT)
            .collect()
            .await
    }

    async fn run_batches(&self, agent: &AgentRecord, jobs: Vec<Job>) -> Vec<SlotResult> {
        let mut out = Vec::with_capacity(jobs.len());
        let mut unreachable = false;
        for chunk in jobs.chunks(BATCH_SIZE) {
            let slots = chunk.iter().map(|job| job.slot);
            if unreachable {
                out.extend(slots.map(|slot| (slot, Err(skipped()))));
                continue;
            }
            let request = WolBatchRequest {
                targets: chunk.iter().map(|job| job.request.clone()).collect(),
            };
            match self.client.wake_batch(agent, &request).await {
                Ok(answers) => out.extend(slots.zip(answers)),
                Err(error) => {
                    unreachable = matches!(error, AgentCallError::Unreachable(_));
                    out.extend(slots.map(|slot| (slot, Err(error.clone()))));
                }
            }
        }
        out
    }
}

/// The request for `agent` to wake `target`.
fn wol_request(target: &WakeTarget, agent: &AgentRecord, watch_s: u32) -> WolRequest {
    WolRequest {
        mac: target.mac_address.to_string(),
        broadcast: fallback_broadcast(target.ip_address, &agent.interfaces),
        port: WOL_PORT,
        ip: target.ip_address.map(|ip| ip.to_string()),
        repeat: None,
        secureon: None,
        watch_s: agent.supports(FEATURE_PRESENCE).then_some(watch_s),
    }
}

/// The broadcast address the server suggests to an agent for a device: the
/// directed broadcast of the agent's interface whose subnet holds the device
/// (any prefix length), else that of the device's /24 (what the original
/// server sent), else the limited broadcast. Agents that know their
/// interfaces choose for themselves; this serves those that don't.
pub fn fallback_broadcast(device_ip: Option<IpAddr>, interfaces: &[AgentInterface]) -> String {
    let Some(IpAddr::V4(ip)) = device_ip else {
        return Ipv4Addr::BROADCAST.to_string();
    };
    let subnets = interfaces.iter().filter_map(|interface| {
        let address: IpAddr = interface.address.parse().ok()?;
        Some((address, interface.prefix))
    });
    broadcast_toward(ip, subnets)
        .or_else(|| directed_broadcast(ip, 24))
        .unwrap_or(Ipv4Addr::BROADCAST)
        .to_string()
}

fn agent_result(
    agent: &AgentRecord,
    outcome: WakeOutcome,
    message: Option<String>,
) -> WakeAgentResult {
    WakeAgentResult {
        agent_id: agent.id,
        hostname: agent.hostname.clone(),
        outcome,
        message,
        sent: None,
    }
}

fn offline_reason(agent: &AgentRecord) -> String {
    if agent.approved {
        "agent is offline".into()
    } else {
        "agent is awaiting approval".into()
    }
}

fn skipped() -> AgentCallError {
    AgentCallError::Unreachable("skipped after an earlier call to this agent got no answer".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(address: &str, prefix: u8) -> AgentInterface {
        AgentInterface {
            name: "eth0".into(),
            address: address.into(),
            prefix,
            broadcast: None,
            mac: None,
        }
    }

    #[test]
    fn the_agents_subnet_gives_the_broadcast() {
        let interfaces = [interface("198.51.100.65", 26), interface("fe80::1", 64)];
        assert_eq!(
            fallback_broadcast(Some("198.51.100.70".parse().unwrap()), &interfaces),
            "198.51.100.127"
        );
    }

    #[test]
    fn without_a_matching_interface_the_device_s_24_is_used() {
        let interfaces = [interface("192.0.2.1", 24)];
        assert_eq!(
            fallback_broadcast(Some("198.51.100.70".parse().unwrap()), &interfaces),
            "198.51.100.255"
        );
    }

    #[test]
    fn devices_without_ipv4_get_the_limited_broadcast() {
        assert_eq!(fallback_broadcast(None, &[]), "255.255.255.255");
        assert_eq!(
            fallback_broadcast(Some("2001:db8::5".parse().unwrap()), &[]),
            "255.255.255.255"
        );
    }
}
