//! The sign-in throttle's counters, shared by every replica
//! (docs/ARCHITECTURE.md, "Sign-in throttle").
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use super::engine::{Sql, SqlEngine};
use super::store::SqlStore;
use super::{LoginAttempts, StorageError};

const SELECT_LOGIN_ATTEMPTS: &str =
    "SELECT attempts, last_at_ms FROM login_attempts WHERE key = $1";

const INSERT_LOGIN_ATTEMPTS: &str = "INSERT INTO login_attempts (key, attempts, last_at_ms) \
    VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";

/// Compare-and-set: changes the counter only if nobody changed it since it was
/// read.
const UPDATE_LOGIN_ATTEMPTS: &str = "UPDATE login_attempts SET attempts = $2, last_at_ms = $3 \
    WHERE key = $1 AND attempts = $4 AND last_at_ms = $5";

const GIVE_BACK_LOGIN_ATTEMPT: &str =
    "UPDATE login_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";

const DELETE_LOGIN_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE key = $1";

const DELETE_STALE_LOGIN_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE last_at_ms < $1";

/// The sign-in throttle's counters, shared by every replica
/// (docs/ARCHITECTURE.md, "Sign-in throttle").
#[async_trait::async_trait]
pub trait ThrottleStore: Send + Sync {
    /// A sign-in throttle counter.
    async fn login_attempts(&self, key: &str) -> Result<Option<LoginAttempts>, StorageError>;

    /// Sets a throttle counter to `next` if it still is `seen` (`None`: it
    /// does not exist yet); `false` when another request changed it first.
    async fn claim_login_attempt(
        &self,
        key: &str,
        seen: Option<LoginAttempts>,
        next: LoginAttempts,
    ) -> Result<bool, StorageError>;

    /// Takes one attempt off a throttle counter.
    async fn give_back_login_attempt(&self, key: &str) -> Result<(), StorageError>;

    /// Forgets a throttle counter.
    async fn forget_login_attempts(&self, key: &str) -> Result<(), StorageError>;

    /// Forgets the counters whose last attempt was before `before_ms`.
    async fn delete_stale_login_attempts(&self, before_ms: i64) -> Result<u64, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> ThrottleStore for SqlStore<DB> {
    async fn login_attempts(&self, key: &str) -> Result<Option<LoginAttempts>, StorageError> {
        let row: Option<(i64, i64)> = Sql::<DB>::new(SELECT_LOGIN_ATTEMPTS)
            .bind(key)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|(attempts, last_at_ms)| LoginAttempts {
            attempts,
            last_at_ms,
        }))
    }

    async fn claim_login_attempt(
        &self,
        key: &str,
        seen: Option<LoginAttempts>,
        next: LoginAttempts,
    ) -> Result<bool, StorageError> {
        let done = match seen {
            None => {
                Sql::<DB>::new(INSERT_LOGIN_ATTEMPTS)
                    .bind(key)
                    .bind(next.attempts)
                    .bind(next.last_at_ms)
                    .execute(&mut *self.conn().await?)
                    .await?
            }
            Some(seen) => {
                Sql::<DB>::new(UPDATE_LOGIN_ATTEMPTS)
                    .bind(key)
                    .bind(next.attempts)
                    .bind(next.last_at_ms)
                    .bind(seen.attempts)
                    .bind(seen.last_at_ms)
                    .execute(&mut *self.conn().await?)
                    .await?
            }
        };
        Ok(done == 1)
    }

    async fn give_back_login_attempt(&self, key: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(GIVE_BACK_LOGIN_ATTEMPT)
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn forget_login_attempts(&self, key: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(DELETE_LOGIN_ATTEMPTS)
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn delete_stale_login_attempts(&self, before_ms: i64) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(DELETE_STALE_LOGIN_ATTEMPTS)
            .bind(before_ms)
            .execute(&mut *self.conn().await?)
            .await?)
    }
}
