//! Wake storage: the record of a wake, a device's history, verdicts decided
//! once (by a presence report or by the verdict pass), and pruning.

use std::time::Duration;

use backend::storage::{
    Liveness, NewWake, NewWakeDevice, Page, Requester, SightingReport, Store, now,
};
use chrono::Utc;
use powerbeacon_agent::wire::{FEATURE_PRESENCE, ProbeKind, SeenState};
use shared::ids::{DeviceId, WakeId};
use shared::types::{WakeAgentResult, WakeKind, WakeOutcome, WakeVerdict};

use crate::fixtures::{TestDb, agent, device, on_both_engines};

on_both_engines!(
    a_wake_reads_back_as_recorded_and_in_each_device_history,
    a_report_of_the_machine_up_decides_its_pending_verdict_once,
    the_pass_decides_verdicts_past_their_deadline_once,
    old_wakes_are_pruned_with_their_devices,
    wakes_recorded_at_once_are_all_kept,
);

const LIVENESS: Liveness = Liveness {
    offline_after: Duration::from_secs(90),
};

fn wake_of(
    devices: &[(DeviceId, &str)],
    verdict: WakeVerdict,
    asked_s_ago: i64,
    timeout_s: i64,
) -> NewWake {
    let requested_at = now() - chrono::Duration::seconds(asked_s_ago);
    NewWake {
        id: WakeId::generate(),
        kind: if devices.len() == 1 {
            WakeKind::Device
        } else {
            WakeKind::Cluster
        },
        cluster: None,
        requested_by: Requester {
            via: "user".into(),
            user_id: None,
            name: "root".into(),
        },
        requested_at,
        forced: false,
        devices: devices
            .iter()
            .enumerate()
            .map(|(i, (id, name))| NewWakeDevice {
                device_id: *id,
                device_name: (*name).into(),
                mac_address: format!("02:00:00:00:00:{:02X}", i + 1).parse().unwrap(),
                verdict,
                deadline: requested_at + chrono::Duration::seconds(timeout_s),
                agents: vec![WakeAgentResult {
                    agent_id: shared::ids::AgentId::generate(),
                    hostname: "watcher".into(),
                    outcome: WakeOutcome::Sent,
                    message: Some("sent".into()),
                    sent: None,
                }],
            })
            .collect(),
    }
}

async fn a_wake_reads_back_as_recorded_and_in_each_device_history(store: &dyn Store, _db: &TestDb) {
    let a = device("a", 1);
    let b = device("b", 2);
    store.insert_device(&a, &[]).await.unwrap();
    store.insert_device(&b, &[]).await.unwrap();
    let older = wake_of(&[(a.id, "a")], WakeVerdict::Unconfirmed, 60, 120);
    let cluster = wake_of(&[(b.id, "b"), (a.id, "a")], WakeVerdict::Pending, 0, 120);
    store.record_wake(&older).await.unwrap();
    store.record_wake(&cluster).await.unwrap();

    let read = store.wake(cluster.id).await.unwrap().unwrap();
    assert_eq!(read.kind, WakeKind::Cluster);
    assert_eq!(read.requested_by, cluster.requested_by);
    assert_eq!(read.requested_at, cluster.requested_at);
    // By device name.
    let names: Vec<&str> = read
        .devices
        .iter()
        .map(|d| d.device_name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(read.devices[0].agents, cluster.devices[1].agents);
    assert_eq!(read.devices[0].decided_at, None);
    let decided = store.wake(older.id).await.unwrap().unwrap();
    assert_eq!(decided.devices[0].decided_at, Some(older.requested_at));
    assert_eq!(store.wake(WakeId::generate()).await.unwrap(), None);

    let (history, count) = store
        .device_wakes(a.id, Page { skip: 0, limit: 10 })
        .await
        .unwrap();
    assert_eq!(count, 2);
    let ids: Vec<WakeId> = history.iter().map(|w| w.id).collect();
    assert_eq!(ids, [cluster.id, older.id], "newest first");
    assert!(
        history
            .iter()
            .all(|w| w.devices.len() == 1 && w.devices[0].device_id == a.id)
    );
    let (page, _) = store
        .device_wakes(a.id, Page { skip: 1, limit: 1 })
        .await
        .unwrap();
    assert_eq!(page[0].id, older.id);
}

async fn a_report_of_the_machine_up_decides_its_pending_verdict_once(
    store: &dyn Store,
    _db: &TestDb,
) {
    let mut watcher = agent("watcher");
    watcher.features = vec![FEATURE_PRESENCE.into()];
    store.insert_agent(&watcher, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[watcher.id]).await.unwrap();
    let wake = wake_of(&[(pc.id, "pc")], WakeVerdict::Pending, 5, 120);
    store.record_wake(&wake).await.unwrap();
    let seen = now() - chrono::Duration::seconds(1);
    let report = SightingReport {
        device_id: pc.id,
        state: SeenState::Up,
        method: Some(ProbeKind::Neighbor),
        address: pc.ip_address,
        mac: None,
        rtt_us: None,
        observed_at: seen,
    };
    let recorded = store
        .record_sightings(watcher.id, &[report], now(), LIVENESS)
        .await
        .unwrap();
    assert_eq!(recorded.decided_wakes, [wake.id]);
    let read = store.wake(wake.id).await.unwrap().unwrap();
    assert_eq!(read.devices[0].verdict, WakeVerdict::Up);
    assert_eq!(read.devices[0].up_at, Some(seen), "the sighting's time");
    // Nothing is left for the pass, and it is decided once.
    assert!(store.settle_wakes(now()).await.unwrap().is_empty());
    let decided = store
        .wakes_decided_since(now() - chrono::Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(decided, [(wake.id, false)]);
}

async fn the_pass_decides_verdicts_past_their_deadline_once(store: &dyn Store, _db: &TestDb) {
    let a = device("a", 1);
    let b = device("b", 2);
    store.insert_device(&a, &[]).await.unwrap();
    store.insert_device(&b, &[]).await.unwrap();
    // One past its deadline (never watched since: unconfirmed), one not.
    let due = wake_of(&[(a.id, "a")], WakeVerdict::Pending, 10, 5);
    let waiting = wake_of(&[(b.id, "b")], WakeVerdict::Pending, 0, 120);
    store.record_wake(&due).await.unwrap();
    store.record_wake(&waiting).await.unwrap();
    assert_eq!(store.settle_wakes(now()).await.unwrap(), [due.id]);
    let read = store.wake(due.id).await.unwrap().unwrap();
    assert_eq!(read.devices[0].verdict, WakeVerdict::Unconfirmed);
    assert!(read.devices[0].decided_at.is_some());
    assert_eq!(
        store.wake(waiting.id).await.unwrap().unwrap().devices[0].verdict,
        WakeVerdict::Pending
    );
    // Two passes at once (two replicas): each verdict written once.
    let later = wake_of(&[(b.id, "b")], WakeVerdict::Pending, 10, 5);
    store.record_wake(&later).await.unwrap();
    let (one, other) = tokio::join!(store.settle_wakes(now()), store.settle_wakes(now()));
    let mut both = one.unwrap();
    both.extend(other.unwrap());
    assert_eq!(both, [later.id]);
}

async fn old_wakes_are_pruned_with_their_devices(store: &dyn Store, db: &TestDb) {
    let pc = device("pc", 1);
    store.insert_device(&pc, &[]).await.unwrap();
    let old = wake_of(&[(pc.id, "pc")], WakeVerdict::Unconfirmed, 3 * 86_400, 120);
    let new = wake_of(&[(pc.id, "pc")], WakeVerdict::Unconfirmed, 0, 120);
    store.record_wake(&old).await.unwrap();
    store.record_wake(&new).await.unwrap();
    let pruned = store
        .prune_wakes(Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(store.wake(old.id).await.unwrap(), None);
    assert_eq!(db.count_rows("wake_devices").await, 1);
    // A device deleted takes its part of the history with it.
    store.delete_device(pc.id).await.unwrap();
    assert_eq!(db.count_rows("wake_devices").await, 0);
}

async fn wakes_recorded_at_once_are_all_kept(store: &dyn Store, _db: &TestDb) {
    // 32 writers at once, more than the pool's connections: each waits its
    // turn (SQLite) or its row locks (PostgreSQL), none fails or is lost.
    let a = device("a", 1);
    store.insert_device(&a, &[]).await.unwrap();
    let wakes: Vec<NewWake> = (0..32)
        .map(|_| wake_of(&[(a.id, "a")], WakeVerdict::Pending, 0, 120))
        .collect();
    let written = futures::future::join_all(wakes.iter().map(|wake| store.record_wake(wake))).await;
    assert!(written.iter().all(Result::is_ok), "{written:?}");
    let (history, count) = store
        .device_wakes(
            a.id,
            Page {
                skip: 0,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(count, 32);
    let mut ids: Vec<WakeId> = history.iter().map(|w| w.id).collect();
    let mut expected: Vec<WakeId> = wakes.iter().map(|w| w.id).collect();
    ids.sort_by_key(|id| id.to_string());
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(ids, expected);
}
