//! The host's network interfaces, as the agent reports them to the server
//! and uses them to pick broadcast addresses.

use std::net::IpAddr;

use crate::MacAddress;
use crate::wire::InterfaceInfo;

/// The host's interfaces with an address, loopback excluded.
pub fn discover() -> std::io::Result<Vec<InterfaceInfo>> {
    let mut found: Vec<InterfaceInfo> = if_addrs::get_if_addrs()?
        .into_iter()
        .filter(|interface| !interface.is_loopback())
        .map(|interface| {
            let (address, netmask, broadcast) = match &interface.addr {
                if_addrs::IfAddr::V4(v4) => (
                    IpAddr::V4(v4.ip),
                    IpAddr::V4(v4.netmask),
                    v4.broadcast.map(|b| b.to_string()),
                ),
                if_addrs::IfAddr::V6(v6) => (IpAddr::V6(v6.ip), IpAddr::V6(v6.netmask), None),
            };
            InterfaceInfo {
                mac: hardware_address(&interface.name).map(|mac| mac.to_string()),
                name: interface.name,
                address: address.to_string(),
                prefix: prefix_len(netmask),
                broadcast,
            }
        })
        .collect();
    found.sort_by(|a, b| (&a.name, &a.address).cmp(&(&b.name, &b.address)));
    Ok(found)
}

/// The prefix length of a netmask (its leading one bits).
pub fn prefix_len(netmask: IpAddr) -> u8 {
    let ones = match netmask {
        IpAddr::V4(v4) => u32::from(v4).leading_ones(),
        IpAddr::V6(v6) => u128::from(v6).leading_ones(),
    };
    u8::try_from(ones).unwrap_or(u8::MAX)
}

/// The interface's MAC address, where the system tells it (Linux sysfs).
fn hardware_address(name: &str) -> Option<MacAddress> {
    if name.contains('/') || name.contains("..") {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
    MacAddress::parse(text.trim())
        .ok()
        .filter(|mac| mac.bytes() != [0; 6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_become_prefix_lengths() {
        for (mask, prefix) in [
            ("255.0.0.0", 8),
            ("255.255.0.0", 16),
            ("255.255.255.0", 24),
            ("255.255.255.192", 26),
            ("255.255.255.252", 30),
            ("255.255.255.254", 31),
            ("255.255.255.255", 32),
            ("0.0.0.0", 0),
            ("ffff:ffff:ffff:ffff::", 64),
        ] {
            assert_eq!(prefix_len(mask.parse().unwrap()), prefix, "{mask}");
        }
    }

    #[test]
    fn discovery_lists_no_loopback() {
        let interfaces = discover().unwrap();
        assert!(interfaces.iter().all(|i| !i.address.starts_with("127.")));
        for interface in &interfaces {
            assert!(interface.address.parse::<IpAddr>().is_ok(), "{interface:?}");
        }
    }
}
