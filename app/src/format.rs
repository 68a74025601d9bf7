//! How times, sizes, operating systems and agent states read on screen.

use chrono::{DateTime, Utc};

use shared::types::{AgentStatus, OsType};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
