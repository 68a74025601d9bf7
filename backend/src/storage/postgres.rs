//! The engine for larger installations: one PostgreSQL database, shared by
//! every server replica.

use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::shared::impl_store;
use super::{ConnectOptions, Engine, StorageError, redact_url, sql};

/// A [`Store`](super::Store) on a PostgreSQL database.
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

/// Ids are native `uuid` in PostgreSQL.
fn db_id(id: Uuid) -> Uuid {
    id
}

fn row_id(row: &PgRow, column: &str) -> Result<Uuid, sqlx::Error> {
    row.try_get(column)
}

fn row_opt_id(row: &PgRow, column: &str) -> Result<Option<Uuid>, sqlx::Error> {
    row.try_get(column)
}

/// Key of the transaction-scoped advisory lock that serializes checks
/// spanning several rows (such as "one active superuser remains").
const SERIALIZED_LOCK: i64 = 0x5042_0001;

/// A transaction holding the advisory lock until it ends, on every replica.
async fn begin_serialized(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SERIALIZED_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

impl_store!(PostgresStore, PgRow, Engine::Postgres);
