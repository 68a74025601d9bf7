//! What an agent tells the server about itself, validated.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use powerbeacon_agent::wire::RegisterRequest;
use shared::types::AgentInterface;

use super::{Invalid, non_blank};

/// The most interfaces one agent may report.
const MAX_INTERFACES: usize = 64;
/// The most protocol features one agent may announce.
const MAX_FEATURES: usize = 16;

/// A registration request whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRegistration {
    pub hostname: String,
    /// The address the server calls the agent on (IPv4-mapped IPv6
    /// addresses are taken as IPv4).
    pub ip: IpAddr,
    pub port: u16,
    pub os: String,
    pub version: String,
    pub enrollment_key: Option<String>,
    /// `None` when the agent did not report them (keep what is stored).
    pub interfaces: Option<Vec<AgentInterface>>,
    pub features: Vec<String>,
}

impl AgentRegistration {
    pub fn parse(request: RegisterRequest) -> Result<Self, Invalid> {
        Ok(Self {
            hostname: parse_hostname(&request.hostname)?,
            ip: parse_agent_ip(&request.ip)?,
            port: match request.port {
                0 => return Err(Invalid::new("port", "The port must be from 1 to 65535.")),
                port => port,
            },
            os: parse_label("os", &request.os)?,
            version: parse_label("version", &request.version)?,
            enrollment_key: match non_blank(request.enrollment_key.as_deref()) {
                Some(key) if key.len() > 200 => {
                    return Err(Invalid::new(
                        "enrollment_key",
                        "The enrollment key is too long.",
                    ));
                }
                key => key.map(str::to_string),
            },
            interfaces: request
                .interfaces
                .map(|interfaces| parse_interfaces(&interfaces))
                .transpose()?,
            features: parse_features(request.features.unwrap_or_default())?,
        })
    }
}

/// A host name: 1–253 characters, no spaces or control characters.
fn parse_hostname(input: &str) -> Result<String, Invalid> {
    let name = input.trim();
    if name.is_empty()
        || name.len() > 253
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Invalid::new(
            "hostname",
            "The hostname must have 1 to 253 characters and no spaces.",
        ));
    }
    Ok(name.to_string())
}

/// The address the server will call: a unicast IPv4 or IPv6 address, not
/// link-local (169.254.0.0/16 holds cloud metadata services; fe80::/10 needs
/// a zone the server cannot know). Whether loopback is allowed is the
/// server's setting, checked by the service.
fn parse_agent_ip(input: &str) -> Result<IpAddr, Invalid> {
    let ip: IpAddr = input
        .trim()
        .parse()
        .map_err(|_| Invalid::new("ip", format!("{input:?} is not an IPv4 or IPv6 address.")))?;
    let ip = ip.to_canonical();
    let unusable = ip.is_unspecified()
        || ip.is_multicast()
        || is_metadata_address(ip)
        || match ip {
            IpAddr::V4(v4) => v4.is_broadcast() || v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        };
    if unusable {
        return Err(Invalid::new(
            "ip",
            format!("{ip} cannot be called; advertise an address the server can reach."),
        ));
    }
    Ok(ip)
}

/// Cloud metadata services, which hand out credentials to whoever asks
/// from inside the machine: the server never calls them, whatever an agent
/// advertises or an operator allows. Link-local 169.254.0.0/16 (AWS, GCP,
/// Azure, OpenStack, ECS) is refused as link-local already.
pub fn is_metadata_address(ip: IpAddr) -> bool {
    const METADATA: [IpAddr; 3] = [
        // Alibaba Cloud.
        IpAddr::V4(std::net::Ipv4Addr::new(100, 100, 100, 200)),
        // Oracle Cloud (classic).
        IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 0, 192)),
        // AWS over IPv6.
        IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    ];
    let ip = ip.to_canonical();
    METADATA.contains(&ip)
        || match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        }
}

/// A short label such as the OS or version: at most 64 characters.
fn parse_label(field: &'static str, input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.chars().count() > 64 || text.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("The {field} has at most 64 characters."),
        ));
    }
    Ok(text.to_string())
}

/// Interfaces as an agent reports them: valid addresses, prefixes that fit
/// the address family, canonical MACs.
pub fn parse_interfaces(
    input: &[powerbeacon_agent::wire::InterfaceInfo],
) -> Result<Vec<AgentInterface>, Invalid> {
    let invalid = |message: String| Invalid::new("interfaces", message);
    if input.len() > MAX_INTERFACES {
        return Err(invalid(format!("At most {MAX_INTERFACES} interfaces.")));
    }
    input
        .iter()
        .map(|interface| {
            let name = interface.name.trim();
            if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                return Err(invalid(
                    "Each interface needs a name of 1 to 64 characters.".into(),
                ));
            }
            let address: IpAddr = interface.address.trim().parse().map_err(|_| {
                invalid(format!(
                    "Interface {name}: {:?} is not an IP address.",
                    interface.address
                ))
            })?;
            let max_prefix = if address.is_ipv4() { 32 } else { 128 };
            if interface.prefix > max_prefix {
                return Err(invalid(format!(
                    "Interface {name}: prefix /{} does not fit {address}.",
                    interface.prefix
                )));
            }
            let broadcast = non_blank(interface.broadcast.as_deref())
                .map(|text| {
                    text.parse::<std::net::Ipv4Addr>()
                        .map(|b| b.to_string())
                        .map_err(|_| {
                            invalid(format!(
                                "Interface {name}: broadcast {text:?} is not an IPv4 address."
                            ))
                        })
                })
                .transpose()?;
            let mac = non_blank(interface.mac.as_deref())
                .map(|text| {
                    powerbeacon_agent::MacAddress::parse(text)
                        .map(|mac| mac.to_string())
                        .map_err(|error| invalid(format!("Interface {name}: {error}")))
                })
                .transpose()?;
            Ok(AgentInterface {
                name: name.to_string(),
                address: address.to_string(),
                prefix: interface.prefix,
                broadcast,
                mac,
            })
        })
        .collect()
}

fn parse_features(input: Vec<String>) -> Result<Vec<String>, Invalid> {
    if input.len() > MAX_FEATURES
        || input
            .iter()
            .any(|f| f.is_empty() || f.len() > 32 || f.chars().any(char::is_control))
    {
        return Err(Invalid::new(
            "features",
            format!("At most {MAX_FEATURES} features of 1 to 32 characters."),
        ));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use powerbeacon_agent::wire::InterfaceInfo;

    fn request() -> RegisterRequest {
        RegisterRequest {
            hostname: " nas-agent ".into(),
            ip: "192.0.2.10".into(),
            port: 18080,
            os: "linux".into(),
            version: "1.0.0".into(),
            enrollment_key: Some("  ".into()),
            interfaces: None,
            features: None,
        }
    }

    #[test]
    fn a_plain_registration_is_accepted_and_normalised() {
        let parsed = AgentRegistration::parse(request()).unwrap();
        assert_eq!(parsed.hostname, "nas-agent");
        assert_eq!(parsed.enrollment_key, None);
        assert_eq!(parsed.interfaces, None);
    }

    #[test]
    fn bad_fields_are_named() {
        type Spoil = fn(&mut RegisterRequest);
        let cases: [(Spoil, &str); 15] = [
            (|r| r.hostname = "".into(), "hostname"),
            (|r| r.hostname = "two words".into(), "hostname"),
            (|r| r.ip = "192.0.2".into(), "ip"),
            (|r| r.ip = "0.0.0.0".into(), "ip"),
            (|r| r.ip = "169.254.169.254".into(), "ip"),
            (|r| r.ip = "fe80::1".into(), "ip"),
            (|r| r.ip = "::ffff:169.254.1.1".into(), "ip"),
            (|r| r.ip = "100.100.100.200".into(), "ip"),
            (|r| r.ip = "fd00:ec2::254".into(), "ip"),
            (|r| r.ip = "192.0.0.192".into(), "ip"),
            (|r| r.ip = "224.0.0.1".into(), "ip"),
            (|r| r.ip = "255.255.255.255".into(), "ip"),
            (|r| r.port = 0, "port"),
            (|r| r.version = "v".repeat(65), "version"),
            (|r| r.features = Some(vec![String::new()]), "features"),
        ];
        for (spoil, field) in cases {
            let mut bad = request();
            spoil(&mut bad);
            assert_eq!(AgentRegistration::parse(bad).unwrap_err().field, field);
        }
    }

    #[test]
    fn interfaces_are_checked_and_canonical() {
        let good = InterfaceInfo {
            name: "eth0".into(),
            address: "198.51.100.65".into(),
            prefix: 26,
            broadcast: Some("198.51.100.127".into()),
            mac: Some("aa-bb-cc-dd-ee-ff".into()),
        };
        let parsed = parse_interfaces(std::slice::from_ref(&good)).unwrap();
        assert_eq!(parsed[0].mac.as_deref(), Some("AA:BB:CC:DD:EE:FF"));

        let mut wide = good.clone();
        wide.prefix = 33;
        let mut bad_address = good.clone();
        bad_address.address = "nope".into();
        let mut bad_mac = good.clone();
        bad_mac.mac = Some("zz".into());
        for bad in [wide, bad_address, bad_mac] {
            assert_eq!(parse_interfaces(&[bad]).unwrap_err().field, "interfaces");
        }
        assert!(parse_interfaces(&vec![good; 65]).is_err());
    }
}

/// How far in the future a heartbeat stamp may lie and still count: the
/// clock skew tolerated between replicas sharing one database.
pub const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether an agent counts as online: approved, and its last heartbeat is
/// younger than `offline_after`. A stamp further in the future than
/// [`CLOCK_SKEW`] is not trusted.
pub fn is_online(
    approved: bool,
    last_seen: Option<DateTime<Utc>>,
    offline_after: std::time::Duration,
) -> bool {
    approved
        && last_seen.is_some_and(|seen| {
            let age = Utc::now().signed_duration_since(seen);
            match age.to_std() {
                Ok(age) => age < offline_after,
                Err(_) => (-age).to_std().is_ok_and(|ahead| ahead <= CLOCK_SKEW),
            }
        })
}

#[cfg(test)]
mod liveness_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn liveness_follows_the_last_heartbeat() {
        let timeout = Duration::from_secs(90);
        let now = Utc::now();
        assert!(is_online(true, Some(now), timeout));
        assert!(is_online(
            true,
            Some(now + chrono::Duration::seconds(5)),
            timeout
        ));
        assert!(!is_online(
            true,
            Some(now - chrono::Duration::seconds(91)),
            timeout
        ));
        assert!(
            !is_online(true, Some(now + chrono::Duration::hours(1)), timeout),
            "a stamp far in the future is not trusted"
        );
        assert!(!is_online(true, None, timeout));
        assert!(
            !is_online(false, Some(now), timeout),
            "pending agents are offline"
        );
    }
}
