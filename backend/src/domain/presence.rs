//! Presence: what the server concludes about a device from what the agents
//! that watch it saw (docs/ARCHITECTURE.md, "Presence"). Pure rules; the
//! store feeds them the sightings and keeps what they conclude.
//!
//! The rule, when several agents watch one device:
//! - only the sightings of agents that count (approved, online, still
//!   linked to the device) are heard;
//! - **up** as soon as any of them saw it up: a machine that answered one
//!   agent is on, whatever another could not reach;
//! - else **down** when one of them saw it down (an agent reports down only
//!   after the configured number of probes in a row went unanswered);
//! - else **unknown**.
//!
//! The agent the conclusion rests on (`via`) is the one with the newest
//! sighting of that state, the faster answer breaking a tie.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use powerbeacon_agent::MacAddress;
use powerbeacon_agent::wire::ProbeMethod;
use powerbeacon_agent::wire::{ProbeKind, SeenState};
use shared::ids::AgentId;
use shared::types::{DeviceProbe, PresenceState};

/// What one agent last reported of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub agent_id: AgentId,
    pub hostname: String,
    /// Whether the agent is heard now: approved, online, still linked.
    pub counts: bool,
    pub state: SeenState,
    /// Since when this agent has seen the device so.
    pub since: DateTime<Utc>,
    /// When it last probed the device with this result.
    pub observed_at: DateTime<Utc>,
    pub method: Option<ProbeKind>,
    pub address: Option<IpAddr>,
    pub rtt_us: Option<u32>,
}

/// What the server concludes about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub state: PresenceState,
    /// When it entered this state.
    pub since: DateTime<Utc>,
    /// When an agent last saw it up.
    pub last_seen: Option<DateTime<Utc>>,
    /// The agent the conclusion rests on, and its hostname.
    pub via: Option<(AgentId, String)>,
    pub method: Option<ProbeKind>,
    pub address: Option<IpAddr>,
    pub rtt_us: Option<u32>,
}

impl Presence {
    /// What a device nobody has reported on reads as.
    pub fn unknown(since: DateTime<Utc>) -> Self {
        Self {
            state: PresenceState::Unknown,
            since,
            last_seen: None,
            via: None,
            method: None,
            address: None,
            rtt_us: None,
        }
    }

    /// This conclusion as of a read: a state that rests on an agent which
    /// no longer counts (gone offline, unlinked) reads as unknown until the
    /// background pass concludes anew from the others (never up on the word
    /// of an agent that is not there).
    pub fn as_read(&self, via_counts: bool) -> Self {
        if self.state == PresenceState::Unknown || via_counts {
            return self.clone();
        }
        Self {
            last_seen: self.last_seen,
            ..Self::unknown(self.since)
        }
    }

    /// [`Self::as_read`] among the device's agents, each given as (id,
    /// approved, last heartbeat): the agent the conclusion rests on counts
    /// while it is one of them and online (`offline_after`).
    pub fn as_read_among(
        &self,
        agents: impl IntoIterator<Item = (AgentId, bool, Option<DateTime<Utc>>)>,
        offline_after: std::time::Duration,
    ) -> Self {
        let via_counts = self.via.as_ref().is_some_and(|(via, _)| {
            agents.into_iter().any(|(id, approved, last_seen)| {
                id == *via && crate::domain::is_online(approved, last_seen, offline_after)
            })
        });
        self.as_read(via_counts)
    }
}

/// A change of a device's presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: PresenceState,
    pub to: PresenceState,
    pub at: DateTime<Utc>,
    pub via: Option<(AgentId, String)>,
    pub method: Option<ProbeKind>,
    pub address: Option<IpAddr>,
}

/// Concludes a device's presence from its agents' `sightings`, given what
/// was concluded before (`None` for a device never concluded on) and the
/// time of the event that asks (`at`: a report's arrival, or the background
/// pass). Returns the conclusion and, when its state changed, the
/// transition to record.
pub fn conclude(
    sightings: &[Sighting],
    previous: Option<&Presence>,
    at: DateTime<Utc>,
) -> (Presence, Option<Transition>) {
    let newest = |state: SeenState| {
        sightings
            .iter()
            .filter(|s| s.counts && s.state == state)
            .max_by(|a, b| {
                a.observed_at
                    .cmp(&b.observed_at)
                    // The faster answer wins a tie (a missing one is slowest).
                    .then_with(|| {
                        b.rtt_us
                            .unwrap_or(u32::MAX)
                            .cmp(&a.rtt_us.unwrap_or(u32::MAX))
                    })
                    .then_with(|| b.agent_id.cmp(&a.agent_id))
            })
    };
    let deciding = newest(SeenState::Up).or_else(|| newest(SeenState::Down));
    let state = match deciding {
        Some(s) if s.state == SeenState::Up => PresenceState::Up,
        Some(_) => PresenceState::Down,
        None => PresenceState::Unknown,
    };
    let last_seen = sightings
        .iter()
        .filter(|s| s.state == SeenState::Up)
        .map(|s| s.observed_at)
        .chain(previous.and_then(|p| p.last_seen))
        .max();
    let previous_state = previous.map_or(PresenceState::Unknown, |p| p.state);
    let since = match previous {
        Some(p) if p.state == state => p.since,
        // A new state began when the deciding agent first saw it so, though
        // never before the previous state began nor after now.
        _ => match (deciding, previous) {
            (Some(s), Some(p)) => s.since.max(p.since).min(at),
            (Some(s), None) => s.since.min(at),
            (None, _) => at,
        },
    };
    let presence = Presence {
        state,
        since,
        last_seen,
        via: deciding.map(|s| (s.agent_id, s.hostname.clone())),
        method: deciding.and_then(|s| s.method),
        address: deciding.and_then(|s| s.address),
        rtt_us: deciding
            .filter(|s| s.state == SeenState::Up)
            .and_then(|s| s.rtt_us),
    };
    let changed = previous_state != state
        // A device first concluded on is recorded even when it stays unknown
        // no more than it was: there is nothing to record then.
        && !(previous.is_none() && state == PresenceState::Unknown);
    let transition = changed.then(|| Transition {
        from: previous_state,
        to: state,
        at: since,
        via: presence.via.clone(),
        method: presence.method,
        address: presence.address,
    });
    (presence, transition)
}

/// The most TCP ports one device is probed on.
pub const MAX_PROBE_PORTS: usize = 8;
/// The longest interval between probes, in seconds.
pub const MAX_PROBE_INTERVAL_S: u32 = 3600;
/// The longest a device's own boot timeout may be, in seconds (as long as
/// an agent watches a woken machine closely).
pub const MAX_BOOT_TIMEOUT_S: u32 = 3600;

/// Probe settings as a device keeps them: ports sorted, once each, none 0,
/// at most [`MAX_PROBE_PORTS`]; an interval from 1 s to
/// [`MAX_PROBE_INTERVAL_S`]; a boot timeout from 1 s to
/// [`MAX_BOOT_TIMEOUT_S`].
pub fn parse_probe(input: &DeviceProbe) -> Result<DeviceProbe, crate::domain::Invalid> {
    use crate::domain::Invalid;
    let mut ports = input.ports.clone();
    ports.sort_unstable();
    ports.dedup();
    if ports.contains(&0) {
        return Err(Invalid::new("probe", "A port is from 1 to 65535."));
    }
    if ports.len() > MAX_PROBE_PORTS {
        return Err(Invalid::new(
            "probe",
            format!("A device is probed on at most {MAX_PROBE_PORTS} ports."),
        ));
    }
    if let Some(interval) = input.interval_s
        && !(1..=MAX_PROBE_INTERVAL_S).contains(&interval)
    {
        return Err(Invalid::new(
            "probe",
            format!("The interval is from 1 to {MAX_PROBE_INTERVAL_S} seconds."),
        ));
    }
    if let Some(timeout) = input.boot_timeout_s
        && !(1..=MAX_BOOT_TIMEOUT_S).contains(&timeout)
    {
        return Err(Invalid::new(
            "probe",
            format!("The boot timeout is from 1 to {MAX_BOOT_TIMEOUT_S} seconds."),
        ));
    }
    if input.method == ProbeMethod::Tcp && ports.is_empty() {
        return Err(Invalid::new(
            "probe",
            "The tcp probe needs at least one port.",
        ));
    }
    Ok(DeviceProbe {
        method: input.method,
        ports,
        interval_s: input.interval_s,
        adopt_address: input.adopt_address,
        boot_timeout_s: input.boot_timeout_s,
    })
}

/// What a reported sighting means for a device whose MAC is `device_mac`:
/// an address that answered with another machine's MAC is not this device
/// answering (a reused DHCP lease), so such an "up" is taken as down.
pub fn checked_state(
    reported: SeenState,
    seen_mac: Option<MacAddress>,
    device_mac: MacAddress,
) -> SeenState {
    match (reported, seen_mac) {
        (SeenState::Up, Some(mac)) if mac != device_mac => SeenState::Down,
        (state, _) => state,
    }
}

/// Whether a device up at `observed` has moved from its stored address.
pub fn address_changed(presence: &Presence, stored: Option<IpAddr>) -> bool {
    presence.state == PresenceState::Up
        && presence
            .address
            .is_some_and(|seen| stored.is_none_or(|ip| ip != seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn agent(n: u128) -> AgentId {
        AgentId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn seen(n: u128, state: SeenState, since: i64, observed: i64) -> Sighting {
        Sighting {
            agent_id: agent(n),
            hostname: format!("agent-{n}"),
            counts: true,
            state,
            since: t(since),
            observed_at: t(observed),
            method: Some(ProbeKind::Neighbor),
            address: Some("192.0.2.10".parse().unwrap()),
            rtt_us: (state == SeenState::Up).then_some(300),
        }
    }

    #[test]
    fn one_agent_seeing_it_up_makes_it_up() {
        let (presence, transition) = conclude(&[seen(1, SeenState::Up, 10, 10)], None, t(12));
        assert_eq!(presence.state, PresenceState::Up);
        assert_eq!(presence.since, t(10));
        assert_eq!(presence.last_seen, Some(t(10)));
        assert_eq!(presence.via, Some((agent(1), "agent-1".into())));
        assert_eq!(presence.rtt_us, Some(300));
        let transition = transition.unwrap();
        assert_eq!(
            (transition.from, transition.to, transition.at),
            (PresenceState::Unknown, PresenceState::Up, t(10))
        );
    }

    #[test]
    fn up_wins_over_down_between_agents() {
        let sightings = [
            seen(1, SeenState::Down, 0, 50),
            seen(2, SeenState::Up, 40, 45),
        ];
        let (presence, _) = conclude(&sightings, None, t(60));
        assert_eq!(presence.state, PresenceState::Up);
        assert_eq!(presence.via.unwrap().0, agent(2));
    }

    #[test]
    fn down_only_when_every_heard_agent_says_down() {
        let sightings = [
            seen(1, SeenState::Down, 0, 50),
            seen(2, SeenState::Down, 5, 55),
        ];
        let (presence, transition) = conclude(&sightings, None, t(60));
        assert_eq!(presence.state, PresenceState::Down);
        assert_eq!(presence.via.unwrap().0, agent(2), "the newest sighting");
        assert_eq!(presence.rtt_us, None);
        assert_eq!(transition.unwrap().to, PresenceState::Down);
    }

    #[test]
    fn agents_that_do_not_count_are_not_heard() {
        let mut gone = seen(1, SeenState::Up, 0, 50);
        gone.counts = false;
        let previous = conclude(&[seen(1, SeenState::Up, 0, 50)], None, t(50)).0;
        // The only agent went offline: unknown, and the time it was last up stays.
        let (presence, transition) = conclude(&[gone.clone()], Some(&previous), t(200));
        assert_eq!(presence.state, PresenceState::Unknown);
        assert_eq!(presence.since, t(200));
        assert_eq!(presence.last_seen, Some(t(50)));
        assert_eq!(presence.via, None);
        let transition = transition.unwrap();
        assert_eq!(
            (transition.from, transition.to),
            (PresenceState::Up, PresenceState::Unknown)
        );
        assert_eq!(transition.via, None);
        // Another agent still hears it down: down.
        let (presence, _) = conclude(
            &[gone, seen(2, SeenState::Down, 100, 190)],
            Some(&previous),
            t(200),
        );
        assert_eq!(presence.state, PresenceState::Down);
        assert_eq!(presence.since, t(100));
    }

    #[test]
    fn a_state_that_holds_keeps_its_start() {
        let (first, _) = conclude(&[seen(1, SeenState::Up, 10, 10)], None, t(10));
        let (again, transition) = conclude(
            &[
                seen(1, SeenState::Up, 10, 40),
                seen(2, SeenState::Up, 35, 41),
            ],
            Some(&first),
            t(41),
        );
        assert_eq!(again.since, t(10));
        assert_eq!(again.last_seen, Some(t(41)));
        assert_eq!(again.via.unwrap().0, agent(2));
        assert_eq!(transition, None);
    }

    #[test]
    fn a_new_state_never_starts_before_the_old_one_nor_after_now() {
        let (up, _) = conclude(&[seen(1, SeenState::Up, 100, 100)], None, t(100));
        // Agent 2 saw it down since long before, and only now counts.
        let mut old_down = seen(2, SeenState::Down, 20, 150);
        old_down.counts = true;
        let mut gone = seen(1, SeenState::Up, 100, 100);
        gone.counts = false;
        let (down, _) = conclude(&[gone, old_down], Some(&up), t(160));
        assert_eq!(down.since, t(100));
        // A sighting stamped after the event (clock skew) starts at the event.
        let (future, _) = conclude(&[seen(3, SeenState::Up, 500, 500)], None, t(400));
        assert_eq!(future.since, t(400));
    }

    #[test]
    fn ties_go_to_the_faster_answer() {
        let mut slow = seen(1, SeenState::Up, 0, 10);
        slow.rtt_us = Some(9_000);
        let mut fast = seen(2, SeenState::Up, 0, 10);
        fast.rtt_us = Some(200);
        let (presence, _) = conclude(&[slow, fast], None, t(10));
        assert_eq!(presence.via.unwrap().0, agent(2));
        assert_eq!(presence.rtt_us, Some(200));
    }

    #[test]
    fn nothing_heard_of_a_new_device_records_nothing() {
        let (presence, transition) = conclude(&[], None, t(5));
        assert_eq!(presence.state, PresenceState::Unknown);
        assert_eq!(transition, None);
    }

    #[test]
    fn a_read_never_trusts_an_agent_that_is_gone() {
        let (up, _) = conclude(&[seen(1, SeenState::Up, 10, 10)], None, t(10));
        assert_eq!(up.as_read(true), up);
        let read = up.as_read(false);
        assert_eq!(read.state, PresenceState::Unknown);
        assert_eq!(read.via, None);
        assert_eq!(read.last_seen, Some(t(10)));

        // Among the device's agents: the one it rests on, approved and heard
        // from lately, or not.
        let minute = std::time::Duration::from_secs(60);
        let now = Some(Utc::now());
        let long_ago = Some(Utc::now() - chrono::Duration::hours(1));
        assert_eq!(up.as_read_among([(agent(1), true, now)], minute), up);
        for others in [
            vec![(agent(1), true, long_ago)],
            vec![(agent(1), false, now)],
            vec![(agent(1), true, None)],
            vec![(agent(2), true, now)],
            vec![],
        ] {
            assert_eq!(
                up.as_read_among(others.clone(), minute).state,
                PresenceState::Unknown,
                "{others:?}"
            );
        }
    }

    #[test]
    fn another_machine_answering_at_the_address_is_not_up() {
        let device: MacAddress = "AA:BB:CC:DD:EE:01".parse().unwrap();
        let other: MacAddress = "AA:BB:CC:DD:EE:02".parse().unwrap();
        assert_eq!(
            checked_state(SeenState::Up, Some(other), device),
            SeenState::Down
        );
        assert_eq!(
            checked_state(SeenState::Up, Some(device), device),
            SeenState::Up
        );
        assert_eq!(checked_state(SeenState::Up, None, device), SeenState::Up);
        assert_eq!(
            checked_state(SeenState::Down, Some(other), device),
            SeenState::Down
        );
    }

    #[test]
    fn probe_settings_are_checked_and_tidied() {
        let probe = |method, ports: &[u16], interval_s| DeviceProbe {
            method,
            ports: ports.to_vec(),
            interval_s,
            adopt_address: false,
            boot_timeout_s: None,
        };
        let tidy = parse_probe(&probe(ProbeMethod::Auto, &[3389, 22, 22], Some(10))).unwrap();
        assert_eq!(tidy.ports, [22, 3389]);
        assert!(parse_probe(&probe(ProbeMethod::Auto, &[0], None)).is_err());
        assert!(
            parse_probe(&probe(
                ProbeMethod::Auto,
                &[1, 2, 3, 4, 5, 6, 7, 8, 9],
                None
            ))
            .is_err()
        );
        assert!(parse_probe(&probe(ProbeMethod::Auto, &[], Some(0))).is_err());
        assert!(parse_probe(&probe(ProbeMethod::Auto, &[], Some(3601))).is_err());
        assert!(parse_probe(&probe(ProbeMethod::Tcp, &[], None)).is_err());
        assert!(parse_probe(&probe(ProbeMethod::Off, &[], None)).is_ok());
        let boot = |boot_timeout_s| DeviceProbe {
            boot_timeout_s,
            ..DeviceProbe::default()
        };
        assert!(parse_probe(&boot(Some(0))).is_err());
        assert!(parse_probe(&boot(Some(3601))).is_err());
        assert_eq!(parse_probe(&boot(Some(1))).unwrap().boot_timeout_s, Some(1));
        assert_eq!(
            parse_probe(&boot(Some(3600))).unwrap().boot_timeout_s,
            Some(3600)
        );
        assert_eq!(
            parse_probe(&DeviceProbe::default()).unwrap(),
            DeviceProbe::default()
        );
    }

    #[test]
    fn a_moved_device_shows_its_new_address() {
        let (mut up, _) = conclude(&[seen(1, SeenState::Up, 10, 10)], None, t(10));
        let stored: IpAddr = "192.0.2.10".parse().unwrap();
        assert!(!address_changed(&up, Some(stored)));
        up.address = Some("192.0.2.77".parse().unwrap());
        assert!(address_changed(&up, Some(stored)));
        assert!(address_changed(&up, None));
        up.state = PresenceState::Down;
        assert!(
            !address_changed(&up, Some(stored)),
            "only an answer proves a move"
        );
    }
}
