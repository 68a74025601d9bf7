//! Cluster changes never remove a device↔agent link the caller did not name
//! (docs/API.md, "Devices, agents and clusters"): only an agent dropped from
//! a cluster's `agent_ids` loses its links to the cluster's devices. Links
//! left crossing a cluster's edge are shown (`crosses_cluster`), stay
//! editable, and still wake. One test per step of the table in the issue
//! that found the hole, and the original PowerBeacon's own load workload.

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fake_agent::{Behaviour, FakeAgent};
use crate::helpers::{
    TEST_PASSWORD, TestApp, TestDb, assert_error, on_both_engines, with_both_databases,
};
use crate::web::{page, sign_in};

on_both_engines!(
    a_new_cluster_leaves_the_links_of_devices_outside,
    a_device_released_from_a_cluster_keeps_its_links,
    an_agent_dropped_from_a_cluster_leaves_only_the_clusters_devices,
    a_device_with_a_crossing_link_stays_editable,
    deleting_a_cluster_keeps_every_link,
    pages_mark_the_links_that_cross_a_cluster,
);

mod workload {
    use super::*;
    with_both_databases!(the_originals_workload_leaves_every_device_wakeable);
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Value {
    let (status, body) = call_status(app, token, method, path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

async fn call_status(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let request = app.client.request(method, app.url(path));
    let request = if body.is_null() {
        request
    } else {
        request.json(&body)
    };
    let response = app.send(request, token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

async fn device(app: &TestApp, token: &str, name: &str, mac: u8, agents: &[&str]) -> String {
    let body = json!({
        "name": name,
        "mac_address": format!("02:00:00:00:00:{mac:02X}"),
        "agent_ids": agents,
    });
    id(&call(app, token, Method::POST, "/api/devices", body).await)
}

/// A device's linked agents as (hostname, crosses_cluster).
async fn links(app: &TestApp, token: &str, device: &str) -> Vec<(String, bool)> {
    let device = call(
        app,
        token,
        Method::GET,
        &format!("/api/devices/{device}"),
        Value::Null,
    )
    .await;
    device["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| {
            (
                agent["hostname"].as_str().unwrap().to_string(),
                agent["crosses_cluster"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn linked(hostname: &str, crosses_cluster: bool) -> Vec<(String, bool)> {
    vec![(hostname.to_string(), crosses_cluster)]
}

async fn a_new_cluster_leaves_the_links_of_devices_outside(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("a", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[&a]).await;
    let d2 = device(app, &root, "d2", 2, &[&a]).await;

    call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1], "agent_ids": [a]}),
    )
    .await;

    assert_eq!(links(app, &root, &d1).await, linked("a", false));
    // d2 keeps A; the link now crosses the cluster's edge, and says so.
    assert_eq!(links(app, &root, &d2).await, linked("a", true));
    let agent = call(
        app,
        &root,
        Method::GET,
        &format!("/api/agents/{a}"),
        Value::Null,
    )
    .await;
    assert_eq!(agent["device_count"], 2);
}

async fn a_device_released_from_a_cluster_keeps_its_links(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("a", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[]).await;
    let d3 = device(app, &root, "d3", 3, &[]).await;
    let cluster = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1, d3], "agent_ids": [a]}),
    )
    .await;
    let path = format!("/api/clusters/{}", id(&cluster));
    for d in [&d1, &d3] {
        call(
            app,
            &root,
            Method::PUT,
            &format!("/api/devices/{d}"),
            json!({"agent_ids": [a]}),
        )
        .await;
    }

    let updated = call(app, &root, Method::PUT, &path, json!({"device_ids": [d1]})).await;
    assert_eq!(updated["device_count"], 1);

    let released = call(
        app,
        &root,
        Method::GET,
        &format!("/api/devices/{d3}"),
        Value::Null,
    )
    .await;
    assert_eq!(released["cluster_id"], Value::Null);
    assert_eq!(links(app, &root, &d3).await, linked("a", true));
    assert_eq!(links(app, &root, &d1).await, linked("a", false));
}

async fn an_agent_dropped_from_a_cluster_leaves_only_the_clusters_devices(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("a", None, true).await;
    let b = app.insert_agent("b", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[&a, &b]).await;
    let d2 = device(app, &root, "d2", 2, &[&a]).await;
    let cluster = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1], "agent_ids": [a, b]}),
    )
    .await;
    let path = format!("/api/clusters/{}", id(&cluster));

    // Only B stays: A goes, and with it A's links to the cluster's devices.
    call(app, &root, Method::PUT, &path, json!({"agent_ids": [b]})).await;

    assert_eq!(links(app, &root, &d1).await, linked("b", false));
    // d2, outside, keeps A (both in no cluster now: no longer crossing).
    assert_eq!(links(app, &root, &d2).await, linked("a", false));

    // Dropping an agent and releasing a device at once: the released device
    // keeps its link, the one that stays loses it.
    let d4 = device(app, &root, "d4", 4, &[]).await;
    call(
        app,
        &root,
        Method::PUT,
        &path,
        json!({"device_ids": [d1, d4]}),
    )
    .await;
    call(
        app,
        &root,
        Method::PUT,
        &format!("/api/devices/{d4}"),
        json!({"agent_ids": [b]}),
    )
    .await;
    call(
        app,
        &root,
        Method::PUT,
        &path,
        json!({"device_ids": [d1], "agent_ids": []}),
    )
    .await;
    assert_eq!(links(app, &root, &d1).await, Vec::new());
    assert_eq!(links(app, &root, &d4).await, linked("b", false));
}

async fn a_device_with_a_crossing_link_stays_editable(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("a", None, true).await;
    let b = app.insert_agent("b", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[&a]).await;
    let d2 = device(app, &root, "d2", 2, &[&a]).await;
    let cluster = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1], "agent_ids": [a, b]}),
    )
    .await;
    let d2_path = format!("/api/devices/{d2}");

    // A rename touches no link: 200 (the original answers 422 here).
    let renamed = call(app, &root, Method::PUT, &d2_path, json!({"name": "d2-new"})).await;
    assert_eq!(renamed["name"], "d2-new");
    assert_eq!(links(app, &root, &d2).await, linked("a", true));

    // Sending the links it has keeps them, as the browser's form does.
    call(
        app,
        &root,
        Method::PUT,
        &d2_path,
        json!({"name": "d2", "cluster_id": null, "agent_ids": [a]}),
    )
    .await;
    assert_eq!(links(app, &root, &d2).await, linked("a", true));

    // Setting a new crossing link is refused, as before, and changes nothing.
    let (status, body) = call_status(
        app,
        &root,
        Method::PUT,
        &d2_path,
        json!({"name": "refused", "agent_ids": [a, b]}),
    )
    .await;
    assert_eq!((status, body["details"].as_str()), (422, Some("agent_ids")));
    let (status, body) = call_status(
        app,
        &root,
        Method::POST,
        "/api/devices",
        json!({"name": "d5", "mac_address": "02:00:00:00:00:05", "agent_ids": [b]}),
    )
    .await;
    assert_eq!((status, body["details"].as_str()), (422, Some("agent_ids")));
    let unchanged = call(app, &root, Method::GET, &d2_path, Value::Null).await;
    assert_eq!(unchanged["name"], "d2");

    // A move without agent_ids must fit every link it keeps.
    let other = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "other"}),
    )
    .await;
    let (status, body) = call_status(
        app,
        &root,
        Method::PUT,
        &d2_path,
        json!({"cluster_id": id(&other)}),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("cluster_id"))
    );
    // Moving into the agent's cluster heals the link.
    call(
        app,
        &root,
        Method::PUT,
        &d2_path,
        json!({"cluster_id": id(&cluster)}),
    )
    .await;
    assert_eq!(links(app, &root, &d2).await, linked("a", false));

    // Dropping a crossing link is an edit like any other.
    let d6 = device(app, &root, "d6", 6, &[]).await;
    call(
        app,
        &root,
        Method::PUT,
        &format!("/api/clusters/{}", id(&cluster)),
        json!({"device_ids": [d1, d2, d6]}),
    )
    .await;
    call(
        app,
        &root,
        Method::PUT,
        &format!("/api/devices/{d6}"),
        json!({"agent_ids": [a]}),
    )
    .await;
    call(
        app,
        &root,
        Method::PUT,
        &format!("/api/clusters/{}", id(&cluster)),
        json!({"device_ids": [d1, d2]}),
    )
    .await;
    assert_eq!(links(app, &root, &d6).await, linked("a", true));
    call(
        app,
        &root,
        Method::PUT,
        &format!("/api/devices/{d6}"),
        json!({"agent_ids": []}),
    )
    .await;
    assert_eq!(links(app, &root, &d6).await, Vec::new());
}

async fn deleting_a_cluster_keeps_every_link(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("a", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[&a]).await;
    let d2 = device(app, &root, "d2", 2, &[&a]).await;
    let cluster = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1], "agent_ids": [a]}),
    )
    .await;
    let path = format!("/api/clusters/{}", id(&cluster));
    let response = app.send(app.client.delete(app.url(&path)), &root).await;
    assert_eq!(response.status(), 200);
    assert_error(app.send(app.client.get(app.url(&path)), &root).await, 404).await;
    assert_eq!(links(app, &root, &d1).await, linked("a", false));
    assert_eq!(links(app, &root, &d2).await, linked("a", false));
}

async fn pages_mark_the_links_that_cross_a_cluster(app: &TestApp) {
    let root = app.root_token().await;
    let a = app.insert_agent("agent-a", None, true).await;
    let d1 = device(app, &root, "d1", 1, &[&a]).await;
    device(app, &root, "d2", 2, &[&a]).await;
    let cluster = call(
        app,
        &root,
        Method::POST,
        "/api/clusters",
        json!({"name": "lab", "device_ids": [d1], "agent_ids": [a]}),
    )
    .await;
    let cookie = sign_in(app, "root", TEST_PASSWORD).await;

    // The dashboard: d2's card marks its link, d1's does not.
    let (status, html) = page(app, &cookie, "/dashboard").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("other cluster").count(), 1, "{html}");
    let d2_card = &html[html.find(">d2<").expect("d2's card")..];
    let d2_card = &d2_card[..d2_card.find("</li>").unwrap()];
    assert!(
        d2_card.contains("agent-a") && d2_card.contains("other cluster"),
        "{d2_card}"
    );
    // The cluster's page lists d1 only, whose link does not cross.
    let (status, html) = page(app, &cookie, &format!("/clusters/{}", id(&cluster))).await;
    assert_eq!(status, 200);
    assert!(html.contains("agent-a") && !html.contains("other cluster"));
}

/// The original PowerBeacon's load workload: 1 000 devices linked to three
/// agents, then a cluster made of 100 of them and the three agents. Every
/// device must still wake through all three afterwards (before the fix, 900
/// of them answered 422 "no agents").
async fn the_originals_workload_leaves_every_device_wakeable(db: TestDb) {
    const DEVICES: usize = 1000;
    const IN_CLUSTER: usize = 100;
    let server = TestApp::spawn(db).await;
    let app = &server;
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let fakes = [
        FakeAgent::start(Behaviour::Succeed).await,
        FakeAgent::start(Behaviour::Succeed).await,
        FakeAgent::start(Behaviour::Succeed).await,
    ];
    let mut agents = Vec::new();
    for (i, fake) in fakes.iter().enumerate() {
        let (agent, _) = app
            .register_agent(&key, &format!("agent-{i}"), fake.port(), json!({}))
            .await;
        agents.push(agent);
    }

    let (root, agents) = (&root, &agents);
    let devices: Vec<String> = futures::stream::iter(0..DEVICES)
        .map(|i| async move {
            let body = json!({
                "name": format!("load-{i:04}"),
                "mac_address": format!("02:10:00:00:{:02X}:{:02X}", i / 256, i % 256),
                "agent_ids": agents,
            });
            id(&call(app, root, Method::POST, "/api/devices", body).await)
        })
        .buffered(8)
        .collect()
        .await;

    let cluster = call(
        app,
        root,
        Method::POST,
        "/api/clusters",
        json!({"name": "load", "device_ids": &devices[..IN_CLUSTER], "agent_ids": agents}),
    )
    .await;
    assert_eq!(cluster["device_count"], IN_CLUSTER);
    assert_eq!(app.count_rows("device_agents").await, (DEVICES * 3) as i64);

    let woken: Vec<usize> = futures::stream::iter(&devices)
        .map(|device| async move {
            let result = call(
                app,
                root,
                Method::POST,
                &format!("/api/devices/{device}/wake"),
                json!({}),
            )
            .await;
            result["successful_agents"].as_array().unwrap().len()
        })
        .buffered(8)
        .collect()
        .await;
    assert!(woken.iter().all(|&n| n == 3), "{woken:?}");
    for fake in &fakes {
        assert_eq!(fake.calls().len(), DEVICES);
    }
    let crossing = links(app, root, &devices[IN_CLUSTER]).await;
    assert!(crossing.iter().all(|(_, crosses)| *crosses), "{crossing:?}");
    server.finish().await;
}
