//! Sending magic packets: where to (the directed broadcast that reaches the
//! device) and how often.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::MacAddress;
use crate::magic::{SecureOn, magic_packet};
use crate::net::broadcast_toward;
use crate::wire::{InterfaceInfo, SentPackets, WolRequest};

/// How many times a packet is sent when the request does not say.
pub const DEFAULT_REPEAT: u8 = 3;
/// The most repeats a request may ask for.
pub const MAX_REPEAT: u8 = 10;

/// A wake request, checked: everything needed to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakePlan {
    pub mac: MacAddress,
    pub destination: SocketAddr,
    /// The interface whose subnet holds the device, when one does.
    pub interface: Option<String>,
    pub repeat: u8,
    pub secureon: Option<SecureOn>,
}

/// Why a wake request cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Mac(#[from] crate::mac::MacParseError),
    #[error("invalid broadcast address {0:?}: expected an IPv4 address")]
    Broadcast(String),
    #[error("invalid device IP address {0:?}")]
    DeviceIp(String),
    #[error("port must be from 1 to 65535")]
    Port,
    #[error("repeat must be from 1 to {MAX_REPEAT}")]
    Repeat,
    #[error("{0}")]
    SecureOn(#[from] crate::magic::SecureOnParseError),
}

impl WakePlan {
    /// Checks `request` and picks the destination: the directed broadcast of
    /// the interface (among `interfaces`) whose subnet holds the device's IP,
    /// any prefix length; else the broadcast address the server sent.
    pub fn new(request: &WolRequest, interfaces: &[InterfaceInfo]) -> Result<Self, PlanError> {
        let mac = MacAddress::parse(&request.mac)?;
        if request.port == 0 {
            return Err(PlanError::Port);
        }
        let repeat = request.repeat.unwrap_or(DEFAULT_REPEAT);
        if !(1..=MAX_REPEAT).contains(&repeat) {
            return Err(PlanError::Repeat);
        }
        let secureon = request
            .secureon
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(SecureOn::parse)
            .transpose()?;
        let requested: Ipv4Addr = request
            .broadcast
            .trim()
            .parse()
            .map_err(|_| PlanError::Broadcast(request.broadcast.clone()))?;
        let device_ip = request
            .ip
            .as_deref()
            .filter(|ip| !ip.trim().is_empty())
            .map(|ip| {
                ip.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| PlanError::DeviceIp(ip.to_string()))
            })
            .transpose()?;
        let chosen = match device_ip {
            Some(IpAddr::V4(device)) => broadcast_toward(device, subnets(interfaces)),
            _ => None,
        };
        let interface = chosen.and_then(|broadcast| {
            interfaces
                .iter()
                .find(|i| {
                    let Ok(IpAddr::V4(address)) = i.address.parse::<IpAddr>() else {
                        return false;
                    };
                    ipnet::Ipv4Net::new(address, i.prefix)
                        .is_ok_and(|net| net.broadcast() == broadcast)
                })
                .map(|i| i.name.clone())
        });
        Ok(Self {
            mac,
            destination: SocketAddr::new(IpAddr::V4(chosen.unwrap_or(requested)), request.port),
            interface,
            repeat,
            secureon,
        })
    }

    /// The bytes to send.
    pub fn packet(&self) -> Vec<u8> {
        magic_packet(self.mac, self.secureon.as_ref())
    }

    /// Sends the packet `repeat` times from `socket` (which must allow
    /// broadcast); returns a line saying what was sent and the details, or
    /// the first error.
    pub fn send(
        &self,
        socket: &std::net::UdpSocket,
    ) -> Result<(String, SentPackets), std::io::Error> {
        let packet = self.packet();
        for _ in 0..self.repeat {
            socket.send_to(&packet, self.destination)?;
        }
        let message = format!(
            "Magic packet sent to {} via {} ({}×)",
            self.mac, self.destination, self.repeat
        );
        let sent = SentPackets {
            interface: self.interface.clone(),
            destination: self.destination.ip().to_string(),
            port: self.destination.port(),
            packets: self.repeat,
            bytes: u16::try_from(packet.len()).unwrap_or(u16::MAX),
        };
        Ok((message, sent))
    }
}

/// A UDP socket for sending magic packets, broadcast allowed.
pub fn broadcast_socket() -> std::io::Result<std::net::UdpSocket> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    socket.set_broadcast(true)?;
    Ok(socket)
}

fn subnets(interfaces: &[InterfaceInfo]) -> impl Iterator<Item = (IpAddr, u8)> + '_ {
    interfaces
        .iter()
        .filter_map(|i| Some((i.address.parse().ok()?, i.prefix)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(broadcast: &str, ip: Option<&str>) -> WolRequest {
        WolRequest {
            mac: "aa-bb-cc-dd-ee-ff".into(),
            broadcast: broadcast.into(),
            port: 9,
            ip: ip.map(str::to_string),
            repeat: None,
            secureon: None,
            watch_s: None,
        }
    }

    fn interface(address: &str, prefix: u8) -> InterfaceInfo {
        InterfaceInfo {
            name: "eth0".into(),
            address: address.into(),
            prefix,
            broadcast: None,
            mac: None,
        }
    }

    #[test]
    fn the_interface_subnet_beats_the_requested_broadcast() {
        let interfaces = [interface("198.51.100.65", 26), interface("192.0.2.1", 24)];
        let plan = WakePlan::new(
            &request("198.51.100.255", Some("198.51.100.70")),
            &interfaces,
        )
        .unwrap();
        assert_eq!(plan.destination, "198.51.100.127:9".parse().unwrap());
        assert_eq!(plan.repeat, DEFAULT_REPEAT);
        assert_eq!(plan.packet().len(), 102);
    }

    #[test]
    fn without_a_matching_interface_the_requested_broadcast_is_used() {
        let plan = WakePlan::new(&request("203.0.113.255", Some("203.0.113.9")), &[]).unwrap();
        assert_eq!(plan.destination, "203.0.113.255:9".parse().unwrap());
        let plan = WakePlan::new(&request("203.0.113.255", None), &[]).unwrap();
        assert_eq!(plan.destination, "203.0.113.255:9".parse().unwrap());
    }

    #[test]
    fn secureon_and_repeat_are_honoured() {
        let mut wanted = request("192.0.2.255", None);
        wanted.secureon = Some("01:02:03:04:05:06".into());
        wanted.repeat = Some(5);
        let plan = WakePlan::new(&wanted, &[]).unwrap();
        assert_eq!(plan.repeat, 5);
        assert_eq!(plan.packet().len(), 108);
    }

    #[test]
    fn bad_requests_are_refused_with_reasons() {
        let mut bad = request("192.0.2.255", None);
        bad.mac = "zz".into();
        assert!(matches!(WakePlan::new(&bad, &[]), Err(PlanError::Mac(_))));
        let bad = request("not-an-ip", None);
        assert!(matches!(
            WakePlan::new(&bad, &[]),
            Err(PlanError::Broadcast(_))
        ));
        let bad = request("192.0.2.255", Some("nope"));
        assert!(matches!(
            WakePlan::new(&bad, &[]),
            Err(PlanError::DeviceIp(_))
        ));
        let mut bad = request("192.0.2.255", None);
        bad.port = 0;
        assert_eq!(WakePlan::new(&bad, &[]), Err(PlanError::Port));
        let mut bad = request("192.0.2.255", None);
        bad.repeat = Some(0);
        assert_eq!(WakePlan::new(&bad, &[]), Err(PlanError::Repeat));
        let mut bad = request("192.0.2.255", None);
        bad.secureon = Some("1.2.3".into());
        assert!(matches!(
            WakePlan::new(&bad, &[]),
            Err(PlanError::SecureOn(_))
        ));
    }

    #[test]
    fn packets_reach_a_listener_on_loopback() {
        // Loopback only: a unicast "broadcast" address on 127.0.0.1.
        let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        listener
            .set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut wanted = request("127.0.0.1", None);
        wanted.port = port;
        wanted.repeat = Some(2);
        let plan = WakePlan::new(&wanted, &[]).unwrap();
        let (message, sent) = plan.send(&broadcast_socket().unwrap()).unwrap();
        assert!(message.contains("AA:BB:CC:DD:EE:FF"), "{message}");
        assert_eq!(
            sent,
            SentPackets {
                interface: None,
                destination: "127.0.0.1".into(),
                port,
                packets: 2,
                bytes: 102,
            }
        );
        let mut buffer = [0u8; 256];
        for _ in 0..2 {
            let (len, _) = listener.recv_from(&mut buffer).unwrap();
            assert_eq!(&buffer[..len], plan.packet().as_slice());
        }
    }
}
