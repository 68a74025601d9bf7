//! MAC addresses as a type that can only hold a valid one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 48-bit hardware address.
///
/// Accepts `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff` and `aabbccddeeff`;
/// always displays (and serialises) as upper-case, colon-separated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress([u8; 6]);

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid MAC address {input:?}: expected six hex byte pairs like AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff or aabbccddeeff"
)]
pub struct MacParseError {
    input: String,
}

impl MacAddress {
    /// The address from its six bytes.
    pub const fn new(bytes: [u8; 6]) -> Self {
        Self(bytes)
    }

    /// The six bytes, most significant first.
    pub const fn bytes(&self) -> [u8; 6] {
        self.0
    }

    /// Parses any of the three accepted spellings.
    pub fn parse(input: &str) -> Result<Self, MacParseError> {
        let err = || MacParseError {
            input: input.chars().take(64).collect(),
        };
        let trimmed = input.trim();
        let hex: Vec<u8> = match trimmed.len() {
            12 => trimmed.bytes().collect(),
            17 => {
                let bytes = trimmed.as_bytes();
                let sep = bytes[2];
                if sep != b':' && sep != b'-' {
                    return Err(err());
                }
                let mut out = Vec::with_capacity(12);
                for (i, b) in bytes.iter().enumerate() {
                    if i % 3 == 2 {
                        if *b != sep {
                            return Err(err());
                        }
                    } else {
                        out.push(*b);
                    }
                }
                out
            }
            _ => return Err(err()),
        };
        let mut bytes = [0u8; 6];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            // Checked first: from_str_radix alone would accept a leading '+'.
            if !pair.iter().all(u8::is_ascii_hexdigit) {
                return Err(err());
            }
            let text = std::str::from_utf8(pair).map_err(|_| err())?;
            bytes[i] = u8::from_str_radix(text, 16).map_err(|_| err())?;
        }
        Ok(Self(bytes))
    }
}

impl FromStr for MacAddress {
    type Err = MacParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand: a list of 1 000 devices formats 1 000 of them,
        // and six `{:02X}` through the formatting machinery cost more than
        // the rest of a device's conversion.
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut text = [b':'; 17];
        for (i, byte) in self.0.iter().enumerate() {
            text[i * 3] = HEX[usize::from(byte >> 4)];
            text[i * 3 + 1] = HEX[usize::from(byte & 0x0F)];
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddress({self})")
    }
}

impl Serialize for MacAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MacAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTES: [u8; 6] = [0xAA, 0xBB, 0xCC, 0x01, 0x02, 0xEF];

    /// Every byte value is written as two upper-case hex digits.
    #[test]
    fn displays_every_byte_as_two_hex_digits() {
        for byte in 0..=u8::MAX {
            let mac = MacAddress([byte, 0, byte, 0x0F, byte, 0xF0]);
            assert_eq!(
                mac.to_string(),
                format!("{byte:02X}:00:{byte:02X}:0F:{byte:02X}:F0")
            );
        }
    }

    #[test]
    fn accepts_the_three_spellings_and_normalises() {
        for input in [
            "AA:BB:CC:01:02:EF",
            "aa-bb-cc-01-02-ef",
            "aabbcc0102ef",
            " aa:bb:cc:01:02:ef ",
        ] {
            let mac = MacAddress::parse(input).unwrap();
            assert_eq!(mac.bytes(), BYTES, "{input}");
            assert_eq!(mac.to_string(), "AA:BB:CC:01:02:EF");
        }
    }

    #[test]
    fn rejects_malformed_input() {
        for input in [
            "",
            "AA:BB:CC:01:02",
            "AA:BB:CC:01:02:EF:00",
            "AA:BB-CC:01:02:EF",
            "AA.BB.CC.01.02.EF",
            "GG:BB:CC:01:02:EF",
            "+A:BB:CC:01:02:EF",
            "aabbcc0102e",
            "aabbcc0102eg",
            "AABBCC0102EF00",
            "é:BB:CC:01:02:E",
        ] {
            assert!(
                MacAddress::parse(input).is_err(),
                "{input:?} should be rejected"
            );
        }
    }

    #[test]
    fn error_names_the_accepted_forms() {
        let err = MacAddress::parse("nope").unwrap_err().to_string();
        assert!(err.contains("\"nope\""), "{err}");
        assert!(err.contains("AA:BB:CC:DD:EE:FF"), "{err}");
    }

    #[test]
    fn serde_round_trip_uses_the_canonical_form() {
        let mac: MacAddress = serde_json::from_str("\"aa-bb-cc-01-02-ef\"").unwrap();
        assert_eq!(
            serde_json::to_string(&mac).unwrap(),
            "\"AA:BB:CC:01:02:EF\""
        );
        assert!(serde_json::from_str::<MacAddress>("\"zz\"").is_err());
    }
}
