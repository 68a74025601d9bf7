//! `DeviceStore`: devices, their agent links, their search columns, and a
//! device's wake target.

use backend::domain::device_search::DeviceMatch;
use backend::storage::{DeviceRecord, Page, Store};
use shared::ids::DeviceId;
use shared::types::{DeviceQuery, OsType};

use crate::fixtures::{TestDb, agent, device, on_both_engines};

on_both_engines!(
    a_device_is_stored_with_its_agents_and_read_back,
    an_update_writes_every_field_and_replaces_links_only_when_given,
    deleting_a_device_takes_its_links,
    pages_of_devices_newest_first_with_the_count,
    the_database_finds_devices_by_search_and_filters,
    tags_are_listed_once_each,
    older_devices_get_their_search_columns,
    a_wake_target_is_the_device_and_all_its_agents,
);

/// `device` with a creation time `seconds` after the fixture's.
fn created_later(device: DeviceRecord, seconds: i64) -> DeviceRecord {
    let at = device.created_at + chrono::Duration::seconds(seconds);
    DeviceRecord {
        created_at: at,
        updated_at: at,
        ..device
    }
}

async fn a_device_is_stored_with_its_agents_and_read_back(store: &dyn Store, _db: &TestDb) {
    let (b, a) = (agent("b-agent"), agent("A-agent"));
    store.insert_agent(&b, None).await.unwrap();
    store.insert_agent(&a, None).await.unwrap();
    let pc = DeviceRecord {
        tags: vec!["Office".into(), "storage".into()],
        description: Some("the NAS".into()),
        os_type: OsType::Windows,
        ..device("pc", 1)
    };
    store.insert_device(&pc, &[b.id, a.id]).await.unwrap();
    let view = store.device_view(pc.id).await.unwrap().unwrap();
    assert_eq!(view.device, pc);
    assert_eq!((view.owner_name, view.cluster_name), (None, None));
    // Agents by hostname, case-insensitively.
    let hostnames: Vec<&str> = view.agents.iter().map(|a| a.hostname.as_str()).collect();
    assert_eq!(hostnames, ["A-agent", "b-agent"]);
    assert_eq!(view.agents[0].ip, a.ip);
    assert!(view.agents[0].approved);
    assert!(
        store
            .device_view(DeviceId::generate())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_devices().await.unwrap(), 1);
}

async fn an_update_writes_every_field_and_replaces_links_only_when_given(
    store: &dyn Store,
    _db: &TestDb,
) {
    let (a, b) = (agent("a"), agent("b"));
    store.insert_agent(&a, None).await.unwrap();
    store.insert_agent(&b, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[a.id]).await.unwrap();
    let changed = DeviceRecord {
        name: "pc-2".into(),
        mac_address: "02:00:00:00:00:99".parse().unwrap(),
        ip_address: None,
        os_type: OsType::Macos,
        is_active: false,
        description: Some("moved".into()),
        tags: vec!["new".into()],
        updated_at: pc.updated_at + chrono::Duration::seconds(5),
        ..pc.clone()
    };
    assert!(store.update_device(&changed, None).await.unwrap());
    let view = store.device_view(pc.id).await.unwrap().unwrap();
    assert_eq!(view.device, changed);
    assert_eq!(view.agents.len(), 1, "no list given: links kept");
    assert!(store.update_device(&changed, Some(&[b.id])).await.unwrap());
    let view = store.device_view(pc.id).await.unwrap().unwrap();
    let ids: Vec<_> = view.agents.iter().map(|agent| agent.id).collect();
    assert_eq!(ids, [b.id]);
    assert!(store.update_device(&changed, Some(&[])).await.unwrap());
    assert!(
        store
            .device_view(pc.id)
            .await
            .unwrap()
            .unwrap()
            .agents
            .is_empty()
    );
    let unknown = DeviceRecord {
        id: DeviceId::generate(),
        ..changed
    };
    assert!(!store.update_device(&unknown, None).await.unwrap());
}

async fn deleting_a_device_takes_its_links(store: &dyn Store, db: &TestDb) {
    let a = agent("a");
    store.insert_agent(&a, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[a.id]).await.unwrap();
    assert!(store.delete_device(pc.id).await.unwrap());
    assert!(!store.delete_device(pc.id).await.unwrap());
    assert_eq!(db.count_rows("device_agents").await, 0);
    assert!(
        store.agent_record(a.id).await.unwrap().is_some(),
        "the agent stays"
    );
}

async fn pages_of_devices_newest_first_with_the_count(store: &dyn Store, _db: &TestDb) {
    let a = agent("a");
    store.insert_agent(&a, None).await.unwrap();
    for n in 1..=5u8 {
        let d = created_later(device(&format!("d{n}"), n), i64::from(n));
        store.insert_device(&d, &[a.id]).await.unwrap();
    }
    let (views, count) = store
        .list_device_views(Page { skip: 1, limit: 3 })
        .await
        .unwrap();
    assert_eq!(count, 5);
    let names: Vec<_> = views.iter().map(|v| v.device.name.as_str()).collect();
    assert_eq!(names, ["d4", "d3", "d2"]);
    assert!(views.iter().all(|v| v.agents.len() == 1));
    let (views, count) = store
        .list_device_views(Page { skip: 5, limit: 3 })
        .await
        .unwrap();
    assert_eq!((views.len(), count), (0, 5));
}

async fn the_database_finds_devices_by_search_and_filters(store: &dyn Store, _db: &TestDb) {
    let nas = DeviceRecord {
        tags: vec!["Storage".into()],
        ..created_later(device("NAS", 1), 1)
    };
    let pc = DeviceRecord {
        os_type: OsType::Windows,
        ..created_later(device("Gaming PC", 2), 2)
    };
    let mini = DeviceRecord {
        os_type: OsType::Macos,
        tags: vec!["storage-old".into()],
        ..created_later(device("mac mini", 3), 3)
    };
    for d in [&nas, &pc, &mini] {
        store.insert_device(d, &[]).await.unwrap();
    }
    let find = |search: &str, os: Option<OsType>, tag: Option<&str>| {
        let query = DeviceQuery {
            search: search.into(),
            os,
            cluster: None,
            tag: tag.map(str::to_string),
            presence: None,
            limit: 10,
        };
        let filter = DeviceMatch::new(&query, std::time::Duration::from_secs(90));
        async move {
            let (views, count) = store
                .find_device_views(&filter, Page { skip: 0, limit: 2 })
                .await
                .unwrap();
            let names: Vec<String> = views.into_iter().map(|v| v.device.name).collect();
            (names, count)
        }
    };
    assert_eq!(
        find("", None, None).await,
        (vec!["mac mini".into(), "Gaming PC".into()], 3)
    );
    assert_eq!(find("nas", None, None).await, (vec!["NAS".into()], 1));
    assert_eq!(find("storage", None, None).await.1, 2);
    assert_eq!(
        find("", None, Some("Storage")).await,
        (vec!["NAS".into()], 1)
    );
    assert_eq!(
        find("", Some(OsType::Windows), None).await,
        (vec!["Gaming PC".into()], 1)
    );
    // The MAC in another spelling; the IP.
    assert_eq!(find("0200.0000.0002", None, None).await.0, ["Gaming PC"]);
    assert_eq!(find("192.0.2.3", None, None).await.0, ["mac mini"]);
    // Wildcards are plain characters.
    assert_eq!(find("%", None, None).await.1, 0);
}

async fn tags_are_listed_once_each(store: &dyn Store, _db: &TestDb) {
    assert!(store.device_tags().await.unwrap().is_empty());
    let a = DeviceRecord {
        tags: vec!["office".into(), "NAS".into()],
        ..device("a", 1)
    };
    let b = DeviceRecord {
        tags: vec!["office".into()],
        ..device("b", 2)
    };
    store.insert_device(&a, &[]).await.unwrap();
    store.insert_device(&b, &[]).await.unwrap();
    store.insert_device(&device("c", 3), &[]).await.unwrap();
    assert_eq!(store.device_tags().await.unwrap(), ["NAS", "office"]);
}

async fn older_devices_get_their_search_columns(store: &dyn Store, db: &TestDb) {
    let pc = DeviceRecord {
        tags: vec!["lab".into()],
        ..device("Old PC", 1)
    };
    store.insert_device(&pc, &[]).await.unwrap();
    // As a device stored before the columns existed looks.
    db.run_sql("UPDATE devices SET search_text = '', tag_keys = ''")
        .await
        .unwrap();
    let filter = DeviceMatch::new(
        &DeviceQuery {
            search: "old pc".into(),
            limit: 10,
            ..DeviceQuery::default()
        },
        std::time::Duration::from_secs(90),
    );
    let page = Page { skip: 0, limit: 10 };
    assert_eq!(store.find_device_views(&filter, page).await.unwrap().1, 0);
    assert_eq!(store.fill_device_search().await.unwrap(), 1);
    assert_eq!(store.fill_device_search().await.unwrap(), 0, "done once");
    assert_eq!(store.find_device_views(&filter, page).await.unwrap().1, 1);
    assert_eq!(store.device_tags().await.unwrap(), ["lab"]);
}

async fn a_wake_target_is_the_device_and_all_its_agents(store: &dyn Store, _db: &TestDb) {
    let (a, b) = (agent("a"), agent("b"));
    store.insert_agent(&a, None).await.unwrap();
    store.insert_agent(&b, None).await.unwrap();
    let pc = device("pc", 1);
    store.insert_device(&pc, &[b.id, a.id]).await.unwrap();
    let target = store.device_wake_target(pc.id).await.unwrap().unwrap();
    assert_eq!(
        (target.device_id, target.name.as_str(), target.mac_address),
        (pc.id, "pc", pc.mac_address)
    );
    assert_eq!(target.ip_address, pc.ip_address);
    let hostnames: Vec<&str> = target.agents.iter().map(|a| a.hostname.as_str()).collect();
    assert_eq!(hostnames, ["a", "b"]);
    assert_eq!(
        target.agents[0].token, a.token,
        "with what a wake call needs"
    );
    assert!(
        store
            .device_wake_target(DeviceId::generate())
            .await
            .unwrap()
            .is_none()
    );
}
