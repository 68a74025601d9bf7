//! Passwords, access tokens, random secrets, and who a client is.

pub mod client;
pub mod hosts;
pub mod known_device;
pub mod password;
pub mod tokens;

pub use password::{hash_password, verify_password};

use rand::RngCore;

/// The value of the cookie `name` a request brings (in any of its `Cookie`
/// headers), if it brings one.
pub fn request_cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

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
