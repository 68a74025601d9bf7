//! "Known device" cookies: a browser (or a script that keeps cookies) that
//! signed in to an account before is exempt from that account's sign-in
//! counter across all clients, so someone guessing the password from many
//! addresses cannot lock the real user out of their own device (OWASP's
//! device cookies; docs/API.md, "Sign-in throttle").
//!
//! The cookie holds the accounts this client signed in to, with when, sealed
//! (encrypted and authenticated) under a key derived from the instance
//! secret, so every replica opens what another sealed and nobody can forge
//! or read one.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use shared::ids::UserId;

/// The cookie's name.
pub const KNOWN_DEVICE_COOKIE: &str = "pb_device";

/// How long a device stays known after its last successful sign-in.
pub const KNOWN_DEVICE_LIFETIME: Duration = Duration::from_secs(180 * 24 * 3600);

/// The most accounts one cookie remembers (the most recent ones).
const MAX_ACCOUNTS: usize = 8;

/// The accounts a client signed in to before, each with the time (Unix
/// seconds) of its last successful sign-in, most recent first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownDevice {
    accounts: Vec<(UserId, i64)>,
}

impl KnownDevice {
    /// Whether this client signed in to `user` within the lifetime, as of
    /// `now` (Unix seconds).
    pub fn knows(&self, user: UserId, now: i64) -> bool {
        self.accounts
            .iter()
            .any(|&(id, at)| id == user && fresh(at, now))
    }

    /// The same, with `user` signed in at `now`: first, and only once;
    /// stale entries and those past the most recent few are forgotten.
    pub fn remember(mut self, user: UserId, now: i64) -> Self {
        self.accounts
            .retain(|&(id, at)| id != user && fresh(at, now));
        self.accounts.insert(0, (user, now));
        self.accounts.truncate(MAX_ACCOUNTS);
        self
    }
}

fn fresh(at: i64, now: i64) -> bool {
    let lifetime = KNOWN_DEVICE_LIFETIME.as_secs() as i64;
    // A stamp from the future (clock skew between replicas) counts as now.
    now - at < lifetime
}

/// Seals and opens [`KNOWN_DEVICE_COOKIE`] values.
#[derive(Clone)]
pub struct KnownDeviceKey(cookie::Key);

impl KnownDeviceKey {
    /// The key of this instance: derived from its secret (the one that signs
    /// access tokens), under a purpose of its own.
    pub fn derive(secret: &SecretString) -> Self {
        let mut hash = sha2::Sha512::new();
        hash.update(b"powerbeacon: known device\0");
        hash.update(secret.expose_secret().as_bytes());
        Self(cookie::Key::from(&hash.finalize()[..]))
    }

    /// `device`, sealed as a cookie value.
    pub fn seal(&self, device: &KnownDevice) -> String {
        let json = serde_json::to_string(device).unwrap_or_default();
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.0)
            .add(cookie::Cookie::new(KNOWN_DEVICE_COOKIE, json));
        jar.get(KNOWN_DEVICE_COOKIE)
            .map(|sealed| sealed.value().to_string())
            .unwrap_or_default()
    }

    /// What a cookie value says, if this instance sealed it and nobody
    /// changed it; else nothing is known.
    pub fn open(&self, sealed: &str) -> KnownDevice {
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new(KNOWN_DEVICE_COOKIE, sealed.to_string()));
        jar.private(&self.0)
            .get(KNOWN_DEVICE_COOKIE)
            .and_then(|opened| serde_json::from_str(opened.value()).ok())
            .unwrap_or_default()
    }

    /// The known device a request's `Cookie` headers carry.
    pub fn from_headers(&self, headers: &http::HeaderMap) -> KnownDevice {
        super::request_cookie(headers, KNOWN_DEVICE_COOKIE)
            .map(|sealed| self.open(&sealed))
            .unwrap_or_default()
    }

    /// The `Set-Cookie` value that keeps `device` in the browser: sent with
    /// every request to this site (the sign-in forms and the API's token
    /// login), never readable by script, Secure when served over https.
    pub fn set_cookie(&self, device: &KnownDevice, secure: bool) -> String {
        cookie::Cookie::build((KNOWN_DEVICE_COOKIE, self.seal(device)))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(secure)
            .max_age(cookie::time::Duration::seconds(
                KNOWN_DEVICE_LIFETIME.as_secs() as i64,
            ))
            .build()
            .to_string()
    }
}

impl std::fmt::Debug for KnownDeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KnownDeviceKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> KnownDeviceKey {
        KnownDeviceKey::derive(&SecretString::from(secret.to_string()))
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_sealed_device_opens_on_every_replica_and_nowhere_else() {
        let alice = UserId::generate();
        let device = KnownDevice::default().remember(alice, NOW);
        let sealed = key("instance secret").seal(&device);
        assert!(
            !sealed.contains(&alice.to_string()),
            "the value is encrypted"
        );
        assert_eq!(key("instance secret").open(&sealed), device);
        assert!(key("instance secret").open(&sealed).knows(alice, NOW));
        // Another instance, a changed value or garbage: nothing is known.
        assert_eq!(key("other secret").open(&sealed), KnownDevice::default());
        let mut tampered = sealed.clone().into_bytes();
        tampered[10] ^= 1;
        let tampered = String::from_utf8_lossy(&tampered).to_string();
        assert_eq!(
            key("instance secret").open(&tampered),
            KnownDevice::default()
        );
        assert_eq!(key("instance secret").open("x"), KnownDevice::default());
    }

    #[test]
    fn a_device_is_known_per_account_for_a_while() {
        let (alice, bob) = (UserId::generate(), UserId::generate());
        let device = KnownDevice::default().remember(alice, NOW);
        assert!(device.knows(alice, NOW + 60));
        assert!(!device.knows(bob, NOW));
        let lifetime = KNOWN_DEVICE_LIFETIME.as_secs() as i64;
        assert!(device.knows(alice, NOW + lifetime - 1));
        assert!(!device.knows(alice, NOW + lifetime));
    }

    #[test]
    fn a_cookie_remembers_the_most_recent_accounts_once_each() {
        let users: Vec<UserId> = (0..12).map(|_| UserId::generate()).collect();
        let mut device = KnownDevice::default();
        for (i, user) in users.iter().enumerate() {
            device = device.remember(*user, NOW + i as i64);
        }
        device = device.remember(users[5], NOW + 100);
        assert_eq!(device.accounts.len(), MAX_ACCOUNTS);
        assert_eq!(device.accounts[0], (users[5], NOW + 100));
        assert!(device.knows(users[11], NOW + 100));
        assert!(!device.knows(users[0], NOW + 100));
        assert_eq!(
            device
                .accounts
                .iter()
                .filter(|(id, _)| *id == users[5])
                .count(),
            1
        );
    }

    #[test]
    fn the_cookie_is_http_only_and_read_back_from_headers() {
        let alice = UserId::generate();
        let key = key("s");
        let device = KnownDevice::default().remember(alice, NOW);
        let set = key.set_cookie(&device, true);
        assert!(set.starts_with("pb_device="), "{set}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age="] {
            assert!(set.contains(attribute), "{set}");
        }
        let pair = set.split(';').next().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            format!("theme=dark; {pair}").parse().unwrap(),
        );
        assert_eq!(key.from_headers(&headers), device);
        assert_eq!(
            key.from_headers(&http::HeaderMap::new()),
            KnownDevice::default()
        );
    }
}
