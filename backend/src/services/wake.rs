//! Wake requests: who may wake what, what the answer says, and the record
//! of every wake with its verdicts (docs/API.md, "Wakes"). The fan-out
//! itself is the [`WakeDispatcher`](crate::wake::WakeDispatcher)'s; the
//! verdict rules are `domain::wake`'s.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use powerbeacon_agent::wire::{FEATURE_PRESENCE, ProbeMethod};
use shared::ids::{ClusterId, DeviceId, WakeId};
use shared::types::{
    ClusterWakeResult, DeviceWakeEntry, DeviceWakeResult, DeviceWakesPublic, Elapsed,
    PresenceState, WakeAgentResult, WakeCounts, WakeDeviceProgress, WakeKind, WakeOutcome,
    WakePublic, WakeRequester, WakeVerdict,
};

use super::{ServiceError, Services};
use crate::domain::Invalid;
use crate::domain::is_online;
use crate::domain::wake::{first_verdict, should_send};
use crate::storage::{
    NewWake, NewWakeDevice, Page, Requester, UserRecord, WakeDeviceRecord, WakeRecord, WakeTarget,
};
use crate::wake::DeviceOutcome;

/// How many failing agents an error message names before "and N more".
const NAMED_IN_ERRORS: usize = 5;

/// The longest a wake request may wait for its verdict (`?wait`).
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// How wakes are judged and kept.
#[derive(Debug, Clone, Copy)]
pub struct WakeSettings {
    /// How long a woken machine has to show up (`--wake-boot-timeout-seconds`).
    pub boot_timeout: Duration,
    /// How long wakes are kept (`--wake-history-days`).
    pub history_retention: Duration,
}

impl Default for WakeSettings {
    fn default() -> Self {
        Self {
            boot_timeout: Duration::from_secs(120),
            history_retention: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

/// What a wake request asks besides its target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WakeOptions {
    /// Send even to machines that read up (`?force=true`).
    pub force: bool,
    /// How long to wait for the verdict before answering (`?wait`), at most
    /// [`MAX_WAIT`].
    pub wait: Option<Duration>,
}

/// A wake carried out and recorded: what each agent did for each device,
/// and each device's first verdict, in target order.
struct Woken {
    id: WakeId,
    outcomes: Vec<DeviceOutcome>,
    verdicts: Vec<WakeVerdict>,
}

impl Services {
    /// Wakes a device through every online agent linked to it (managers of
    /// the device), unless it is up already and the wake is not forced.
    /// 422 when it has no agents; 503 when none sent the packet. Recorded,
    /// with its verdict (`GET /api/wakes/{id}`).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, device_id = %id), err(level = "debug"))]
    pub async fn wake_device(
        &self,
        actor: &UserRecord,
        id: DeviceId,
        options: WakeOptions,
    ) -> Result<DeviceWakeResult, ServiceError> {
        let requested_at = crate::storage::now();
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
        let woken = self
            .wake_and_record(
                actor,
                WakeKind::Device,
                None,
                vec![target],
                requested_at,
                options.force,
            )
            .await?;
        let (Some(outcome), Some(&verdict)) = (woken.outcomes.first(), woken.verdicts.first())
        else {
            return Err(ServiceError::internal("the dispatcher lost a device"));
        };
        let mut result = device_result(outcome, woken.id, verdict);
        tracing::info!(
            actor = %actor.id, device_id = %id, wake_id = %woken.id,
            sent = result.successful_agents.len(), failed = result.failed_agents.len(),
            offline = result.offline_agents.len(), verdict = verdict.as_str(), "device wake"
        );
        if verdict == WakeVerdict::NotSent {
            let mut message =
                "Failed to dispatch Wake-on-LAN packet through any associated agent.".to_string();
            if !result.offline_agents.is_empty() {
                message.push_str(&format!(
                    " Offline agents: {}.",
                    name_some(&result.offline_agents)
                ));
            }
            let agents = failed_agents(std::slice::from_ref(outcome));
            return Err(ServiceError::NotDispatched {
                message,
                details: failure_details(&agents),
                agents,
                wake_id: Some(woken.id),
            });
        }
        if let Some(wait) = options.wait
            && verdict == WakeVerdict::Pending
        {
            let record = self.wait_for_verdict(woken.id, wait).await?;
            if let Some(device) = record.devices.first() {
                result.verdict = device.verdict;
                result.seconds_to_up = seconds_to_up(record.requested_at, device);
            }
        }
        Ok(result)
    }

    /// Wakes every device of a cluster (managers of the cluster) that is
    /// not up already, unless forced: one queue per agent, agents called
    /// concurrently. 422 when the cluster has no devices; 503 when a device
    /// was to be woken and none was. Recorded, with each device's verdict.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, cluster_id = %id), err(level = "debug"))]
    pub async fn wake_cluster(
        &self,
        actor: &UserRecord,
        id: ClusterId,
        options: WakeOptions,
    ) -> Result<ClusterWakeResult, ServiceError> {
        let requested_at = crate::storage::now();
        let cluster = self.cluster_to_manage(actor, id, "wake").await?.cluster;
        let targets = self.store.cluster_wake_targets(id).await?;
        if targets.is_empty() {
            return Err(Invalid::new(
                "device_ids",
                "Cluster has no devices. Add devices before sending a wake request.",
            )
            .into());
        }
        let woken = self
            .wake_and_record(
                actor,
                WakeKind::Cluster,
                Some((id, cluster.name.clone())),
                targets,
                requested_at,
                options.force,
            )
            .await?;
        let device_count = woken.outcomes.len() as u64;
        let sent = woken.outcomes.iter().filter(|o| o.sent()).count() as u64;
        let counts = WakeCounts::of(woken.verdicts.iter().copied());
        tracing::info!(
            actor = %actor.id, cluster_id = %id, wake_id = %woken.id, devices = device_count,
            sent, already_up = counts.already_up, "cluster wake"
        );
        if counts.not_sent > 0 && sent == 0 {
            let agents = failed_agents(&woken.outcomes);
            return Err(ServiceError::NotDispatched {
                message: format!(
                    "No device of cluster {:?} could be woken: no agent sent a packet.",
                    cluster.name
                ),
                details: failure_details(&agents),
                agents,
                wake_id: Some(woken.id),
            });
        }
        let mut devices: Vec<DeviceWakeResult> = woken
            .outcomes
            .iter()
            .zip(&woken.verdicts)
            .map(|(outcome, &verdict)| device_result(outcome, woken.id, verdict))
            .collect();
        let mut counts = counts;
        if let Some(wait) = options.wait
            && counts.pending > 0
        {
            let record = self.wait_for_verdict(woken.id, wait).await?;
            let decided: HashMap<DeviceId, &WakeDeviceRecord> = record
                .devices
                .iter()
                .map(|device| (device.device_id, device))
                .collect();
            for result in &mut devices {
                if let Some(device) = decided.get(&result.device_id) {
                    result.verdict = device.verdict;
                    result.seconds_to_up = seconds_to_up(record.requested_at, device);
                }
            }
            counts = WakeCounts::of(devices.iter().map(|d| d.verdict));
        }
        let mut message = format!(
            "Wake-on-LAN sent for {sent} of {device_count} devices in cluster {:?}.",
            cluster.name
        );
        if counts.already_up > 0 {
            message.push_str(&format!(
                " {} already up{}.",
                counts.already_up,
                if options.force { "" } else { ", not woken" }
            ));
        }
        Ok(ClusterWakeResult {
            message,
            cluster_id: id,
            cluster_name: cluster.name,
            device_count,
            successful_device_count: sent,
            failed_device_count: device_count - sent,
            devices,
            wake_id: woken.id,
            counts,
        })
    }

    /// A wake's progress and verdicts (anyone who may read what it woke).
    #[tracing::instrument(skip_all, fields(wake_id = %id), err(level = "debug"))]
    pub async fn get_wake(
        &self,
        _actor: &UserRecord,
        id: WakeId,
    ) -> Result<WakePublic, ServiceError> {
        let record = self
            .store
            .wake(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("Wake not found.".into()))?;
        Ok(wake_public(record))
    }

    /// A device's wakes, newest first (anyone who may read the device).
    #[tracing::instrument(skip_all, fields(device_id = %id), err(level = "debug"))]
    pub async fn device_wakes(
        &self,
        actor: &UserRecord,
        id: DeviceId,
        page: Page,
    ) -> Result<DeviceWakesPublic, ServiceError> {
        // 404 for a device that does not exist.
        self.get_device(actor, id).await?;
        let (records, count) = self.store.device_wakes(id, page).await?;
        Ok(DeviceWakesPublic {
            wakes: records.into_iter().filter_map(device_wake_entry).collect(),
            count,
        })
    }

    /// The verdict pass (each replica, every second): decides the pending
    /// verdicts that can be decided now, then wakes the requests of this
    /// process waiting on a wake decided here or, within `lookback`, on
    /// another replica.
    pub async fn wake_verdict_pass(&self, lookback: Duration) -> Result<(), ServiceError> {
        let now = crate::storage::now();
        let since = now - chrono::Duration::from_std(lookback).unwrap_or_default();
        let decided = self.store.settle_wakes(now).await?;
        self.verdicts_decided(&decided);
        if !self.verdict_waiters.waited().is_empty() {
            // Only wakes with no verdict pending any more: a waiting request
            // answers then, so waking it sooner would only make it re-read.
            let elsewhere: Vec<WakeId> = self
                .store
                .wakes_decided_since(since)
                .await?
                .into_iter()
                .filter_map(|(id, pending)| (!pending).then_some(id))
                .collect();
            self.verdict_waiters.notify(&elsewhere);
        }
        Ok(())
    }

    /// Forgets wakes older than their retention; how many.
    pub async fn prune_wakes(&self) -> Result<u64, ServiceError> {
        let before = crate::domain::before(Utc::now(), self.settings.wake.history_retention);
        Ok(self.store.prune_wakes(before).await?)
    }

    /// Tells the requests waiting on `wakes` that a verdict of theirs was
    /// decided in this process.
    pub(super) fn verdicts_decided(&self, wakes: &[WakeId]) {
        for id in wakes {
            tracing::debug!(wake_id = %id, "wake verdict decided");
        }
        self.verdict_waiters.notify(wakes);
    }

    /// The wake as it stands once no verdict is pending or `wait` is over,
    /// whichever comes first; holds no connection while it waits.
    async fn wait_for_verdict(
        &self,
        id: WakeId,
        wait: Duration,
    ) -> Result<WakeRecord, ServiceError> {
        let until = tokio::time::Instant::now() + wait.min(MAX_WAIT);
        let watch = self.verdict_waiters.watch(id);
        loop {
            let notified = watch.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let record = self
                .store
                .wake(id)
                .await?
                .ok_or_else(|| ServiceError::NotFound("Wake not found.".into()))?;
            let pending = record
                .devices
                .iter()
                .any(|device| device.verdict == WakeVerdict::Pending);
            if !pending || tokio::time::Instant::now() >= until {
                return Ok(record);
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                // Over: one last read, for a verdict decided just now.
                return self
                    .store
                    .wake(id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound("Wake not found.".into()));
            }
        }
    }

    /// Sends the packets and records the wake, on a task of its own: a
    /// client that hangs up cuts neither the wake short nor its record.
    async fn wake_and_record(
        &self,
        actor: &UserRecord,
        kind: WakeKind,
        cluster: Option<(ClusterId, String)>,
        targets: Vec<WakeTarget>,
        requested_at: DateTime<Utc>,
        forced: bool,
    ) -> Result<Woken, ServiceError> {
        let services = self.clone();
        let requested_by = Requester {
            via: "user".into(),
            user_id: Some(actor.id),
            name: actor.username.to_string(),
        };
        // The task carries the caller's span, so its log lines are the wake's.
        let span = tracing::Span::current();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let before: Vec<PresenceState> =
                    targets.iter().map(|t| services.state_before(t)).collect();
                let (to_send, kept): (Vec<_>, Vec<_>) = targets
                    .into_iter()
                    .zip(&before)
                    .enumerate()
                    .partition(|(_, (_, state))| should_send(**state, forced));
                let order: Vec<usize> = to_send.iter().map(|(i, _)| *i).collect();
                let sent = services
                    .dispatch(to_send.into_iter().map(|(_, (t, _))| t).collect())
                    .await;
                let mut outcomes: Vec<(usize, DeviceOutcome)> =
                    order.into_iter().zip(sent).collect();
                outcomes.extend(kept.into_iter().map(|(i, (target, _))| {
                    (
                        i,
                        DeviceOutcome {
                            target,
                            agents: Vec::new(),
                        },
                    )
                }));
                outcomes.sort_by_key(|(i, _)| *i);
                let outcomes: Vec<DeviceOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
                let verdicts: Vec<WakeVerdict> = outcomes
                    .iter()
                    .zip(&before)
                    .map(|(o, &state)| first_verdict(state, o.sent(), services.watched(&o.target)))
                    .collect();
                let wake = NewWake {
                    id: WakeId::generate(),
                    kind,
                    cluster,
                    requested_by,
                    requested_at,
                    forced,
                    devices: outcomes
                        .iter()
                        .zip(&verdicts)
                        .map(|(o, &verdict)| NewWakeDevice {
                            device_id: o.target.device_id,
                            device_name: o.target.name.clone(),
                            mac_address: o.target.mac_address,
                            verdict,
                            deadline: requested_at
                                + chrono::Duration::from_std(services.boot_timeout(&o.target))
                                    .unwrap_or(chrono::Duration::MAX),
                            agents: o.agents.clone(),
                        })
                        .collect(),
                };
                services.store.record_wake(&wake).await?;
                Ok(Woken {
                    id: wake.id,
                    outcomes,
                    verdicts,
                })
            },
            span,
        ))
        .await
        .map_err(|error| ServiceError::internal_from("wake task failed", error))?
    }

    /// Fans the wake out over the targets' agents.
    async fn dispatch(&self, targets: Vec<WakeTarget>) -> Vec<DeviceOutcome> {
        if targets.is_empty() {
            return Vec::new();
        }
        let offline_after = self.settings.agent_offline_after;
        self.dispatcher
            .dispatch(
                targets,
                |target| u32::try_from(self.boot_timeout(target).as_secs()).unwrap_or(u32::MAX),
                |agent| is_online(agent.approved, agent.last_seen, offline_after),
                |agent| {
                    self.check_agent_address(agent.ip, agent.port)
                        .map_err(|refused| refused.message)
                },
            )
            .await
    }

    /// How long a woken device has to show up: its own boot timeout, else
    /// the server's.
    fn boot_timeout(&self, target: &WakeTarget) -> Duration {
        target.boot_timeout(self.settings.wake.boot_timeout)
    }

    /// What a device reads as before its wake: its stored conclusion, or
    /// unknown when the agent that conclusion rests on no longer counts.
    fn state_before(&self, target: &WakeTarget) -> PresenceState {
        target
            .presence
            .as_ref()
            .map_or(PresenceState::Unknown, |presence| {
                presence
                    .as_read_among(
                        target
                            .agents
                            .iter()
                            .map(|a| (a.id, a.approved, a.last_seen)),
                        self.settings.agent_offline_after,
                    )
                    .state
            })
    }

    /// Whether an online agent that watches presence serves the device and
    /// it is probed at all, so presence can tell whether it woke.
    fn watched(&self, target: &WakeTarget) -> bool {
        let offline_after = self.settings.agent_offline_after;
        target.probe_method != ProbeMethod::Off
            && target.agents.iter().any(|agent| {
                agent.supports(FEATURE_PRESENCE)
                    && is_online(agent.approved, agent.last_seen, offline_after)
            })
    }
}

/// How long a device took to show up, once up.
fn seconds_to_up(requested_at: DateTime<Utc>, device: &WakeDeviceRecord) -> Option<Elapsed> {
    (device.verdict == WakeVerdict::Up)
        .then_some(device.up_at)
        .flatten()
        .map(|up_at| Elapsed::between(requested_at, up_at))
}

fn requester_public(requester: Requester) -> WakeRequester {
    WakeRequester {
        via: requester.via,
        user_id: requester.user_id,
        name: requester.name,
    }
}

fn progress_public(requested_at: DateTime<Utc>, device: WakeDeviceRecord) -> WakeDeviceProgress {
    WakeDeviceProgress {
        seconds_to_up: seconds_to_up(requested_at, &device),
        device_id: device.device_id,
        device_name: device.device_name,
        mac_address: device.mac_address.to_string(),
        verdict: device.verdict,
        deadline: device.deadline,
        decided_at: device.decided_at,
        agents: device.agents,
    }
}

fn wake_public(record: WakeRecord) -> WakePublic {
    let counts = WakeCounts::of(record.devices.iter().map(|d| d.verdict));
    let requested_at = record.requested_at;
    let devices: Vec<WakeDeviceProgress> = record
        .devices
        .into_iter()
        .map(|device| progress_public(requested_at, device))
        .collect();
    let (verdict, seconds) = match (record.kind, devices.as_slice()) {
        (WakeKind::Device, [device]) => (Some(device.verdict), device.seconds_to_up),
        _ if counts.pending > 0 => (Some(WakeVerdict::Pending), None),
        _ => (None, None),
    };
    WakePublic {
        id: record.id,
        kind: record.kind,
        cluster_id: record.cluster_id,
        cluster_name: record.cluster_name,
        requested_by: requester_public(record.requested_by),
        requested_at,
        forced: record.forced,
        verdict,
        seconds_to_up: seconds,
        counts,
        devices,
    }
}

/// A wake as one of its devices' history shows it.
fn device_wake_entry(record: WakeRecord) -> Option<DeviceWakeEntry> {
    let requested_at = record.requested_at;
    let device = record.devices.into_iter().next()?;
    Some(DeviceWakeEntry {
        seconds_to_up: seconds_to_up(requested_at, &device),
        wake_id: record.id,
        kind: record.kind,
        cluster_name: record.cluster_name,
        requested_by: requester_public(record.requested_by),
        requested_at,
        forced: record.forced,
        verdict: device.verdict,
        deadline: device.deadline,
        decided_at: device.decided_at,
        agents: device.agents,
    })
}

/// The answer for one device.
fn device_result(
    outcome: &DeviceOutcome,
    wake_id: WakeId,
    verdict: WakeVerdict,
) -> DeviceWakeResult {
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
    let mut message = if outcome.agents.is_empty() && verdict == WakeVerdict::AlreadyUp {
        format!(
            "{} is already up; nothing was sent (force=true sends anyway).",
            target.name
        )
    } else if successful_agents.is_empty() {
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
        wake_id,
        verdict,
        seconds_to_up: None,
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
