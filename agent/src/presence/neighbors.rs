//! The kernel's IPv4 neighbour table (`/proc/net/arp`): which MAC answered
//! ARP for which address. Reading it needs no privilege. (IPv6 neighbours
//! are not read: devices on IPv6 are probed by TCP or ICMP.)

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::MacAddress;

/// `ATF_COM`: the entry is resolved.
const COMPLETE: u32 = 0x2;

/// Resolved entries: address → MAC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbors(HashMap<Ipv4Addr, MacAddress>);

impl Neighbors {
    /// Reads the table; empty where there is none (not Linux, no `/proc`).
    pub fn read() -> Self {
        std::fs::read_to_string("/proc/net/arp")
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    /// Parses the table's text: a header line, then
    /// `IP  HW-type  Flags  HW-address  Mask  Device` per entry.
    pub fn parse(text: &str) -> Self {
        let entries = text.lines().skip(1).filter_map(|line| {
            let mut fields = line.split_whitespace();
            let ip: Ipv4Addr = fields.next()?.parse().ok()?;
            let _hw_type = fields.next()?;
            let flags = u32::from_str_radix(fields.next()?.trim_start_matches("0x"), 16).ok()?;
            let mac: MacAddress = fields.next()?.parse().ok()?;
            (flags & COMPLETE != 0 && mac.bytes() != [0; 6]).then_some((ip, mac))
        });
        Self(entries.collect())
    }

    /// The MAC that answered at `address`.
    pub fn mac_at(&self, address: IpAddr) -> Option<MacAddress> {
        match address {
            IpAddr::V4(v4) => self.0.get(&v4).copied(),
            IpAddr::V6(_) => None,
        }
    }

    /// The addresses where `mac` answered, lowest first.
    pub fn addresses_of(&self, mac: MacAddress) -> Vec<IpAddr> {
        let mut found: Vec<IpAddr> = self
            .0
            .iter()
            .filter(|(_, seen)| **seen == mac)
            .map(|(ip, _)| IpAddr::V4(*ip))
            .collect();
        found.sort();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
IP address       HW type     Flags       HW address            Mask     Device
192.0.2.10       0x1         0x2         02:00:00:00:00:01     *        eth0
192.0.2.11       0x1         0x0         00:00:00:00:00:00     *        eth0
192.0.2.12       0x1         0x6         02:00:00:00:00:01     *        eth0
garbage line
";

    #[test]
    fn only_resolved_entries_count() {
        let table = Neighbors::parse(TABLE);
        let mac: MacAddress = "02:00:00:00:00:01".parse().unwrap();
        assert_eq!(table.mac_at("192.0.2.10".parse().unwrap()), Some(mac));
        assert_eq!(table.mac_at("192.0.2.11".parse().unwrap()), None);
        assert_eq!(table.mac_at("2001:db8::1".parse().unwrap()), None);
        assert_eq!(
            table.addresses_of(mac),
            vec![
                "192.0.2.10".parse::<IpAddr>().unwrap(),
                "192.0.2.12".parse().unwrap()
            ]
        );
        assert_eq!(Neighbors::parse(""), Neighbors::default());
    }
}
