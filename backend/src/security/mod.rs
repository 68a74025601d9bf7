//! Passwords, access tokens, random secrets, and who a client is.

pub mod client;
pub mod hosts;
pub mod known_device;
pub mod password;
pub mod tokens;

pub use password::{hash_password, verify_password};

use rand::RngCore;

/// A 256-bit random secret, hex encoded.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_256_bit() {
        let a = random_secret();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_secret());
    }
}
