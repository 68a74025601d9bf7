//! `/api/agents`: registration with enrollment keys, re-registration,
//! heartbeats, open registration and approval, listing and deletion.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, assert_error, on_both_engines, with_both_databases};

mod strict {
    use super::*;
    with_both_databases!(loopback_agents_are_refused_unless_allowed);
}

on_both_engines!(
    a_pending_agent_is_approved_by_a_key_it_presents_later,
    approval_survives_a_concurrent_re_registration,
    viewers_see_a_clusters_agents_without_their_network_details,
    an_agent_enrolls_heartbeats_and_is_listed_without_its_token,
    registration_needs_a_valid_enrollment_key,
    re_registration_never_discloses_a_token,
    heartbeat_failures_are_told_apart,
    open_registration_leaves_agents_pending_until_approved,
    viewing_and_deleting_agents_follow_the_roles,
    bad_registrations_name_the_field_and_store_nothing,
    concurrent_registrations_of_one_hostname_create_one_agent,
);

fn register_body(hostname: &str, key: Option<&str>) -> Value {
    json!({
        "hostname": hostname, "ip": "127.0.0.1", "port": 18080,
        "os": "linux", "version": "1.0.0", "enrollment_key": key,
    })
}

async fn agents(app: &TestApp, token: &str) -> Value {
    let response = app
        .send(app.client.get(app.url("/api/agents")), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn heartbeat(app: &TestApp, agent_id: &str, token: Option<&str>, extra: Value) -> u16 {
    let mut body = json!({"agent_id": agent_id});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let mut request = app
        .client
        .post(app.url("/api/agents/heartbeat"))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn an_agent_enrolls_heartbeats_and_is_listed_without_its_token(app: &TestApp) {
    let root = app.root_token().await;
    let cluster = app.insert_cluster("lab", &me(app, &root).await).await;
    let key = app.enrollment_key(&root, Some(&cluster)).await;
    let (id, token) = app
        .register_agent(&key, "lan-agent", 18080, json!({}))
        .await;
    assert_eq!(token.len(), 64, "a 256-bit token, hex");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));

    let listed = agents(app, &root).await;
    assert_eq!(listed["count"], 1);
    let agent = &listed["agents"][0];
    assert_eq!(agent["id"], id.as_str());
    assert_eq!(agent["hostname"], "lan-agent");
    assert_eq!(agent["ip"], "127.0.0.1");
    assert_eq!(agent["port"], 18080);
    assert_eq!(agent["os"], "linux");
    assert_eq!(agent["version"], "1.0.0");
    assert_eq!(agent["status"], "online");
    assert_eq!(agent["approved"], true);
    assert_eq!(agent["cluster_id"], cluster.as_str(), "the key's cluster");
    assert_eq!(agent["cluster_name"], "lab");
    assert_eq!(agent["owner_name"], "root");
    assert_eq!(agent["device_count"], 0);
    assert!(agent["last_seen"].is_string());
    assert!(
        !listed.to_string().contains(&token),
        "the token never leaves the server"
    );
    assert!(agent.get("token").is_none());

    let keys: Value = app
        .send(
            app.client.get(app.url("/api/agents/enrollment-keys")),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(keys["keys"][0]["last_used_at"].is_string(), "{keys}");

    // A heartbeat with interfaces updates what the server shows.
    let interfaces = json!({"interfaces": [{
        "name": "eth0", "address": "198.51.100.65", "prefix": 26,
        "broadcast": "198.51.100.127", "mac": "02-00-00-00-00-01",
    }]});
    assert_eq!(heartbeat(app, &id, Some(&token), interfaces).await, 204);
    let one: Value = app
        .send(app.client.get(app.url(&format!("/api/agents/{id}"))), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["interfaces"][0]["prefix"], 26);
    assert_eq!(one["interfaces"][0]["mac"], "02:00:00:00:00:01");
    assert!(one["last_seen"].as_str() >= agent["last_seen"].as_str());
}

async fn me(app: &TestApp, token: &str) -> String {
    let me: Value = app
        .send(app.client.get(app.url("/api/auth/me")), token)
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_string()
}

async fn registration_needs_a_valid_enrollment_key(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .post_json("/api/agents/register", &register_body("a1", None))
        .await;
    let body = assert_error(response, 401).await;
    assert!(body["message"].as_str().unwrap().contains("enrollment key"));

    let response = app
        .post_json(
            "/api/agents/register",
            &register_body("a1", Some("pbek_wrong")),
        )
        .await;
    assert_error(response, 401).await;

    // Revoked and expired keys are refused too.
    let revoked = app.enrollment_key(&root, None).await;
    let keys: Value = app
        .send(
            app.client.get(app.url("/api/agents/enrollment-keys")),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let revoked_id = keys["keys"][0]["id"].as_str().unwrap().to_string();
    let response = app
        .send(
            app.client
                .delete(app.url(&format!("/api/agents/enrollment-keys/{revoked_id}"))),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .post_json("/api/agents/register", &register_body("a1", Some(&revoked)))
        .await;
    assert_error(response, 401).await;

    let expired = app.enrollment_key(&root, None).await;
    app.raw_sql("UPDATE enrollment_keys SET expires_at = created_at WHERE revoked_at IS NULL")
        .await;
    let response = app
        .post_json("/api/agents/register", &register_body("a1", Some(&expired)))
        .await;
    assert_error(response, 401).await;

    assert_eq!(agents(app, &root).await["count"], 0, "nothing stored");
}

async fn re_registration_never_discloses_a_token(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let (id, token) = app.register_agent(&key, "nas", 18080, json!({})).await;

    // Same hostname, no token: refused, and the answer holds no token,
    // even with a valid enrollment key.
    for body in [register_body("nas", None), register_body("nas", Some(&key))] {
        let response = app.post_json("/api/agents/register", &body).await;
        let text = response.text().await.unwrap();
        assert!(!text.contains(&token), "{text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["status_code"], 409, "{text}");
    }
    // A wrong token: refused.
    let response = app
        .client
        .post(app.url("/api/agents/register"))
        .bearer_auth("f".repeat(64))
        .json(&register_body("nas", None))
        .send()
        .await
        .unwrap();
    assert_error(response, 401).await;

    // The right token: updated in place, same id and token.
    let mut moved = register_body("nas", None);
    moved["ip"] = json!("127.0.0.2");
    moved["port"] = json!(18181);
    moved["version"] = json!("1.1.0");
    let response = app
        .client
        .post(app.url("/api/agents/register"))
        .bearer_auth(&token)
        .json(&moved)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["agent_id"], id.as_str());
    assert_eq!(again["token"], token.as_str());
    let listed = agents(app, &root).await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["agents"][0]["ip"], "127.0.0.2");
    assert_eq!(listed["agents"][0]["port"], 18181);
    assert_eq!(listed["agents"][0]["version"], "1.1.0");
}

async fn heartbeat_failures_are_told_apart(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let (id, token) = app.register_agent(&key, "a1", 18080, json!({})).await;
    let (other_id, other_token) = app.register_agent(&key, "a2", 18080, json!({})).await;

    assert_eq!(heartbeat(app, &id, Some(&token), json!({})).await, 204);
    assert_eq!(heartbeat(app, &id, None, json!({})).await, 401);
    assert_eq!(heartbeat(app, &id, Some("nope"), json!({})).await, 401);
    assert_eq!(
        heartbeat(app, &id, Some(&other_token), json!({})).await,
        401
    );
    assert_eq!(
        heartbeat(app, "not-a-uuid", Some(&token), json!({})).await,
        400
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(heartbeat(app, &unknown, Some(&token), json!({})).await, 404);
    let bad_interfaces = json!({"interfaces": [{"name": "eth0", "address": "x", "prefix": 24}]});
    assert_eq!(
        heartbeat(app, &other_id, Some(&other_token), bad_interfaces).await,
        422
    );

    let response = app
        .client
        .post(app.url("/api/agents/heartbeat"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 422).await;
    assert!(
        body["details"].as_str().unwrap().contains("agent_id"),
        "{body}"
    );
    let response = app
        .client
        .post(app.url("/api/agents/heartbeat"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_error(response, 400).await;
}

async fn open_registration_leaves_agents_pending_until_approved(app: &TestApp) {
    let root = app.root_token().await;
    let (_, admin) = app.user_with_role(&root, "ada", "admin").await;
    let (_, user) = app.user_with_role(&root, "uma", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;

    let config: Value = app
        .send(app.client.get(app.url("/api/config/agents")), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["open_registration"], false, "off by default");
    let put = |token: &str, open: bool| {
        app.client
            .put(app.url("/api/config/agents"))
            .bearer_auth(token)
            .json(&json!({"open_registration": open}))
            .send()
    };
    assert_error(put(&user, true).await.unwrap(), 403).await;
    let response = put(&admin, true).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["open_registration"],
        true
    );

    let response = app
        .post_json("/api/agents/register", &register_body("walk-in", None))
        .await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    let id = registered["agent_id"].as_str().unwrap().to_string();
    let token = registered["token"].as_str().unwrap().to_string();
    assert_eq!(heartbeat(app, &id, Some(&token), json!({})).await, 204);
    let pending: Value = app
        .send(app.client.get(app.url(&format!("/api/agents/{id}"))), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["approved"], false);
    assert_eq!(pending["status"], "offline", "pending agents are not used");

    let approve = |token: &str| {
        app.client
            .post(app.url(&format!("/api/agents/{id}/approve")))
            .bearer_auth(token)
            .send()
    };
    assert_error(approve(&user).await.unwrap(), 403).await;
    let response = approve(&admin).await.unwrap();
    assert_eq!(response.status(), 200);
    let approved: Value = response.json().await.unwrap();
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["status"], "online");
    let unknown = uuid::Uuid::new_v4();
    let response = app
        .send(
            app.client
                .post(app.url(&format!("/api/agents/{unknown}/approve"))),
            &admin,
        )
        .await;
    assert_error(response, 404).await;

    // Switched off again: keyless registration is refused.
    assert_eq!(put(&admin, false).await.unwrap().status(), 200);
    let response = app
        .post_json("/api/agents/register", &register_body("late", None))
        .await;
    assert_error(response, 401).await;
}

async fn viewing_and_deleting_agents_follow_the_roles(app: &TestApp) {
    let root = app.root_token().await;
    let (alice, alice_token) = app.user_with_role(&root, "alice", "user").await;
    let (_, bob) = app.user_with_role(&root, "bob", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;
    let (_, admin) = app.user_with_role(&root, "ada", "admin").await;
    let cluster = app
        .insert_cluster("alices", alice["id"].as_str().unwrap())
        .await;
    let key = app.enrollment_key(&root, Some(&cluster)).await;
    let (in_cluster, token) = app.register_agent(&key, "a1", 18080, json!({})).await;
    let free_key = app.enrollment_key(&root, None).await;
    let (free, _) = app.register_agent(&free_key, "a2", 18080, json!({})).await;

    let response = app
        .send(app.client.get(app.url("/api/agents")), &viewer)
        .await;
    assert_error(response, 403).await;
    let response = app
        .send(
            app.client.get(app.url(&format!("/api/agents/{free}"))),
            &viewer,
        )
        .await;
    assert_error(response, 403).await;
    assert_eq!(agents(app, &bob).await["count"], 2);
    let response = app
        .send(app.client.get(app.url("/api/agents/not-a-uuid")), &bob)
        .await;
    assert_error(response, 422).await;
    let unknown = uuid::Uuid::new_v4();
    let response = app
        .send(
            app.client.get(app.url(&format!("/api/agents/{unknown}"))),
            &bob,
        )
        .await;
    assert_error(response, 404).await;

    let delete = |id: &str, token: &str| {
        app.client
            .delete(app.url(&format!("/api/agents/{id}")))
            .bearer_auth(token)
            .send()
    };
    assert_error(delete(&in_cluster, &bob).await.unwrap(), 403).await;
    assert_error(delete(&in_cluster, &viewer).await.unwrap(), 403).await;
    assert_error(delete(&free, &alice_token).await.unwrap(), 403).await;
    let response = delete(&in_cluster, &alice_token).await.unwrap();
    assert_eq!(response.status(), 200, "the cluster's owner deletes");
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "Agent deleted successfully"
    );
    assert_eq!(delete(&free, &admin).await.unwrap().status(), 200);
    assert_error(delete(&free, &admin).await.unwrap(), 404).await;

    // The deleted agent's heartbeats now say "unknown": it must enroll again.
    assert_eq!(
        heartbeat(app, &in_cluster, Some(&token), json!({})).await,
        404
    );
    let (again, _) = app.register_agent(&key, "a1", 18080, json!({})).await;
    assert_ne!(again, in_cluster);
}

async fn bad_registrations_name_the_field_and_store_nothing(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let cases = [
        (json!({"hostname": ""}), "hostname"),
        (json!({"hostname": "two words"}), "hostname"),
        (json!({"hostname": "h".repeat(300)}), "hostname"),
        (json!({"ip": "999.1.1.1"}), "ip"),
        (json!({"ip": "0.0.0.0"}), "ip"),
        (json!({"ip": "224.0.0.1"}), "ip"),
        (json!({"ip": "169.254.169.254"}), "ip"),
        (json!({"ip": "fe80::1"}), "ip"),
        (json!({"port": 0}), "port"),
        (json!({"port": 70000}), "port"),
        (json!({"port": "http"}), "port"),
        (json!({"os": 5}), "os"),
        (json!({"version": "v".repeat(65)}), "version"),
        (
            json!({"interfaces": [{"name": "eth0", "address": "198.51.100.1", "prefix": 40}]}),
            "interfaces",
        ),
        (json!({"interfaces": "eth0"}), "interfaces"),
        (json!({"features": [""]}), "features"),
    ];
    for (change, field) in cases {
        let mut body = register_body("good-host", Some(&key));
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let response = app.post_json("/api/agents/register", &body).await;
        let error = assert_error(response, 422).await;
        assert!(
            error["details"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{change} → {error}"
        );
    }
    let mut missing = register_body("good-host", Some(&key));
    missing.as_object_mut().unwrap().remove("port");
    let error = assert_error(app.post_json("/api/agents/register", &missing).await, 422).await;
    assert!(
        error["details"].as_str().unwrap().contains("port"),
        "{error}"
    );
    assert_eq!(agents(app, &root).await["count"], 0);
}

async fn concurrent_registrations_of_one_hostname_create_one_agent(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let body = register_body("racer", Some(&key));
    let attempts = (0..6).map(|_| app.post_json("/api/agents/register", &body));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(agents(app, &root).await["count"], 1);
}

async fn re_register(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/agents/register"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn agent(app: &TestApp, token: &str, id: &str) -> Value {
    app.send(app.client.get(app.url(&format!("/api/agents/{id}"))), token)
        .await
        .json()
        .await
        .unwrap()
}

async fn open_registration(app: &TestApp, root: &str) {
    let response = app
        .send(
            app.client
                .put(app.url("/api/config/agents"))
                .json(&json!({"open_registration": true})),
            root,
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn a_pending_agent_is_approved_by_a_key_it_presents_later(app: &TestApp) {
    let root = app.root_token().await;
    open_registration(app, &root).await;
    let registered: Value = app
        .post_json("/api/agents/register", &register_body("walk-in", None))
        .await
        .json()
        .await
        .unwrap();
    let id = registered["agent_id"].as_str().unwrap();
    let token = registered["token"].as_str().unwrap();
    assert_eq!(agent(app, &root, id).await["approved"], false);

    // A bad key changes nothing, and is no reason to refuse the renewal.
    let response = re_register(app, token, &register_body("walk-in", Some("pbek_nope"))).await;
    assert_eq!(response.status(), 201);
    assert_eq!(agent(app, &root, id).await["approved"], false);

    // A valid key approves it and puts it in the key's cluster.
    let cluster = app.insert_cluster("lab", &me(app, &root).await).await;
    let key = app.enrollment_key(&root, Some(&cluster)).await;
    let response = re_register(app, token, &register_body("walk-in", Some(&key))).await;
    assert_eq!(response.status(), 201);
    let renewed: Value = response.json().await.unwrap();
    assert_eq!(renewed["agent_id"], id, "same identity");
    let shown = agent(app, &root, id).await;
    assert_eq!(shown["approved"], true);
    assert_eq!(shown["status"], "online");
    assert_eq!(shown["cluster_id"], cluster.as_str());
    let keys: Value = app
        .send(
            app.client.get(app.url("/api/agents/enrollment-keys")),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(keys["keys"][0]["last_used_at"].is_string(), "{keys}");

    // Once approved, a key it still presents is not checked again: revoking
    // it does not lock the agent out.
    let key_id = keys["keys"][0]["id"].as_str().unwrap();
    let response = app
        .send(
            app.client
                .delete(app.url(&format!("/api/agents/enrollment-keys/{key_id}"))),
            &root,
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let response = re_register(app, token, &register_body("walk-in", Some(&key))).await;
    assert_eq!(response.status(), 201);
    assert_eq!(agent(app, &root, id).await["approved"], true);
}

async fn approval_survives_a_concurrent_re_registration(app: &TestApp) {
    let root = app.root_token().await;
    open_registration(app, &root).await;
    for round in 0..8 {
        let hostname = format!("racer-{round}");
        let registered: Value = app
            .post_json("/api/agents/register", &register_body(&hostname, None))
            .await
            .json()
            .await
            .unwrap();
        let id = registered["agent_id"].as_str().unwrap();
        let token = registered["token"].as_str().unwrap();
        let mut moved = register_body(&hostname, None);
        moved["port"] = json!(20000 + round);
        let approve = app.send(
            app.client
                .post(app.url(&format!("/api/agents/{id}/approve"))),
            &root,
        );
        let (approved, renewed) = tokio::join!(approve, re_register(app, token, &moved));
        assert_eq!(approved.status(), 200);
        assert_eq!(renewed.status(), 201);
        let shown = agent(app, &root, id).await;
        assert_eq!(shown["approved"], true, "round {round}: approval kept");
        assert_eq!(shown["port"], 20000 + round, "round {round}: address kept");
    }
}

async fn viewers_see_a_clusters_agents_without_their_network_details(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;
    let cluster = app.insert_cluster("lab", &me(app, &root).await).await;
    let key = app.enrollment_key(&root, Some(&cluster)).await;
    let interfaces = json!({"interfaces": [{
        "name": "eth0", "address": "198.51.100.65", "prefix": 26,
        "mac": "02:00:00:00:00:01",
    }]});
    app.register_agent(&key, "lan-agent", 18080, interfaces)
        .await;
    let detail = |token: String| {
        let url = app.url(&format!("/api/clusters/{cluster}"));
        async move {
            let response = app.send(app.client.get(url), &token).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let full = detail(root.clone()).await;
    assert_eq!(full["agents"][0]["interfaces"][0]["name"], "eth0");
    let seen = detail(viewer).await;
    assert_eq!(seen["agents"][0]["hostname"], "lan-agent");
    assert_eq!(seen["agents"][0]["status"], "online");
    assert_eq!(seen["agents"][0]["interfaces"], json!([]), "{seen}");
    assert!(!seen.to_string().contains("02:00:00:00:00:01"));
}

async fn loopback_agents_are_refused_unless_allowed(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| config.allow_loopback_agents = false).await;
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
        let mut body = register_body("local", Some(&key));
        body["ip"] = json!(ip);
        let error = assert_error(app.post_json("/api/agents/register", &body).await, 422).await;
        let details = error["details"].as_str().unwrap_or_default();
        assert!(details.contains("ip"), "{ip}: {error}");
        assert!(
            error.to_string().contains("--allow-loopback-agents"),
            "{ip}: says what to do: {error}"
        );
    }
    assert_eq!(agents(&app, &root).await["count"], 0);
    let mut body = register_body("lan", Some(&key));
    body["ip"] = json!("198.51.100.7");
    assert_eq!(
        app.post_json("/api/agents/register", &body).await.status(),
        201
    );
    app.finish().await;
}
