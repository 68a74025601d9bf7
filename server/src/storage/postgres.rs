//! The engine for larger installations: one PostgreSQL database, shared by
//! every server replica.

use chrono::Utc;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::models::parse_role;
use super::{
    ConnectOptions, Engine, NewUser, StorageError, Store, UserRecord, keys, redact_url, sql,
};

/// A [`Store`] on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and runs the migrations.
    pub async fn connect(url: &str, options: &ConnectOptions<'_>) -> Result<Self, StorageError> {
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.connect_timeout)
            .connect(url)
            .await
            .map_err(|error| {
                StorageError::Config(format!(
                    "cannot connect to PostgreSQL at {}: {error}; check DATABASE_URL and that the server is running",
                    redact_url(url)
                ))
            })?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool, for tests that inspect the schema.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn user_from_row(row: &PgRow) -> Result<UserRecord, StorageError> {
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
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
impl Store for PostgresStore {
    fn engine(&self) -> Engine {
        Engine::Postgres
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
        // A concurrent caller blocks on this key until we commit, then inserts nothing.
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
            .bind(record.id)
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
            .bind(id)
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
