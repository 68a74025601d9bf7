//! `AgentStore`: registration, renewal and approval, heartbeats, the views
//! pages read, and deletion.

use backend::storage::{AgentRecord, AgentRenewal, Membership, Page, Store, now};
use shared::ids::AgentId;
use shared::types::AgentInterface;

use crate::fixtures::{TestDb, agent, cluster, device, enrollment_key, new_user, on_both_engines};

on_both_engines!(
    an_agent_is_stored_and_found_by_id_and_hostname,
    enrolling_with_a_key_stamps_the_key,
    renewal_and_approval_never_undo_each_other,
    a_renewal_with_a_key_approves_a_pending_agent,
    heartbeats_stamp_last_seen_and_keep_or_replace_interfaces,
    pages_of_agents_by_hostname_with_cluster_and_device_count,
    deleting_an_agent_takes_its_links,
);

fn eth0(address: &str) -> Vec<AgentInterface> {
    vec![AgentInterface {
        name: "eth0".into(),
        address: address.into(),
        prefix: 24,
        broadcast: None,
        mac: None,
    }]
}

fn pending(hostname: &str) -> AgentRecord {
    AgentRecord {
        approved: false,
        interfaces: eth0("198.51.100.7"),
        ..agent(hostname)
    }
}

fn renewal(agent: &AgentRecord) -> AgentRenewal {
    AgentRenewal {
        id: agent.id,
        ip: "198.51.100.8".parse().unwrap(),
        port: 18181,
        os: agent.os.clone(),
        version: "1.1.0".into(),
        interfaces: None,
        features: vec!["wol-batch".into()],
        at: now(),
        approving_key: None,
    }
}

async fn an_agent_is_stored_and_found_by_id_and_hostname(store: &dyn Store, _db: &TestDb) {
    let gw = AgentRecord {
        interfaces: eth0("198.51.100.7"),
        features: vec!["wol-batch".into()],
        ..agent("gw")
    };
    store.insert_agent(&gw, None).await.unwrap();
    let read = store.agent_record(gw.id).await.unwrap().unwrap();
    assert!(read == gw, "the record reads back whole");
    let by_name = store.agent_by_hostname("gw").await.unwrap().unwrap();
    assert!(by_name == gw);
    assert!(store.agent_by_hostname("GW2").await.unwrap().is_none());
    let reference = store.agent_ref(gw.id).await.unwrap().unwrap();
    assert_eq!(
        (reference.id, reference.hostname.as_str(), reference.ip),
        (gw.id, "gw", gw.ip)
    );
    assert_eq!(
        (reference.approved, reference.last_seen),
        (true, gw.last_seen)
    );
    let unknown = AgentId::generate();
    assert!(store.agent_record(unknown).await.unwrap().is_none());
    assert!(store.agent_ref(unknown).await.unwrap().is_none());
    assert!(store.agent_view(unknown).await.unwrap().is_none());
}

async fn enrolling_with_a_key_stamps_the_key(store: &dyn Store, _db: &TestDb) {
    let key = enrollment_key("k", "hash-1");
    store.insert_enrollment_key(&key).await.unwrap();
    store
        .insert_agent(&agent("gw"), Some(key.id))
        .await
        .unwrap();
    let stamped = store
        .enrollment_key_by_hash("hash-1")
        .await
        .unwrap()
        .unwrap();
    assert!(stamped.last_used_at.is_some());
    // Pending agents are counted.
    assert_eq!(store.count_pending_agents().await.unwrap(), 0);
    store.insert_agent(&pending("p1"), None).await.unwrap();
    store.insert_agent(&pending("p2"), None).await.unwrap();
    assert_eq!(store.count_pending_agents().await.unwrap(), 2);
}

async fn renewal_and_approval_never_undo_each_other(store: &dyn Store, _db: &TestDb) {
    let agent = pending("walk-in");
    store.insert_agent(&agent, None).await.unwrap();
    // A re-registration read the agent before an admin approved it...
    let stale = store.agent_record(agent.id).await.unwrap().unwrap();
    assert!(store.approve_agent(agent.id, now(), now()).await.unwrap());
    // ...and writes afterwards: the approval stays, the address changes.
    let renewal = renewal(&stale);
    assert!(store.renew_agent(&renewal).await.unwrap());
    let after = store.agent_record(agent.id).await.unwrap().unwrap();
    assert!(after.approved, "approval kept");
    assert_eq!(
        (after.ip.to_string().as_str(), after.port),
        ("198.51.100.8", 18181)
    );
    assert_eq!(
        after.interfaces, agent.interfaces,
        "no interfaces given: kept"
    );
    assert_eq!(after.features, ["wol-batch"]);
    assert_eq!(after.version, "1.1.0");
    assert_eq!(after.token, agent.token);
    // An approval after a renewal keeps the new address.
    assert!(store.approve_agent(agent.id, now(), now()).await.unwrap());
    let again = store.agent_record(agent.id).await.unwrap().unwrap();
    assert_eq!(again.ip.to_string(), "198.51.100.8");
    // Unknown agents: nothing written.
    let unknown = AgentRenewal {
        id: AgentId::generate(),
        ..renewal
    };
    assert!(!store.renew_agent(&unknown).await.unwrap());
    assert!(!store.approve_agent(unknown.id, now(), now()).await.unwrap());
}

async fn a_renewal_with_a_key_approves_a_pending_agent(store: &dyn Store, _db: &TestDb) {
    let admin = store.insert_user(new_user("admin")).await.unwrap();
    let lab = cluster("lab", None);
    store
        .insert_cluster(&lab, &Membership::default())
        .await
        .unwrap();
    let key = backend::storage::EnrollmentKeyRecord {
        cluster_id: Some(lab.id),
        created_by: Some(admin.id),
        ..enrollment_key("k", "hash-2")
    };
    store.insert_enrollment_key(&key).await.unwrap();
    let walk_in = pending("walk-in");
    store.insert_agent(&walk_in, None).await.unwrap();
    let approving = AgentRenewal {
        approving_key: Some(key.clone()),
        interfaces: Some(eth0("198.51.100.9")),
        ..renewal(&walk_in)
    };
    assert!(store.renew_agent(&approving).await.unwrap());
    let after = store.agent_record(walk_in.id).await.unwrap().unwrap();
    assert!(after.approved);
    assert_eq!(
        (after.cluster_id, after.owner_id),
        (Some(lab.id), Some(admin.id)),
        "the key's cluster and creator, where the agent had none"
    );
    assert_eq!(after.interfaces, eth0("198.51.100.9"));
    let stamped = store
        .enrollment_key_by_hash("hash-2")
        .await
        .unwrap()
        .unwrap();
    assert!(stamped.last_used_at.is_some());
    assert_eq!(store.count_pending_agents().await.unwrap(), 0);
}

async fn heartbeats_stamp_last_seen_and_keep_or_replace_interfaces(
    store: &dyn Store,
    _db: &TestDb,
) {
    let gw = AgentRecord {
        last_seen: None,
        interfaces: eth0("198.51.100.7"),
        ..agent("gw")
    };
    store.insert_agent(&gw, None).await.unwrap();
    let at = now();
    assert!(store.record_heartbeat(gw.id, at, None).await.unwrap());
    let read = store.agent_record(gw.id).await.unwrap().unwrap();
    assert_eq!(read.last_seen, Some(at));
    assert_eq!(read.interfaces, gw.interfaces);
    let later = at + chrono::Duration::seconds(30);
    let moved = eth0("203.0.113.5");
    assert!(
        store
            .record_heartbeat(gw.id, later, Some(&moved))
            .await
            .unwrap()
    );
    let read = store.agent_record(gw.id).await.unwrap().unwrap();
    assert_eq!((read.last_seen, read.interfaces), (Some(later), moved));
    assert!(
        !store
            .record_heartbeat(AgentId::generate(), later, None)
            .await
            .unwrap()
    );
}

async fn pages_of_agents_by_hostname_with_cluster_and_device_count(
    store: &dyn Store,
    _db: &TestDb,
) {
    let owner = store.insert_user(new_user("owner")).await.unwrap();
    let agents: Vec<AgentRecord> = ["delta", "Alpha", "charlie", "bravo"]
        .into_iter()
        .map(agent)
        .collect();
    for a in &agents {
        store.insert_agent(a, None).await.unwrap();
    }
    let lab = cluster("lab", Some(owner.id));
    let bravo = agents[3].id;
    store
        .insert_cluster(
            &lab,
            &Membership {
                device_ids: None,
                agent_ids: Some(vec![bravo]),
            },
        )
        .await
        .unwrap();
    store
        .insert_device(&device("pc", 1), &[bravo])
        .await
        .unwrap();
    let (views, count) = store
        .list_agent_views(Page { skip: 1, limit: 2 })
        .await
        .unwrap();
    assert_eq!(count, 4);
    let names: Vec<&str> = views.iter().map(|v| v.agent.hostname.as_str()).collect();
    assert_eq!(names, ["bravo", "charlie"]);
    let view = store.agent_view(bravo).await.unwrap().unwrap();
    assert_eq!(view, views[0]);
    assert_eq!(view.cluster_name.as_deref(), Some("lab"));
    assert_eq!(view.cluster_owner_id, Some(owner.id));
    assert_eq!(view.cluster_owner_name.as_deref(), Some("Test User"));
    assert_eq!(view.device_count, 1);
    assert_eq!(views[1].device_count, 0);
    assert_eq!(views[1].cluster_name, None);
}

async fn deleting_an_agent_takes_its_links(store: &dyn Store, db: &TestDb) {
    let gw = agent("gw");
    store.insert_agent(&gw, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[gw.id]).await.unwrap();
    assert!(store.delete_agent(gw.id).await.unwrap());
    assert!(!store.delete_agent(gw.id).await.unwrap());
    assert_eq!(db.count_rows("device_agents").await, 0);
    let view = store.device_view(pc.id).await.unwrap().unwrap();
    assert!(
        view.agents.is_empty(),
        "the device stays, without the agent"
    );
}
