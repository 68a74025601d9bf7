//! Presence: the watch lists agents are given with their heartbeats, the
//! reports they send back, and what devices show of it (docs/API.md,
//! "Presence"; docs/ARCHITECTURE.md, "Presence").

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use powerbeacon_agent::wire::{
    FEATURE_PRESENCE, PresenceReport, PresenceReportResponse, ProbeMethod, ProbeSettings,
    WatchList, WatchedDevice,
};
use shared::ids::{AgentId, DeviceId};
use shared::types::{
    DevicePresence, DevicePublic, PresenceHistoryPublic, PresenceTransitionPublic, PresenceVia,
    RoundTrip,
};

use super::{ServiceError, Services};
use crate::domain::Invalid;
use crate::domain::presence::{self, Presence, Transition};
use crate::storage::{
    AgentRecord, AgentRef, DeviceTransition, Liveness, Page, SightingReport, UserRecord,
};

/// How presence is watched and kept (`--presence-*` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceSettings {
    /// Seconds between probes of a device without its own interval.
    pub probe_interval: Duration,
    /// Unanswered probes in a row before a device that was up reads down.
    pub down_after: u8,
    /// How long presence changes are kept.
    pub history_retention: Duration,
    /// How many presence changes are kept per device.
    pub history_per_device: u32,
}

impl Default for PresenceSettings {
    fn default() -> Self {
        Self {
            probe_interval: Duration::from_secs(30),
            down_after: 3,
            history_retention: Duration::from_secs(30 * 24 * 3600),
            history_per_device: 1000,
        }
    }
}

/// The most sightings one report may carry.
pub const MAX_SIGHTINGS_PER_REPORT: usize = 5000;

impl Services {
    /// The watch list to answer an agent's heartbeat with: `None` for an
    /// agent that did not announce [`FEATURE_PRESENCE`] (it gets 204 as in
    /// the original protocol); the devices only when the agent's
    /// `known_version` is not current.
    pub(super) async fn watch_list_for(
        &self,
        agent: &AgentRecord,
        known_version: Option<&str>,
    ) -> Result<Option<WatchList>, ServiceError> {
        if !agent.supports(FEATURE_PRESENCE) {
            return Ok(None);
        }
        let settings = self.settings.presence;
        let version_of = |revision: i64| {
            // The server's own settings are part of what the agent holds.
            format!(
                "{revision}.{}.{}",
                settings.probe_interval.as_secs(),
                settings.down_after
            )
        };
        let Some(revision) = self.store.watch_revision(agent.id).await? else {
            return Err(ServiceError::NotFound("Agent not found.".into()));
        };
        if known_version == Some(version_of(revision).as_str()) {
            return Ok(Some(WatchList {
                version: version_of(revision),
                down_after: settings.down_after,
                devices: None,
            }));
        }
        let Some((revision, devices)) = self.store.watch_list(agent.id).await? else {
            return Err(ServiceError::NotFound("Agent not found.".into()));
        };
        Ok(Some(WatchList {
            version: version_of(revision),
            down_after: settings.down_after,
            devices: Some(
                devices
                    .into_iter()
                    .filter(|device| device.probe_method != ProbeMethod::Off)
                    .map(|device| WatchedDevice {
                        device_id: device.id.to_string(),
                        mac: device.mac_address.to_string(),
                        ip: device.ip_address.map(|ip| ip.to_string()),
                        probe: ProbeSettings {
                            method: device.probe_method,
                            ports: device.probe_ports,
                            interval_s: device
                                .probe_interval_s
                                .and_then(|s| u32::try_from(s).ok())
                                .unwrap_or(settings.probe_interval.as_secs() as u32),
                        },
                    })
                    .collect(),
            ),
        }))
    }

    /// Records what an agent (holding `presented_token`) saw. Sightings of
    /// devices it does not serve are refused; when every one is, the whole
    /// report is (403).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn report_presence(
        &self,
        report: PresenceReport,
        presented_token: Option<&str>,
    ) -> Result<PresenceReportResponse, ServiceError> {
        let agent = self
            .authenticate_agent(&report.agent_id, presented_token)
            .await?;
        if !agent.approved {
            return Err(ServiceError::Forbidden(
                "The agent awaits approval; it reports presence once approved.".into(),
            ));
        }
        if report.sightings.len() > MAX_SIGHTINGS_PER_REPORT {
            return Err(Invalid::new(
                "sightings",
                format!("A report carries at most {MAX_SIGHTINGS_PER_REPORT} sightings."),
            )
            .into());
        }
        let now = crate::storage::now();
        let served = self.store.served_devices(agent.id).await?;
        let mut accepted = Vec::with_capacity(report.sightings.len());
        let mut refused = Vec::new();
        for sighting in report.sightings {
            let device_mac = sighting
                .device_id
                .trim()
                .parse::<DeviceId>()
                .ok()
                .and_then(|id| served.get(&id).map(|mac| (id, *mac)));
            let Some((device_id, device_mac)) = device_mac else {
                refused.push(sighting.device_id);
                continue;
            };
            let address = sighting
                .address
                .as_deref()
                .map(|text| text.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()))
                .transpose()
                .map_err(|_| Invalid::new("address", "An address is an IPv4 or IPv6 address."))?;
            let mac = sighting
                .mac
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| Invalid::new("mac", "A MAC is AA:BB:CC:DD:EE:FF."))?;
            // A sighting from the future is taken as of now.
            let age = chrono::Duration::milliseconds(
                i64::try_from(sighting.age_ms)
                    .unwrap_or(i64::MAX)
                    .min(24 * 3600 * 1000),
            );
            accepted.push(SightingReport {
                device_id,
                state: presence::checked_state(sighting.state, mac, device_mac),
                method: sighting.method,
                address,
                mac,
                rtt_us: sighting.rtt_us,
                observed_at: now - age,
            });
        }
        if accepted.is_empty() && !refused.is_empty() {
            return Err(ServiceError::Forbidden(format!(
                "Agent {:?} does not serve device {}.",
                agent.hostname, refused[0]
            )));
        }
        let recorded = self
            .store
            .record_sightings(agent.id, &accepted, now, self.liveness())
            .await?;
        log_transitions(&recorded.transitions);
        self.verdicts_decided(&recorded.decided_wakes);
        Ok(PresenceReportResponse {
            accepted: accepted.len(),
            refused,
        })
    }

    /// A device's presence now and its changes, newest first (anyone who
    /// may read the device).
    #[tracing::instrument(skip_all, fields(device_id = %id), err(level = "debug"))]
    pub async fn presence_history(
        &self,
        _actor: &UserRecord,
        id: DeviceId,
        page: Page,
    ) -> Result<PresenceHistoryPublic, ServiceError> {
        let view = self
            .store
            .device_view(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("Device not found.".into()))?;
        let (transitions, count) = self.store.presence_history(id, page).await?;
        Ok(PresenceHistoryPublic {
            presence: self.presence_public(
                view.presence.as_ref(),
                &view.agents,
                view.device.ip_address,
            ),
            transitions: transitions.into_iter().map(transition_public).collect(),
            count,
        })
    }

    /// Makes the address a device is up at its stored `ip_address`
    /// (managers of the device); 409 when it is not up at another address.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, device_id = %id), err(level = "debug"))]
    pub async fn adopt_address(
        &self,
        actor: &UserRecord,
        id: DeviceId,
    ) -> Result<DevicePublic, ServiceError> {
        let view = self.device_to_manage(actor, id, "change").await?;
        let shown =
            self.presence_public(view.presence.as_ref(), &view.agents, view.device.ip_address);
        let seen = view.presence.as_ref().and_then(|presence| presence.address);
        let (true, Some(address)) = (shown.address_changed, seen) else {
            return Err(ServiceError::Conflict(
                "The device is not up at another address: there is nothing to adopt.".into(),
            ));
        };
        let mut device = view.device;
        device.ip_address = Some(address);
        device.updated_at = crate::storage::now();
        if !self.store.update_device(&device, None).await? {
            return Err(ServiceError::NotFound("Device not found.".into()));
        }
        tracing::info!(actor = %actor.id, device_id = %id, %address, "device address adopted");
        self.get_device(actor, id).await
    }

    /// The background pass (each replica, every few seconds): concludes
    /// anew on devices whose presence rests on an agent that went offline
    /// or was unlinked, and prunes the presence and wake history to their
    /// retention.
    pub async fn presence_housekeeping(&self, prune: bool) -> Result<(), ServiceError> {
        let transitions = self
            .store
            .conclude_stale_presence(crate::storage::now(), self.liveness())
            .await?;
        log_transitions(&transitions);
        if prune {
            let settings = self.settings.presence;
            let before = crate::domain::before(Utc::now(), settings.history_retention);
            let pruned = self
                .store
                .prune_presence_history(before, settings.history_per_device)
                .await?;
            if pruned > 0 {
                tracing::debug!(pruned, "pruned presence history");
            }
            let wakes = self.prune_wakes().await?;
            if wakes > 0 {
                tracing::debug!(wakes, "pruned wake history");
            }
        }
        Ok(())
    }

    /// What a device shows of its presence: the stored conclusion, unknown
    /// when the agent it rests on no longer counts (until the background
    /// pass concludes anew; never up on the word of an agent that is gone).
    pub(crate) fn presence_public(
        &self,
        presence: Option<&Presence>,
        agents: &[AgentRef],
        stored_ip: Option<IpAddr>,
    ) -> DevicePresence {
        let Some(presence) = presence else {
            return DevicePresence::default();
        };
        let read = presence.as_read_among(
            agents.iter().map(|a| (a.id, a.approved, a.last_seen)),
            self.settings.agent_offline_after,
        );
        DevicePresence {
            state: read.state,
            since: Some(read.since),
            last_seen: read.last_seen,
            address_changed: presence::address_changed(&read, stored_ip),
            via: read.via.map(via_public),
            method: read.method,
            address: read.address.map(|ip| ip.to_string()),
            rtt_ms: read.rtt_us.map(|micros| RoundTrip { micros }),
        }
    }

    fn liveness(&self) -> Liveness {
        Liveness {
            offline_after: self.settings.agent_offline_after,
        }
    }
}

fn via_public((agent_id, hostname): (AgentId, String)) -> PresenceVia {
    PresenceVia { agent_id, hostname }
}

fn transition_public(transition: Transition) -> PresenceTransitionPublic {
    PresenceTransitionPublic {
        from: transition.from,
        to: transition.to,
        at: transition.at,
        via: transition.via.map(via_public),
        method: transition.method,
        address: transition.address.map(|ip| ip.to_string()),
    }
}

fn log_transitions(transitions: &[DeviceTransition]) {
    for DeviceTransition {
        device_id,
        transition,
    } in transitions
    {
        tracing::info!(
            %device_id,
            from = transition.from.as_str(),
            to = transition.to.as_str(),
            via = transition.via.as_ref().map(|(_, hostname)| hostname.as_str()),
            "device presence changed"
        );
    }
}
