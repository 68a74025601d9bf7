//! Wake verdicts: whether a machine woke (docs/ARCHITECTURE.md, "Wakes").
//! Pure rules; the service feeds them what the agents did and what presence
//! says, and the store keeps what they decide.
//!
//! - A machine that reads **up** when the wake is asked is `already_up`:
//!   nothing is sent unless the wake is forced (and then it stays
//!   `already_up`).
//! - When no agent sent a packet: `not_sent`.
//! - When packets went out but no agent that counts watches the machine
//!   (none announces presence, or its probe method is `off`): `unconfirmed`
//!   at once, since nothing could ever confirm it.
//! - Else `pending` until presence decides: `up` as soon as the machine
//!   shows up after the wake was asked and within its boot timeout (the
//!   time to up is from the ask to the first sighting); at the deadline,
//!   `no_sign_of_life` when it reads down, `unconfirmed` when it reads
//!   unknown (its agents stopped watching midway). A timer alone never says
//!   `up` or `no_sign_of_life`: presence does.

use chrono::{DateTime, Utc};
use shared::types::{PresenceState, WakeVerdict};

/// Whether a device is woken at all: not when it is up, unless forced.
pub fn should_send(state_before: PresenceState, forced: bool) -> bool {
    forced || state_before != PresenceState::Up
}

/// The verdict right after the packets went out (or were not sent).
pub fn first_verdict(state_before: PresenceState, sent: bool, watched: bool) -> WakeVerdict {
    if state_before == PresenceState::Up {
        WakeVerdict::AlreadyUp
    } else if !sent {
        WakeVerdict::NotSent
    } else if !watched {
        WakeVerdict::Unconfirmed
    } else {
        WakeVerdict::Pending
    }
}

/// A pending verdict of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingWake {
    pub requested_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// A verdict reached: which, and when the machine showed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub verdict: WakeVerdict,
    pub up_at: Option<DateTime<Utc>>,
}

/// Decides a pending verdict from the device's presence now (its state and
/// since when), or leaves it pending (`None`).
pub fn settle(
    wake: PendingWake,
    presence: Option<(PresenceState, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Option<Settled> {
    match presence {
        Some((PresenceState::Up, since))
            if since >= wake.requested_at && since <= wake.deadline =>
        {
            Some(Settled {
                verdict: WakeVerdict::Up,
                up_at: Some(since),
            })
        }
        _ if now < wake.deadline => None,
        // Down, or up only after its boot timeout.
        Some((PresenceState::Down, _)) => Some(Settled {
            verdict: WakeVerdict::NoSignOfLife,
            up_at: None,
        }),
        Some((PresenceState::Up, since)) if since > wake.deadline => Some(Settled {
            verdict: WakeVerdict::NoSignOfLife,
            up_at: None,
        }),
        // Unknown: its agents stopped watching. Up since before the ask: it
        // was up already while a conclusion resting on an agent gone
        // offline read unknown.
        _ => Some(Settled {
            verdict: WakeVerdict::Unconfirmed,
            up_at: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    const WAKE: PendingWake = PendingWake {
        requested_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        deadline: DateTime::from_timestamp(1_800_000_120, 0).unwrap(),
    };

    #[test]
    fn a_machine_that_is_up_is_not_woken_unless_forced() {
        assert!(!should_send(PresenceState::Up, false));
        assert!(should_send(PresenceState::Up, true));
        assert!(should_send(PresenceState::Down, false));
        assert!(should_send(PresenceState::Unknown, false));
        // Forced or not, it was up already.
        assert_eq!(
            first_verdict(PresenceState::Up, true, true),
            WakeVerdict::AlreadyUp
        );
        assert_eq!(
            first_verdict(PresenceState::Up, false, true),
            WakeVerdict::AlreadyUp
        );
    }

    #[test]
    fn the_first_verdict_says_what_can_still_be_known() {
        assert_eq!(
            first_verdict(PresenceState::Down, false, true),
            WakeVerdict::NotSent
        );
        assert_eq!(
            first_verdict(PresenceState::Down, true, false),
            WakeVerdict::Unconfirmed
        );
        assert_eq!(
            first_verdict(PresenceState::Down, true, true),
            WakeVerdict::Pending
        );
        assert_eq!(
            first_verdict(PresenceState::Unknown, true, true),
            WakeVerdict::Pending
        );
    }

    #[test]
    fn up_after_the_ask_and_before_the_deadline_is_up() {
        let settled = settle(WAKE, Some((PresenceState::Up, at(14))), at(15)).unwrap();
        assert_eq!(settled.verdict, WakeVerdict::Up);
        assert_eq!(settled.up_at, Some(at(14)));
        // Reported late, after the deadline, but seen in time: still up.
        let late = settle(WAKE, Some((PresenceState::Up, at(119))), at(125)).unwrap();
        assert_eq!(late.verdict, WakeVerdict::Up);
    }

    #[test]
    fn nothing_is_decided_before_the_deadline_but_up() {
        assert_eq!(
            settle(WAKE, Some((PresenceState::Down, at(-60))), at(30)),
            None
        );
        assert_eq!(settle(WAKE, None, at(119)), None);
        // Up since before the ask: not this wake's doing, and not yet known.
        assert_eq!(
            settle(WAKE, Some((PresenceState::Up, at(-1))), at(30)),
            None
        );
    }

    #[test]
    fn at_the_deadline_presence_decides() {
        let down = settle(WAKE, Some((PresenceState::Down, at(-60))), at(120)).unwrap();
        assert_eq!(down.verdict, WakeVerdict::NoSignOfLife);
        assert_eq!(down.up_at, None);
        // Its agents went offline midway: nothing can say.
        let unknown = settle(WAKE, Some((PresenceState::Unknown, at(40))), at(121)).unwrap();
        assert_eq!(unknown.verdict, WakeVerdict::Unconfirmed);
        assert_eq!(
            settle(WAKE, None, at(121)).unwrap().verdict,
            WakeVerdict::Unconfirmed
        );
        // Up only after the deadline: too late.
        let late = settle(WAKE, Some((PresenceState::Up, at(121))), at(122)).unwrap();
        assert_eq!(late.verdict, WakeVerdict::NoSignOfLife);
        // Up since before the ask, read unknown when asked: nothing to say.
        let before = settle(WAKE, Some((PresenceState::Up, at(-5))), at(120)).unwrap();
        assert_eq!(before.verdict, WakeVerdict::Unconfirmed);
    }
}
