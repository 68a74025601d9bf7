//! `ClusterStore`: clusters, their members, the one rule by which a
//! membership change removes links, and a cluster's wake targets.

use backend::storage::{AgentRecord, ClusterRecord, DeviceRecord, Membership, Page, Store};
use shared::ids::{AgentId, ClusterId, DeviceId};

use crate::fixtures::{TestDb, agent, cluster, device, new_user, on_both_engines};

on_both_engines!(
    a_cluster_is_stored_with_its_members_and_counts,
    pages_of_clusters_newest_first,
    a_member_list_replaces_and_only_dropped_agents_lose_links,
    deleting_a_cluster_detaches_its_members_and_keeps_links,
    wake_targets_are_the_members_and_all_their_agents,
);

fn members(devices: &[DeviceId], agents: &[AgentId]) -> Membership {
    Membership {
        device_ids: Some(devices.to_vec()),
        agent_ids: Some(agents.to_vec()),
    }
}

async fn linked_agents(store: &dyn Store, device: DeviceId) -> Vec<String> {
    let view = store.device_view(device).await.unwrap().unwrap();
    view.agents
        .into_iter()
        .map(|agent| agent.hostname)
        .collect()
}

async fn a_cluster_is_stored_with_its_members_and_counts(store: &dyn Store, _db: &TestDb) {
    let owner = store.insert_user(new_user("owner")).await.unwrap();
    let (b, a) = (agent("b"), agent("a"));
    for x in [&b, &a] {
        store.insert_agent(x, None).await.unwrap();
    }
    let (pc, nas) = (device("pc", 1), device("NAS", 2));
    store.insert_device(&pc, &[a.id]).await.unwrap();
    store.insert_device(&nas, &[]).await.unwrap();
    let lab = cluster("lab", Some(owner.id));
    store
        .insert_cluster(&lab, &members(&[pc.id, nas.id], &[b.id, a.id]))
        .await
        .unwrap();

    let view = store.cluster_view(lab.id).await.unwrap().unwrap();
    assert_eq!(view.cluster, lab);
    assert_eq!(view.owner_name.as_deref(), Some("Test User"));
    assert_eq!((view.device_count, view.agent_count), (2, 2));
    let reference = store.cluster_ref(lab.id).await.unwrap().unwrap();
    assert_eq!(
        (reference.id, reference.name.as_str(), reference.owner_id),
        (lab.id, "lab", Some(owner.id))
    );

    let detail = store.cluster_detail(lab.id).await.unwrap().unwrap();
    assert_eq!(detail.view, view);
    let devices: Vec<&str> = detail
        .devices
        .iter()
        .map(|d| d.device.name.as_str())
        .collect();
    assert_eq!(devices, ["NAS", "pc"], "by name, case-insensitively");
    assert_eq!(detail.devices[1].cluster_name.as_deref(), Some("lab"));
    assert_eq!(detail.devices[1].agents.len(), 1);
    let agents: Vec<&str> = detail
        .agents
        .iter()
        .map(|a| a.agent.hostname.as_str())
        .collect();
    assert_eq!(agents, ["a", "b"]);
    assert_eq!(detail.agents[0].cluster_name.as_deref(), Some("lab"));
    assert_eq!(detail.agents[0].device_count, 1);

    let unknown = ClusterId::generate();
    assert!(store.cluster_view(unknown).await.unwrap().is_none());
    assert!(store.cluster_detail(unknown).await.unwrap().is_none());
    assert!(store.cluster_ref(unknown).await.unwrap().is_none());
}

async fn pages_of_clusters_newest_first(store: &dyn Store, _db: &TestDb) {
    for n in 1..=4i64 {
        let c = cluster(&format!("c{n}"), None);
        let at = c.created_at + chrono::Duration::seconds(n);
        let c = ClusterRecord {
            created_at: at,
            updated_at: at,
            ..c
        };
        store
            .insert_cluster(&c, &Membership::default())
            .await
            .unwrap();
    }
    let (views, count) = store
        .list_cluster_views(Page { skip: 1, limit: 2 })
        .await
        .unwrap();
    assert_eq!(count, 4);
    let names: Vec<_> = views.iter().map(|v| v.cluster.name.as_str()).collect();
    assert_eq!(names, ["c3", "c2"]);
}

async fn a_member_list_replaces_and_only_dropped_agents_lose_links(
    store: &dyn Store,
    _db: &TestDb,
) {
    let (a, b) = (agent("a"), agent("b"));
    for x in [&a, &b] {
        store.insert_agent(x, None).await.unwrap();
    }
    let (inside, released, outside) = (device("in", 1), device("released", 2), device("out", 3));
    for d in [&inside, &released, &outside] {
        store.insert_device(d, &[a.id, b.id]).await.unwrap();
    }
    let lab = cluster("lab", None);
    store
        .insert_cluster(&lab, &members(&[inside.id, released.id], &[a.id, b.id]))
        .await
        .unwrap();
    // Creating removes no link.
    for d in [&inside, &released, &outside] {
        assert_eq!(linked_agents(store, d.id).await, ["a", "b"], "{}", d.name);
    }

    // Fields only: the members stay.
    let renamed = ClusterRecord {
        name: "lab-2".into(),
        description: None,
        tags: Vec::new(),
        ..lab.clone()
    };
    assert!(
        store
            .update_cluster(&renamed, &Membership::default())
            .await
            .unwrap()
    );
    let view = store.cluster_view(lab.id).await.unwrap().unwrap();
    assert_eq!(view.cluster, renamed);
    assert_eq!((view.device_count, view.agent_count), (2, 2));

    // Release a device and drop agent A at once: A loses its link to the
    // device that stays, nothing else changes.
    assert!(
        store
            .update_cluster(&renamed, &members(&[inside.id], &[b.id]))
            .await
            .unwrap()
    );
    assert_eq!(linked_agents(store, inside.id).await, ["b"]);
    assert_eq!(linked_agents(store, released.id).await, ["a", "b"]);
    assert_eq!(linked_agents(store, outside.id).await, ["a", "b"]);
    let released_now = store.device_view(released.id).await.unwrap().unwrap();
    assert_eq!(released_now.device.cluster_id, None);
    let a_now = store.agent_record(a.id).await.unwrap().unwrap();
    assert_eq!(a_now.cluster_id, None);

    let unknown = ClusterRecord {
        id: ClusterId::generate(),
        ..renamed
    };
    assert!(
        !store
            .update_cluster(&unknown, &Membership::default())
            .await
            .unwrap()
    );
}

async fn deleting_a_cluster_detaches_its_members_and_keeps_links(store: &dyn Store, _db: &TestDb) {
    let a = agent("a");
    store.insert_agent(&a, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[a.id]).await.unwrap();
    let lab = cluster("lab", None);
    store
        .insert_cluster(&lab, &members(&[pc.id], &[a.id]))
        .await
        .unwrap();
    assert!(store.delete_cluster(lab.id).await.unwrap());
    assert!(!store.delete_cluster(lab.id).await.unwrap());
    let view = store.device_view(pc.id).await.unwrap().unwrap();
    assert_eq!(view.device.cluster_id, None);
    assert_eq!(linked_agents(store, pc.id).await, ["a"]);
    let agent_now: AgentRecord = store.agent_record(a.id).await.unwrap().unwrap();
    assert_eq!(agent_now.cluster_id, None);
}

async fn wake_targets_are_the_members_and_all_their_agents(store: &dyn Store, _db: &TestDb) {
    let (a, b) = (agent("a"), agent("b"));
    for x in [&a, &b] {
        store.insert_agent(x, None).await.unwrap();
    }
    let (zed, alpha, lone) = (device("zed", 1), device("Alpha", 2), device("lone", 3));
    store.insert_device(&zed, &[b.id, a.id]).await.unwrap();
    store.insert_device(&alpha, &[a.id]).await.unwrap();
    store.insert_device(&lone, &[]).await.unwrap();
    let outside: DeviceRecord = device("outside", 4);
    store.insert_device(&outside, &[a.id]).await.unwrap();
    let lab = cluster("lab", None);
    store
        .insert_cluster(&lab, &members(&[zed.id, alpha.id, lone.id], &[a.id]))
        .await
        .unwrap();
    let targets = store.cluster_wake_targets(lab.id).await.unwrap();
    let summary: Vec<(&str, Vec<&str>)> = targets
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.agents.iter().map(|a| a.hostname.as_str()).collect(),
            )
        })
        .collect();
    // By name; every linked agent, also one outside the cluster (b).
    assert_eq!(
        summary,
        [
            ("Alpha", vec!["a"]),
            ("lone", vec![]),
            ("zed", vec!["a", "b"])
        ]
    );
    assert!(
        store
            .cluster_wake_targets(ClusterId::generate())
            .await
            .unwrap()
            .is_empty()
    );
}
