//! Password-guessing throttle, kept in the database so every replica counts
//! the same attempts (docs/API.md, "Sign-in throttle").
//!
//! Three counters see each attempt, **before** its password is hashed (so
//! concurrent guesses cannot slip past the limit):
//!
//! - one per (account, client): five free attempts, then each further one
//!   waits twice as long as the last (1 s, 2 s, 4 s … at most 15 minutes).
//!   Someone failing on your username from elsewhere never slows you down
//!   here;
//! - one per client (across accounts): 30 free attempts, then the same
//!   growing waits, against one client trying many accounts;
//! - one per account (across clients): 10 free attempts, then the same
//!   growing waits, against guesses spread over many addresses (an IPv6
//!   /48 holds 65 536 /64s). A client that signed in to the account before
//!   (a [`KnownDevice`] cookie) is exempt from this one, so the guessing
//!   never locks the real user out of their own devices; a new device
//!   waits.
//!
//! An account is its username as typed at sign-in, trimmed and in lower
//! case ([`login_name`]), which is how sign-in finds it, so every spelling
//! of one name shares the counters. A client is its IPv4 address or its
//! IPv6 /64 (one host usually owns a whole /64). Counters are forgotten
//! after 15 minutes without an attempt; a successful sign-in clears its
//! (account, client) counter and gives back its attempt on the others,
//! never clearing the account's counter (the guessing may go on).

use std::net::IpAddr;
use std::time::Duration;

use super::{ServiceError, Services};
use crate::security::known_device::KnownDevice;
use crate::storage::LoginAttempts;

/// How many attempts pass before waits begin, and how waits grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Free attempts per (username, client).
    pub per_account_client: i64,
    /// Free attempts per client, over all usernames.
    pub per_client: i64,
    /// Free attempts per account, over all clients but its known devices.
    pub per_account: i64,
    /// The longest wait, and how long a quiet counter is kept.
    pub max_wait: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            per_account_client: 5,
            per_client: 30,
            per_account: 10,
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl ThrottlePolicy {
    /// The counter after one more attempt at `now_ms` (Unix milliseconds),
    /// or how long to wait when the attempt must not happen yet.
    pub fn next(
        &self,
        free: i64,
        seen: Option<LoginAttempts>,
        now_ms: i64,
    ) -> Result<LoginAttempts, Duration> {
        let max_wait_ms = i64::try_from(self.max_wait.as_millis()).unwrap_or(i64::MAX);
        let attempts = match seen {
            // Quiet long enough: start again.
            Some(seen) if now_ms - seen.last_at_ms >= max_wait_ms => 0,
            Some(seen) => {
                let wait_ms = self.wait_after(free, seen.attempts, max_wait_ms);
                let waited = now_ms - seen.last_at_ms;
                if waited < wait_ms {
                    let left = u64::try_from(wait_ms - waited).unwrap_or(0);
                    return Err(Duration::from_millis(left));
                }
                seen.attempts
            }
            None => 0,
        };
        Ok(LoginAttempts {
            attempts: attempts + 1,
            last_at_ms: now_ms,
        })
    }

    /// The wait (ms) before the attempt after `attempts`: none while free,
    /// then 1 s doubling up to the maximum.
    fn wait_after(&self, free: i64, attempts: i64, max_wait_ms: i64) -> i64 {
        let over = attempts - free;
        if over < 0 {
            return 0;
        }
        let doublings = u32::try_from(over).unwrap_or(u32::MAX).min(30);
        1000i64.saturating_mul(1i64 << doublings).min(max_wait_ms)
    }
}

/// A username as sign-in matches it: without surrounding spaces, in lower
/// case (the database compares `lower(username)`).
pub fn login_name(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The counters an attempt on an account from a client goes against.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CounterKeys {
    account_client: String,
    client: String,
    account: String,
}

fn counter_keys(username: &str, client: IpAddr) -> CounterKeys {
    let name = login_name(username);
    let client = client_key(client);
    CounterKeys {
        account_client: format!("account:{name}|{client}"),
        client: format!("client:{client}"),
        account: format!("user:{name}"),
    }
}

/// A client as the throttle sees it: an IPv4 address, or an IPv6 /64.
pub fn client_key(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// How often a claim is retried when another request changed the counter
/// between our read and our write.
const CLAIM_RETRIES: usize = 16;

/// Where a sign-in attempt comes from: the client's address, and the
/// accounts it signed in to before (its known-device cookie).
#[derive(Debug, Clone)]
pub struct SignInClient {
    pub ip: IpAddr,
    pub known: KnownDevice,
}

impl SignInClient {
    /// A client that brings no known-device cookie (a script, a new browser).
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            known: KnownDevice::default(),
        }
    }
}

/// An attempt counted against its counters, to settle once its password is
/// checked.
#[must_use]
pub(crate) struct ClaimedAttempt {
    keys: CounterKeys,
    /// Whether the account's counter took it (not from a known device).
    on_account: bool,
}

impl Services {
    /// Counts a sign-in attempt on `username` (before any password is
    /// checked), or answers 429 with the wait when it must not happen yet.
    /// `known_device`: the client signed in to this account before, so the
    /// account's own counter does not apply.
    pub(crate) async fn claim_login_attempt(
        &self,
        username: &str,
        client: IpAddr,
        known_device: bool,
    ) -> Result<ClaimedAttempt, ServiceError> {
        let keys = counter_keys(username, client);
        let policy = self.throttle;
        // The client's counter first, the account's last: a refused attempt
        // then costs nothing on the counters after it.
        self.claim(&keys.client, policy.per_client).await?;
        if let Err(error) = self
            .claim(&keys.account_client, policy.per_account_client)
            .await
        {
            self.store.give_back_login_attempt(&keys.client).await?;
            return Err(error);
        }
        if !known_device && let Err(error) = self.claim(&keys.account, policy.per_account).await {
            self.store.give_back_login_attempt(&keys.client).await?;
            self.store
                .give_back_login_attempt(&keys.account_client)
                .await?;
            return Err(error);
        }
        Ok(ClaimedAttempt {
            keys,
            on_account: !known_device,
        })
    }

    /// After the right password: the (account, client) counter is cleared
    /// and the attempt given back on the others. The account's counter is
    /// never cleared: the real user signing in does not stop the guessing.
    pub(crate) async fn login_succeeded(
        &self,
        attempt: ClaimedAttempt,
    ) -> Result<(), ServiceError> {
        let ClaimedAttempt { keys, on_account } = attempt;
        self.store
            .forget_login_attempts(&keys.account_client)
            .await?;
        self.store.give_back_login_attempt(&keys.client).await?;
        if on_account {
            self.store.give_back_login_attempt(&keys.account).await?;
        }
        Ok(())
    }

    async fn claim(&self, key: &str, free: i64) -> Result<(), ServiceError> {
        for _ in 0..CLAIM_RETRIES {
            let seen = self.store.login_attempts(key).await?;
            let next = self
                .throttle
                .next(free, seen, chrono::Utc::now().timestamp_millis())
                .map_err(|wait| ServiceError::TooManyAttempts {
                    retry_after: wait.max(Duration::from_secs(1)),
                })?;
            if self.store.claim_login_attempt(key, seen, next).await? {
                return Ok(());
            }
        }
        // Heavy contention on one counter: treat it as a burst to slow down.
        Err(ServiceError::TooManyAttempts {
            retry_after: Duration::from_secs(1),
        })
    }

    /// Drops counters that have been quiet for longer than they matter.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn prune_login_attempts(&self) -> Result<u64, ServiceError> {
        let max_wait_ms = i64::try_from(self.throttle.max_wait.as_millis()).unwrap_or(i64::MAX);
        let before = chrono::Utc::now().timestamp_millis() - max_wait_ms;
        Ok(self.store.delete_stale_login_attempts(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FREE: i64 = 5;

    fn at(attempts: i64, last_at_ms: i64) -> Option<LoginAttempts> {
        Some(LoginAttempts {
            attempts,
            last_at_ms,
        })
    }

    #[test]
    fn free_attempts_then_waits_that_double_up_to_the_maximum() {
        let policy = ThrottlePolicy::default();
        let mut seen = None;
        for i in 0..FREE {
            seen = Some(policy.next(FREE, seen, 1_000 + i).unwrap());
        }
        assert_eq!(seen.unwrap().attempts, 5);
        // The sixth needs one second after the fifth.
        assert_eq!(
            policy.next(FREE, seen, 1_004 + 400),
            Err(Duration::from_millis(600))
        );
        let sixth = policy.next(FREE, seen, 2_004).unwrap();
        assert_eq!(
            policy.next(FREE, Some(sixth), 3_004),
            Err(Duration::from_secs(1))
        );
        assert!(policy.next(FREE, Some(sixth), 4_004).is_ok());
        // Far along, the wait stays at the maximum.
        assert_eq!(
            policy.next(FREE, at(60, 0), 1),
            Err(Duration::from_millis(15 * 60 * 1000 - 1))
        );
    }

    #[test]
    fn a_quiet_counter_starts_again() {
        let policy = ThrottlePolicy::default();
        let quiet = 15 * 60 * 1000;
        let next = policy.next(FREE, at(40, 0), quiet).unwrap();
        assert_eq!(next.attempts, 1);
    }

    #[test]
    fn the_account_client_counter_is_per_client_and_ipv6_counts_per_64() {
        let home: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_net: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(
            counter_keys("Alice", home),
            counter_keys(" alice ", same_net)
        );
        let (here, there) = (
            counter_keys("alice", home),
            counter_keys("alice", other_net),
        );
        assert_ne!(here.account_client, there.account_client);
        assert_ne!(here.client, there.client);
        // The account's own counter is the same from everywhere.
        assert_eq!(here.account, there.account);
        assert_eq!(client_key(home), "2001:db8:1:2::/64");
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        let keys = counter_keys("alice", "192.0.2.7".parse().unwrap());
        assert_eq!(keys.account_client, "account:alice|192.0.2.7");
        assert_eq!(keys.client, "client:192.0.2.7");
        assert_eq!(keys.account, "user:alice");
    }

    #[test]
    fn every_spelling_of_a_name_is_one_account() {
        let client: IpAddr = "192.0.2.7".parse().unwrap();
        for spelling in ["ALICE", " alice", "Alice\t", "\u{a0}aLiCe "] {
            assert_eq!(login_name(spelling), "alice", "{spelling:?}");
            assert_eq!(
                counter_keys(spelling, client),
                counter_keys("alice", client)
            );
        }
        assert_eq!(login_name(" Ünïcødé "), "ünïcødé");
    }
}
