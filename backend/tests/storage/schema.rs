//! The database as a whole: migrations, constraints, the engine's
//! settings, `Store::{engine, ping, close}`, and rows the records cannot
//! hold.

use std::time::Duration;

use backend::storage::{ConnectOptions, Engine, Page, StorageError, Store, UniqueKey};
use shared::ids::UserId;

use crate::fixtures::{TestDb, device, new_user, on_both_engines, raw_id_and_now};

on_both_engines!(
    migrations_create_the_whole_schema,
    migrations_are_idempotent_across_restarts,
    unique_keys_decode_to_the_key_that_clashed,
    foreign_keys_are_enforced,
    a_closed_store_is_unavailable,
    a_corrupt_row_is_an_error_never_a_default,
);

async fn migrations_create_the_whole_schema(store: &dyn Store, db: &TestDb) {
    for table in [
        "users",
        "clusters",
        "agents",
        "devices",
        "device_agents",
        "enrollment_keys",
        "settings",
        "browser_sessions",
        "login_attempts",
    ] {
        db.run_sql(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"));
    }
    assert_eq!(store.count_users().await.unwrap(), 0);
    store.ping().await.unwrap();
    let expected = if db.url.is_some() {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    assert_eq!(store.engine(), expected);
}

async fn migrations_are_idempotent_across_restarts(store: &dyn Store, db: &TestDb) {
    let created = store
        .create_first_user(new_user("keeper"))
        .await
        .unwrap()
        .unwrap();
    let second = db.open().await;
    let found = second.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(found.username.as_str(), "keeper");
    second.close().await;
}

async fn unique_keys_decode_to_the_key_that_clashed(store: &dyn Store, db: &TestDb) {
    store
        .create_first_user(new_user("Alice"))
        .await
        .unwrap()
        .unwrap();
    let (id, now) = raw_id_and_now(store);
    let error = db
        .run_sql(&format!(
            "INSERT INTO users (id, username, role, is_active, created_at, updated_at) \
             VALUES ({id}, 'alice', 'user', TRUE, {now}, {now})"
        ))
        .await
        .expect_err("duplicate username must be refused");
    assert!(
        matches!(error, StorageError::Conflict(UniqueKey::Username)),
        "{error:?}"
    );
    // Through the store: the email, the MAC, the hostname, the key hash.
    let clash = backend::storage::NewUser {
        username: backend::domain::Username::parse("bob").unwrap(),
        ..new_user("alice")
    };
    assert!(matches!(
        store.insert_user(clash).await,
        Err(StorageError::Conflict(UniqueKey::Email))
    ));
    store.insert_device(&device("a", 1), &[]).await.unwrap();
    assert!(matches!(
        store.insert_device(&device("b", 1), &[]).await,
        Err(StorageError::Conflict(UniqueKey::DeviceMac))
    ));
    let agent = crate::fixtures::agent("gw");
    store.insert_agent(&agent, None).await.unwrap();
    let twin = backend::storage::AgentRecord {
        id: shared::ids::AgentId::generate(),
        ..agent
    };
    assert!(matches!(
        store.insert_agent(&twin, None).await,
        Err(StorageError::Conflict(UniqueKey::AgentHostname))
    ));
    let key = crate::fixtures::enrollment_key("k", "hash");
    store.insert_enrollment_key(&key).await.unwrap();
    let twin = backend::storage::EnrollmentKeyRecord {
        id: shared::ids::EnrollmentKeyId::generate(),
        ..key
    };
    assert!(matches!(
        store.insert_enrollment_key(&twin).await,
        Err(StorageError::Conflict(UniqueKey::EnrollmentKey))
    ));
}

async fn foreign_keys_are_enforced(store: &dyn Store, db: &TestDb) {
    let (id, now) = raw_id_and_now(store);
    let (cluster, _) = raw_id_and_now(store);
    let result = db
        .run_sql(&format!(
            "INSERT INTO devices (id, name, mac_address, cluster_id, created_at, updated_at) \
             VALUES ({id}, 'pc', 'AA:BB:CC:DD:EE:FF', {cluster}, {now}, {now})"
        ))
        .await;
    assert!(
        matches!(result, Err(StorageError::Database(_))),
        "{result:?}"
    );
}

async fn a_closed_store_is_unavailable(_store: &dyn Store, db: &TestDb) {
    let other = db.open().await;
    other.ping().await.unwrap();
    other.close().await;
    assert!(matches!(
        other.ping().await,
        Err(StorageError::Unavailable(_))
    ));
    assert!(matches!(
        other.user_by_id(UserId::generate()).await,
        Err(StorageError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uses_wal_and_foreign_keys() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let path = db.dir.path().join("powerbeacon.db");
    assert!(path.exists());
    let pool = backend::storage::SqliteStore::connect_file(
        &path,
        &ConnectOptions {
            url: None,
            data_dir: db.dir.path(),
            max_connections: Some(1),
            connect_timeout: Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    store.close().await;
}

/// A value a record cannot hold is reported as a corrupt row, never read
/// as some default.
async fn a_corrupt_row_is_an_error_never_a_default(store: &dyn Store, db: &TestDb) {
    let pc = device("pc", 1);
    let pc = backend::storage::DeviceRecord {
        tags: vec!["lab".into()],
        ..pc
    };
    store.insert_device(&pc, &[]).await.unwrap();
    // Tags that are not a list of strings.
    db.run_sql(r#"UPDATE devices SET tags = '{"not": "a list"}'"#)
        .await
        .unwrap();
    let read = store.device_view(pc.id).await;
    assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    let listed = store.list_device_views(Page { skip: 0, limit: 10 }).await;
    assert!(
        matches!(listed, Err(StorageError::Corrupt(_))),
        "{listed:?}"
    );
    // Typed columns: a stored value its type cannot hold is corrupt too
    // (the OS type needs no such test: a CHECK constraint keeps it valid).
    db.run_sql(r#"UPDATE devices SET tags = '["lab"]'"#)
        .await
        .unwrap();
    assert!(store.device_view(pc.id).await.unwrap().is_some());
    for (column, value) in [
        ("mac_address", "'not-a-mac'"),
        ("ip_address", "'192.0.2.300'"),
    ] {
        db.run_sql(&format!("UPDATE devices SET {column} = {value}"))
            .await
            .unwrap();
        let read = store.device_view(pc.id).await;
        assert!(
            matches!(read, Err(StorageError::Corrupt(_))),
            "{column}: {read:?}"
        );
        let restore = match column {
            "mac_address" => "'02:00:00:00:00:01'",
            _ => "NULL",
        };
        db.run_sql(&format!("UPDATE devices SET {column} = {restore}"))
            .await
            .unwrap();
    }
    store.insert_user(new_user("grace")).await.unwrap();
    db.run_sql("UPDATE users SET email = 'no-at-sign' WHERE username = 'grace'")
        .await
        .unwrap();
    let read = store.user_by_username("grace").await;
    assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    // An agent whose address its record cannot hold (a CHECK keeps the
    // port in range).
    let agent = crate::fixtures::agent("gw");
    store.insert_agent(&agent, None).await.unwrap();
    db.run_sql("UPDATE agents SET ip = 'not-an-ip'")
        .await
        .unwrap();
    let read = store.agent_record(agent.id).await;
    assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    let listed = store.list_agent_views(Page { skip: 0, limit: 10 }).await;
    assert!(
        matches!(listed, Err(StorageError::Corrupt(_))),
        "{listed:?}"
    );
    if store.engine() == Engine::Sqlite {
        // SQLite keeps ids as text: one that is not a UUID is corrupt too.
        store.insert_user(new_user("ada")).await.unwrap();
        db.run_sql("UPDATE users SET id = 'not-a-uuid' WHERE username = 'ada'")
            .await
            .unwrap();
        let read = store.user_by_username("ada").await;
        assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    }
}
