//! How times, sizes, operating systems and agent states read on screen.

use chrono::{DateTime, Utc};

use shared::types::{
    AgentStatus, DevicePresence, Elapsed, OsType, PresenceState, WakeAgentResult, WakeCounts,
    WakeOutcome, WakeVerdict,
};

/// "just now", "5 min ago", "3 h ago", "2 days ago"; "never" without a time.
pub fn relative_time(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else {
        return "never".into();
    };
    let seconds = now.signed_duration_since(at).num_seconds();
    match seconds {
        i64::MIN..10 => "just now".into(),
        10..60 => format!("{seconds} s ago"),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..172_800 => "yesterday".into(),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// A day as `2026-11-28`.
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Bytes as "4.1 MB".
pub fn size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{} kB", bytes.div_ceil(1_000))
    }
}

/// How an OS is named on screen.
pub fn os_label(os: OsType) -> &'static str {
    match os {
        OsType::Linux => "Linux",
        OsType::Windows => "Windows",
        OsType::Macos => "macOS",
    }
}

/// An agent's state in words.
pub fn status_label(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Online => "online",
        AgentStatus::Offline => "offline",
    }
}

/// The CSS class of an agent's status dot.
pub fn status_class(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Online => "dot online",
        AgentStatus::Offline => "dot offline",
    }
}

/// How long since `since`: "a moment", "42 s", "5 min", "3 h", "2 days".
pub fn span(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = now.signed_duration_since(since).num_seconds();
    match seconds {
        i64::MIN..10 => "a moment".into(),
        10..60 => format!("{seconds} s"),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..86_400 => format!("{} h", seconds / 3_600),
        86_400..172_800 => "1 day".into(),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// A device's presence in words: "Up for 5 min", "Down for 3 h",
/// "Unknown: no agent watches it".
pub fn presence_label(presence: &DevicePresence, now: DateTime<Utc>) -> String {
    match (presence.state, presence.since) {
        (PresenceState::Up, Some(since)) => format!("Up for {}", span(since, now)),
        (PresenceState::Down, Some(since)) => format!("Down for {}", span(since, now)),
        (PresenceState::Up, None) => "Up".into(),
        (PresenceState::Down, None) => "Down".into(),
        (PresenceState::Unknown, Some(_)) => "Unknown: no online agent watches it".into(),
        (PresenceState::Unknown, None) => "Unknown: no agent watches it".into(),
    }
}

/// The CSS class of a device's presence dot.
pub fn presence_class(state: PresenceState) -> &'static str {
    match state {
        PresenceState::Up => "dot online",
        PresenceState::Down => "dot down",
        PresenceState::Unknown => "dot",
    }
}

/// A machine's wake verdict in words: "up after 14 s", "no sign of life
/// after 120 s"; `timeout_s` is its boot timeout.
pub fn wake_verdict_words(
    verdict: WakeVerdict,
    seconds_to_up: Option<Elapsed>,
    timeout_s: u64,
) -> String {
    match (verdict, seconds_to_up) {
        (WakeVerdict::Up, Some(elapsed)) => format!("up after {} s", elapsed.whole_seconds()),
        (WakeVerdict::Up, None) => "up".into(),
        (WakeVerdict::Pending, _) => "waiting for it to come up…".into(),
        (WakeVerdict::NoSignOfLife, _) => format!("no sign of life after {timeout_s} s"),
        (WakeVerdict::NotSent, _) => "not sent: no agent could send the packet".into(),
        (WakeVerdict::AlreadyUp, _) => "already up".into(),
        (WakeVerdict::Unconfirmed, _) => {
            "sent; no agent watches it, so nothing can confirm it woke".into()
        }
    }
}

/// A device's part of a wake in words, with how many of its agents sent:
/// "sent by 2 of 2 agents · up after 14 s", "already up"; `timeout_s` is
/// from the ask to its deadline (its boot timeout).
pub fn wake_device_words(
    verdict: WakeVerdict,
    seconds_to_up: Option<Elapsed>,
    timeout_s: i64,
    agents: &[WakeAgentResult],
) -> String {
    let sent = agents
        .iter()
        .filter(|a| a.outcome == WakeOutcome::Sent)
        .count();
    wake_progress_words(verdict, seconds_to_up, timeout_s, sent, agents.len())
}

/// [`wake_device_words`] from how many agents sent (`sent` of `agents`),
/// as a live event tells it.
pub fn wake_progress_words(
    verdict: WakeVerdict,
    seconds_to_up: Option<Elapsed>,
    timeout_s: i64,
    sent: usize,
    agents: usize,
) -> String {
    let words = wake_verdict_words(
        verdict,
        seconds_to_up,
        u64::try_from(timeout_s).unwrap_or(0),
    );
    match verdict {
        WakeVerdict::AlreadyUp | WakeVerdict::NotSent => words,
        _ => format!("sent by {sent} of {agents} agents · {words}"),
    }
}

/// How many devices of a wake have each verdict: "3 up · 1 waiting".
pub fn wake_counts_words(counts: &WakeCounts) -> String {
    [
        (counts.up, "up"),
        (counts.pending, "waiting"),
        (counts.no_sign_of_life, "no sign of life"),
        (counts.not_sent, "not sent"),
        (counts.already_up, "already up"),
        (counts.unconfirmed, "unconfirmed"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, words)| format!("{n} {words}"))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// What one agent did: "nas-agent: sent 3 × 102 bytes to 192.0.2.63:9 via
/// eth0" when it said what it sent, else "nas-agent: failed — agent
/// unreachable", "nas-agent: offline".
pub fn agent_part_words(agent: &WakeAgentResult) -> String {
    if let Some(sent) = &agent.sent {
        let via = sent
            .interface
            .as_deref()
            .map(|name| format!(" via {name}"))
            .unwrap_or_default();
        return format!(
            "{}: sent {} × {} bytes to {}:{}{via}",
            agent.hostname, sent.packets, sent.bytes, sent.destination, sent.port
        );
    }
    let outcome = match agent.outcome {
        WakeOutcome::Sent => "sent",
        WakeOutcome::Failed => "failed",
        WakeOutcome::Offline => "offline",
    };
    match &agent.message {
        Some(message) => format!("{}: {outcome} — {message}", agent.hostname),
        None => format!("{}: {outcome}", agent.hostname),
    }
}

/// How an agent watches the devices it serves, from the features it
/// announced (docs/API.md, "Agents").
pub fn presence_probes(features: &[String]) -> &'static str {
    let has = |feature: &str| features.iter().any(|f| f == feature);
    match (
        has(shared::types::FEATURE_PRESENCE),
        has(shared::types::FEATURE_PRESENCE_ICMP),
    ) {
        (true, true) => "neighbour table, TCP, ICMP",
        (true, false) => "neighbour table, TCP (ICMP not allowed here)",
        (false, _) => "does not watch (older agent)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_reads_as_a_state_and_how_long() {
        let now = Utc::now();
        let since = |seconds| Some(now - chrono::Duration::seconds(seconds));
        let presence = |state, since| DevicePresence {
            state,
            since,
            ..DevicePresence::default()
        };
        assert_eq!(
            presence_label(&presence(PresenceState::Up, since(300)), now),
            "Up for 5 min"
        );
        assert_eq!(
            presence_label(&presence(PresenceState::Down, since(3 * 3_600)), now),
            "Down for 3 h"
        );
        assert_eq!(
            presence_label(&presence(PresenceState::Unknown, None), now),
            "Unknown: no agent watches it"
        );
        assert_eq!(
            presence_label(&presence(PresenceState::Unknown, since(5)), now),
            "Unknown: no online agent watches it"
        );
        assert_eq!(span(now, now), "a moment");
    }

    #[test]
    fn times_read_naturally() {
        let now = Utc::now();
        let ago = |seconds| Some(now - chrono::Duration::seconds(seconds));
        assert_eq!(relative_time(None, now), "never");
        assert_eq!(relative_time(ago(3), now), "just now");
        assert_eq!(relative_time(ago(-5), now), "just now", "clock skew");
        assert_eq!(relative_time(ago(42), now), "42 s ago");
        assert_eq!(relative_time(ago(300), now), "5 min ago");
        assert_eq!(relative_time(ago(3 * 3_600), now), "3 h ago");
        assert_eq!(relative_time(ago(90_000), now), "yesterday");
        assert_eq!(relative_time(ago(5 * 86_400), now), "5 days ago");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(4_100_000), "4.1 MB");
        assert_eq!(size(1_500), "2 kB");
    }

    #[test]
    fn an_agent_says_how_it_watches() {
        let features = |list: &[&str]| list.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        assert_eq!(
            presence_probes(&features(&["wol-batch", "presence", "presence-icmp"])),
            "neighbour table, TCP, ICMP"
        );
        assert_eq!(
            presence_probes(&features(&["presence"])),
            "neighbour table, TCP (ICMP not allowed here)"
        );
        assert_eq!(presence_probes(&[]), "does not watch (older agent)");
    }

    #[test]
    fn wake_verdicts_read_as_words() {
        let after = |millis| Some(Elapsed { millis });
        assert_eq!(
            wake_verdict_words(WakeVerdict::Up, after(14_400), 120),
            "up after 14 s"
        );
        assert_eq!(
            wake_verdict_words(WakeVerdict::NoSignOfLife, None, 120),
            "no sign of life after 120 s"
        );
        assert_eq!(
            wake_verdict_words(WakeVerdict::AlreadyUp, None, 120),
            "already up"
        );
        let counts = WakeCounts {
            up: 3,
            pending: 1,
            ..WakeCounts::default()
        };
        assert_eq!(wake_counts_words(&counts), "3 up · 1 waiting");
        // A live event counts the agents that sent; a record lists them.
        assert_eq!(
            wake_progress_words(WakeVerdict::Pending, None, 120, 2, 3),
            "sent by 2 of 3 agents · waiting for it to come up…"
        );
        assert_eq!(
            wake_progress_words(WakeVerdict::NotSent, None, 120, 0, 1),
            "not sent: no agent could send the packet"
        );
    }

    #[test]
    fn an_agent_part_says_what_was_sent_where() {
        let mut part = WakeAgentResult {
            agent_id: shared::ids::AgentId::generate(),
            hostname: "nas-agent".into(),
            outcome: WakeOutcome::Sent,
            message: Some("Magic packet sent".into()),
            sent: Some(shared::types::SentPackets {
                interface: Some("eth0".into()),
                destination: "192.0.2.63".into(),
                port: 9,
                packets: 3,
                bytes: 102,
            }),
        };
        assert_eq!(
            agent_part_words(&part),
            "nas-agent: sent 3 × 102 bytes to 192.0.2.63:9 via eth0"
        );
        part.sent = None;
        part.outcome = WakeOutcome::Failed;
        part.message = Some("agent unreachable".into());
        assert_eq!(
            agent_part_words(&part),
            "nas-agent: failed — agent unreachable"
        );
    }
}
