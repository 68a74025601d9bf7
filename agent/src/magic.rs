//! The Wake-on-LAN magic packet.

use crate::MacAddress;

/// Length of a magic packet without a SecureOn password: 6 × 0xFF then 16 × the MAC.
pub const MAGIC_PACKET_LEN: usize = 6 + 16 * 6;

/// A SecureOn password: 4 or 6 bytes appended to the magic packet.
#[derive(Clone, PartialEq, Eq)]
pub struct SecureOn(Vec<u8>);

/// Why a SecureOn password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid SecureOn password: expected 4 bytes (an IPv4-style 1.2.3.4) or 6 bytes (MAC-style AA:BB:CC:DD:EE:FF)"
)]
pub struct SecureOnParseError;

impl SecureOn {
    /// Parses a 6-byte password written like a MAC address or a 4-byte one
    /// written like an IPv4 address.
    pub fn parse(input: &str) -> Result<Self, SecureOnParseError> {
        if let Ok(mac) = MacAddress::parse(input) {
            return Ok(Self(mac.bytes().to_vec()));
        }
        match input.trim().parse::<std::net::Ipv4Addr>() {
            Ok(ip) => Ok(Self(ip.octets().to_vec())),
            Err(_) => Err(SecureOnParseError),
        }
    }

    /// The password bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecureOn {
    // A password never shows up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecureOn(<{} bytes>)", self.0.len())
    }
}

/// Builds the magic packet for `mac`, with the SecureOn password appended when given.
pub fn magic_packet(mac: MacAddress, secureon: Option<&SecureOn>) -> Vec<u8> {
    let extra = secureon.map_or(0, |s| s.bytes().len());
    let mut packet = Vec::with_capacity(MAGIC_PACKET_LEN + extra);
    packet.extend_from_slice(&[0xFF; 6]);
    for _ in 0..16 {
        packet.extend_from_slice(&mac.bytes());
    }
    if let Some(password) = secureon {
        packet.extend_from_slice(password.bytes());
    }
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_is_sync_stream_then_sixteen_macs() {
        let mac = MacAddress::parse("01:23:45:67:89:AB").unwrap();
        let packet = magic_packet(mac, None);
        assert_eq!(packet.len(), 102);
        assert_eq!(&packet[..6], &[0xFF; 6]);
        for chunk in packet[6..].chunks(6) {
            assert_eq!(chunk, &[0x01, 0x23, 0x45, 0x67, 0x89, 0xAB]);
        }
    }

    #[test]
    fn all_mac_spellings_give_the_same_packet() {
        let a = magic_packet(MacAddress::parse("aa:bb:cc:dd:ee:ff").unwrap(), None);
        let b = magic_packet(MacAddress::parse("AA-BB-CC-DD-EE-FF").unwrap(), None);
        let c = magic_packet(MacAddress::parse("aabbccddeeff").unwrap(), None);
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn secureon_is_appended() {
        let mac = MacAddress::parse("aabbccddeeff").unwrap();
        let six = SecureOn::parse("01:02:03:04:05:06").unwrap();
        let packet = magic_packet(mac, Some(&six));
        assert_eq!(packet.len(), 108);
        assert_eq!(&packet[102..], &[1, 2, 3, 4, 5, 6]);

        let four = SecureOn::parse("192.0.2.7").unwrap();
        let packet = magic_packet(mac, Some(&four));
        assert_eq!(packet.len(), 106);
        assert_eq!(&packet[102..], &[192, 0, 2, 7]);
    }

    #[test]
    fn secureon_rejects_other_lengths_and_hides_itself() {
        assert!(SecureOn::parse("01:02:03").is_err());
        assert!(SecureOn::parse("secret").is_err());
        let password = SecureOn::parse("01:02:03:04:05:06").unwrap();
        assert_eq!(format!("{password:?}"), "SecureOn(<6 bytes>)");
    }
}
