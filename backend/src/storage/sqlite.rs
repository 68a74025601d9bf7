//! The embedded default: one SQLite file, WAL mode, foreign keys on.

use std::path::Path;
use std::str::FromStr;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::devices::fill_device_search_or_warn;
use super::store::SqlStore;
use super::{ConnectOptions, StorageError};

/// A [`Store`](super::Store) on a SQLite database file.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn connect_file(
        path: &Path,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, StorageError> {
        keep_private(path);
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
            .busy_timeout(std::time::Duration::from_secs(5))
            // Rows cross from SQLite's worker thread through a bounded channel
            // (50 rows by default); room for a whole page saves thread
            // hand-offs: about 1 ms of the 8 a 1000-device listing took when
            // devices came a row each (they now come packed in one row,
            // `devices.rs`; the other lists still come a row each).
            .row_buffer_size(1024);
        let pool = SqlitePoolOptions::new()
            .max_connections(
                options
                    .max_connections
                    .unwrap_or(super::SQLITE_MAX_CONNECTIONS)
                    .max(1),
            )
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|error| {
                StorageError::Config(format!(
                    "cannot open the SQLite database {name}: {error}; check that its directory exists and is writable"
                ))
            })?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let store = Self::new(pool);
        fill_device_search_or_warn(&store).await;
        Ok(store)
    }
}

/// Creates the database file readable by this user only (SQLite gives its
/// `-wal` and `-shm` files the database file's mode), or warns when an
/// existing one can be read by others: it holds password hashes and agent
/// tokens.
fn keep_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.permissions().mode() & 0o077 != 0 => tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", metadata.permissions().mode() & 0o777),
                "the database file can be read by other users; `chmod 600` it (and its -wal and -shm files)"
            ),
            Ok(_) => {}
            Err(_) => {
                // A failure here shows again, clearer, when SQLite opens it.
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path);
            }
        }
    }
}
