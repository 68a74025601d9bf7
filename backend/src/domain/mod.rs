//! Validated values: parsed once at the edge, trusted everywhere inside.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use powerbeacon_agent::MacAddress;

use shared::limits;

mod agent;
pub mod device_search;
pub mod presence;
pub mod wake;

pub use agent::{AgentRegistration, is_metadata_address, is_online, parse_interfaces};

/// The time `span` before `at`: a cutoff ("heard from since"), or where a
/// history stops being kept. A span too long for a date is the earliest time
/// there is, never a panic.
pub fn before(
    at: chrono::DateTime<chrono::Utc>,
    span: std::time::Duration,
) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(span)
        .ok()
        .and_then(|span| at.checked_sub_signed(span))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// A value that failed validation: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Ports from `first` to `last`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Every port.
    pub const ANY: Self = Self {
        first: 1,
        last: u16::MAX,
    };

    pub fn contains(self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }
}

/// A login name: 1–64 characters of letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = limits::USERNAME_MAX;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        if name.is_empty() {
            return Err(Invalid::new("username", "Username is required."));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(Invalid::new(
                "username",
                format!("Username must be at most {} characters.", Self::MAX_LEN),
            ));
        }
        if !name.chars().all(Self::allows) {
            return Err(Invalid::new(
                "username",
                "Username may contain only letters, digits, '.', '_', '-' and '@'.",
            ));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a username may hold `c`.
    fn allows(c: char) -> bool {
        c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
    }

    /// A valid username made from what an identity provider calls someone
    /// (`preferred_username`, an email's local part…): characters a
    /// username may not hold become `-`; `user` when nothing is left. The
    /// `n`th candidate (from 2) ends in `-n`, for when the name is taken.
    pub fn suggest(claim: &str, n: u32) -> Self {
        let cleaned: String = claim
            .trim()
            .chars()
            .map(|c| if Self::allows(c) { c } else { '-' })
            .collect();
        let cleaned = cleaned.trim_matches('-');
        let base = if cleaned.is_empty() { "user" } else { cleaned };
        let suffix = if n >= 2 {
            format!("-{n}")
        } else {
            String::new()
        };
        let room = Self::MAX_LEN - suffix.chars().count();
        Self(base.chars().take(room).collect::<String>() + &suffix)
    }
}

/// An email address of plausible shape (`local@domain.tld`, at most 254 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = limits::EMAIL_MAX;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let email = input.trim();
        let invalid = || Invalid::new("email", "Enter an email address like name@example.com.");
        if email.len() > Self::MAX_LEN || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name: at most 128 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub const MAX_LEN: usize = limits::FULL_NAME_MAX;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        if name.chars().count() > Self::MAX_LEN {
            return Err(Invalid::new(
                "full_name",
                format!("Full name must be at most {} characters.", Self::MAX_LEN),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new(
                "full_name",
                "Full name may not contain control characters.",
            ));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validated text values that are stored as their text: parsed back with
/// their own rules when read (see `storage::engine::Parsed`), and shown as
/// they are.
macro_rules! text_values {
    ($($ty:ident),*) => {$(
        impl FromStr for $ty {
            type Err = Invalid;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

text_values!(Username, Email, FullName);

/// A new password: 8 to 1024 characters. Never displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = limits::PASSWORD_MIN;
    pub const MAX_LEN: usize = limits::PASSWORD_MAX;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let length = input.chars().count();
        if length < Self::MIN_LEN {
            return Err(Invalid::new(
                "password",
                format!("Password must be at least {} characters.", Self::MIN_LEN),
            ));
        }
        if length > Self::MAX_LEN {
            return Err(Invalid::new(
                "password",
                format!("Password must be at most {} characters.", Self::MAX_LEN),
            ));
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// A short name for a device or cluster: 1–100 characters, no control characters.
pub fn parse_name(field: &'static str, input: &str) -> Result<String, Invalid> {
    let name = input.trim();
    if name.is_empty() {
        return Err(Invalid::new(field, "A name is required."));
    }
    if name.chars().count() > limits::NAME_MAX || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!(
                "A name has at most {} characters and no control characters.",
                limits::NAME_MAX
            ),
        ));
    }
    Ok(name.to_string())
}

/// A free-text description: at most 1000 characters; blank means none.
pub fn parse_description(input: Option<&str>) -> Result<Option<String>, Invalid> {
    match non_blank(input) {
        Some(text) if text.chars().count() > limits::DESCRIPTION_MAX => Err(Invalid::new(
            "description",
            format!(
                "A description has at most {} characters.",
                limits::DESCRIPTION_MAX
            ),
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// Tags: each 1–50 characters after trimming, at most 32, duplicates dropped
/// (first spelling kept, order kept).
pub fn parse_tags(input: &[String]) -> Result<Vec<String>, Invalid> {
    const MAX_TAGS: usize = limits::TAGS_MAX;
    // Repeats are forgiven, but a list this long is refused before any
    // work is spent on it.
    if input.len() > MAX_TAGS * 8 {
        return Err(Invalid::new("tags", format!("At most {MAX_TAGS} tags.")));
    }
    let mut seen = std::collections::HashSet::with_capacity(input.len());
    let mut tags: Vec<String> = Vec::new();
    for tag in input {
        let tag = tag.trim();
        if tag.is_empty()
            || tag.chars().count() > limits::TAG_MAX
            || tag.chars().any(char::is_control)
        {
            return Err(Invalid::new(
                "tags",
                format!("Each tag has 1 to {} characters.", limits::TAG_MAX),
            ));
        }
        if seen.insert(tag) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Invalid::new("tags", format!("At most {MAX_TAGS} tags.")));
    }
    Ok(tags)
}

/// A MAC address in any accepted spelling (it displays canonical).
pub fn parse_mac(input: &str) -> Result<MacAddress, Invalid> {
    MacAddress::parse(input).map_err(|error| Invalid::new("mac_address", error.to_string()))
}

/// An IPv4 or IPv6 address (it displays in its canonical spelling); blank
/// means none.
pub fn parse_ip(input: Option<&str>) -> Result<Option<IpAddr>, Invalid> {
    non_blank(input)
        .map(|text| {
            text.parse::<IpAddr>().map_err(|_| {
                Invalid::new(
                    "ip_address",
                    format!("{text:?} is not an IPv4 or IPv6 address."),
                )
            })
        })
        .transpose()
}

/// Treats an empty or blank optional text as absent.
pub fn non_blank(input: Option<&str>) -> Option<&str> {
    input.map(str::trim).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_span_before_a_time_saturates_at_the_earliest_time() {
        use std::time::Duration;
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            super::before(at, Duration::from_secs(90)).to_rfc3339(),
            "2026-12-05T11:58:30+00:00"
        );
        assert_eq!(super::before(at, Duration::ZERO), at);
        assert_eq!(
            super::before(at, Duration::MAX),
            chrono::DateTime::<chrono::Utc>::MIN_UTC
        );
    }

    #[test]
    fn usernames_suggested_from_claims_are_valid() {
        assert_eq!(Username::suggest("alice", 1).as_str(), "alice");
        assert_eq!(Username::suggest("alice", 2).as_str(), "alice-2");
        assert_eq!(Username::suggest("Jo Smith!", 1).as_str(), "Jo-Smith");
        assert_eq!(Username::suggest("  ", 1).as_str(), "user");
        let long = Username::suggest(&"x".repeat(100), 12);
        assert_eq!(long.as_str().chars().count(), Username::MAX_LEN);
        assert!(long.as_str().ends_with("-12"));
        for claim in ["a/b", "ümlaut", "x@y.z", "--"] {
            let name = Username::suggest(claim, 3);
            assert!(Username::parse(name.as_str()).is_ok(), "{claim} → {name:?}");
        }
    }

    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("  alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("ops.team_1-x@corp").is_ok());
        assert!(Username::parse("Ünïcødé").is_ok());
        for bad in ["", "   ", "has space", "semi;colon", "<script>"] {
            assert_eq!(
                Username::parse(bad).unwrap_err().field,
                "username",
                "{bad:?}"
            );
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" a@example.com ").unwrap().as_str(),
            "a@example.com"
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@example",
            "a@.com",
            "a@b.com.",
            "a b@c.de",
            "a@b@c.de",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().field, "email", "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn full_names() {
        assert_eq!(
            FullName::parse(" Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(FullName::parse("bad\u{0}name").is_err());
        assert!(FullName::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("12345678").is_ok());
        assert!(NewPassword::parse(&"x".repeat(1025)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-pass").unwrap()),
            "NewPassword(<redacted>)"
        );
    }

    #[test]
    fn device_fields() {
        assert_eq!(parse_name("name", "  nas ").unwrap(), "nas");
        assert!(parse_name("name", " ").is_err());
        assert!(parse_name("name", &"x".repeat(101)).is_err());
        assert_eq!(
            parse_mac("aa-bb-cc-dd-ee-0f").unwrap().to_string(),
            "AA:BB:CC:DD:EE:0F"
        );
        assert_eq!(parse_mac("nope").unwrap_err().field, "mac_address");
        assert_eq!(
            parse_ip(Some("2001:DB8::1"))
                .unwrap()
                .map(|ip| ip.to_string())
                .as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(parse_ip(Some(" ")).unwrap(), None);
        for bad in ["192.0.2.256", "192.0.2", "host.example", "1.2.3.4/24"] {
            assert_eq!(
                parse_ip(Some(bad)).unwrap_err().field,
                "ip_address",
                "{bad}"
            );
        }
        let many: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
        assert!(parse_tags(&many).is_err(), "refused before any work");
        let repeated = vec!["x".to_string(); 200];
        assert_eq!(parse_tags(&repeated).unwrap(), ["x"]);
        let tags = parse_tags(&[" lab ".into(), "lab".into(), "rack-2".into()]).unwrap();
        assert_eq!(tags, ["lab", "rack-2"]);
        assert!(parse_tags(&["".into()]).is_err());
        assert!(parse_tags(&(0..33).map(|i| i.to_string()).collect::<Vec<_>>()).is_err());
        assert_eq!(
            parse_description(Some(&"d".repeat(1001)))
                .unwrap_err()
                .field,
            "description"
        );
    }

    #[test]
    fn blank_is_absent() {
        assert_eq!(non_blank(Some("  ")), None);
        assert_eq!(non_blank(Some(" x ")), Some("x"));
        assert_eq!(non_blank(None), None);
    }
}
