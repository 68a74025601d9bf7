//! A fresh database for one test, on SQLite or PostgreSQL: shared by the
//! storage tests (`backend/tests/storage`) and the server's integration
//! tests (`server/tests/integration/helpers.rs` includes this file).
//!
//! PostgreSQL tests use `PB_TEST_POSTGRES_URL`, each in a database of its
//! own; without it they say so loudly and skip, unless
//! `PB_REQUIRE_POSTGRES=1` makes that a failure.

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "PB_TEST_POSTGRES_URL";
/// Set to `1` to make a missing PostgreSQL a failure instead of a skip.
pub const REQUIRE_POSTGRES_VAR: &str = "PB_REQUIRE_POSTGRES";

/// A fresh, empty database for one test.
pub struct TestDb {
    /// Holds the SQLite file (and is the data directory in both cases).
    pub dir: TempDir,
    /// `None` for the default SQLite file in `dir`.
    pub url: Option<String>,
    postgres: Option<PostgresDb>,
}

struct PostgresDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A SQLite database file in a new temporary directory.
    pub fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
            url: None,
            postgres: None,
        }
    }

    /// A new PostgreSQL database, or `None` (with a loud message) when no
    /// server is configured and none is required.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var(REQUIRE_POSTGRES_VAR).as_deref() == Ok("1") {
                panic!("{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set");
            }
            eprintln!(
                "\n*** SKIPPED on PostgreSQL: set {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres to run it ***\n"
            );
            return None;
        };
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|error| {
                panic!("cannot connect to {POSTGRES_URL_VAR}={admin_url}: {error}")
            });
        drop_stale_databases(&mut admin).await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let name = format!("pb_test_{now}_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                r#"CREATE DATABASE "{name}""#
            ))))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        Some(Self {
            dir: tempfile::tempdir().expect("temporary directory"),
            url: Some(url),
            postgres: Some(PostgresDb { admin_url, name }),
        })
    }

    /// Opens the store on this database as the server does (migrations
    /// included).
    pub async fn open(&self) -> std::sync::Arc<dyn backend::storage::Store> {
        backend::storage::connect(backend::storage::ConnectOptions {
            url: self.url.as_deref(),
            data_dir: self.dir.path(),
            max_connections: Some(4),
            connect_timeout: Duration::from_secs(5),
        })
        .await
        .expect("store opens")
    }

    /// Runs SQL on this database over a connection of its own.
    pub async fn run_sql(&self, sql: &str) -> Result<(), backend::storage::StorageError> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        let result = match &self.url {
            Some(url) => {
                let pool = sqlx::PgPool::connect(url).await?;
                let result = sqlx::raw_sql(sql).execute(&pool).await.map(drop);
                pool.close().await;
                result
            }
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(self.dir.path().join("powerbeacon.db"))
                    .foreign_keys(true);
                let pool = sqlx::SqlitePool::connect_with(options).await?;
                let result = sqlx::raw_sql(sql).execute(&pool).await.map(drop);
                pool.close().await;
                result
            }
        };
        Ok(result?)
    }

    /// How many rows `table` holds.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        match &self.url {
            Some(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let count = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(self.dir.path().join("powerbeacon.db"));
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                let count = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the directory).
    pub async fn drop_database(self) {
        if let Some(pg) = self.postgres {
            let mut admin = PgConnection::connect(&pg.admin_url)
                .await
                .expect("admin connection");
            admin
                .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
                    pg.name
                ))))
                .await
                .expect("drop test database");
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Databases left behind by crashed test runs more than an hour ago.
async fn drop_stale_databases(admin: &mut PgConnection) {
    let cutoff = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'pb_test_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let created: Option<u64> = name.split('_').nth(2).and_then(|t| t.parse().ok());
        if created.is_some_and(|t| t < cutoff) {
            let _ = admin
                .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                ))))
                .await;
        }
    }
}

#[test]
fn postgres_urls_get_the_test_database_name() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    assert_eq!(
        with_database("postgres://u@h/db?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
}
