//! The event table: each change appends its event with it, ids follow the
//! order changes commit (also with many writers at once), and pruning keeps
//! the newest.

use backend::storage::{Store, now};
use shared::types::{Change, LiveEvent};

use crate::fixtures::{TestDb, agent, cluster, device, on_both_engines};

on_both_engines!(
    changes_append_their_events,
    a_reader_after_the_newest_it_saw_misses_nothing,
    an_append_waits_for_the_one_before_it_to_commit,
    pruning_keeps_the_newest,
    agents_are_announced_offline_once,
);

fn decoded(store_events: &[backend::storage::StoredEvent]) -> Vec<LiveEvent> {
    store_events
        .iter()
        .map(|event| serde_json::from_str(&event.body).unwrap())
        .collect()
}

async fn changes_append_their_events(store: &dyn Store, _db: &TestDb) {
    assert_eq!(store.event_bounds().await.unwrap(), None);
    let mut pc = device("pc", 1);
    store.insert_device(&pc, &[]).await.unwrap();
    pc.name = "pc-2".into();
    assert!(store.update_device(&pc, None).await.unwrap());
    let lab = cluster("lab", None);
    store
        .insert_cluster(&lab, &Default::default())
        .await
        .unwrap();
    assert!(store.delete_device(pc.id).await.unwrap());
    assert!(
        !store.delete_device(pc.id).await.unwrap(),
        "no event for nothing"
    );
    assert!(store.delete_cluster(lab.id).await.unwrap());

    let events = store.events_after(0, 100).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    assert_eq!(kinds, ["device", "device", "cluster", "device", "cluster"]);
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    let changes: Vec<Change> = decoded(&events)
        .into_iter()
        .map(|event| match event {
            LiveEvent::Device(device) => device.change,
            LiveEvent::Cluster(cluster) => cluster.change,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changes,
        [
            Change::Created,
            Change::Updated,
            Change::Created,
            Change::Deleted,
            Change::Deleted
        ]
    );
    assert_eq!(events[1].device_id, Some(pc.id));
    assert_eq!(events[2].cluster_id, Some(lab.id));
    let (oldest, newest) = store.event_bounds().await.unwrap().unwrap();
    assert_eq!((oldest, newest), (events[0].id, events[4].id));
    assert_eq!(
        store.events_after(events[3].id, 100).await.unwrap().len(),
        1
    );
    assert_eq!(store.events_after(events[0].id, 2).await.unwrap().len(), 2);
}

async fn a_reader_after_the_newest_it_saw_misses_nothing(store: &dyn Store, _db: &TestDb) {
    // 48 writers at once while a reader keeps reading after the newest id
    // it has seen: if a lower id could commit after a higher one (two
    // PostgreSQL transactions), the reader would skip it.
    let devices: Vec<_> = (0..48).map(|n| device(&format!("d{n}"), n)).collect();
    let writing = futures::future::join_all(
        devices
            .iter()
            .map(|device| store.insert_device(device, &[])),
    );
    let reading = async {
        let mut seen = Vec::new();
        let mut last = 0;
        while seen.len() < 48 {
            for event in store.events_after(last, 1000).await.unwrap() {
                last = event.id;
                seen.push(event.device_id.unwrap());
            }
            tokio::task::yield_now().await;
        }
        seen
    };
    let (written, seen) = tokio::join!(writing, reading);
    assert!(written.iter().all(Result::is_ok), "{written:?}");
    let mut seen = seen;
    seen.sort_by_key(|id| id.to_string());
    let mut expected: Vec<_> = devices.iter().map(|device| device.id).collect();
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(seen, expected);
}

async fn an_append_waits_for_the_one_before_it_to_commit(store: &dyn Store, db: &TestDb) {
    // Another writer (another replica) appends an event and has not
    // committed: the store's append waits for it, so its higher id never
    // becomes visible before the lower one.
    use sqlx::Connection;
    let before = match &db.url {
        Some(url) => {
            let mut other = sqlx::PgConnection::connect(url).await.unwrap();
            // The lock every append takes (`SqlEngine::ORDER_EVENTS`).
            sqlx::raw_sql(
                "BEGIN; SELECT pg_advisory_xact_lock(1346502658); \
                 INSERT INTO events (at, kind, body) VALUES (now(), 'device', '{}');",
            )
            .execute(&mut other)
            .await
            .unwrap();
            Open::Postgres(other)
        }
        None => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db.dir.path().join("powerbeacon.db"));
            let mut other = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::raw_sql(
                "BEGIN IMMEDIATE; INSERT INTO events (at, kind, body) \
                 VALUES ('2026-01-01T00:00:00Z', 'device', '{}');",
            )
            .execute(&mut other)
            .await
            .unwrap();
            Open::Sqlite(other)
        }
    };
    let pc = device("pc", 1);
    let mut appending = std::pin::pin!(store.insert_device(&pc, &[]));
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut appending).await;
    assert!(
        waited.is_err(),
        "the append waits for the other transaction"
    );
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
    before.commit().await;
    appending.await.unwrap();
    let events = store.events_after(0, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].device_id, None, "the other's, first");
    assert_eq!(events[1].device_id, Some(pc.id));
}

/// A transaction of another connection, open.
enum Open {
    Postgres(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

impl Open {
    async fn commit(self) {
        match self {
            Open::Postgres(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
            Open::Sqlite(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
        }
        .unwrap();
    }
}

async fn pruning_keeps_the_newest(store: &dyn Store, _db: &TestDb) {
    for n in 0..5 {
        store
            .insert_device(&device(&format!("d{n}"), n), &[])
            .await
            .unwrap();
    }
    let (oldest, newest) = store.event_bounds().await.unwrap().unwrap();
    let long_ago = now() - chrono::Duration::days(1);
    assert_eq!(store.prune_events(2, long_ago).await.unwrap(), 3);
    assert_eq!(
        store.event_bounds().await.unwrap(),
        Some((newest - 1, newest))
    );
    // By age: all but the newest, which says where the ids stand.
    let later = now() + chrono::Duration::seconds(1);
    assert_eq!(store.prune_events(100, later).await.unwrap(), 1);
    assert_eq!(store.event_bounds().await.unwrap(), Some((newest, newest)));
    assert!(oldest < newest);
}

async fn agents_are_announced_offline_once(store: &dyn Store, _db: &TestDb) {
    let gw = agent("gw");
    store.insert_agent(&gw, None).await.unwrap();
    let registered = store.events_after(0, 10).await.unwrap();
    assert_eq!(registered.len(), 1);
    let LiveEvent::Agent(event) = &decoded(&registered)[0] else {
        panic!("{registered:?}")
    };
    assert_eq!(event.status, shared::types::AgentStatus::Online);

    // Silent since before the cutoff: offline, once.
    let cutoff = now() + chrono::Duration::seconds(1);
    assert_eq!(store.announce_offline_agents(cutoff).await.unwrap(), 1);
    assert_eq!(store.announce_offline_agents(cutoff).await.unwrap(), 0);
    // A heartbeat brings it back, once.
    assert!(store.record_heartbeat(gw.id, now(), None).await.unwrap());
    assert!(store.record_heartbeat(gw.id, now(), None).await.unwrap());
    let events = decoded(&store.events_after(registered[0].id, 10).await.unwrap());
    let changes: Vec<_> = events
        .iter()
        .map(|event| match event {
            LiveEvent::Agent(agent) => (agent.change, agent.status),
            other => panic!("{other:?}"),
        })
        .collect();
    use shared::types::{AgentChange, AgentStatus};
    assert_eq!(
        changes,
        [
            (AgentChange::Offline, AgentStatus::Offline),
            (AgentChange::Online, AgentStatus::Online)
        ]
    );
}
