//! Login throttling: too many failures for one username or from one client
//! address in a window, and further attempts wait.
//!
//! Failures are counted per process. With several replicas an attacker gets
//! at most `replicas ×` the limit, which still bounds guessing.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures are allowed in how long.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    pub window: Duration,
    pub per_username: usize,
    pub per_client: usize,
}

impl Default for ThrottleLimits {
    /// Five wrong passwords for one account, or twenty from one address, in
    /// five minutes; the real user is never locked out for longer than that.
    fn default() -> Self {
        Self {
            window: Duration::from_secs(300),
            per_username: 5,
            per_client: 20,
        }
    }
}

/// Remembers recent login failures.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    limits: ThrottleLimits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Username(String),
    Client(IpAddr),
}

impl LoginThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            failures: Mutex::default(),
        }
    }

    fn keys(username: &str, client: IpAddr) -> [(Key, usize); 2] {
        [
            (Key::Username(username.trim().to_lowercase()), 0),
            (Key::Client(client), 1),
        ]
    }

    fn limit(&self, slot: usize) -> usize {
        if slot == 0 {
            self.limits.per_username
        } else {
            self.limits.per_client
        }
    }

    /// `Err(wait)` when this username or client must wait before trying again.
    pub fn check(&self, username: &str, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().expect("throttle lock");
        let mut wait = Duration::ZERO;
        for (key, slot) in Self::keys(username, client) {
            if let Some(times) = failures.get_mut(&key) {
                prune(times, now, self.limits.window);
                if times.len() >= self.limit(slot) {
                    let oldest = times[times.len() - self.limit(slot)];
                    wait = wait.max(self.limits.window.saturating_sub(now - oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    /// Counts a failed attempt against both the username and the client.
    pub fn record_failure(&self, username: &str, client: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().expect("throttle lock");
        // Forget idle entries so the map cannot grow without bound.
        failures.retain(|_, times| {
            prune(times, now, self.limits.window);
            !times.is_empty()
        });
        for (key, _) in Self::keys(username, client) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the username's failures (not the client's).
    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().expect("throttle lock");
        failures.remove(&Key::Username(username.trim().to_lowercase()));
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|&t| now.duration_since(t) >= window)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottleLimits {
            window: Duration::from_secs(300),
            per_username: 3,
            per_client: 5,
        })
    }

    #[test]
    fn blocks_a_username_after_its_limit_until_the_window_passes() {
        let throttle = throttle();
        let start = Instant::now();
        for i in 0..3 {
            assert!(
                throttle.check("alice", ALICE_IP, start).is_ok(),
                "attempt {i}"
            );
            throttle.record_failure("Alice", ALICE_IP, start + Duration::from_secs(i));
        }
        let wait = throttle
            .check("ALICE", ALICE_IP, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(290));
        assert!(
            throttle
                .check("alice", ALICE_IP, start + Duration::from_secs(300))
                .is_ok()
        );
    }

    #[test]
    fn blocks_a_client_across_usernames() {
        let throttle = throttle();
        let now = Instant::now();
        for name in ["a", "b", "c", "d", "e"] {
            throttle.record_failure(name, ALICE_IP, now);
        }
        assert!(throttle.check("fresh", ALICE_IP, now).is_err());
        let other = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
        assert!(throttle.check("fresh", other, now).is_ok());
    }

    #[test]
    fn success_clears_the_username() {
        let throttle = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure("bob", ALICE_IP, now);
        }
        throttle.record_success("bob");
        assert!(throttle.check("bob", ALICE_IP, now).is_ok());
    }
}
