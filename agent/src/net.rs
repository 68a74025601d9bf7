//! Subnet arithmetic: which broadcast address reaches a device.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::Ipv4Net;

/// The directed broadcast address of the subnet `address/prefix`, or `None`
/// for a prefix longer than 32 bits. On a /31 or /32 there is no broadcast
/// address proper; the top address of the range is returned, which on a /31
/// is the peer (RFC 3021) and on a /32 the address itself.
pub fn directed_broadcast(address: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    Ipv4Net::new(address, prefix)
        .ok()
        .map(|net| net.broadcast())
}

/// The broadcast address of the most specific subnet among `interfaces`
/// (address and prefix length) that contains `target`; IPv6 entries and
/// invalid prefixes are skipped.
pub fn broadcast_toward(
    target: Ipv4Addr,
    interfaces: impl IntoIterator<Item = (IpAddr, u8)>,
) -> Option<Ipv4Addr> {
    interfaces
        .into_iter()
        .filter_map(|(address, prefix)| match address {
            IpAddr::V4(v4) => Ipv4Net::new(v4, prefix).ok(),
            IpAddr::V6(_) => None,
        })
        .filter(|net| net.contains(&target))
        .max_by_key(|net| net.prefix_len())
        .map(|net| net.broadcast())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn broadcasts_for_common_prefixes() {
        let cases = [
            ("10.1.2.3", 8, "10.255.255.255"),
            ("172.16.5.4", 16, "172.16.255.255"),
            ("192.0.2.77", 24, "192.0.2.255"),
            ("198.51.100.70", 26, "198.51.100.127"),
            ("198.51.100.5", 30, "198.51.100.7"),
            ("198.51.100.4", 31, "198.51.100.5"),
            ("198.51.100.9", 32, "198.51.100.9"),
            ("0.0.0.0", 0, "255.255.255.255"),
        ];
        for (address, prefix, expected) in cases {
            assert_eq!(
                directed_broadcast(v4(address), prefix),
                Some(v4(expected)),
                "{address}/{prefix}"
            );
        }
        assert_eq!(directed_broadcast(v4("192.0.2.1"), 33), None);
    }

    #[test]
    fn the_most_specific_containing_subnet_wins() {
        let interfaces = [
            ("2001:db8::1".parse().unwrap(), 64),
            (IpAddr::V4(v4("198.51.100.1")), 24),
            (IpAddr::V4(v4("198.51.100.65")), 26),
            (IpAddr::V4(v4("192.0.2.1")), 24),
        ];
        assert_eq!(
            broadcast_toward(v4("198.51.100.70"), interfaces),
            Some(v4("198.51.100.127"))
        );
        assert_eq!(
            broadcast_toward(v4("198.51.100.10"), interfaces),
            Some(v4("198.51.100.255"))
        );
        assert_eq!(broadcast_toward(v4("203.0.113.5"), interfaces), None);
        assert_eq!(
            broadcast_toward(v4("192.0.2.9"), [(IpAddr::V4(v4("192.0.2.1")), 40)]),
            None
        );
    }
}
