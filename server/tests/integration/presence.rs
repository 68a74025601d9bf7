//! Presence through the API (docs/API.md, "Presence"): agents that announce
//! `presence` get their watch list with each heartbeat and report what they
//! see; devices show what the server concludes, and keep its history.
//! Agents here are plain HTTP clients speaking the agent protocol.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ConfigFor, TestApp, TestDb, assert_error, on_both_engines, with_both_databases,
};

on_both_engines!(
    original_heartbeats_still_get_204_and_no_body,
    agents_show_how_they_watch,
    presence_agents_get_their_watch_list_when_it_changes,
    reports_make_a_device_up_and_down_with_history,
    several_agents_agree_and_an_agent_gone_offline_stops_counting,
    another_machine_at_the_address_is_never_up,
    a_device_up_at_another_address_shows_both,
    reports_about_devices_not_served_are_refused,
    bad_reports_are_refused_and_change_nothing,
    everyone_who_reads_devices_reads_presence,
    probe_settings_are_kept_checked_and_sent_to_the_agents,
    pages_show_each_device_state_in_words,
    lists_and_the_dashboard_filter_and_count_by_presence,
);

/// An agent of the test: its id and token.
struct Agent {
    id: String,
    token: String,
}

impl Agent {
    async fn register(app: &TestApp, root: &str, hostname: &str, features: &[&str]) -> Self {
        let key = app.enrollment_key(root, None).await;
        let (id, token) = app
            .register_agent(&key, hostname, 18080, json!({"features": features}))
            .await;
        Self { id, token }
    }

    async fn heartbeat(&self, app: &TestApp, watch_version: Option<&str>) -> reqwest::Response {
        app.send(
            app.client
                .post(app.url("/api/agents/heartbeat"))
                .json(&json!({
                    "agent_id": self.id, "watch_version": watch_version,
                })),
            &self.token,
        )
        .await
    }

    async fn watch(&self, app: &TestApp, watch_version: Option<&str>) -> Value {
        let response = self.heartbeat(app, watch_version).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["watch"].clone()
    }

    async fn report_at(&self, app: &TestApp, base: &str, sightings: Value) -> reqwest::Response {
        app.send(
            app.client
                .post(format!("{base}/api/agents/presence"))
                .json(&json!({"agent_id": self.id, "sightings": sightings})),
            &self.token,
        )
        .await
    }

    async fn report(&self, app: &TestApp, sightings: Value) -> Value {
        let response = self.report_at(app, &app.url(""), sightings).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

fn up(device: &str, address: &str) -> Value {
    json!({"device_id": device, "state": "up", "method": "neighbor", "address": address,
           "rtt_us": 412, "age_ms": 0})
}

fn down(device: &str) -> Value {
    json!({"device_id": device, "state": "down", "method": "tcp", "address": "192.0.2.10",
           "age_ms": 0})
}

/// Creates a device (MAC 02:00:00:00:00:01 unless `mac`) at 192.0.2.10
/// linked to `agents`, and returns its id.
async fn device(app: &TestApp, token: &str, name: &str, mac: &str, agents: &[&Agent]) -> String {
    let ids: Vec<&str> = agents.iter().map(|agent| agent.id.as_str()).collect();
    app.create(
        token,
        "/api/devices",
        json!({"name": name, "mac_address": mac, "ip_address": "192.0.2.10", "agent_ids": ids}),
    )
    .await
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.send(app.client.get(app.url(path)), token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

async fn presence_of(app: &TestApp, token: &str, device: &str) -> Value {
    get_json(app, token, &format!("/api/devices/{device}")).await["presence"].clone()
}

const MAC: &str = "02:00:00:00:00:01";

async fn original_heartbeats_still_get_204_and_no_body(app: &TestApp) {
    let root = app.root_token().await;
    for features in [&[][..], &["wol-batch"][..]] {
        let agent = Agent::register(app, &root, &format!("old-{}", features.len()), features).await;
        device(
            app,
            &root,
            &format!("pc-{}", features.len()),
            &format!("02:00:00:00:01:0{}", features.len()),
            &[&agent],
        )
        .await;
        let response = agent.heartbeat(app, Some("1.30.3")).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

/// The features an agent announced show in the API and on the agents page:
/// whether it watches at all, and whether it may send ICMP echo.
async fn agents_show_how_they_watch(app: &TestApp) {
    let root = app.root_token().await;
    let icmp = Agent::register(
        app,
        &root,
        "pinger",
        &["wol-batch", "presence", "presence-icmp"],
    )
    .await;
    let plain = Agent::register(app, &root, "watcher", &["presence"]).await;
    let old = Agent::register(app, &root, "original", &[]).await;
    for (agent, features) in [
        (&icmp, json!(["wol-batch", "presence", "presence-icmp"])),
        (&plain, json!(["presence"])),
        (&old, json!([])),
    ] {
        let shown = get_json(app, &root, &format!("/api/agents/{}", agent.id)).await;
        assert_eq!(shown["features"], features);
    }
    let cookie = crate::web::sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let (_, html) = crate::web::page(app, &cookie, "/agents").await;
    for text in [
        "neighbour table, TCP, ICMP",
        "neighbour table, TCP (ICMP not allowed here)",
        "does not watch (older agent)",
    ] {
        assert_eq!(html.matches(text).count(), 1, "{text}");
    }
}

async fn presence_agents_get_their_watch_list_when_it_changes(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let empty = agent.watch(app, None).await;
    assert_eq!(empty["devices"], json!([]));
    assert_eq!(empty["down_after"], 3);
    let pc = device(app, &root, "pc", MAC, &[&agent]).await;
    let listed = agent.watch(app, empty["version"].as_str()).await;
    assert_ne!(
        listed["version"], empty["version"],
        "a new link is a new list"
    );
    assert_eq!(
        listed["devices"],
        json!([{"device_id": pc, "mac": MAC, "ip": "192.0.2.10",
                "probe": {"method": "auto", "ports": [], "interval_s": 30}}])
    );
    // The agent holds the current list: only the version comes back.
    let current = agent.watch(app, listed["version"].as_str()).await;
    assert_eq!(current["version"], listed["version"]);
    assert!(current.get("devices").is_none(), "{current}");

    // Renaming changes nothing the agent uses; a new address does.
    let update = |body: Value| {
        app.send(
            app.client
                .put(app.url(&format!("/api/devices/{pc}")))
                .json(&body),
            &root,
        )
    };
    assert_eq!(
        update(json!({"name": "renamed"})).await.status(),
        StatusCode::OK
    );
    let same = agent.watch(app, listed["version"].as_str()).await;
    assert!(same.get("devices").is_none(), "{same}");
    assert_eq!(
        update(json!({"ip_address": "192.0.2.11"})).await.status(),
        StatusCode::OK
    );
    let moved = agent.watch(app, listed["version"].as_str()).await;
    assert_eq!(moved["devices"][0]["ip"], "192.0.2.11");
    // A disabled device is not watched.
    assert_eq!(
        update(json!({"is_active": false})).await.status(),
        StatusCode::OK
    );
    let disabled = agent.watch(app, moved["version"].as_str()).await;
    assert_eq!(disabled["devices"], json!([]));
    assert_eq!(
        update(json!({"is_active": true})).await.status(),
        StatusCode::OK
    );
    // Unlinking and deleting are changes too (the database's triggers see
    // every statement, also a delete's cascade).
    let relinked = agent.watch(app, disabled["version"].as_str()).await;
    assert_eq!(relinked["devices"].as_array().unwrap().len(), 1);
    let response = app
        .send(
            app.client.delete(app.url(&format!("/api/devices/{pc}"))),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let deleted = agent.watch(app, relinked["version"].as_str()).await;
    assert_eq!(deleted["devices"], json!([]));
}

async fn reports_make_a_device_up_and_down_with_history(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let pc = device(app, &root, "pc", MAC, &[&agent]).await;
    let unknown = presence_of(app, &root, &pc).await;
    assert_eq!(unknown["state"], "unknown");
    assert_eq!(unknown["since"], Value::Null);

    let answer = agent.report(app, json!([up(&pc, "192.0.2.10")])).await;
    assert_eq!(answer, json!({"accepted": 1, "refused": []}));
    let presence = presence_of(app, &root, &pc).await;
    assert_eq!(presence["state"], "up");
    assert_eq!(
        presence["via"],
        json!({"agent_id": agent.id, "hostname": "watcher"})
    );
    assert_eq!(presence["method"], "neighbor");
    assert_eq!(presence["address"], "192.0.2.10");
    assert_eq!(presence["rtt_ms"], 0.412);
    assert_eq!(
        presence.get("address_changed"),
        None,
        "left out while false"
    );
    assert_eq!(presence["since"], presence["last_seen"]);
    // The list shows what the device shows.
    let list = get_json(app, &root, "/api/devices").await;
    assert_eq!(list["devices"][0]["presence"], presence);

    // The same again changes nothing but when it was last seen.
    agent.report(app, json!([up(&pc, "192.0.2.10")])).await;
    let again = presence_of(app, &root, &pc).await;
    assert_eq!(again["since"], presence["since"]);
    assert!(again["last_seen"].as_str() >= presence["last_seen"].as_str());

    agent.report(app, json!([down(&pc)])).await;
    let gone = presence_of(app, &root, &pc).await;
    assert_eq!(gone["state"], "down");
    assert_eq!(gone["rtt_ms"], Value::Null);
    assert_eq!(
        gone["last_seen"], again["last_seen"],
        "when it was last up stays"
    );

    let history = get_json(app, &root, &format!("/api/devices/{pc}/presence")).await;
    assert_eq!(history["count"], 2);
    assert_eq!(history["presence"], gone);
    let transitions = history["transitions"].as_array().unwrap();
    assert_eq!(
        (&transitions[0]["from"], &transitions[0]["to"]),
        (&json!("up"), &json!("down"))
    );
    assert_eq!(
        (&transitions[1]["from"], &transitions[1]["to"]),
        (&json!("unknown"), &json!("up"))
    );
    assert_eq!(transitions[1]["via"]["hostname"], "watcher");
    assert_eq!(transitions[1]["method"], "neighbor");
    let page = get_json(
        app,
        &root,
        &format!("/api/devices/{pc}/presence?skip=1&limit=1"),
    )
    .await;
    assert_eq!(page["count"], 2);
    assert_eq!(page["transitions"], json!([transitions[1]]));
}

async fn several_agents_agree_and_an_agent_gone_offline_stops_counting(app: &TestApp) {
    let root = app.root_token().await;
    let near = Agent::register(app, &root, "near", &["presence"]).await;
    let far = Agent::register(app, &root, "far", &["presence"]).await;
    let pc = device(app, &root, "pc", MAC, &[&near, &far]).await;
    far.report(app, json!([down(&pc)])).await;
    assert_eq!(presence_of(app, &root, &pc).await["state"], "down");
    // One agent that sees it up is enough.
    near.report(app, json!([up(&pc, "192.0.2.10")])).await;
    let presence = presence_of(app, &root, &pc).await;
    assert_eq!(presence["state"], "up");
    assert_eq!(presence["via"]["hostname"], "near");

    // The agent it rests on goes silent: at once nobody vouches for it...
    app.raw_sql(&format!(
        "UPDATE agents SET last_seen = '2020-01-01T00:00:00Z' WHERE id = '{}'",
        near.id
    ))
    .await;
    let read = presence_of(app, &root, &pc).await;
    assert_eq!(read["state"], "unknown");
    assert_eq!(read["via"], Value::Null);
    // ... and the background pass concludes from the agent still there.
    app.services.presence_housekeeping(false).await.unwrap();
    let concluded = presence_of(app, &root, &pc).await;
    assert_eq!(concluded["state"], "down");
    assert_eq!(concluded["via"]["hostname"], "far");
    // Once the other is gone too, nothing is known.
    app.raw_sql(&format!(
        "UPDATE agents SET last_seen = '2020-01-01T00:00:00Z' WHERE id = '{}'",
        far.id
    ))
    .await;
    app.services.presence_housekeeping(false).await.unwrap();
    assert_eq!(presence_of(app, &root, &pc).await["state"], "unknown");
    let history = get_json(app, &root, &format!("/api/devices/{pc}/presence")).await;
    let changes: Vec<(String, String)> = history["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let pair = |from: &str, to: &str| (from.to_string(), to.to_string());
    assert_eq!(
        changes,
        [
            pair("down", "unknown"),
            pair("up", "down"),
            pair("down", "up"),
            pair("unknown", "down")
        ]
    );
    assert_eq!(history["transitions"][0]["via"], Value::Null);
    // A second pass finds nothing more to do.
    app.services.presence_housekeeping(true).await.unwrap();
    assert_eq!(
        get_json(app, &root, &format!("/api/devices/{pc}/presence")).await["count"],
        4
    );
}

async fn another_machine_at_the_address_is_never_up(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let pc = device(app, &root, "pc", MAC, &[&agent]).await;
    let mut itself = up(&pc, "192.0.2.10");
    itself["mac"] = json!(MAC);
    agent.report(app, json!([itself])).await;
    assert_eq!(presence_of(app, &root, &pc).await["state"], "up");
    // The address now answers with another MAC: a reused lease.
    let mut stranger = up(&pc, "192.0.2.10");
    stranger["mac"] = json!("02:00:00:00:00:99");
    agent.report(app, json!([stranger])).await;
    assert_eq!(presence_of(app, &root, &pc).await["state"], "down");
}

async fn a_device_up_at_another_address_shows_both(app: &TestApp) {
    let root = app.root_token().await;
    let (_, owner) = app.user_with_role(&root, "olga", "user").await;
    let (_, other) = app.user_with_role(&root, "oscar", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vera", "viewer").await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let pc = device(app, &owner, "pc", MAC, &[&agent]).await;
    let adopt = async |token: &str| {
        app.send(
            app.client
                .post(app.url(&format!("/api/devices/{pc}/adopt-address"))),
            token,
        )
        .await
    };
    // Nothing to adopt while it is not up elsewhere.
    assert_error(adopt(&owner).await, 409).await;
    agent.report(app, json!([up(&pc, "192.0.2.77")])).await;
    let device = get_json(app, &viewer, &format!("/api/devices/{pc}")).await;
    assert_eq!(device["ip_address"], "192.0.2.10");
    assert_eq!(device["presence"]["address"], "192.0.2.77");
    assert_eq!(device["presence"]["address_changed"], true);
    let version = agent.watch(app, None).await["version"].clone();

    // Only its managers adopt it.
    assert_error(adopt(&viewer).await, 403).await;
    assert_error(adopt(&other).await, 403).await;
    let response = adopt(&owner).await;
    assert_eq!(response.status(), StatusCode::OK);
    let adopted: Value = response.json().await.unwrap();
    assert_eq!(adopted["ip_address"], "192.0.2.77");
    assert_eq!(adopted["presence"]["state"], "up");
    assert_eq!(adopted["presence"].get("address_changed"), None);
    // The agents watch it at its new address.
    let watch = agent.watch(app, version.as_str()).await;
    assert_eq!(watch["devices"][0]["ip"], "192.0.2.77");
    assert_error(adopt(&owner).await, 409).await;

    // A device that adopts by itself: its address follows what is seen.
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{pc}")))
                .json(&json!({"probe": {"method": "auto", "adopt_address": true}})),
            &owner,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(
        changed["probe"],
        json!({"method": "auto", "adopt_address": true})
    );
    agent.report(app, json!([down(&pc)])).await;
    agent.report(app, json!([up(&pc, "192.0.2.123")])).await;
    let device = get_json(app, &viewer, &format!("/api/devices/{pc}")).await;
    assert_eq!(device["ip_address"], "192.0.2.123");
    assert_eq!(device["presence"]["address"], "192.0.2.123");
    assert_eq!(device["presence"].get("address_changed"), None);
    // Searched for at its new address too.
    let cookie = crate::web::sign_in(app, "olga", crate::helpers::TEST_PASSWORD).await;
    let (status, page) = crate::web::call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"search": "192.0.2.123"}}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["matching"], 1);
}

async fn reports_about_devices_not_served_are_refused(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let other = Agent::register(app, &root, "other", &["presence"]).await;
    let mine = device(app, &root, "mine", MAC, &[&agent]).await;
    let theirs = device(app, &root, "theirs", "02:00:00:00:00:02", &[&other]).await;

    let response = agent
        .report_at(app, &app.url(""), json!([up(&theirs, "192.0.2.10")]))
        .await;
    assert_error(response, 403).await;
    let answer = agent
        .report(
            app,
            json!([
                up(&theirs, "192.0.2.10"),
                up(&mine, "192.0.2.10"),
                up("not-an-id", "192.0.2.10")
            ]),
        )
        .await;
    assert_eq!(
        answer,
        json!({"accepted": 1, "refused": [theirs, "not-an-id"]})
    );
    assert_eq!(presence_of(app, &root, &theirs).await["state"], "unknown");
    assert_eq!(presence_of(app, &root, &mine).await["state"], "up");
    assert_eq!(app.count_rows("presence_sightings").await, 1);

    // Only the agent itself may report for it.
    let forged = app
        .send(
            app.client
                .post(app.url("/api/agents/presence"))
                .json(&json!({
                    "agent_id": agent.id, "sightings": [down(&mine)],
                })),
            &other.token,
        )
        .await;
    assert_error(forged, 401).await;
    let anonymous = app
        .client
        .post(app.url("/api/agents/presence"))
        .json(&json!({"agent_id": agent.id, "sightings": [down(&mine)]}))
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401).await;
    assert_eq!(presence_of(app, &root, &mine).await["state"], "up");
}

async fn bad_reports_are_refused_and_change_nothing(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let pc = device(app, &root, "pc", MAC, &[&agent]).await;
    let mut bad_address = up(&pc, "192.0.2.10");
    bad_address["address"] = json!("192.0.2.300");
    let mut bad_mac = up(&pc, "192.0.2.10");
    bad_mac["mac"] = json!("not a mac");
    let mut bad_state = up(&pc, "192.0.2.10");
    bad_state["state"] = json!("sleeping");
    for sightings in [json!([bad_address]), json!([bad_mac]), json!([bad_state])] {
        let response = agent.report_at(app, &app.url(""), sightings.clone()).await;
        assert_error(response, 422).await;
    }
    let many: Vec<Value> = (0..5001).map(|_| up(&pc, "192.0.2.10")).collect();
    assert_error(agent.report_at(app, &app.url(""), json!(many)).await, 422).await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/agents/presence"))
                .json(&json!({"agent_id": "nope", "sightings": []})),
            &agent.token,
        )
        .await;
    assert_error(response, 400).await;
    assert_eq!(app.count_rows("presence_sightings").await, 0);
    assert_eq!(app.count_rows("presence_transitions").await, 0);
    assert_eq!(presence_of(app, &root, &pc).await["state"], "unknown");
}

async fn everyone_who_reads_devices_reads_presence(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vera", "viewer").await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let pc = device(app, &root, "pc", MAC, &[&agent]).await;
    agent.report(app, json!([up(&pc, "192.0.2.10")])).await;
    let history = get_json(app, &viewer, &format!("/api/devices/{pc}/presence")).await;
    assert_eq!(history["presence"]["state"], "up");
    assert_eq!(history["count"], 1);
    let missing = app
        .send(
            app.client
                .get(app.url(&format!("/api/devices/{}/presence", uuid::Uuid::new_v4()))),
            &viewer,
        )
        .await;
    assert_error(missing, 404).await;
    let anonymous = app
        .client
        .get(app.url(&format!("/api/devices/{pc}/presence")))
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401).await;
}

async fn probe_settings_are_kept_checked_and_sent_to_the_agents(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::register(app, &root, "watcher", &["presence"]).await;
    let response = app
        .send(
            app.client.post(app.url("/api/devices")).json(&json!({
                "name": "nas", "mac_address": MAC, "ip_address": "192.0.2.10",
                "agent_ids": [agent.id],
                "probe": {"method": "tcp", "ports": [445, 22, 22], "interval_s": 10},
            })),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let nas: Value = response.json().await.unwrap();
    let id = nas["id"].as_str().unwrap();
    assert_eq!(
        nas["probe"],
        json!({"method": "tcp", "ports": [22, 445], "interval_s": 10})
    );
    let watch = agent.watch(app, None).await;
    assert_eq!(
        watch["devices"][0]["probe"],
        json!({"method": "tcp", "ports": [22, 445], "interval_s": 10})
    );
    // Bad settings are refused and change nothing.
    for probe in [
        json!({"method": "tcp", "ports": []}),
        json!({"method": "auto", "ports": [0]}),
        json!({"method": "auto", "interval_s": 0}),
        json!({"method": "auto", "ports": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
        json!({"method": "sonar"}),
    ] {
        let response = app
            .send(
                app.client
                    .put(app.url(&format!("/api/devices/{id}")))
                    .json(&json!({"probe": probe})),
                &root,
            )
            .await;
        assert_error(response, 422).await;
    }
    assert_eq!(
        get_json(app, &root, &format!("/api/devices/{id}")).await["probe"],
        nas["probe"]
    );
    // Switching probing off takes the device off the agent's list.
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{id}")))
                .json(&json!({"probe": {"method": "off"}})),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let off: Value = response.json().await.unwrap();
    assert_eq!(off["probe"], json!({"method": "off"}));
    let watch = agent.watch(app, watch["version"].as_str()).await;
    assert_eq!(watch["devices"], json!([]));
}

async fn pages_show_each_device_state_in_words(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "Lab"})),
            &root,
        )
        .await;
    let cluster: Value = response.json().await.unwrap();
    let cluster_id = cluster["id"].as_str().unwrap();
    // An agent of the cluster, and devices in it.
    let key = app.enrollment_key(&root, Some(cluster_id)).await;
    let (id, token) = app
        .register_agent(&key, "watcher", 18080, json!({"features": ["presence"]}))
        .await;
    let agent = Agent { id, token };
    let mut ids = Vec::new();
    for (name, mac, agents) in [
        ("pc", MAC, vec![agent.id.clone()]),
        ("moved", "02:00:00:00:00:02", vec![agent.id.clone()]),
        ("silent", "02:00:00:00:00:03", vec![]),
    ] {
        let response = app
            .send(
                app.client.post(app.url("/api/devices")).json(&json!({
                    "name": name, "mac_address": mac, "ip_address": "192.0.2.10",
                    "cluster_id": cluster_id, "agent_ids": agents,
                })),
                &root,
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let device: Value = response.json().await.unwrap();
        ids.push(device["id"].as_str().unwrap().to_string());
    }
    agent
        .report(
            app,
            json!([up(&ids[0], "192.0.2.10"), up(&ids[1], "192.0.2.99")]),
        )
        .await;
    let cookie = crate::web::sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    for path in ["/dashboard".to_string(), format!("/clusters/{cluster_id}")] {
        let (status, html) = crate::web::page(app, &cookie, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(r#"data-state="up""#),
            "{path}: a dot for the device up"
        );
        assert!(
            html.contains("Up for a moment"),
            "{path}: its meaning in words"
        );
        assert!(
            html.contains("seen by watcher (neighbor), 0.4 ms"),
            "{path}"
        );
        assert!(
            html.contains(r#"<span class="mono">192.0.2.99</span>"#),
            "{path}: where the moved one answers"
        );
        assert!(
            html.contains("Unknown: no agent watches it"),
            "{path}: the device nobody watches"
        );
    }
    // Its managers adopt the new address from the card, as a plain form
    // post before the wasm: back to the page, the address adopted.
    let (_, html) = crate::web::page(app, &cookie, "/dashboard").await;
    assert_eq!(
        html.matches("Use this address").count(),
        1,
        "only the moved one"
    );
    let response = crate::web::post_without_script(
        app,
        &cookie,
        "adopt_device_address",
        "/dashboard",
        &[("id", ids[1].as_str())],
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let back = response.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&app.url("/dashboard")), "{back}");
    let moved = get_json(app, &root, &format!("/api/devices/{}", ids[1])).await;
    assert_eq!(moved["ip_address"], "192.0.2.99");
    let (_, html) = crate::web::page(app, &cookie, "/dashboard").await;
    assert!(!html.contains("Use this address"));
}

async fn lists_and_the_dashboard_filter_and_count_by_presence(app: &TestApp) {
    let root = app.root_token().await;
    let watcher = Agent::register(app, &root, "watcher", &["presence"]).await;
    let gone = Agent::register(app, &root, "gone", &["presence"]).await;
    let up_pc = device(app, &root, "up-pc", MAC, &[&watcher]).await;
    let down_pc = device(app, &root, "down-pc", "02:00:00:00:00:02", &[&watcher]).await;
    device(app, &root, "nobody", "02:00:00:00:00:03", &[]).await;
    let orphan = device(app, &root, "orphan", "02:00:00:00:00:04", &[&gone]).await;
    watcher
        .report(app, json!([up(&up_pc, "192.0.2.10"), down(&down_pc)]))
        .await;
    gone.report(app, json!([up(&orphan, "192.0.2.10")])).await;
    // The agent "orphan" rests on goes silent: it reads unknown at once,
    // before any background pass, in the filter as in the device.
    app.raw_sql(&format!(
        "UPDATE agents SET last_seen = '2020-01-01T00:00:00Z' WHERE id = '{}'",
        gone.id
    ))
    .await;
    let names = async |presence: &str| -> (Vec<String>, u64) {
        let list = get_json(app, &root, &format!("/api/devices?presence={presence}")).await;
        let mut names: Vec<String> = list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|device| {
                assert_eq!(device["presence"]["state"], presence, "{device}");
                device["name"].as_str().unwrap().to_string()
            })
            .collect();
        names.sort();
        (names, list["count"].as_u64().unwrap())
    };
    assert_eq!(names("up").await, (vec!["up-pc".to_string()], 1));
    assert_eq!(names("down").await, (vec!["down-pc".to_string()], 1));
    assert_eq!(
        names("unknown").await,
        (vec!["nobody".to_string(), "orphan".to_string()], 2)
    );
    assert_eq!(get_json(app, &root, "/api/devices").await["count"], 4);
    let response = app
        .send(
            app.client.get(app.url("/api/devices?presence=asleep")),
            &root,
        )
        .await;
    assert_error(response, 422).await;

    // The dashboard counts them, and its filter finds them.
    let cookie = crate::web::sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let (status, summary) = crate::web::call(app, Some(&cookie), "dashboard", json!({})).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            &summary["devices_up"],
            &summary["devices_down"],
            &summary["devices_unknown"]
        ),
        (&json!(1), &json!(1), &json!(2))
    );
    let (status, page) = crate::web::call(
        app,
        Some(&cookie),
        "find_devices",
        json!({"query": {"presence": "down"}}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["matching"], 1);
    assert_eq!(page["devices"][0]["name"], "down-pc");
    // Without JavaScript, the filter is a query parameter of the page.
    let (status, html) = crate::web::page(app, &cookie, "/dashboard?presence=up").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("up-pc") && !html.contains("down-pc"),
        "only the device up"
    );
}

/// Several server processes on one database.
mod replicas {
    use super::*;

    with_both_databases!(two_replicas_record_a_change_once);

    async fn two_replicas_record_a_change_once(db: TestDb) {
        // Two server processes on one database, each receiving a report that
        // the device is up at the same moment: one change is recorded, and both
        // show it.
        let config = db.config();
        let first = TestApp::spawn(db).await;
        let root = first.root_token().await;
        let near = Agent::register(&first, &root, "near", &["presence"]).await;
        let far = Agent::register(&first, &root, "far", &["presence"]).await;
        let mut devices = Vec::new();
        for i in 0..20 {
            devices.push(
                device(
                    &first,
                    &root,
                    &format!("pc-{i}"),
                    &format!("02:00:00:00:02:{i:02X}"),
                    &[&near, &far],
                )
                .await,
            );
        }
        let second = powerbeacon::Application::build(config).await.unwrap();
        let second_url = format!("http://{}", second.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(second.run_until(async {
            let _ = stopped.await;
        }));
        let sightings = json!(
            devices
                .iter()
                .map(|pc| up(pc, "192.0.2.10"))
                .collect::<Vec<_>>()
        );
        let first_url = first.url("");
        let (a, b) = tokio::join!(
            near.report_at(&first, &first_url, sightings.clone()),
            far.report_at(&first, &second_url, sightings.clone()),
        );
        assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
        assert_eq!(first.count_rows("presence_transitions").await, 20);
        for pc in &devices {
            let one = presence_of(&first, &root, pc).await;
            let other: Value = first
                .send(
                    first.client.get(format!("{second_url}/api/devices/{pc}")),
                    &root,
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(one["state"], "up");
            assert_eq!(other["presence"], one);
        }
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        first.finish().await;
    }
}
