//! `POST /api/devices/{id}/wake` and `POST /api/clusters/{id}/wake` through
//! fake agents on 127.0.0.1 that succeed, fail, or never answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_agent::{Behaviour, FakeAgent, closed_port};
use crate::helpers::{TestApp, TestDb, assert_error, on_both_engines, with_both_databases};

on_both_engines!(
    a_device_wake_fans_out_to_every_online_agent,
    device_wake_refusals,
    a_cluster_wake_sends_one_batch_per_batching_agent,
    cluster_wake_refusals,
);

mod slow {
    use super::*;
    with_both_databases!(a_silent_agent_costs_one_timeout_for_a_200_device_cluster);
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.send(app.client.post(app.url(path)).json(&body), token)
        .await
}

async fn create_device(app: &TestApp, token: &str, body: Value) -> String {
    let response = post(app, "/api/devices", token, body).await;
    assert_eq!(response.status(), 201);
    let device: Value = response.json().await.unwrap();
    device["id"].as_str().unwrap().to_string()
}

async fn wake(app: &TestApp, token: &str, what: &str, id: &str) -> reqwest::Response {
    post(app, &format!("/api/{what}/{id}/wake"), token, json!({})).await
}

async fn a_device_wake_fans_out_to_every_online_agent(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let good = FakeAgent::start(Behaviour::Succeed).await;
    let broken = FakeAgent::start(Behaviour::Fail).await;
    let interfaces = json!({"interfaces": [
        {"name": "eth0", "address": "198.51.100.65", "prefix": 26},
    ]});
    let (good_id, good_token) = app
        .register_agent(&key, "a-good", good.port(), interfaces)
        .await;
    let (broken_id, _) = app
        .register_agent(&key, "b-broken", broken.port(), json!({}))
        .await;
    let asleep = app.insert_agent("c-asleep", None, false).await;
    let flood = FakeAgent::start(Behaviour::Flood).await;
    let (flood_id, _) = app
        .register_agent(&key, "d-flood", flood.port(), json!({}))
        .await;
    let device = create_device(
        app,
        &root,
        json!({"name": "nas", "mac_address": "aa-bb-cc-dd-ee-ff", "ip_address": "198.51.100.70",
               "agent_ids": [good_id, broken_id, asleep, flood_id]}),
    )
    .await;

    let response = wake(app, &root, "devices", &device).await;
    assert_eq!(response.status(), 202);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["device_id"], device.as_str());
    assert_eq!(result["successful_agents"], json!(["a-good"]));
    assert_eq!(result["failed_agents"], json!(["b-broken", "d-flood"]));
    assert_eq!(result["offline_agents"], json!(["c-asleep"]));
    let message = result["message"].as_str().unwrap();
    assert!(
        message.contains("nas") && message.contains("1 of 4"),
        "{message}"
    );
    let outcomes: Vec<&str> = result["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["sent", "failed", "offline", "failed"]);
    assert!(
        result["agents"][1]["message"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{result}"
    );
    // An endless answer is cut off, not buffered.
    assert!(
        result["agents"][3]["message"]
            .as_str()
            .unwrap()
            .contains("longer than"),
        "{result}"
    );

    // The agent got the original protocol's request with its own token; the
    // broadcast is its interface's /26, not the device's x.x.x.255.
    let calls = good.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(format!("Bearer {good_token}").as_str())
    );
    assert_eq!(calls[0].body["mac"], "AA:BB:CC:DD:EE:FF");
    assert_eq!(calls[0].body["broadcast"], "198.51.100.127");
    assert_eq!(calls[0].body["port"], 9);
    assert_eq!(calls[0].body["ip"], "198.51.100.70");
    assert_eq!(broken.calls()[0].body["broadcast"], "198.51.100.255");
}

async fn device_wake_refusals(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let (_, bob) = app.user_with_role(&root, "bob", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;
    let key = app.enrollment_key(&root, None).await;

    let lonely = create_device(
        app,
        &alice,
        json!({"name": "lonely", "mac_address": "02:00:00:00:00:01"}),
    )
    .await;
    let body = assert_error(wake(app, &alice, "devices", &lonely).await, 422).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no associated agents")
    );

    let asleep = app.insert_agent("asleep", None, false).await;
    let dead_port = closed_port();
    let (dead, _) = app.register_agent(&key, "dead", dead_port, json!({})).await;
    let device = create_device(
        app,
        &alice,
        json!({"name": "pc", "mac_address": "02:00:00:00:00:02", "agent_ids": [asleep, dead]}),
    )
    .await;
    let body = assert_error(wake(app, &alice, "devices", &device).await, 503).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Offline agents: asleep"),
        "{body}"
    );
    let details = body["details"].as_str().unwrap();
    assert!(details.contains("dead: agent unreachable"), "{details}");
    // The same reasons, per agent, for clients that show them one by one.
    let parts: Vec<(&str, &str)> = body["agents"]
        .as_array()
        .expect("the agents' parts")
        .iter()
        .map(|a| {
            (
                a["hostname"].as_str().unwrap(),
                a["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts, [("asleep", "offline"), ("dead", "failed")], "{body}");

    assert_error(wake(app, &bob, "devices", &device).await, 403).await;
    assert_error(wake(app, &viewer, "devices", &device).await, 403).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_error(wake(app, &alice, "devices", &unknown).await, 404).await;
    assert_error(wake(app, &alice, "devices", "nope").await, 422).await;
    let response = app
        .client
        .post(app.url(&format!("/api/devices/{device}/wake")))
        .send()
        .await
        .unwrap();
    assert_error(response, 401).await;
}

async fn a_cluster_wake_sends_one_batch_per_batching_agent(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let batching = FakeAgent::start(Behaviour::Succeed).await;
    let plain = FakeAgent::start(Behaviour::Succeed).await;
    let (batching_id, _) = app
        .register_agent(
            &key,
            "batching",
            batching.port(),
            json!({"features": ["wol-batch"]}),
        )
        .await;
    let (plain_id, _) = app
        .register_agent(&key, "plain", plain.port(), json!({}))
        .await;
    let response = post(
        app,
        "/api/clusters",
        &root,
        json!({"name": "lab", "agent_ids": [batching_id, plain_id]}),
    )
    .await;
    let cluster: Value = response.json().await.unwrap();
    let cluster_id = cluster["id"].as_str().unwrap();
    for i in 0..5 {
        create_device(
            app,
            &root,
            json!({"name": format!("pc-{i}"), "mac_address": format!("02:00:00:00:01:0{i}"),
                   "cluster_id": cluster_id, "agent_ids": [batching_id, plain_id]}),
        )
        .await;
    }
    // A device without agents is reported, not fatal.
    create_device(
        app,
        &root,
        json!({"name": "zz-unlinked", "mac_address": "02:00:00:00:01:99", "cluster_id": cluster_id}),
    )
    .await;

    let response = wake(app, &root, "clusters", cluster_id).await;
    assert_eq!(response.status(), 202);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["device_count"], 6);
    assert_eq!(result["successful_device_count"], 5);
    assert_eq!(result["failed_device_count"], 1);
    assert_eq!(result["cluster_name"], "lab");
    let devices = result["devices"].as_array().unwrap();
    assert_eq!(devices[0]["device_name"], "pc-0", "by name");
    assert_eq!(
        devices[0]["successful_agents"],
        json!(["batching", "plain"])
    );
    assert!(
        devices[5]["message"]
            .as_str()
            .unwrap()
            .contains("no associated agents")
    );

    let batches = batching.calls();
    assert_eq!(batches.len(), 1, "one request for all five devices");
    let targets = batches[0].body["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 5);
    assert_eq!(targets[0]["mac"], "02:00:00:00:01:00");
    assert_eq!(plain.calls().len(), 5, "one request per device");
}

async fn cluster_wake_refusals(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;
    let empty: Value = post(app, "/api/clusters", &root, json!({"name": "empty"}))
        .await
        .json()
        .await
        .unwrap();
    let empty = empty["id"].as_str().unwrap();
    let body = assert_error(wake(app, &root, "clusters", empty).await, 422).await;
    assert!(body["message"].as_str().unwrap().contains("no devices"));
    assert_error(wake(app, &alice, "clusters", empty).await, 403).await;
    assert_error(wake(app, &viewer, "clusters", empty).await, 403).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_error(wake(app, &root, "clusters", &unknown).await, 404).await;

    // Every agent down: 503 with the reasons.
    let key = app.enrollment_key(&root, None).await;
    let failing = FakeAgent::start(Behaviour::Fail).await;
    let (agent, _) = app
        .register_agent(&key, "failing", failing.port(), json!({}))
        .await;
    let cluster: Value = post(
        app,
        "/api/clusters",
        &root,
        json!({"name": "down", "agent_ids": [agent]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let cluster_id = cluster["id"].as_str().unwrap();
    create_device(
        app,
        &root,
        json!({"name": "pc", "mac_address": "02:00:00:00:02:01", "cluster_id": cluster_id, "agent_ids": [agent]}),
    )
    .await;
    let body = assert_error(wake(app, &root, "clusters", cluster_id).await, 503).await;
    assert!(
        body["details"].as_str().unwrap().contains("failing:"),
        "{body}"
    );
    assert_eq!(body["agents"][0]["agent_id"], json!(agent), "{body}");
    assert_eq!(body["agents"][0]["outcome"], "failed", "{body}");
    // Other errors keep the original three fields.
    let body = assert_error(wake(app, &viewer, "clusters", cluster_id).await, 403).await;
    assert!(body.get("agents").is_none(), "{body}");
}

/// 200 devices, each reachable through a working agent and a silent one:
/// the wake ends after about one agent timeout, not one per device.
async fn a_silent_agent_costs_one_timeout_for_a_200_device_cluster(db: TestDb) {
    let timeout = Duration::from_millis(1000);
    let app = TestApp::spawn_with(db, |config| {
        config.agent_timeout_ms = timeout.as_millis() as u64;
    })
    .await;
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let good = FakeAgent::start(Behaviour::Succeed).await;
    let silent = FakeAgent::start(Behaviour::Silent).await;
    let (good_id, _) = app
        .register_agent(&key, "good", good.port(), json!({}))
        .await;
    let (silent_id, _) = app
        .register_agent(&key, "silent", silent.port(), json!({}))
        .await;
    let cluster: Value = post(
        &app,
        "/api/clusters",
        &root,
        json!({"name": "big", "agent_ids": [good_id, silent_id]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let cluster_id = cluster["id"].as_str().unwrap().to_string();
    for i in 0..200u32 {
        create_device(
            &app,
            &root,
            json!({"name": format!("pc-{i:03}"), "mac_address": format!("02:00:00:00:{:02x}:{:02x}", i / 256, i % 256),
                   "cluster_id": cluster_id, "agent_ids": [good_id, silent_id]}),
        )
        .await;
    }

    let started = Instant::now();
    let response = wake(&app, &root, "clusters", &cluster_id).await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 202);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["successful_device_count"], 200);
    assert_eq!(good.calls().len(), 200);
    assert!(
        silent.calls().len() <= 16,
        "after the first timeouts the silent agent is skipped, got {} calls",
        silent.calls().len()
    );
    assert_eq!(result["devices"][199]["failed_agents"], json!(["silent"]));
    assert!(
        elapsed < timeout * 2,
        "took {elapsed:?}; one timeout is {timeout:?}"
    );
    app.finish().await;
}
