//! The embedded default: one SQLite file, WAL mode, foreign keys on.

use std::path::Path;
use std::str::FromStr;

use chrono::Utc;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::models::parse_role;
use super::{ConnectOptions, Engine, NewUser, StorageError, Store, UserRecord, keys, sql};

/// A [`Store`] on a SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn connect_file(
        path: &Path,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, StorageError> {
        let connect = SqliteConnectOptions::new().filename(path);
        Self::connect_with(connect, &path.display().to_string(), options).await
    }

    /// Opens the database named by a `sqlite:` URL.
    pub async fn connect_url(
        url: &str,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, StorageError> {
        let connect = SqliteConnectOptions::from_str(url).map_err(|error| {
            StorageError::Config(format!("invalid SQLite URL {url:?}: {error}"))
        })?;
        Self::connect_with(connect, url, options).await
    }

    async fn connect_with(
        connect: SqliteConnectOptions,
        name: &str,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, StorageError> {
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|error| {
                StorageError::Config(format!(
                    "cannot open the SQLite database {name}: {error}; check that its directory exists and is writable"
                ))
            })?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool, for tests that inspect the schema.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn user_from_row(row: &SqliteRow) -> Result<UserRecord, StorageError> {
    let id: Hyphenated = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: id.into_uuid(),
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        full_name: row.try_get("full_name")?,
        password_hash: row.try_get("password_hash")?,
        role: parse_role(&role)?,
        is_active: row.try_get("is_active")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query(sql::PING).execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn count_users(&self) -> Result<u64, StorageError> {
        let count: i64 = sqlx::query_scalar(sql::COUNT_USERS)
            .fetch_one(&self.pool)
            .await?;
        Ok(count.try_into().unwrap_or_default())
    }

    async fn create_first_user(&self, user: NewUser) -> Result<Option<UserRecord>, StorageError> {
        let now = Utc::now();
        let record = user.into_record(now);
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(sql::INSERT_SETTING_IF_ABSENT)
            .bind(keys::SETUP_COMPLETED_AT)
            .bind(now.to_rfc3339())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let existing: i64 = sqlx::query_scalar(sql::COUNT_USERS)
            .fetch_one(&mut *tx)
            .await?;
        if claimed == 0 || existing > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(sql::INSERT_USER)
            .bind(record.id.hyphenated())
            .bind(&record.username)
            .bind(&record.email)
            .bind(&record.full_name)
            .bind(&record.password_hash)
            .bind(record.role.as_str())
            .bind(record.is_active)
            .bind(record.created_at)
            .bind(record.updated_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StorageError> {
        sqlx::query(sql::SELECT_USER_BY_ID)
            .bind(id.hyphenated())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query_scalar(sql::SELECT_SETTING)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StorageError> {
        sqlx::query(sql::INSERT_SETTING_IF_ABSENT)
            .bind(key)
            .bind(value)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        self.setting(key)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("setting {key} vanished after insert")))
    }
}
