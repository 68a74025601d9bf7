//! Presence storage: watch-list revisions, sightings and what is concluded
//! from them, and the pruning of presence history.

use std::time::Duration;

use backend::storage::{Liveness, Page, SightingReport, Store, now};
use chrono::Utc;
use powerbeacon_agent::wire::{FEATURE_PRESENCE, ProbeKind, SeenState};
use shared::types::PresenceState;

use crate::fixtures::{TestDb, agent, device, on_both_engines};

on_both_engines!(
    watch_revisions_move_with_every_change_of_the_list,
    a_late_report_never_undoes_a_newer_one,
    history_is_pruned_by_age_and_per_device,
);

const LIVENESS: Liveness = Liveness {
    offline_after: Duration::from_secs(90),
};

fn sighting(device: shared::ids::DeviceId, state: SeenState, ago_s: i64) -> SightingReport {
    SightingReport {
        device_id: device,
        state,
        method: Some(ProbeKind::Tcp),
        address: Some("192.0.2.1".parse().unwrap()),
        mac: None,
        rtt_us: Some(800),
        observed_at: now() - chrono::Duration::seconds(ago_s),
    }
}

async fn watch_revisions_move_with_every_change_of_the_list(store: &dyn Store, _db: &TestDb) {
    let watcher = agent("watcher");
    store.insert_agent(&watcher, None).await.unwrap();
    let start = store.watch_revision(watcher.id).await.unwrap().unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[watcher.id]).await.unwrap();
    let linked = store.watch_revision(watcher.id).await.unwrap().unwrap();
    assert!(linked > start);
    let (revision, devices) = store.watch_list(watcher.id).await.unwrap().unwrap();
    assert_eq!(revision, linked);
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].mac_address, pc.mac_address);

    // Only what the agent uses moves it.
    let mut renamed = pc.clone();
    renamed.name = "renamed".into();
    store.update_device(&renamed, None).await.unwrap();
    assert_eq!(
        store.watch_revision(watcher.id).await.unwrap(),
        Some(linked)
    );
    let mut moved = renamed.clone();
    moved.ip_address = Some("192.0.2.99".parse().unwrap());
    store.update_device(&moved, None).await.unwrap();
    let after_move = store.watch_revision(watcher.id).await.unwrap().unwrap();
    assert!(after_move > linked);
    // A delete cascades to the link, and the trigger sees it.
    store.delete_device(pc.id).await.unwrap();
    assert!(store.watch_revision(watcher.id).await.unwrap().unwrap() > after_move);
    assert!(
        store
            .watch_list(watcher.id)
            .await
            .unwrap()
            .unwrap()
            .1
            .is_empty()
    );
    assert_eq!(
        store
            .watch_revision(shared::ids::AgentId::generate())
            .await
            .unwrap(),
        None
    );
}

async fn a_late_report_never_undoes_a_newer_one(store: &dyn Store, _db: &TestDb) {
    let mut watcher = agent("watcher");
    watcher.features = vec![FEATURE_PRESENCE.into()];
    store.insert_agent(&watcher, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[watcher.id]).await.unwrap();
    let changes = store
        .record_sightings(
            watcher.id,
            &[sighting(pc.id, SeenState::Up, 1)],
            now(),
            LIVENESS,
        )
        .await
        .unwrap()
        .transitions;
    assert_eq!(changes.len(), 1);
    // A retry of an older "down" arrives after the newer "up".
    let changes = store
        .record_sightings(
            watcher.id,
            &[sighting(pc.id, SeenState::Down, 30)],
            now(),
            LIVENESS,
        )
        .await
        .unwrap()
        .transitions;
    assert!(changes.is_empty());
    let presence = store.device_presence(pc.id).await.unwrap().unwrap();
    assert_eq!(presence.state, PresenceState::Up);
    assert_eq!(presence.rtt_us, Some(800));
    // An agent that did not announce presence is not heard.
    let mut plain = agent("plain");
    plain.features = Vec::new();
    store.insert_agent(&plain, None).await.unwrap();
    let other = device("other", 2);
    store.insert_device(&other, &[plain.id]).await.unwrap();
    let changes = store
        .record_sightings(
            plain.id,
            &[sighting(other.id, SeenState::Up, 0)],
            now(),
            LIVENESS,
        )
        .await
        .unwrap()
        .transitions;
    assert!(changes.is_empty());
    assert_eq!(store.device_presence(other.id).await.unwrap(), None);
}

async fn history_is_pruned_by_age_and_per_device(store: &dyn Store, _db: &TestDb) {
    let mut watcher = agent("watcher");
    watcher.features = vec![FEATURE_PRESENCE.into()];
    store.insert_agent(&watcher, None).await.unwrap();
    let pc = device("pc", 1);
    let quiet = device("quiet", 2);
    store.insert_device(&pc, &[watcher.id]).await.unwrap();
    store.insert_device(&quiet, &[watcher.id]).await.unwrap();
    store
        .record_sightings(
            watcher.id,
            &[sighting(quiet.id, SeenState::Up, 0)],
            now(),
            LIVENESS,
        )
        .await
        .unwrap();
    for (i, state) in [
        SeenState::Up,
        SeenState::Down,
        SeenState::Up,
        SeenState::Down,
    ]
    .into_iter()
    .enumerate()
    {
        let mut report = sighting(pc.id, state, 0);
        report.observed_at = now() + chrono::Duration::milliseconds(i as i64);
        store
            .record_sightings(watcher.id, &[report], now(), LIVENESS)
            .await
            .unwrap();
    }
    let page = Page { skip: 0, limit: 10 };
    assert_eq!(store.presence_history(pc.id, page).await.unwrap().1, 4);
    // Keep two per device: the newest two of `pc` stay, `quiet` keeps its one.
    let pruned = store
        .prune_presence_history(Utc::now() - chrono::Duration::days(1), 2)
        .await
        .unwrap();
    assert_eq!(pruned, 2);
    let (kept, count) = store.presence_history(pc.id, page).await.unwrap();
    assert_eq!(count, 2);
    assert_eq!(kept[0].to, PresenceState::Down);
    assert_eq!(kept[1].to, PresenceState::Up);
    assert_eq!(kept[1].from, PresenceState::Down);
    assert_eq!(store.presence_history(quiet.id, page).await.unwrap().1, 1);
    // Everything older than a moment from now goes.
    let pruned = store
        .prune_presence_history(Utc::now() + chrono::Duration::seconds(5), 1000)
        .await
        .unwrap();
    assert_eq!(pruned, 3);
}
