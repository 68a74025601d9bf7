//! Enrollment keys: what lets a new agent register (only their hashes are
//! stored).
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use shared::ids::EnrollmentKeyId;

use super::engine::{Sql, SqlEngine};
use super::store::SqlStore;
use super::{EnrollmentKeyRecord, Page, StorageError};

macro_rules! enrollment_key_columns {
    () => {
        "id, name, key_hash, key_prefix, cluster_id, created_by, created_at, expires_at, \
         revoked_at, last_used_at"
    };
}

const INSERT_ENROLLMENT_KEY: &str = "INSERT INTO enrollment_keys (id, name, key_hash, key_prefix, \
    cluster_id, created_by, created_at, expires_at, revoked_at, last_used_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const SELECT_ENROLLMENT_KEYS_PAGE: &str = concat!(
    "SELECT ",
    enrollment_key_columns!(),
    " FROM enrollment_keys ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
);

const COUNT_ENROLLMENT_KEYS: &str = "SELECT COUNT(*) FROM enrollment_keys";

/// Revokes a key once; a second revoke keeps the first time.
const REVOKE_ENROLLMENT_KEY: &str =
    "UPDATE enrollment_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

const SELECT_ENROLLMENT_KEY_BY_HASH: &str = concat!(
    "SELECT ",
    enrollment_key_columns!(),
    " FROM enrollment_keys WHERE key_hash = $1"
);

pub(super) const TOUCH_ENROLLMENT_KEY: &str =
    "UPDATE enrollment_keys SET last_used_at = $2 WHERE id = $1";

/// Enrollment keys: what lets a new agent register (only their hashes are
/// stored).
#[async_trait::async_trait]
pub trait EnrollmentKeyStore: Send + Sync {
    /// Stores a new enrollment key (its hash; the secret is never stored).
    async fn insert_enrollment_key(&self, key: &EnrollmentKeyRecord) -> Result<(), StorageError>;

    /// One page of enrollment keys, newest first, and the total.
    async fn list_enrollment_keys(
        &self,
        page: Page,
    ) -> Result<(Vec<EnrollmentKeyRecord>, u64), StorageError>;

    /// Marks a key revoked at `at` (kept if already revoked); `false` when unknown.
    async fn revoke_enrollment_key(
        &self,
        id: EnrollmentKeyId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError>;

    /// An enrollment key by the hash of its secret.
    async fn enrollment_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<EnrollmentKeyRecord>, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> EnrollmentKeyStore for SqlStore<DB> {
    async fn insert_enrollment_key(&self, key: &EnrollmentKeyRecord) -> Result<(), StorageError> {
        Sql::<DB>::new(INSERT_ENROLLMENT_KEY)
            .bind(key.id)
            .bind(&key.name)
            .bind(&key.key_hash)
            .bind(&key.key_prefix)
            .bind(key.cluster_id)
            .bind(key.created_by)
            .bind(key.created_at)
            .bind(key.expires_at)
            .bind(key.revoked_at)
            .bind(key.last_used_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn list_enrollment_keys(
        &self,
        page: Page,
    ) -> Result<(Vec<EnrollmentKeyRecord>, u64), StorageError> {
        self.page(SELECT_ENROLLMENT_KEYS_PAGE, COUNT_ENROLLMENT_KEYS, page)
            .await
    }

    async fn revoke_enrollment_key(
        &self,
        id: EnrollmentKeyId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StorageError> {
        let updated = Sql::<DB>::new(REVOKE_ENROLLMENT_KEY)
            .bind(id)
            .bind(at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(updated > 0)
    }

    async fn enrollment_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<EnrollmentKeyRecord>, StorageError> {
        Sql::<DB>::new(SELECT_ENROLLMENT_KEY_BY_HASH)
            .bind(key_hash)
            .fetch_optional::<EnrollmentKeyRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }
}
