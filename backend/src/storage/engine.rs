//! What differs between SQLite and PostgreSQL, written once per engine
//! ([`SqlEngine`]): how a transaction that must run alone starts, and the
//! few sqlx calls that need the concrete engine. How a UUID is stored is
//! the typed ids' own ([`shared::ids::UuidColumn`]).
//! Everything else is one SQL text (`sql.rs`) run by one implementation
//! (`store.rs`, generic over the engine).
//!
//! The generic code needs no `where` clause: what it binds must be
//! [`Bindable`] and what it reads [`Readable`], and both name the two
//! engines concretely, so the compiler checks them at each call.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use shared::ids::UuidColumn;
use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::query::Query;
use sqlx::sqlite::SqliteRow;
use sqlx::{
    Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Postgres, Sqlite,
    Transaction, Type,
};

use super::Engine;
use super::events::{EVENTS_CHANNEL, EventListener, InProcess, Notifications};

/// A value the shared SQL may bind: anything both engines encode. sqlx
/// encodes it at once, so it may be borrowed for just the call.
pub trait Bindable<'t>:
    Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>
{
}

impl<'t, T> Bindable<'t> for T where
    T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>
{
}

/// A record the shared SQL may read: anything both engines' rows decode
/// into (`#[derive(sqlx::FromRow)]`, or a tuple of columns).
pub trait Readable:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Readable for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments>;
type Answer<'c, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

/// An engine the store runs on.
pub trait SqlEngine: Database + UuidColumn {
    /// Which engine this is.
    const ENGINE: Engine;

    /// A transaction that runs alone among serialized ones, for checks
    /// that span rows ("one active superuser remains"), on every replica.
    fn begin_serialized(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;

    /// A read-only transaction whose statements all see one snapshot of the
    /// database, for reads that belong together (a page and its count; a
    /// device and its agent links), so none sees a write half-applied.
    fn begin_snapshot(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;

    /// Statements an appending transaction runs before it appends events,
    /// so ids commit in order and other replicas hear of them
    /// (`storage/events.rs`).
    const ORDER_EVENTS: &'static [&'static str];

    /// What wakes a process's reader of the event table: `appended` is
    /// notified by this process's appends.
    fn event_listener(
        pool: &Pool<Self>,
        appended: &std::sync::Arc<tokio::sync::Notify>,
    ) -> Answer<'static, Box<dyn EventListener>>;

    fn bind<'q, 't, T: Bindable<'t>>(
        statement: Statement<'q, Self>,
        value: T,
    ) -> Statement<'q, Self>;

    fn fetch_optional<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Option<T>>;

    fn fetch_all<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Vec<T>>;

    /// Runs a statement; how many rows it changed.
    fn execute<'q: 'c, 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, u64>;
}

impl SqlEngine for Sqlite {
    const ENGINE: Engine = Engine::Sqlite;

    /// `BEGIN IMMEDIATE` takes SQLite's write lock at once, so serialized
    /// transactions never interleave their reads and writes.
    fn begin_serialized(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send {
        pool.begin_with("BEGIN IMMEDIATE")
    }

    /// A deferred transaction reads from the snapshot its first statement
    /// takes (SQLite in WAL mode), until it ends.
    fn begin_snapshot(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send {
        pool.begin_with("BEGIN DEFERRED")
    }

    /// One writer at a time: ids are in commit order already.
    const ORDER_EVENTS: &'static [&'static str] = &[];

    /// One process per database file: its own appends.
    fn event_listener(
        _pool: &Pool<Self>,
        appended: &std::sync::Arc<tokio::sync::Notify>,
    ) -> Answer<'static, Box<dyn EventListener>> {
        let listener: Box<dyn EventListener> = Box::new(InProcess(appended.clone()));
        Box::pin(std::future::ready(Ok(listener)))
    }

    fn bind<'q, 't, T: Bindable<'t>>(
        statement: Statement<'q, Self>,
        value: T,
    ) -> Statement<'q, Self> {
        statement.bind(value)
    }

    fn fetch_optional<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Option<T>> {
        Box::pin(fetch_optional(statement, connection))
    }

    fn fetch_all<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Vec<T>> {
        Box::pin(fetch_all(statement, connection))
    }

    fn execute<'q: 'c, 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, u64> {
        Box::pin(async move { Ok(statement.execute(connection).await?.rows_affected()) })
    }
}

/// Key of the transaction-scoped advisory lock that serializes checks
/// spanning several rows (such as "one active superuser remains").
const SERIALIZED_LOCK: i64 = 0x5042_0001;

impl SqlEngine for Postgres {
    const ENGINE: Engine = Engine::Postgres;

    /// A transaction holding the advisory lock until it ends, on every replica.
    async fn begin_serialized(
        pool: &Pool<Self>,
    ) -> Result<Transaction<'static, Self>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SERIALIZED_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// PostgreSQL's default (read committed) takes a snapshot per
    /// statement; repeatable read keeps the first for the transaction.
    fn begin_snapshot(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send {
        pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }

    /// The lock is held from the append to the commit, so a transaction
    /// that took a lower id has committed before one takes a higher id; the
    /// `NOTIFY` is delivered at commit, to every replica.
    const ORDER_EVENTS: &'static [&'static str] = &[
        // 0x5042_0002, next to `SERIALIZED_LOCK`.
        "SELECT pg_advisory_xact_lock(1346502658)",
        "SELECT pg_notify('powerbeacon_events', '')",
    ];

    /// `LISTEN` on a connection of its own.
    fn event_listener(
        pool: &Pool<Self>,
        _appended: &std::sync::Arc<tokio::sync::Notify>,
    ) -> Answer<'static, Box<dyn EventListener>> {
        let pool = pool.clone();
        Box::pin(async move {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(EVENTS_CHANNEL).await?;
            let listener: Box<dyn EventListener> = Box::new(Notifications(listener));
            Ok(listener)
        })
    }

    fn bind<'q, 't, T: Bindable<'t>>(
        statement: Statement<'q, Self>,
        value: T,
    ) -> Statement<'q, Self> {
        statement.bind(value)
    }

    fn fetch_optional<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Option<T>> {
        Box::pin(fetch_optional(statement, connection))
    }

    fn fetch_all<'q: 'c, 'c, T: Readable + 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, Vec<T>> {
        Box::pin(fetch_all(statement, connection))
    }

    fn execute<'q: 'c, 'c>(
        statement: Statement<'q, Self>,
        connection: &'c mut Self::Connection,
    ) -> Answer<'c, u64> {
        Box::pin(async move { Ok(statement.execute(connection).await?.rows_affected()) })
    }
}

// The engines' `fetch_*` methods above call these with their concrete
// engine, for which the `where` clauses hold; the generic code never needs
// them. (`execute` stays per engine: the number of changed rows is a method
// of each engine's own result type.)

async fn fetch_optional<'q, DB, T>(
    statement: Statement<'q, DB>,
    connection: &mut DB::Connection,
) -> Result<Option<T>, sqlx::Error>
where
    DB: Database,
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    T: for<'r> FromRow<'r, DB::Row>,
{
    let row = statement.fetch_optional(connection).await?;
    row.as_ref().map(T::from_row).transpose()
}

async fn fetch_all<'q, DB, T>(
    statement: Statement<'q, DB>,
    connection: &mut DB::Connection,
) -> Result<Vec<T>, sqlx::Error>
where
    DB: Database,
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    T: for<'r> FromRow<'r, DB::Row>,
{
    // Each row is decoded as it arrives and dropped: a long list never holds
    // all its raw rows and all its records at once.
    use futures::TryStreamExt;
    statement
        .fetch(connection)
        .and_then(|row| std::future::ready(T::from_row(&row)))
        .try_collect()
        .await
}

/// A statement of the shared SQL with its parameters, run on engine `DB`.
pub struct Sql<'q, DB: SqlEngine>(Statement<'q, DB>);

impl<'q, DB: SqlEngine> Sql<'q, DB> {
    pub fn new(sql: &'static str) -> Self {
        Self(sqlx::query(sql))
    }

    pub fn bind<'t, T: Bindable<'t>>(self, value: T) -> Self {
        Self(DB::bind(self.0, value))
    }

    pub async fn fetch_optional<T: Readable>(
        self,
        connection: &mut DB::Connection,
    ) -> Result<Option<T>, sqlx::Error> {
        DB::fetch_optional(self.0, connection).await
    }

    pub async fn fetch_one<T: Readable>(
        self,
        connection: &mut DB::Connection,
    ) -> Result<T, sqlx::Error> {
        DB::fetch_optional(self.0, connection)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn fetch_all<T: Readable>(
        self,
        connection: &mut DB::Connection,
    ) -> Result<Vec<T>, sqlx::Error> {
        DB::fetch_all(self.0, connection).await
    }

    /// Runs the statement; how many rows it changed.
    pub async fn execute(self, connection: &mut DB::Connection) -> Result<u64, sqlx::Error> {
        DB::execute(self.0, connection).await
    }
}

/// A text column holding a value of type `T` in its display spelling
/// (a MAC address, an IP address, a username…): read by parsing, so a value
/// `T` cannot hold is a decode error (`StorageError::Corrupt`), never a
/// default. Records name it in `#[sqlx(try_from = "Parsed<T>")]`; values are
/// bound as their text.
pub struct Parsed<T>(T);

/// A nullable [`Parsed`] column.
pub struct ParsedOpt<T>(Option<T>);

impl<T, DB: SqlEngine> Type<DB> for Parsed<T>
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'r, T, DB: SqlEngine> Decode<'r, DB> for Parsed<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&'r str as Decode<'r, DB>>::decode(value)?;
        Ok(Self(text.parse()?))
    }
}

impl<T, DB: SqlEngine> Type<DB> for ParsedOpt<T>
where
    Parsed<T>: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        Parsed::<T>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        Parsed::<T>::compatible(ty)
    }
}

impl<'r, T, DB: SqlEngine> Decode<'r, DB> for ParsedOpt<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <Option<&'r str> as Decode<'r, DB>>::decode(value)?;
        Ok(Self(text.map(str::parse).transpose()?))
    }
}

/// The types records read through [`Parsed`] (sqlx's `try_from` wants a
/// `From` per type; a blanket one is not allowed for foreign types).
macro_rules! parsed_columns {
    ($($ty:ty),*) => {$(
        impl From<Parsed<$ty>> for $ty {
            fn from(column: Parsed<$ty>) -> Self {
                column.0
            }
        }

        impl From<ParsedOpt<$ty>> for Option<$ty> {
            fn from(column: ParsedOpt<$ty>) -> Self {
                column.0
            }
        }
    )*};
}

parsed_columns!(
    std::net::IpAddr,
    powerbeacon_agent::MacAddress,
    shared::types::OsType,
    crate::domain::Username,
    crate::domain::Email,
    crate::domain::FullName,
    shared::types::PresenceState,
    powerbeacon_agent::wire::ProbeKind,
    powerbeacon_agent::wire::ProbeMethod,
    powerbeacon_agent::wire::SeenState,
    shared::types::WakeKind,
    shared::types::WakeVerdict
);
