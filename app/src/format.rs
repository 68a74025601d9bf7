//! How times, sizes, operating systems and agent states read on screen.

use chrono::{DateTime, Utc};

use shared::types::{AgentStatus, DevicePresence, OsType, PresenceState};

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

/// How an agent watches the devices it serves, from the features it
/// announced (docs/API.md, "Agents").
pub fn presence_probes(features: &[String]) -> &'static str {
    let has = |feature: &str| features.iter().any(|f| f == feature);
    match (has("presence"), has("presence-icmp")) {
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
}
