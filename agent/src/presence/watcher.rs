//! The watching itself: the devices of the server's watch list, each
//! probed on its interval, at most [`MAX_CONCURRENT_PROBES`] at once and
//! each within [`PROBE_TIMEOUT`]; the changes wait in a queue (one entry
//! per device, so it never outgrows the list) until a report takes them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::probe::{self, Limits, Scope, Target};
use super::tracker::{Change, Tracker};
use crate::MacAddress;
use crate::wire::{Sighting, WatchList};

/// Probes running at once, at most.
pub const MAX_CONCURRENT_PROBES: usize = 32;
/// The longest one probe of one address may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the schedule is looked at.
const TICK: Duration = Duration::from_millis(100);
/// The shortest interval a device may be probed at, and that of a device
/// just woken.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// How often a device just woken is probed ([`Watcher::hurry`]): twice a
/// second, so its wake's time to up is right within half a second.
const HURRIED_INTERVAL: Duration = Duration::from_millis(500);
/// The longest one probe of a device just woken may take: a machine that
/// boots answers at once, and the next probe is due.
const HURRIED_TIMEOUT: Duration = Duration::from_millis(500);
/// The longest a woken device is probed every [`HURRIED_INTERVAL`].
const MAX_HURRY: Duration = Duration::from_secs(3600);

/// The watch list and what was seen of it.
#[derive(Default)]
pub struct Watcher {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    version: Option<String>,
    down_after: u8,
    devices: HashMap<String, Watched>,
    /// Changes not yet reported, the newest per device.
    pending: HashMap<String, (Change, Instant)>,
}

struct Watched {
    target: Target,
    interval: Duration,
    next: Instant,
    tracker: Tracker,
    /// The addresses its last probe made the kernel revalidate: their
    /// neighbour entries are settled evidence now.
    settled: Vec<IpAddr>,
    busy: bool,
    /// Probed every [`HURRIED_INTERVAL`] until then, or until seen up: it
    /// was just woken ([`Watcher::hurry`]).
    hurried_until: Option<Instant>,
    /// When its latest probe started.
    started: Instant,
}

impl Watcher {
    /// The version of the list held, for the next heartbeat.
    pub fn version(&self) -> Option<String> {
        self.lock().version.clone()
    }

    /// Forgets the version, so the next heartbeat brings the whole list,
    /// and reports every device's state again (the server may have lost
    /// it: a new registration).
    pub fn start_over(&self) {
        let mut state = self.lock();
        state.version = None;
        for watched in state.devices.values_mut() {
            watched.tracker.report_again();
        }
    }

    /// Takes the server's answer to a heartbeat.
    pub fn apply(&self, list: WatchList) {
        let mut state = self.lock();
        state.down_after = list.down_after;
        let Some(devices) = list.devices else {
            state.version = Some(list.version);
            return;
        };
        let now = Instant::now();
        let mut kept = std::mem::take(&mut state.devices);
        for device in devices {
            let Ok(mac) = device.mac.parse::<MacAddress>() else {
                continue;
            };
            let target = Target {
                mac,
                ip: device
                    .ip
                    .as_deref()
                    .and_then(|ip| ip.parse::<IpAddr>().ok()),
                method: device.probe.method,
                ports: device.probe.ports,
            };
            let interval = Duration::from_secs(device.probe.interval_s.into()).max(MIN_INTERVAL);
            let mut watched = match kept.remove(&device.device_id) {
                // Unchanged: keep its count of misses and its schedule.
                Some(old) if old.target == target => Watched { interval, ..old },
                _ => Watched {
                    target,
                    interval,
                    next: now,
                    tracker: Tracker::default(),
                    settled: Vec::new(),
                    busy: false,
                    hurried_until: None,
                    started: now,
                },
            };
            watched.next = watched.next.min(now + interval);
            // A new list: the server hears every state again.
            watched.tracker.report_again();
            state.devices.insert(device.device_id, watched);
        }
        let State {
            devices, pending, ..
        } = &mut *state;
        pending.retain(|id, _| devices.contains_key(id));
        state.version = Some(list.version);
        tracing::info!(devices = state.devices.len(), "watch list updated");
    }

    /// Probes the devices with `mac` every [`HURRIED_INTERVAL`] for
    /// `window` from now, or until one is seen up: they were just woken,
    /// and their wake's verdict waits for them. At most [`MAX_HURRY`].
    pub fn hurry(&self, mac: MacAddress, window: Duration) {
        let now = Instant::now();
        let until = now + window.min(MAX_HURRY);
        let mut state = self.lock();
        for watched in state.devices.values_mut() {
            if watched.target.mac == mac {
                watched.hurried_until = Some(until);
                watched.next = watched.next.min(now);
            }
        }
    }

    /// How many devices are watched.
    pub fn watched(&self) -> usize {
        self.lock().devices.len()
    }

    /// The changes waiting, as sightings aged to now (at most `limit`).
    pub fn pending(&self, limit: usize) -> Vec<Sighting> {
        let state = self.lock();
        state
            .pending
            .iter()
            .take(limit)
            .map(|(device_id, (change, at))| Sighting {
                device_id: device_id.clone(),
                state: change.state,
                method: change.kind,
                address: change.address.map(|ip| ip.to_string()),
                mac: change.mac.map(|mac| mac.to_string()),
                rtt_us: change
                    .rtt
                    .map(|rtt| u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX)),
                age_ms: u64::try_from(at.elapsed().as_millis()).unwrap_or(u64::MAX),
            })
            .collect()
    }

    /// The server took `sent`: drops those entries not replaced since, and
    /// stops watching the devices it refused until the next list.
    pub fn reported(&self, sent: &[Sighting], refused: &[String]) {
        let mut state = self.lock();
        for sighting in sent {
            let replaced = state
                .pending
                .get(&sighting.device_id)
                .is_some_and(|(change, _)| {
                    change.state != sighting.state
                        || change.address.map(|ip| ip.to_string()) != sighting.address
                });
            if !replaced {
                state.pending.remove(&sighting.device_id);
            }
        }
        for device_id in refused {
            state.pending.remove(device_id);
            state.devices.remove(device_id);
        }
    }

    /// Probes the due devices, forever.
    pub async fn run(self: Arc<Self>) {
        let limits = Limits {
            timeout: PROBE_TIMEOUT,
            icmp: probe::icmp_available(),
        };
        if !limits.icmp {
            tracing::info!(
                "ICMP echo is not available to this agent (net.ipv4.ping_group_range); \
                 presence uses the neighbour table and TCP"
            );
        }
        let slots = Arc::new(Semaphore::new(MAX_CONCURRENT_PROBES));
        let mut scope = Arc::new(Scope::current());
        let mut scope_read = Instant::now();
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if scope_read.elapsed() > Duration::from_secs(30) {
                scope = Arc::new(Scope::current());
                scope_read = Instant::now();
            }
            for (device_id, target, settled, hurried) in self.take_due() {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let watcher = self.clone();
                let scope = scope.clone();
                let limits = if hurried {
                    Limits {
                        timeout: HURRIED_TIMEOUT,
                        ..limits
                    }
                } else {
                    limits
                };
                tokio::spawn(async move {
                    let (outcome, probed) = probe::probe(&target, &scope, limits, &settled).await;
                    drop(slot);
                    watcher.observed(&device_id, &target, outcome, probed);
                });
            }
        }
    }

    /// Marks the devices whose probe is due as busy and returns them, with
    /// whether each is hurried.
    fn take_due(&self) -> Vec<(String, Target, Vec<IpAddr>, bool)> {
        let now = Instant::now();
        let mut state = self.lock();
        state
            .devices
            .iter_mut()
            .filter(|(_, watched)| !watched.busy && watched.next <= now)
            .map(|(id, watched)| {
                watched.busy = true;
                watched.started = now;
                let hurried = watched.hurried_until.is_some_and(|until| until > now);
                (
                    id.clone(),
                    watched.target.clone(),
                    watched.settled.clone(),
                    hurried,
                )
            })
            .collect()
    }

    fn observed(
        &self,
        device_id: &str,
        target: &Target,
        outcome: super::tracker::Outcome,
        probed: Vec<IpAddr>,
    ) {
        let now = Instant::now();
        let mut state = self.lock();
        let down_after = state.down_after;
        let Some(watched) = state.devices.get_mut(device_id) else {
            return;
        };
        watched.busy = false;
        if &watched.target != target {
            // The list changed while probing: this outcome is of the old one.
            return;
        }
        watched.settled = probed;
        if matches!(outcome, super::tracker::Outcome::Answered { .. }) {
            watched.hurried_until = None;
        }
        let hurried = watched.hurried_until.is_some_and(|until| until > now);
        if !hurried {
            watched.hurried_until = None;
        }
        // Hurried: a probe every interval from the start of the last, so a
        // probe that waited for its timeout delays nothing.
        watched.next = if hurried {
            (watched.started + HURRIED_INTERVAL).max(now)
        } else {
            now + watched.interval
        };
        if let Some(change) = watched.tracker.observe(outcome, down_after, now) {
            tracing::debug!(device_id, state = change.state.as_str(), "presence changed");
            state.pending.insert(device_id.to_string(), (change, now));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ProbeMethod, ProbeSettings, WatchedDevice};

    const MAC: &str = "02:00:00:00:00:01";

    fn watching_one() -> Watcher {
        let watcher = Watcher::default();
        watcher.apply(WatchList {
            version: "1".into(),
            down_after: 3,
            devices: Some(vec![WatchedDevice {
                device_id: "pc".into(),
                mac: MAC.into(),
                ip: Some("192.0.2.10".into()),
                probe: ProbeSettings {
                    method: ProbeMethod::Neighbor,
                    ports: Vec::new(),
                    interval_s: 30,
                },
            }]),
        });
        watcher
    }

    fn miss() -> super::super::tracker::Outcome {
        super::super::tracker::Outcome::NoAnswer {
            kind: None,
            address: None,
        }
    }

    fn next_in(watcher: &Watcher) -> Duration {
        let state = watcher.lock();
        state.devices["pc"]
            .next
            .saturating_duration_since(Instant::now())
    }

    #[test]
    fn a_woken_device_is_probed_twice_a_second_until_it_is_seen_up() {
        let watcher = watching_one();
        let [(id, target, _, _)] = watcher.take_due().try_into().unwrap();
        watcher.observed(&id, &target, miss(), Vec::new());
        assert!(
            next_in(&watcher) > Duration::from_secs(25),
            "its own interval"
        );

        // Woken: due at once, then every second.
        watcher.hurry(MAC.parse().unwrap(), Duration::from_secs(120));
        let [(id, target, _, _)] = watcher.take_due().try_into().unwrap();
        watcher.observed(&id, &target, miss(), Vec::new());
        assert!(next_in(&watcher) <= MIN_INTERVAL);

        // Seen up: back to its interval.
        watcher.lock().devices.get_mut("pc").unwrap().next = Instant::now();
        let [(id, target, _, _)] = watcher.take_due().try_into().unwrap();
        let up = super::super::tracker::Outcome::Answered {
            kind: crate::wire::ProbeKind::Neighbor,
            address: "192.0.2.10".parse().unwrap(),
            mac: Some(MAC.parse().unwrap()),
            rtt: None,
        };
        watcher.observed(&id, &target, up, Vec::new());
        assert!(next_in(&watcher) > Duration::from_secs(25));
    }

    #[test]
    fn only_the_woken_machine_is_hurried() {
        let watcher = watching_one();
        let [(id, target, _, _)] = watcher.take_due().try_into().unwrap();
        watcher.observed(&id, &target, miss(), Vec::new());
        watcher.hurry(
            "02:00:00:00:00:02".parse().unwrap(),
            Duration::from_secs(120),
        );
        assert!(watcher.take_due().is_empty());
    }
}
