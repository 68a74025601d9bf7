//! Settings: named values of the instance (see [`super::keys`]).
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use super::engine::{Sql, SqlEngine};
use super::store::SqlStore;
use super::{StorageError, now};

const SELECT_SETTING: &str = "SELECT value FROM settings WHERE key = $1";

/// Inserts a setting unless the key exists; affects 0 rows when it does.
pub(super) const INSERT_SETTING_IF_ABSENT: &str = "INSERT INTO settings (key, value, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";

const UPSERT_SETTING: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

/// Settings: named values of the instance (see [`super::keys`]).
#[async_trait::async_trait]
pub trait SettingStore: Send + Sync {
    /// A stored setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError>;

    /// Stores `value` under `key`, replacing any earlier value.
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError>;

    /// Stores `value` under `key` unless the key already has one, and returns
    /// whichever value is stored afterwards (safe for concurrent callers).
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> SettingStore for SqlStore<DB> {
    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let value: Option<(String,)> = Sql::<DB>::new(SELECT_SETTING)
            .bind(key)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(value.map(|(value,)| value))
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(UPSERT_SETTING)
            .bind(key)
            .bind(value)
            .bind(now())
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError> {
        Sql::<DB>::new(INSERT_SETTING_IF_ABSENT)
            .bind(key)
            .bind(value)
            .bind(now())
            .execute(&mut *self.conn().await?)
            .await?;
        self.setting(key)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("setting {key} vanished after insert")))
    }
}
