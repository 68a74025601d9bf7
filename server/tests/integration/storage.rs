//! The storage layer on both engines: schema, constraints, settings, users.

use backend::domain::{Email, FullName, Username};
use backend::storage::{
    AgentRecord, AgentRenewal, ConnectOptions, Engine, NewUser, StorageError, Store, UniqueKey,
    UserChanges, connect, keys,
};
use shared::ids::{AgentId, DeviceId, UserId};
use shared::types::{OsType, Role};
use std::sync::Arc;
use std::time::Duration;

use crate::helpers::{TestDb, with_both_databases};

with_both_databases!(
    migrations_create_the_whole_schema,
    migrations_are_idempotent_across_restarts,
    first_user_is_created_once,
    settings_keep_the_first_value,
    unique_username_is_case_insensitive_and_maps_to_conflict,
    foreign_keys_are_enforced,
    concurrent_demotions_keep_one_superuser,
    a_change_writes_only_its_own_fields,
    users_page_and_count,
    renewal_and_approval_never_undo_each_other,
    browser_sessions_expire,
    a_corrupt_row_is_an_error_never_a_default,
);

async fn open(db: &TestDb) -> Arc<dyn Store> {
    connect(ConnectOptions {
        url: db.url.as_deref(),
        data_dir: db.dir.path(),
        max_connections: 4,
        connect_timeout: Duration::from_secs(5),
    })
    .await
    .expect("store opens")
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Some(Email::parse(&format!("{name}@example.com")).unwrap()),
        full_name: Some(FullName::parse("Test User").unwrap()),
        password_hash: Some("$argon2id$dummy".into()),
        role: Role::Superuser,
    }
}

async fn migrations_create_the_whole_schema(db: TestDb) {
    let store = open(&db).await;
    for table in [
        "users",
        "clusters",
        "agents",
        "devices",
        "device_agents",
        "enrollment_keys",
        "settings",
        "browser_sessions",
    ] {
        db.run_sql(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"));
    }
    assert_eq!(store.count_users().await.unwrap(), 0);
    store.ping().await.unwrap();
    store.close().await;
    db.drop_database().await;
}

async fn migrations_are_idempotent_across_restarts(db: TestDb) {
    let first = open(&db).await;
    let created = first
        .create_first_user(new_user("keeper"))
        .await
        .unwrap()
        .unwrap();
    first.close().await;
    let second = open(&db).await;
    let found = second.user_by_id(created.id).await.unwrap().unwrap();
    assert_eq!(found.username.as_str(), "keeper");
    second.close().await;
    db.drop_database().await;
}

async fn first_user_is_created_once(db: TestDb) {
    let store = open(&db).await;
    let created = store
        .create_first_user(new_user("root"))
        .await
        .unwrap()
        .expect("first user");
    assert_eq!(created.role, Role::Superuser);
    assert!(created.is_active);
    let read = store.user_by_id(created.id).await.unwrap().expect("stored");
    assert_eq!(read.username.as_str(), "root");
    assert_eq!(
        read.email.as_ref().map(Email::as_str),
        Some("root@example.com")
    );
    assert_eq!(read.password_hash.as_deref(), Some("$argon2id$dummy"));
    // Timestamps survive the round trip (to the microsecond at least).
    assert!(
        (read.created_at - created.created_at)
            .num_milliseconds()
            .abs()
            < 1
    );

    assert!(
        store
            .create_first_user(new_user("second"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(
        store
            .user_by_id(UserId::generate())
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
    db.drop_database().await;
}

async fn settings_keep_the_first_value(db: TestDb) {
    let store = open(&db).await;
    assert_eq!(store.setting("missing").await.unwrap(), None);
    assert_eq!(
        store
            .setting_or_insert(keys::JWT_SECRET, "one")
            .await
            .unwrap(),
        "one"
    );
    assert_eq!(
        store
            .setting_or_insert(keys::JWT_SECRET, "two")
            .await
            .unwrap(),
        "one"
    );
    assert_eq!(
        store.setting(keys::JWT_SECRET).await.unwrap().as_deref(),
        Some("one")
    );
    store.close().await;
    db.drop_database().await;
}

async fn unique_username_is_case_insensitive_and_maps_to_conflict(db: TestDb) {
    let store = open(&db).await;
    store
        .create_first_user(new_user("Alice"))
        .await
        .unwrap()
        .unwrap();
    let (id, now) = match store.engine() {
        Engine::Sqlite => (
            format!("'{}'", uuid::Uuid::new_v4()),
            "'2026-01-01T00:00:00Z'",
        ),
        Engine::Postgres => (format!("'{}'::uuid", uuid::Uuid::new_v4()), "now()"),
    };
    let error = db
        .run_sql(&format!(
            "INSERT INTO users (id, username, role, is_active, created_at, updated_at) \
             VALUES ({id}, 'alice', 'user', TRUE, {now}, {now})"
        ))
        .await
        .expect_err("duplicate username must be refused");
    match error {
        StorageError::Conflict(key) => assert_eq!(key, UniqueKey::Username),
        other => panic!("expected a conflict, got {other:?}"),
    }
    store.close().await;
    db.drop_database().await;
}

async fn foreign_keys_are_enforced(db: TestDb) {
    let store = open(&db).await;
    let (id, cluster, now) = match store.engine() {
        Engine::Sqlite => (
            format!("'{}'", uuid::Uuid::new_v4()),
            format!("'{}'", uuid::Uuid::new_v4()),
            "'2026-01-01T00:00:00Z'",
        ),
        Engine::Postgres => (
            format!("'{}'::uuid", uuid::Uuid::new_v4()),
            format!("'{}'::uuid", uuid::Uuid::new_v4()),
            "now()",
        ),
    };
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
    store.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uses_wal_and_foreign_keys() {
    let db = TestDb::sqlite();
    let store = open(&db).await;
    let path = db.dir.path().join("powerbeacon.db");
    assert!(path.exists());
    let pool = backend::storage::SqliteStore::connect_file(
        &path,
        &ConnectOptions {
            url: None,
            data_dir: db.dir.path(),
            max_connections: 1,
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

async fn concurrent_demotions_keep_one_superuser(db: TestDb) {
    let store = open(&db).await;
    let a = store
        .create_first_user(new_user("a"))
        .await
        .unwrap()
        .unwrap();
    let b = store.insert_user(new_user("b")).await.unwrap();
    let role = |role: Role| UserChanges {
        role: Some(role),
        ..UserChanges::default()
    };
    for _ in 0..5 {
        let (ra, rb) = tokio::join!(
            store.update_user(a.id, role(Role::Admin)),
            store.update_user(b.id, role(Role::Admin))
        );
        let refused = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(StorageError::LastSuperuser)))
            .count();
        assert_eq!(refused, 1, "{ra:?} / {rb:?}");
        // Promote both back for the next round.
        for id in [a.id, b.id] {
            store
                .update_user(id, role(Role::Superuser))
                .await
                .unwrap()
                .unwrap();
        }
    }
    let last = store.delete_user(b.id).await;
    assert!(matches!(last, Ok(true)), "{last:?}");
    assert!(matches!(
        store.delete_user(a.id).await,
        Err(StorageError::LastSuperuser)
    ));
    assert!(store.user_by_id(a.id).await.unwrap().is_some());
    store.close().await;
    db.drop_database().await;
}

async fn a_change_writes_only_its_own_fields(db: TestDb) {
    let store = open(&db).await;
    let root = store
        .create_first_user(new_user("root"))
        .await
        .unwrap()
        .unwrap();
    let user = store.insert_user(new_user("ann")).await.unwrap();
    // Read, then someone else deactivates and renames; a change made from
    // the stale read (the full name) keeps both.
    let stale = store.user_by_id(user.id).await.unwrap().unwrap();
    let deactivate = UserChanges {
        is_active: Some(false),
        end_sessions: true,
        ..UserChanges::default()
    };
    store
        .update_user(user.id, deactivate)
        .await
        .unwrap()
        .unwrap();
    let full_name = UserChanges {
        full_name: Some(Some(FullName::parse("Ann").unwrap())),
        ..UserChanges::default()
    };
    let after = store
        .update_user(stale.id, full_name)
        .await
        .unwrap()
        .unwrap();
    assert!(!after.is_active, "the deactivation stands");
    assert_eq!(after.full_name.as_ref().map(FullName::as_str), Some("Ann"));
    assert_eq!(after.token_version, stale.token_version + 1);
    let cleared = UserChanges {
        full_name: Some(None),
        ..UserChanges::default()
    };
    let after = store.update_user(user.id, cleared).await.unwrap().unwrap();
    assert_eq!(after.full_name, None);
    assert_eq!(after.username.as_str(), "ann");
    assert!(
        store
            .update_user(UserId::generate(), UserChanges::default())
            .await
            .unwrap()
            .is_none()
    );
    let _ = root;
    store.close().await;
    db.drop_database().await;
}

async fn users_page_and_count(db: TestDb) {
    let store = open(&db).await;
    for name in ["u1", "u2", "u3", "u4"] {
        store.insert_user(new_user(name)).await.unwrap();
    }
    let page = backend::storage::Page { skip: 1, limit: 2 };
    let (users, count) = store.list_users(page).await.unwrap();
    assert_eq!(count, 4);
    let names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["u2", "u3"]);
    assert!(store.user_by_username("U3").await.unwrap().is_some());
    let clash = NewUser {
        email: None,
        ..new_user("U1")
    };
    assert!(matches!(
        store.insert_user(clash).await,
        Err(StorageError::Conflict(UniqueKey::Username))
    ));
    store.close().await;
    db.drop_database().await;
}

async fn renewal_and_approval_never_undo_each_other(db: TestDb) {
    let store = open(&db).await;
    let now = chrono::Utc::now();
    let interfaces = vec![shared::types::AgentInterface {
        name: "eth0".into(),
        address: "198.51.100.7".into(),
        prefix: 24,
        broadcast: None,
        mac: None,
    }];
    let agent = AgentRecord {
        id: AgentId::generate(),
        hostname: "walk-in".into(),
        ip: "198.51.100.7".parse().unwrap(),
        port: 18080,
        os: "linux".into(),
        version: "1.0.0".into(),
        token: "t".repeat(64),
        approved: false,
        interfaces: interfaces.clone(),
        features: Vec::new(),
        cluster_id: None,
        owner_id: None,
        last_seen: Some(now),
        created_at: now,
        updated_at: now,
    };
    store.insert_agent(&agent, None).await.unwrap();
    // A re-registration read the agent before an admin approved it...
    let stale = store.agent_record(agent.id).await.unwrap().unwrap();
    assert!(store.approve_agent(agent.id, now).await.unwrap());
    let renewal = AgentRenewal {
        id: stale.id,
        ip: "198.51.100.8".parse().unwrap(),
        port: 18181,
        os: stale.os.clone(),
        version: "1.1.0".into(),
        interfaces: None,
        features: vec!["wol-batch".into()],
        at: now,
        approving_key: None,
    };
    // ...and writes afterwards: the approval stays, the address changes.
    assert!(store.renew_agent(&renewal).await.unwrap());
    let after = store.agent_record(agent.id).await.unwrap().unwrap();
    assert!(after.approved, "approval kept");
    assert_eq!(
        (after.ip.to_string().as_str(), after.port),
        ("198.51.100.8", 18181)
    );
    assert_eq!(after.interfaces, interfaces, "no interfaces given: kept");
    assert_eq!(after.features, ["wol-batch"]);
    assert_eq!(after.token, agent.token);
    // An approval after a renewal keeps the new address.
    assert!(store.approve_agent(agent.id, now).await.unwrap());
    let again = store.agent_record(agent.id).await.unwrap().unwrap();
    assert_eq!(again.ip.to_string(), "198.51.100.8");
    // Unknown agents: nothing written.
    let unknown = AgentRenewal {
        id: AgentId::generate(),
        ..renewal
    };
    assert!(!store.renew_agent(&unknown).await.unwrap());
    assert!(!store.approve_agent(unknown.id, now).await.unwrap());
    store.close().await;
    db.drop_database().await;
}

async fn browser_sessions_expire(db: TestDb) {
    let store = open(&db).await;
    assert!(store.insert_session("a", "{\"x\":1}", 2_000).await.unwrap());
    assert!(
        !store.insert_session("a", "{}", 3_000).await.unwrap(),
        "a taken id is never overwritten by a new session"
    );
    assert_eq!(
        store.session("a", 1_999).await.unwrap().as_deref(),
        Some("{\"x\":1}")
    );
    assert_eq!(store.session("a", 2_000).await.unwrap(), None, "expired");
    store.save_session("a", "{\"x\":2}", 5_000).await.unwrap();
    assert_eq!(
        store.session("a", 2_000).await.unwrap().as_deref(),
        Some("{\"x\":2}")
    );
    store.save_session("b", "{}", 1_000).await.unwrap();
    assert_eq!(store.delete_expired_sessions(2_000).await.unwrap(), 1);
    store.delete_session("a").await.unwrap();
    assert_eq!(store.session("a", 0).await.unwrap(), None);
    store.close().await;
    db.drop_database().await;
}

/// A value a record cannot hold is reported as a corrupt row, never read
/// as some default.
async fn a_corrupt_row_is_an_error_never_a_default(db: TestDb) {
    let store = open(&db).await;
    let now = backend::storage::now();
    let device = backend::storage::DeviceRecord {
        id: DeviceId::generate(),
        name: "pc".into(),
        mac_address: "AA:BB:CC:DD:EE:FF".parse().unwrap(),
        ip_address: None,
        os_type: OsType::Linux,
        is_active: true,
        description: None,
        tags: vec!["lab".into()],
        cluster_id: None,
        owner_id: None,
        created_at: now,
        updated_at: now,
    };
    store.insert_device(&device, &[]).await.unwrap();
    // Tags that are not a list of strings.
    db.run_sql(r#"UPDATE devices SET tags = '{"not": "a list"}'"#)
        .await
        .unwrap();
    let read = store.device_view(device.id).await;
    assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    let listed = store
        .list_device_views(backend::storage::Page { skip: 0, limit: 10 })
        .await;
    assert!(
        matches!(listed, Err(StorageError::Corrupt(_))),
        "{listed:?}"
    );
    // Typed columns: a stored value its type cannot hold is corrupt too
    // (the OS type needs no such test: a CHECK constraint keeps it valid).
    db.run_sql(r#"UPDATE devices SET tags = '["lab"]'"#)
        .await
        .unwrap();
    assert!(store.device_view(device.id).await.unwrap().is_some());
    for (column, value) in [
        ("mac_address", "'not-a-mac'"),
        ("ip_address", "'192.0.2.300'"),
    ] {
        db.run_sql(&format!("UPDATE devices SET {column} = {value}"))
            .await
            .unwrap();
        let read = store.device_view(device.id).await;
        assert!(
            matches!(read, Err(StorageError::Corrupt(_))),
            "{column}: {read:?}"
        );
        let restore = match column {
            "mac_address" => "'AA:BB:CC:DD:EE:FF'",
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
    if store.engine() == Engine::Sqlite {
        // SQLite keeps ids as text: one that is not a UUID is corrupt too.
        store.insert_user(new_user("ada")).await.unwrap();
        db.run_sql("UPDATE users SET id = 'not-a-uuid' WHERE username = 'ada'")
            .await
            .unwrap();
        let read = store.user_by_username("ada").await;
        assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    }
    store.close().await;
    db.drop_database().await;
}
