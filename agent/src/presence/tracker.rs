//! What to report of one device, from its probes' outcomes: a device is
//! reported up as soon as a probe gets an answer, and down only after
//! `down_after` probes in a row got none; nothing is reported while what
//! the server knows stays true, but an up device is confirmed every
//! [`REFRESH`] so the server's "last seen" stays recent.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::MacAddress;
use crate::wire::{ProbeKind, SeenState};

/// How often an unchanged up device is reported again.
pub const REFRESH: Duration = Duration::from_secs(300);

/// What one probe of a device found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The device answered.
    Answered {
        kind: ProbeKind,
        address: IpAddr,
        mac: Option<MacAddress>,
        rtt: Option<Duration>,
    },
    /// Another machine answers at the device's address (its MAC is not the
    /// device's): the device is not there.
    OtherMachine { address: IpAddr, mac: MacAddress },
    /// Nothing answered.
    NoAnswer {
        kind: Option<ProbeKind>,
        address: Option<IpAddr>,
    },
    /// The probe could not tell (a neighbour entry older than the probe);
    /// neither an answer nor a miss.
    Inconclusive,
}

/// A change to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub state: SeenState,
    pub kind: Option<ProbeKind>,
    pub address: Option<IpAddr>,
    pub mac: Option<MacAddress>,
    pub rtt: Option<Duration>,
}

/// One device's probing state.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// What was last reported, and when.
    reported: Option<(SeenState, Option<IpAddr>, Instant)>,
    /// Probes in a row without an answer.
    misses: u32,
}

impl Tracker {
    /// Forgets what was reported, so the next outcome is reported whatever
    /// it is (after the server may have lost it: a new watch list, a
    /// re-registration).
    pub fn report_again(&mut self) {
        self.reported = None;
    }

    /// Consecutive misses so far.
    pub fn misses(&self) -> u32 {
        self.misses
    }

    /// Feeds one probe's outcome at `now`; the change to report, if any.
    pub fn observe(&mut self, outcome: Outcome, down_after: u8, now: Instant) -> Option<Change> {
        match outcome {
            Outcome::Inconclusive => None,
            Outcome::Answered {
                kind,
                address,
                mac,
                rtt,
            } => {
                self.misses = 0;
                let fresh = match self.reported {
                    Some((SeenState::Up, reported_at, at)) => {
                        reported_at != Some(address) || now.duration_since(at) >= REFRESH
                    }
                    _ => true,
                };
                fresh.then(|| {
                    self.reported = Some((SeenState::Up, Some(address), now));
                    Change {
                        state: SeenState::Up,
                        kind: Some(kind),
                        address: Some(address),
                        mac,
                        rtt,
                    }
                })
            }
            Outcome::OtherMachine { address, mac } => self.miss(
                down_after,
                now,
                Some(ProbeKind::Neighbor),
                Some(address),
                Some(mac),
            ),
            Outcome::NoAnswer { kind, address } => self.miss(down_after, now, kind, address, None),
        }
    }

    fn miss(
        &mut self,
        down_after: u8,
        now: Instant,
        kind: Option<ProbeKind>,
        address: Option<IpAddr>,
        mac: Option<MacAddress>,
    ) -> Option<Change> {
        self.misses = self.misses.saturating_add(1);
        let already_down = matches!(self.reported, Some((SeenState::Down, _, _)));
        (self.misses >= u32::from(down_after.max(1)) && !already_down).then(|| {
            self.reported = Some((SeenState::Down, address, now));
            Change {
                state: SeenState::Down,
                kind,
                address,
                mac,
                rtt: None,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(address: &str) -> Outcome {
        Outcome::Answered {
            kind: ProbeKind::Tcp,
            address: address.parse().unwrap(),
            mac: None,
            rtt: Some(Duration::from_micros(250)),
        }
    }

    fn silence() -> Outcome {
        Outcome::NoAnswer {
            kind: Some(ProbeKind::Tcp),
            address: Some("192.0.2.10".parse().unwrap()),
        }
    }

    #[test]
    fn up_at_once_and_only_once() {
        let mut tracker = Tracker::default();
        let now = Instant::now();
        let change = tracker.observe(answered("192.0.2.10"), 3, now).unwrap();
        assert_eq!(change.state, SeenState::Up);
        assert_eq!(change.rtt, Some(Duration::from_micros(250)));
        assert_eq!(tracker.observe(answered("192.0.2.10"), 3, now), None);
        // Confirmed again once in a while, so "last seen" stays recent.
        assert!(
            tracker
                .observe(answered("192.0.2.10"), 3, now + REFRESH)
                .is_some()
        );
    }

    #[test]
    fn down_only_after_misses_in_a_row() {
        let mut tracker = Tracker::default();
        let now = Instant::now();
        tracker.observe(answered("192.0.2.10"), 3, now);
        assert_eq!(tracker.observe(silence(), 3, now), None);
        assert_eq!(tracker.observe(silence(), 3, now), None);
        // An answer in between starts the count again.
        assert_eq!(tracker.observe(answered("192.0.2.10"), 3, now), None);
        assert_eq!(tracker.observe(silence(), 3, now), None);
        assert_eq!(tracker.observe(silence(), 3, now), None);
        let change = tracker.observe(silence(), 3, now).unwrap();
        assert_eq!(change.state, SeenState::Down);
        assert_eq!(tracker.observe(silence(), 3, now), None, "reported once");
        assert_eq!(tracker.misses(), 4);
    }

    #[test]
    fn a_device_never_seen_is_reported_down_after_the_misses_too() {
        let mut tracker = Tracker::default();
        let now = Instant::now();
        assert_eq!(tracker.observe(silence(), 2, now), None);
        assert_eq!(
            tracker.observe(silence(), 2, now).unwrap().state,
            SeenState::Down
        );
    }

    #[test]
    fn another_machine_at_the_address_is_a_miss_with_its_mac() {
        let mut tracker = Tracker::default();
        let now = Instant::now();
        let stranger: MacAddress = "02:00:00:00:00:99".parse().unwrap();
        let outcome = Outcome::OtherMachine {
            address: "192.0.2.10".parse().unwrap(),
            mac: stranger,
        };
        let change = tracker.observe(outcome, 1, now).unwrap();
        assert_eq!(change.state, SeenState::Down);
        assert_eq!(change.mac, Some(stranger));
    }

    #[test]
    fn a_move_is_reported_and_inconclusive_probes_change_nothing() {
        let mut tracker = Tracker::default();
        let now = Instant::now();
        tracker.observe(answered("192.0.2.10"), 3, now);
        assert_eq!(tracker.observe(Outcome::Inconclusive, 3, now), None);
        assert_eq!(tracker.misses(), 0);
        let moved = tracker.observe(answered("192.0.2.77"), 3, now).unwrap();
        assert_eq!(moved.address, Some("192.0.2.77".parse().unwrap()));
        // After the server may have lost it, the state is reported again.
        tracker.report_again();
        assert!(tracker.observe(answered("192.0.2.77"), 3, now).is_some());
    }
}
