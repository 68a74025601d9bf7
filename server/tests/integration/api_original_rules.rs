//! The original PowerBeacon API's rules that scripts written for it rely on
//! (docs/API.md), and the authorization rules around clusters and agents.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    owner_name_is_the_full_name_or_else_the_username,
    new_users_are_viewers_unless_a_role_is_given,
    clusters_are_listed_newest_first,
    devices_use_only_agents_of_their_own_cluster,
    moving_a_device_away_from_its_agents_is_refused,
    only_admins_put_free_agents_into_clusters,
    viewers_see_only_hostname_and_state_of_cluster_agents,
);

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    let request = app.client.request(method, app.url(path));
    let request = if body.is_null() {
        request
    } else {
        request.json(&body)
    };
    app.send(request, token).await
}

async fn ok_json(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    response.json().await.unwrap()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

async fn owner_name_is_the_full_name_or_else_the_username(app: &TestApp) {
    let root = app.root_token().await;
    let (_, bob) = app.user_with_role(&root, "bob", "user").await;
    let response = call(
        app,
        &bob,
        Method::PATCH,
        "/api/users/me",
        json!({"full_name": "Bob Builder"}),
    )
    .await;
    assert_eq!(response.status(), 200);

    let cluster = ok_json(
        call(
            app,
            &bob,
            Method::POST,
            "/api/clusters",
            json!({"name": "lab"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(cluster["owner_name"], "Bob Builder");
    let device = ok_json(
        call(
            app,
            &bob,
            Method::POST,
            "/api/devices",
            json!({"name": "pc", "mac_address": "AA:00:00:00:00:01"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(device["owner_name"], "Bob Builder");
    app.insert_agent("lab-agent", Some(&id(&cluster)), true)
        .await;
    let agents = ok_json(
        call(app, &bob, Method::GET, "/api/agents", Value::Null).await,
        200,
    )
    .await;
    assert_eq!(agents["agents"][0]["owner_name"], "Bob Builder");

    // An empty full name falls back to the username.
    let response = call(
        app,
        &bob,
        Method::PATCH,
        "/api/users/me",
        json!({"full_name": ""}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let path = format!("/api/devices/{}", id(&device));
    let device = ok_json(call(app, &bob, Method::GET, &path, Value::Null).await, 200).await;
    assert_eq!(device["owner_name"], "bob");
}

async fn new_users_are_viewers_unless_a_role_is_given(app: &TestApp) {
    let root = app.root_token().await;
    let user = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/users",
            json!({"username": "quiet", "password": crate::helpers::TEST_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["is_active"], true);
    let admin = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/users",
            json!({"username": "boss", "password": crate::helpers::TEST_PASSWORD, "role": "admin"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(admin["role"], "admin");
}

async fn clusters_are_listed_newest_first(app: &TestApp) {
    let root = app.root_token().await;
    for name in ["b-first", "a-second", "c-third"] {
        call(
            app,
            &root,
            Method::POST,
            "/api/clusters",
            json!({"name": name}),
        )
        .await;
        // Distinct creation times on every engine.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let list = ok_json(
        call(app, &root, Method::GET, "/api/clusters", Value::Null).await,
        200,
    )
    .await;
    let names: Vec<&str> = list["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c-third", "a-second", "b-first"]);
    assert_eq!(list["count"], 3);
}

async fn devices_use_only_agents_of_their_own_cluster(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let admin_cluster = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/clusters",
            json!({"name": "admins"}),
        )
        .await,
        201,
    )
    .await;
    let own_cluster = ok_json(
        call(
            app,
            &alice,
            Method::POST,
            "/api/clusters",
            json!({"name": "mine"}),
        )
        .await,
        201,
    )
    .await;
    let foreign_agent = app
        .insert_agent("admins-agent", Some(&id(&admin_cluster)), true)
        .await;
    let own_agent = app
        .insert_agent("my-agent", Some(&id(&own_cluster)), true)
        .await;
    let free_agent = app.insert_agent("free-agent", None, true).await;

    // A device in no cluster: no agent of any cluster, the user's or not.
    for agent in [&foreign_agent, &own_agent] {
        let response = call(
            app,
            &alice,
            Method::POST,
            "/api/devices",
            json!({"name": "pc", "mac_address": "AA:00:00:00:00:02", "agent_ids": [agent]}),
        )
        .await;
        let body = assert_error(response, 422).await;
        assert_eq!(body["details"], "agent_ids");
    }
    // A device in a cluster: not a free agent.
    let response = call(
        app,
        &alice,
        Method::POST,
        "/api/devices",
        json!({"name": "pc", "mac_address": "AA:00:00:00:00:02",
               "cluster_id": id(&own_cluster), "agent_ids": [free_agent]}),
    )
    .await;
    assert_error(response, 422).await;
    let devices = ok_json(
        call(app, &alice, Method::GET, "/api/devices", Value::Null).await,
        200,
    )
    .await;
    assert_eq!(devices["count"], 0, "nothing was created");

    // Aligned links are accepted.
    let free = ok_json(
        call(
            app,
            &alice,
            Method::POST,
            "/api/devices",
            json!({"name": "pc", "mac_address": "AA:00:00:00:00:02", "agent_ids": [free_agent]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(free["agents"][0]["hostname"], "free-agent");
    let clustered = ok_json(
        call(
            app,
            &alice,
            Method::POST,
            "/api/devices",
            json!({"name": "nas", "mac_address": "AA:00:00:00:00:03",
               "cluster_id": id(&own_cluster), "agent_ids": [own_agent]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(clustered["agents"][0]["hostname"], "my-agent");

    // Updates follow the same rule.
    let path = format!("/api/devices/{}", id(&free));
    let response = call(
        app,
        &alice,
        Method::PUT,
        &path,
        json!({"agent_ids": [foreign_agent]}),
    )
    .await;
    assert_error(response, 422).await;
    let device = ok_json(
        call(app, &alice, Method::GET, &path, Value::Null).await,
        200,
    )
    .await;
    assert_eq!(device["agents"][0]["hostname"], "free-agent", "unchanged");
}

async fn moving_a_device_away_from_its_agents_is_refused(app: &TestApp) {
    let root = app.root_token().await;
    let lab = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/clusters",
            json!({"name": "lab"}),
        )
        .await,
        201,
    )
    .await;
    let office = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/clusters",
            json!({"name": "office"}),
        )
        .await,
        201,
    )
    .await;
    let agent = app.insert_agent("lab-agent", Some(&id(&lab)), true).await;
    let device = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/devices",
            json!({"name": "pc", "mac_address": "AA:00:00:00:00:04",
               "cluster_id": id(&lab), "agent_ids": [agent]}),
        )
        .await,
        201,
    )
    .await;
    let path = format!("/api/devices/{}", id(&device));

    for target in [json!(id(&office)), Value::Null] {
        let response = call(
            app,
            &root,
            Method::PUT,
            &path,
            json!({"cluster_id": target}),
        )
        .await;
        let body = assert_error(response, 422).await;
        assert_eq!(body["details"], "cluster_id");
    }
    let unchanged = ok_json(call(app, &root, Method::GET, &path, Value::Null).await, 200).await;
    assert_eq!(unchanged["cluster_id"], id(&lab).as_str());
    assert_eq!(unchanged["agents"][0]["hostname"], "lab-agent");

    // Moving together with the agents it keeps (none) is fine.
    let moved = ok_json(
        call(
            app,
            &root,
            Method::PUT,
            &path,
            json!({"cluster_id": id(&office), "agent_ids": []}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["cluster_id"], id(&office).as_str());
    assert_eq!(moved["agents"], json!([]));
}

async fn only_admins_put_free_agents_into_clusters(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let (_, boss) = app.user_with_role(&root, "boss", "admin").await;
    let free_agent = app.insert_agent("free-agent", None, true).await;

    let response = call(
        app,
        &alice,
        Method::POST,
        "/api/clusters",
        json!({"name": "grab", "agent_ids": [free_agent]}),
    )
    .await;
    assert_error(response, 403).await;
    let mine = ok_json(
        call(
            app,
            &alice,
            Method::POST,
            "/api/clusters",
            json!({"name": "mine"}),
        )
        .await,
        201,
    )
    .await;
    let path = format!("/api/clusters/{}", id(&mine));
    let response = call(
        app,
        &alice,
        Method::PUT,
        &path,
        json!({"agent_ids": [free_agent]}),
    )
    .await;
    assert_error(response, 403).await;
    // Still free, and so not alice's to delete.
    let agent_path = format!("/api/agents/{free_agent}");
    let agent = ok_json(
        call(app, &root, Method::GET, &agent_path, Value::Null).await,
        200,
    )
    .await;
    assert_eq!(agent["cluster_id"], Value::Null);
    let response = call(app, &alice, Method::DELETE, &agent_path, Value::Null).await;
    assert_error(response, 403).await;

    // An admin may.
    let cluster = ok_json(
        call(
            app,
            &boss,
            Method::POST,
            "/api/clusters",
            json!({"name": "lab", "agent_ids": [free_agent]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(cluster["agent_count"], 1);
}

async fn viewers_see_only_hostname_and_state_of_cluster_agents(app: &TestApp) {
    let root = app.root_token().await;
    let (_, vic) = app.user_with_role(&root, "vic", "viewer").await;
    let cluster = ok_json(
        call(
            app,
            &root,
            Method::POST,
            "/api/clusters",
            json!({"name": "lab"}),
        )
        .await,
        201,
    )
    .await;
    app.insert_agent("lab-agent", Some(&id(&cluster)), true)
        .await;
    let path = format!("/api/clusters/{}", id(&cluster));

    let seen = ok_json(call(app, &vic, Method::GET, &path, Value::Null).await, 200).await;
    let agent = &seen["agents"][0];
    assert_eq!(agent["hostname"], "lab-agent");
    assert_eq!(agent["status"], "online");
    assert_eq!(agent["ip"], "");
    assert_eq!(agent["port"], 0);
    assert_eq!(agent["version"], "");
    assert_eq!(agent["os"], "");
    assert_eq!(agent["interfaces"], json!([]));

    let full = ok_json(call(app, &root, Method::GET, &path, Value::Null).await, 200).await;
    assert_eq!(full["agents"][0]["ip"], "127.0.0.1");
    assert_eq!(full["agents"][0]["port"], 18080);
}
