//! The dashboard's server functions: the summary, the devices a search
//! finds (filtered by the database, one page at a time) and the device
//! form's choices.

use serde_json::{Value, json};

use crate::helpers::{ConfigFor, TestApp, TestDb, on_both_engines, with_both_databases};
use crate::web::{call, page, sign_in};
use backend::domain::device_search::DeviceMatch;
use backend::storage::Page;
use powerbeacon::Application;
use shared::types::DeviceQuery;

on_both_engines!(
    the_database_finds_devices_by_search_and_filters,
    pages_of_devices_grow_by_their_limit,
    the_summary_counts_and_offers_the_filters_choices,
    pages_do_not_grow_with_the_fleet,
);

mod backfill {
    use super::*;
    with_both_databases!(devices_stored_before_the_search_columns_are_found);
}

/// Adds devices through the API: (name, MAC, IP, OS, tags, cluster).
async fn add_devices(app: &TestApp, token: &str, devices: &[(&str, &str, &str, &str, &[&str])]) {
    for (name, mac, ip, os, tags) in devices {
        let response = app
            .send(
                app.client.post(app.url("/api/devices")).json(&json!({
                    "name": name, "mac_address": mac, "ip_address": ip, "os_type": os,
                    "tags": tags,
                })),
                token,
            )
            .await;
        assert_eq!(response.status(), 201, "{name}");
    }
}

/// The names a `devices` call finds for `query`, and how many match.
async fn found(app: &TestApp, cookie: &str, query: Value) -> (Vec<String>, u64) {
    let (status, page) = call(app, Some(cookie), "find_devices", json!({ "query": query })).await;
    assert_eq!(status, 200, "{query}: {page}");
    let names = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["name"].as_str().unwrap().to_string())
        .collect();
    (names, page["matching"].as_u64().unwrap())
}

async fn the_database_finds_devices_by_search_and_filters(app: &TestApp) {
    let root = app.root_token().await;
    add_devices(
        app,
        &root,
        &[
            (
                "NAS",
                "AA:BB:CC:00:00:01",
                "192.0.2.10",
                "linux",
                &["Storage", "office"],
            ),
            (
                "Gaming PC",
                "AA:BB:CC:00:00:02",
                "192.0.2.20",
                "windows",
                &["office"],
            ),
            (
                "Mac mini",
                "02:00:00:00:00:03",
                "198.51.100.7",
                "macos",
                &[],
            ),
            (
                "50% off_box",
                "02:00:00:00:00:04",
                "198.51.100.8",
                "linux",
                &["rack 2"],
            ),
        ],
    )
    .await;
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // Newest first, every field searched, case-insensitively.
    for (search, expected) in [
        ("", &["50% off_box", "Mac mini", "Gaming PC", "NAS"][..]),
        ("nas", &["NAS"]),
        ("GAMING", &["Gaming PC"]),
        ("192.0.2", &["Gaming PC", "NAS"]),
        ("aa:bb:cc", &["Gaming PC", "NAS"]),
        ("aa-bb-cc-00-00-01", &["NAS"]),
        ("aabbcc000002", &["Gaming PC"]),
        ("stor", &["NAS"]),
        // What LIKE would read as wildcards is plain text.
        ("50%", &["50% off_box"]),
        ("_", &["50% off_box"]),
        ("%", &["50% off_box"]),
        ("printer", &[]),
    ] {
        let (found_names, matching) = found(app, &cookie, json!({ "search": search })).await;
        assert_eq!(found_names, names(expected), "search {search:?}");
        assert_eq!(matching, expected.len() as u64, "search {search:?}");
    }
    // The filters, alone and with a search; a tag matches whole and as written.
    for (query, expected) in [
        (json!({"os": "linux"}), &["50% off_box", "NAS"][..]),
        (json!({"tag": "office"}), &["Gaming PC", "NAS"]),
        (json!({"tag": "Office"}), &[]),
        (json!({"tag": "off"}), &[]),
        (json!({"tag": "rack 2"}), &["50% off_box"]),
        (json!({"tag": "office", "os": "windows"}), &["Gaming PC"]),
        (json!({"tag": "office", "search": "nas"}), &["NAS"]),
    ] {
        let (found_names, _) = found(app, &cookie, query.clone()).await;
        assert_eq!(found_names, names(expected), "{query}");
    }

    // A cluster filter, after a device moves into one.
    let (_, page) = call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"search": "mac"}}),
    )
    .await;
    let mini = page["devices"][0]["id"].as_str().unwrap().to_string();
    let response = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "Lab", "device_ids": [mini]})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 201);
    let cluster: Value = response.json().await.unwrap();
    let (found_names, _) = found(app, &cookie, json!({ "cluster": cluster["id"] })).await;
    assert_eq!(found_names, names(&["Mac mini"]));

    // An edit is searched as edited.
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{mini}")))
                .json(&json!({"name": "Studio", "tags": ["Video"]})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(found(app, &cookie, json!({"search": "mini"})).await.1, 0);
    assert_eq!(
        found(app, &cookie, json!({"search": "video"})).await.0,
        names(&["Studio"])
    );
    assert_eq!(
        found(app, &cookie, json!({"tag": "Video"})).await.0,
        names(&["Studio"])
    );

    // A query the function cannot read is refused, and changes nothing.
    let (status, body) = call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"os": "beos"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

async fn pages_of_devices_grow_by_their_limit(app: &TestApp) {
    let root = app.root_token().await;
    for i in 0..7 {
        add_devices(
            app,
            &root,
            &[(
                &format!("bulk-{i}"),
                &format!("02:00:00:00:01:{i:02X}"),
                "192.0.2.1",
                "linux",
                &[],
            )],
        )
        .await;
    }
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let (status, page) = call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"limit": 3}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["devices"].as_array().unwrap().len(), 3);
    assert_eq!(
        (page["matching"].as_u64(), page["total"].as_u64()),
        (Some(7), Some(7))
    );
    let (names, matching) = found(app, &cookie, json!({"limit": 6, "search": "bulk"})).await;
    assert_eq!(
        names,
        ["bulk-6", "bulk-5", "bulk-4", "bulk-3", "bulk-2", "bulk-1"]
    );
    assert_eq!(matching, 7);
    // No limit is the first page; an impossible one is held to the bounds.
    let (status, page) = call(app, Some(&cookie), "find_devices", json!({})).await;
    assert_eq!(
        (status, page["devices"].as_array().unwrap().len()),
        (200, 7)
    );
    let (names, _) = found(app, &cookie, json!({"limit": 0})).await;
    assert_eq!(names, ["bulk-6"]);
    let (status, page) = call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"search": "bulk-1", "limit": 5}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (page["matching"].as_u64(), page["total"].as_u64()),
        (Some(1), Some(7))
    );

    // A search's letters and digits are looked for in the MAC only.
    add_devices(
        app,
        &root,
        &[("ab12cd", "02:00:00:00:02:01", "192.0.2.2", "linux", &[])],
    )
    .await;
    assert_eq!(found(app, &cookie, json!({"search": "ab12"})).await.1, 1);
    assert_eq!(found(app, &cookie, json!({"search": "ab-12"})).await.1, 0);
    assert_eq!(
        found(app, &cookie, json!({"search": "0000-0201"})).await.1,
        1
    );
}

async fn the_summary_counts_and_offers_the_filters_choices(app: &TestApp) {
    let root = app.root_token().await;
    add_devices(
        app,
        &root,
        &[
            (
                "nas",
                "02:00:00:00:00:01",
                "192.0.2.10",
                "linux",
                &["storage", "Office"],
            ),
            (
                "pc",
                "02:00:00:00:00:02",
                "192.0.2.11",
                "windows",
                &["office", "storage"],
            ),
        ],
    )
    .await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "Lab"})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 201);
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let (status, summary) = call(app, Some(&cookie), "dashboard", json!({})).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["device_count"], 2);
    assert_eq!(summary["cluster_count"], 1);
    assert_eq!(summary["clusters"][0]["name"], "Lab");
    assert_eq!(summary["tags"], json!(["Office", "office", "storage"]));
    assert_eq!(summary["can_create_devices"], true);
    assert!(
        summary.get("devices").is_none(),
        "the summary holds no devices"
    );
    let (status, choices) = call(app, Some(&cookie), "device_choices", json!({})).await;
    assert_eq!(status, 200, "{choices}");
    assert_eq!(choices["clusters"][0]["name"], "Lab");
    assert_eq!(choices["agents"], json!([]));
    let (status, _) = call(app, None, "find_devices", json!({})).await;
    assert_eq!(status, 401);
}

async fn devices_stored_before_the_search_columns_are_found(db: TestDb) {
    let config = db.config();
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    add_devices(
        &app,
        &root,
        &[(
            "Old NAS",
            "02:00:00:00:00:01",
            "192.0.2.10",
            "linux",
            &["storage"],
        )],
    )
    .await;
    // As a device written before the columns were added.
    app.raw_sql("UPDATE devices SET search_text = '', tag_keys = ''")
        .await;
    let find = async |store: &dyn backend::storage::Store, query: DeviceQuery| {
        let page = Page { skip: 0, limit: 10 };
        let (views, count) = store
            .find_device_views(
                &DeviceMatch::new(&query, std::time::Duration::from_secs(90)),
                page,
            )
            .await
            .unwrap();
        (views.len(), count)
    };
    let by_name = DeviceQuery {
        search: "old nas".into(),
        ..Default::default()
    };
    let by_tag = DeviceQuery {
        tag: Some("storage".into()),
        ..Default::default()
    };
    assert_eq!(
        find(app.services.store().as_ref(), by_name.clone()).await,
        (0, 0)
    );
    // A server starting on that database fills them in.
    let restarted = Application::build(config).await.expect("starts again");
    let store = restarted.services().store().clone();
    assert_eq!(find(store.as_ref(), by_name).await, (1, 1));
    assert_eq!(find(store.as_ref(), by_tag).await, (1, 1));
    drop(restarted);
    app.finish().await;
}

/// The HTML of `path` for the session `cookie`, answered 200.
async fn page_html(app: &TestApp, cookie: &str, path: &str) -> String {
    let (status, html) = page(app, cookie, path).await;
    assert_eq!(status, 200, "{path}");
    html
}

/// A page of cards and the summary, never the fleet: the dashboard shows
/// one page of cards, and a cluster's page carries no choices of devices.
async fn pages_do_not_grow_with_the_fleet(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "Empty"})),
            &root,
        )
        .await;
    let cluster: Value = response.json().await.unwrap();
    let cluster_page = format!("/clusters/{}", cluster["id"].as_str().unwrap());
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;

    app.insert_devices("fleet", 0x20, 500).await;

    let dashboard = page_html(app, &cookie, "/dashboard").await;
    assert_eq!(
        dashboard.matches(r#"class="device-card""#).count() as u64,
        DeviceQuery::PAGE_SIZE
    );
    assert!(
        dashboard.contains("500 of 500 devices"),
        "the count of all the devices"
    );
    assert!(
        dashboard.len() < 100_000,
        "the dashboard of 500 devices is {} bytes",
        dashboard.len()
    );
    let cluster = page_html(app, &cookie, &cluster_page).await;
    assert!(
        !cluster.contains("fleet-"),
        "a cluster's page carries no device of the fleet"
    );
    assert!(
        cluster.len() < 10_000,
        "an empty cluster's page is {} bytes",
        cluster.len()
    );
}
