//! The engine for larger installations: one PostgreSQL database, shared by
//! every server replica.

use sqlx::Postgres;
use sqlx::postgres::PgPoolOptions;

use super::devices::fill_device_search_or_warn;
use super::store::SqlStore;
use super::{ConnectOptions, StorageError, redact_url};

/// A [`Store`](super::Store) on a PostgreSQL database.
pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// Connects to `url` and runs the migrations.
    pub async fn connect(url: &str, options: &ConnectOptions<'_>) -> Result<Self, StorageError> {
        let pool = PgPoolOptions::new()
            .max_connections(
                options
                    .max_connections
                    .unwrap_or(super::POSTGRES_MAX_CONNECTIONS)
                    .max(1),
            )
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
        let store = Self::new(pool);
        fill_device_search_or_warn(&store).await;
        Ok(store)
    }
}
