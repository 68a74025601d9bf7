//! Browser sessions, kept in the database so they survive restarts and work
//! across replicas.
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use super::StorageError;
use super::engine::{Sql, SqlEngine};
use super::store::SqlStore;

const INSERT_SESSION: &str = "INSERT INTO browser_sessions (id, data, expires_at) \
    VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";

const UPSERT_SESSION: &str = "INSERT INTO browser_sessions (id, data, expires_at) \
    VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
    expires_at = excluded.expires_at";

const SELECT_SESSION: &str = "SELECT data FROM browser_sessions WHERE id = $1 AND expires_at > $2";

const DELETE_SESSION: &str = "DELETE FROM browser_sessions WHERE id = $1";

const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM browser_sessions WHERE expires_at <= $1";

/// Browser sessions, kept in the database so they survive restarts and work
/// across replicas.
#[async_trait::async_trait]
pub trait BrowserSessionStore: Send + Sync {
    /// Stores a new browser session (`expires_at` in Unix seconds); `false`
    /// when the id is taken.
    async fn insert_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<bool, StorageError>;

    /// Stores a browser session, replacing the one with the same id.
    async fn save_session(&self, id: &str, data: &str, expires_at: i64)
    -> Result<(), StorageError>;

    /// A browser session's data, unless it expired by `now` (Unix seconds).
    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StorageError>;

    /// Forgets a browser session.
    async fn delete_session(&self, id: &str) -> Result<(), StorageError>;

    /// Forgets the sessions that expired by `now`; how many there were.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> BrowserSessionStore for SqlStore<DB> {
    async fn insert_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<bool, StorageError> {
        let inserted = Sql::<DB>::new(INSERT_SESSION)
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(inserted > 0)
    }

    async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        Sql::<DB>::new(UPSERT_SESSION)
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StorageError> {
        let data: Option<(String,)> = Sql::<DB>::new(SELECT_SESSION)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(data.map(|(data,)| data))
    }

    async fn delete_session(&self, id: &str) -> Result<(), StorageError> {
        Sql::<DB>::new(DELETE_SESSION)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(DELETE_EXPIRED_SESSIONS)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?)
    }
}
