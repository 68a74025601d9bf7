//! What the storage tests build on: a store per engine, and records to
//! insert.

use std::net::IpAddr;

use backend::domain::{Email, FullName, Username};
use backend::storage::{
    AgentRecord, ClusterRecord, DeviceRecord, Engine, EnrollmentKeyRecord, NewUser, Store, now,
};
use shared::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};
use shared::types::{OsType, Role};

pub use crate::test_db::TestDb;

/// Runs each test (`async fn(&dyn Store, &TestDb)`) on a fresh SQLite file
/// and on a fresh PostgreSQL database, then closes and drops it.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::fixtures::TestDb::sqlite();
                    let store = db.open().await;
                    super::$name(&*store, &db).await;
                    store.close().await;
                    db.drop_database().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::fixtures::TestDb::postgres().await else { return };
                    let store = db.open().await;
                    super::$name(&*store, &db).await;
                    store.close().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_engines;

/// A new superuser named `name`, with an email and a full name.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Some(Email::parse(&format!("{name}@example.com")).unwrap()),
        full_name: Some(FullName::parse("Test User").unwrap()),
        password_hash: Some("$argon2id$dummy".into()),
        role: Role::Superuser,
    }
}

/// A device named `name` with MAC `02:00:00:00:00:{n}`, in no cluster.
pub fn device(name: &str, n: u8) -> DeviceRecord {
    let at = now();
    DeviceRecord {
        id: DeviceId::generate(),
        name: name.into(),
        mac_address: format!("02:00:00:00:00:{n:02X}").parse().unwrap(),
        ip_address: Some(IpAddr::from([192, 0, 2, n])),
        os_type: OsType::Linux,
        is_active: true,
        description: None,
        tags: Vec::new(),
        cluster_id: None,
        owner_id: None,
        created_at: at,
        updated_at: at,
        probe_method: shared::types::ProbeMethod::Auto,
        probe_ports: Vec::new(),
        probe_interval_s: None,
        probe_adopt_address: false,
        boot_timeout_s: None,
    }
}

/// An approved agent named `hostname` on 198.51.100.7:18080, heard from now.
pub fn agent(hostname: &str) -> AgentRecord {
    let at = now();
    AgentRecord {
        id: AgentId::generate(),
        hostname: hostname.into(),
        ip: IpAddr::from([198, 51, 100, 7]),
        port: 18080,
        os: "linux".into(),
        version: "1.0.0".into(),
        token: "t".repeat(64),
        approved: true,
        interfaces: Vec::new(),
        features: Vec::new(),
        cluster_id: None,
        owner_id: None,
        last_seen: Some(at),
        created_at: at,
        updated_at: at,
    }
}

/// A cluster named `name` owned by `owner`.
pub fn cluster(name: &str, owner: Option<UserId>) -> ClusterRecord {
    let at = now();
    ClusterRecord {
        id: ClusterId::generate(),
        name: name.into(),
        description: Some("a group".into()),
        tags: vec!["lab".into()],
        owner_id: owner,
        created_at: at,
        updated_at: at,
    }
}

/// An enrollment key named `name` whose secret hashes to `hash`.
pub fn enrollment_key(name: &str, hash: &str) -> EnrollmentKeyRecord {
    EnrollmentKeyRecord {
        id: EnrollmentKeyId::generate(),
        name: name.into(),
        key_hash: hash.into(),
        key_prefix: "pbek_abcd".into(),
        cluster_id: None,
        created_by: None,
        created_at: now(),
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

/// A fresh id and the current time as this engine's SQL writes them, for
/// rows a test inserts behind the store's back.
pub fn raw_id_and_now(store: &dyn Store) -> (String, &'static str) {
    match store.engine() {
        Engine::Sqlite => (
            format!("'{}'", uuid::Uuid::new_v4()),
            "'2026-01-01T00:00:00Z'",
        ),
        Engine::Postgres => (format!("'{}'::uuid", uuid::Uuid::new_v4()), "now()"),
    }
}
