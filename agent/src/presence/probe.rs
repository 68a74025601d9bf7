//! One probe of one device, bounded by a timeout, only at addresses on the
//! agent's own subnets.
//!
//! `auto` (the default) asks for an answer in the strongest way the device
//! allows, then checks who answered:
//! 1. a TCP connect to the device's ports, when it has any (open or refused
//!    both mean up: the machine's stack answered);
//! 2. else an ICMP echo, where unprivileged ICMP sockets are allowed
//!    (`net.ipv4.ping_group_range`);
//! 3. else an empty UDP datagram (to the discard port), which makes the
//!    kernel resolve the address;
//!
//! and then the neighbour table: an answer from an address whose MAC is not
//! the device's is another machine (a reused lease), never the device; with
//! no TCP or ICMP answer, the device's MAC resolving at the address is the
//! answer (a machine that firewalls everything still answers ARP). A device
//! not found at its address is looked for by its MAC at the other addresses
//! the table holds, so a machine that came back on a new lease is found.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use ipnet::IpNet;

use super::neighbors::Neighbors;
use super::tracker::Outcome;
use crate::MacAddress;
use crate::wire::{ProbeKind, ProbeMethod};

/// The most ports of one device tried at once.
pub const MAX_PORTS: usize = 8;

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub mac: MacAddress,
    pub ip: Option<IpAddr>,
    pub method: ProbeMethod,
    pub ports: Vec<u16>,
}

/// The subnets the agent may probe: those of its interfaces, and loopback.
#[derive(Debug, Clone, Default)]
pub struct Scope(Vec<IpNet>);

impl Scope {
    /// The host's subnets now.
    pub fn current() -> Self {
        let mut nets: Vec<IpNet> = crate::interfaces::discover()
            .unwrap_or_default()
            .iter()
            .filter_map(|interface| {
                let address: IpAddr = interface.address.parse().ok()?;
                IpNet::new(address, interface.prefix)
                    .ok()
                    .map(|net| net.trunc())
            })
            .collect();
        nets.push("127.0.0.0/8".parse().expect("static"));
        nets.push("::1/128".parse().expect("static"));
        Self(nets)
    }

    /// A scope of exactly `nets` (tests).
    pub fn of(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// How one probe may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest one probe of one address may take.
    pub timeout: Duration,
    /// Whether unprivileged ICMP echo works here.
    pub icmp: bool,
}

/// Probes `target`, and says which addresses it probed. `settled` are the
/// addresses an earlier probe of this device made the kernel revalidate,
/// so what the neighbour table holds for them now is settled evidence (a
/// first probe cannot tell an old entry from a fresh one).
pub async fn probe(
    target: &Target,
    scope: &Scope,
    limits: Limits,
    settled: &[IpAddr],
) -> (Outcome, Vec<IpAddr>) {
    let mut probed = Vec::new();
    if target.method == ProbeMethod::Off {
        return (Outcome::Inconclusive, probed);
    }
    let with_method;
    let target = match usable_method(target.method, limits) {
        method if method == target.method => target,
        method => {
            with_method = Target {
                method,
                ..target.clone()
            };
            &with_method
        }
    };
    let stored = target.ip.filter(|ip| scope.contains(*ip));
    let mut first = None;
    if let Some(ip) = stored {
        probed.push(ip);
        let outcome = probe_address(target, ip, limits, settled.contains(&ip)).await;
        if matches!(outcome, Outcome::Answered { .. }) {
            return (outcome, probed);
        }
        first = Some(outcome);
    }
    // Moved: the device's MAC resolved at another address of ours.
    if target.method != ProbeMethod::Tcp && target.method != ProbeMethod::Icmp {
        let elsewhere: Vec<IpAddr> = Neighbors::read()
            .addresses_of(target.mac)
            .into_iter()
            .filter(|ip| Some(*ip) != stored && scope.contains(*ip))
            .take(2)
            .collect();
        for ip in elsewhere {
            // Found in the table: evidence once the kernel has revalidated
            // it after this probe's nudge, at the next probe.
            probed.push(ip);
            let outcome = probe_address(target, ip, limits, settled.contains(&ip)).await;
            if matches!(outcome, Outcome::Answered { .. }) {
                return (outcome, probed);
            }
        }
    }
    let outcome = first.unwrap_or(Outcome::NoAnswer {
        kind: None,
        address: target.ip,
    });
    (outcome, probed)
}

/// The method a probe of a device set to `method` uses here: `icmp` where
/// this agent may not send ICMP echo (`net.ipv4.ping_group_range`) falls back
/// to the neighbour table, rather than reading every such device as down.
/// The agent announces [`crate::wire::FEATURE_PRESENCE_ICMP`] only where
/// ICMP works, so the server shows which agents lack it.
pub fn usable_method(method: ProbeMethod, limits: Limits) -> ProbeMethod {
    match method {
        ProbeMethod::Icmp if !limits.icmp => ProbeMethod::Neighbor,
        method => method,
    }
}

/// Probes `target` at `ip`.
async fn probe_address(target: &Target, ip: IpAddr, limits: Limits, nudged: bool) -> Outcome {
    let before = Neighbors::read().mac_at(ip);
    let method = target.method;
    let use_tcp =
        matches!(method, ProbeMethod::Auto | ProbeMethod::Tcp) && !target.ports.is_empty();
    let use_icmp = matches!(method, ProbeMethod::Icmp)
        || (method == ProbeMethod::Auto && !use_tcp && limits.icmp);
    let started = Instant::now();
    let (kind, answered) = if use_tcp {
        (
            ProbeKind::Tcp,
            tcp_answers(ip, &target.ports, limits.timeout).await,
        )
    } else if use_icmp {
        (ProbeKind::Icmp, icmp_answers(ip, limits.timeout).await)
    } else {
        nudge(ip);
        (ProbeKind::Neighbor, false)
    };
    let rtt = answered.then(|| started.elapsed());
    // Whoever answered is in the table now, if on our link.
    let mut after = Neighbors::read().mac_at(ip);
    if !answered && after.is_none() && ip.is_ipv4() && !ip.is_loopback() {
        after = wait_for_neighbor(ip, limits.timeout.saturating_sub(started.elapsed())).await;
    }
    if let Some(mac) = after.filter(|mac| *mac != target.mac) {
        return Outcome::OtherMachine { address: ip, mac };
    }
    if answered {
        return Outcome::Answered {
            kind,
            address: ip,
            mac: after,
            rtt,
        };
    }
    let neighbor_allowed = matches!(method, ProbeMethod::Auto | ProbeMethod::Neighbor);
    match (before, after) {
        // Resolved just now, or settled since an earlier probe's nudge.
        (None, Some(mac)) if neighbor_allowed => Outcome::Answered {
            kind: ProbeKind::Neighbor,
            address: ip,
            mac: Some(mac),
            rtt: None,
        },
        (Some(_), Some(mac)) if neighbor_allowed && nudged => Outcome::Answered {
            kind: ProbeKind::Neighbor,
            address: ip,
            mac: Some(mac),
            rtt: None,
        },
        // An entry older than this first probe: it may be stale, and the
        // kernel revalidates it before the next probe.
        (Some(_), Some(_)) if neighbor_allowed => Outcome::Inconclusive,
        _ => Outcome::NoAnswer {
            kind: Some(kind),
            address: Some(ip),
        },
    }
}

/// Whether any of `ports` at `ip` answers within `timeout`: connected, or
/// refused (the machine's stack sent a reset).
async fn tcp_answers(ip: IpAddr, ports: &[u16], timeout: Duration) -> bool {
    let mut attempts = tokio::task::JoinSet::new();
    for &port in ports.iter().take(MAX_PORTS) {
        attempts.spawn(async move {
            let connect = tokio::net::TcpStream::connect(SocketAddr::new(ip, port));
            match tokio::time::timeout(timeout, connect).await {
                Ok(Ok(_)) => true,
                Ok(Err(error)) => error.kind() == std::io::ErrorKind::ConnectionRefused,
                Err(_) => false,
            }
        });
    }
    while let Some(answered) = attempts.join_next().await {
        if answered.unwrap_or(false) {
            return true;
        }
    }
    false
}

/// Makes the kernel resolve `ip` on its link (an empty datagram to the
/// discard port; no privilege needed). Failures are silence.
fn nudge(ip: IpAddr) {
    let bind: SocketAddr = if ip.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    if let Ok(socket) = std::net::UdpSocket::bind(bind) {
        let _ = socket.send_to(&[], SocketAddr::new(ip, 9));
    }
}

/// Polls the neighbour table for `ip` until it resolves or `wait` passes.
async fn wait_for_neighbor(ip: IpAddr, wait: Duration) -> Option<MacAddress> {
    let deadline = Instant::now() + wait.min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(mac) = Neighbors::read().mac_at(ip) {
            return Some(mac);
        }
        if Instant::now() >= deadline {
            return None;
        }
    }
}

/// Whether `ip` answers an ICMP echo within `timeout`, through an
/// unprivileged ICMP datagram socket (no raw socket, no capability).
async fn icmp_answers(ip: IpAddr, timeout: Duration) -> bool {
    let Ok(socket) = icmp_socket(ip) else {
        return false;
    };
    let request = echo_request(ip.is_ipv6(), std::process::id() as u16);
    if socket
        .send_to(&request, SocketAddr::new(ip, 0))
        .await
        .is_err()
    {
        return false;
    }
    let reply_type = if ip.is_ipv6() { 129 } else { 0 };
    let mut buffer = [0u8; 256];
    tokio::time::timeout(timeout, async {
        loop {
            match socket.recv_from(&mut buffer).await {
                Ok((n, from)) if from.ip() == ip && n >= 8 && buffer[0] == reply_type => {
                    return true;
                }
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// An unprivileged ICMP socket toward `ip`'s family.
pub fn icmp_socket(ip: IpAddr) -> std::io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let (domain, protocol) = if ip.is_ipv6() {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(protocol))?;
    socket.set_nonblocking(true)?;
    tokio::net::UdpSocket::from_std(socket.into())
}

/// Whether this host lets the agent send ICMP echo without privilege.
pub fn icmp_available() -> bool {
    icmp_socket(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)).is_ok()
}

/// An echo request (the kernel sets the identifier of a datagram ICMP
/// socket, and the checksum of ICMPv6).
fn echo_request(v6: bool, sequence: u16) -> [u8; 16] {
    let mut packet = [0u8; 16];
    packet[0] = if v6 { 128 } else { 8 };
    packet[6..8].copy_from_slice(&sequence.to_be_bytes());
    packet[8..].copy_from_slice(b"pbeacon!");
    if !v6 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_requests_carry_a_valid_checksum() {
        let packet = echo_request(false, 7);
        assert_eq!(packet[0], 8);
        assert_eq!(
            checksum(&packet),
            0,
            "a packet with its checksum sums to zero"
        );
    }

    #[test]
    fn icmp_falls_back_to_the_neighbour_table_where_it_is_not_allowed() {
        let without = Limits {
            timeout: Duration::from_secs(1),
            icmp: false,
        };
        let with = Limits {
            icmp: true,
            ..without
        };
        assert_eq!(
            usable_method(ProbeMethod::Icmp, without),
            ProbeMethod::Neighbor
        );
        assert_eq!(usable_method(ProbeMethod::Icmp, with), ProbeMethod::Icmp);
        for method in [
            ProbeMethod::Auto,
            ProbeMethod::Tcp,
            ProbeMethod::Neighbor,
            ProbeMethod::Off,
        ] {
            assert_eq!(usable_method(method, without), method);
        }
    }

    #[test]
    fn the_scope_is_the_agent_subnets() {
        let scope = Scope::of(vec!["192.0.2.0/24".parse().unwrap()]);
        assert!(scope.contains("192.0.2.77".parse().unwrap()));
        assert!(!scope.contains("198.51.100.1".parse().unwrap()));
        assert!(Scope::current().contains("127.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn a_listening_or_refusing_port_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().port();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(tcp_answers(ip, &[open], Duration::from_secs(1)).await);
        drop(listener);
        // Nothing listens there now: refused, which is an answer too.
        assert!(tcp_answers(ip, &[open], Duration::from_secs(1)).await);
        let target = Target {
            mac: "02:00:00:00:00:01".parse().unwrap(),
            ip: Some(ip),
            method: ProbeMethod::Tcp,
            ports: vec![open],
        };
        let limits = Limits {
            timeout: Duration::from_secs(1),
            icmp: false,
        };
        let (outcome, probed) = probe(&target, &Scope::current(), limits, &[]).await;
        assert_eq!(probed, [ip]);
        assert!(
            matches!(
                outcome,
                Outcome::Answered {
                    kind: ProbeKind::Tcp,
                    ..
                }
            ),
            "{outcome:?}"
        );
        // Outside the agent's subnets nothing is sent.
        let far = Target {
            ip: Some("198.51.100.1".parse().unwrap()),
            ..target
        };
        let (outcome, probed) = probe(&far, &Scope::of(Vec::new()), limits, &[]).await;
        assert!(
            probed.is_empty(),
            "nothing sent outside the agent's subnets"
        );
        assert!(
            matches!(outcome, Outcome::NoAnswer { kind: None, .. }),
            "{outcome:?}"
        );
    }
}
