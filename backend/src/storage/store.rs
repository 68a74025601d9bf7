//! [`SqlStore`]: the [`Store`] on either engine, generic over the
//! [`SqlEngine`] (`engine.rs`). Each area implements its own trait for it in
//! its own file (`users.rs`, `devices.rs`, …); here are what they share: the
//! pool, a connection, a page with its count, and the store as a whole.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};

use super::engine::{Readable, Sql, SqlEngine};
use super::{Engine, Page, StorageError, Store};

/// A [`Store`] on a pool of engine `DB` (`SqliteStore`, `PostgresStore`).
#[derive(Debug)]
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
    /// Whose turn it is to write, on SQLite ([`SqlStore::begin_write`]).
    write_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Notified after this process appends events (`events.rs`).
    pub(super) appended: std::sync::Arc<tokio::sync::Notify>,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            write_turn: self.write_turn.clone(),
            appended: self.appended.clone(),
        }
    }
}

/// A process's turn to write on SQLite, held until its transaction ends
/// (none on PostgreSQL).
pub(super) type WriteTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl<DB: SqlEngine> SqlStore<DB> {
    pub(super) fn new(pool: Pool<DB>) -> Self {
        Self {
            pool,
            write_turn: Default::default(),
            appended: Default::default(),
        }
    }

    /// A transaction for a write on a hot path, with this process's turn to
    /// write: on SQLite one such transaction at a time, the others waiting
    /// here in order rather than in SQLite's busy handler, which sleeps 1,
    /// 2, 5, 10, 15, 20, 25… ms while another connection writes (16 clients
    /// waking at once saw waits of 100 ms). Hold the turn until the
    /// transaction ends. PostgreSQL needs no turn.
    pub(super) async fn begin_write(
        &self,
    ) -> Result<(WriteTurn, Transaction<'static, DB>), sqlx::Error> {
        match DB::ENGINE {
            Engine::Sqlite => {
                let turn = self.write_turn.clone().lock_owned().await;
                // Its turn: the write lock is free of gated writers, so
                // take it at once.
                Ok((Some(turn), DB::begin_serialized(&self.pool).await?))
            }
            Engine::Postgres => Ok((None, self.pool.begin().await?)),
        }
    }

    /// The connection pool, for tests that inspect the schema.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    pub(super) async fn conn(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// A read-only transaction on one snapshot ([`SqlEngine::begin_snapshot`]).
    pub(super) async fn snapshot(&self) -> Result<Transaction<'static, DB>, sqlx::Error> {
        DB::begin_snapshot(&self.pool).await
    }

    /// Runs `page_sql` (`LIMIT $1 OFFSET $2`) and `count_sql` on one
    /// snapshot, so the count is that of the rows the page was cut from.
    pub(super) async fn page<T: Readable>(
        &self,
        page_sql: &'static str,
        count_sql: &'static str,
        page: Page,
    ) -> Result<(Vec<T>, u64), StorageError> {
        let (limit, skip) = page.binds();
        let mut tx = self.snapshot().await?;
        let rows = Sql::<DB>::new(page_sql)
            .bind(limit)
            .bind(skip)
            .fetch_all(&mut tx)
            .await?;
        let (count,): (i64,) = Sql::<DB>::new(count_sql).fetch_one(&mut tx).await?;
        tx.commit().await?;
        Ok((rows, count.try_into().unwrap_or_default()))
    }

    /// [`Self::page`] of one device's rows: both statements take the
    /// device's id as `$1`; the page's `LIMIT` and `OFFSET` are `$2` and `$3`.
    pub(super) async fn page_of_device<T: Readable>(
        &self,
        page_sql: &'static str,
        count_sql: &'static str,
        device: shared::ids::DeviceId,
        page: Page,
    ) -> Result<(Vec<T>, u64), StorageError> {
        let (limit, skip) = page.binds();
        let mut tx = self.snapshot().await?;
        let rows = Sql::<DB>::new(page_sql)
            .bind(device)
            .bind(limit)
            .bind(skip)
            .fetch_all(&mut tx)
            .await?;
        let (count,): (i64,) = Sql::<DB>::new(count_sql)
            .bind(device)
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        Ok((rows, count.try_into().unwrap_or_default()))
    }
}

const PING: &str = "SELECT 1";

#[async_trait::async_trait]
impl<DB: SqlEngine> Store for SqlStore<DB> {
    fn engine(&self) -> Engine {
        DB::ENGINE
    }

    async fn ping(&self) -> Result<(), StorageError> {
        Sql::<DB>::new(PING)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
