//! `/api/clusters`: CRUD, membership semantics, permissions.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    create_with_members_and_read_the_detail,
    membership_is_replaced_and_a_dropped_agent_unlinked,
    delete_detaches_members,
    permissions_and_validation,
    names_sort_the_same_way_on_every_engine,
);

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

async fn device(app: &TestApp, token: &str, name: &str, mac: &str) -> Value {
    let response = app
        .send(
            app.client
                .post(app.url("/api/devices"))
                .json(&json!({"name": name, "mac_address": mac})),
            token,
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn create_with_members_and_read_the_detail(app: &TestApp) {
    let root = app.root_token().await;
    let (alice_user, alice) = app.user_with_role(&root, "alice", "user").await;
    let b = device(app, &alice, "b-pc", "AA:BB:CC:DD:EE:01").await;
    let a = device(app, &alice, "a-pc", "AA:BB:CC:DD:EE:02").await;
    // An agent of another cluster of hers: hers to move (a free one is an
    // admin's to place).
    let spare = app.insert_cluster("spare", id(&alice_user)).await;
    let agent = app.insert_agent("lan-agent", Some(&spare), true).await;
    let response = app
        .send(
            app.client.post(app.url("/api/clusters")).json(&json!({
                "name": "lab", "description": "the lab", "tags": ["x"],
                "device_ids": [id(&b), id(&a)], "agent_ids": [agent],
            })),
            &alice,
        )
        .await;
    assert_eq!(response.status(), 201);
    let cluster: Value = response.json().await.unwrap();
    assert_eq!(cluster["name"], "lab");
    assert_eq!(cluster["owner_name"], "alice");
    assert_eq!(cluster["device_count"], 2);
    assert_eq!(cluster["agent_count"], 1);

    let detail: Value = app
        .send(
            app.client
                .get(app.url(&format!("/api/clusters/{}", id(&cluster)))),
            &alice,
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = detail["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-pc", "b-pc"]);
    assert_eq!(detail["devices"][0]["cluster_name"], "lab");
    assert_eq!(detail["agents"][0]["hostname"], "lan-agent");
    assert_eq!(detail["agents"][0]["status"], "online");
    // Agents appear in full, as `GET /api/agents` shows them, without a token.
    assert_eq!(detail["agents"][0]["port"], 18080);
    assert_eq!(detail["agents"][0]["cluster_name"], "lab");
    assert_eq!(detail["agents"][0]["owner_name"], "alice");
    assert!(detail["agents"][0].get("token").is_none());
    assert_eq!(detail["device_count"], 2);

    let list: Value = app
        .send(app.client.get(app.url("/api/clusters")), &alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 2);
    assert_eq!(list["clusters"][0]["id"], cluster["id"], "newest first");
}

async fn membership_is_replaced_and_a_dropped_agent_unlinked(app: &TestApp) {
    let root = app.root_token().await;
    let one = device(app, &root, "one", "AA:BB:CC:DD:EE:01").await;
    let two = device(app, &root, "two", "AA:BB:CC:DD:EE:02").await;
    let stays = app.insert_agent("stays", None, true).await;
    let leaves = app.insert_agent("leaves", None, true).await;
    let cluster: Value = app
        .send(
            app.client.post(app.url("/api/clusters")).json(&json!({
                "name": "c", "device_ids": [id(&one), id(&two)], "agent_ids": [stays, leaves]})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let one_url = app.url(&format!("/api/devices/{}", id(&one)));
    let linked: Value = app
        .send(
            app.client
                .put(&one_url)
                .json(&json!({"agent_ids": [stays, leaves]})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(linked["agents"].as_array().unwrap().len(), 2);

    let url = app.url(&format!("/api/clusters/{}", id(&cluster)));
    let updated: Value = app
        .send(
            app.client
                .put(&url)
                .json(&json!({"name": "c2", "device_ids": [id(&one)], "agent_ids": [stays]})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["name"], "c2");
    assert_eq!(updated["device_count"], 1);
    assert_eq!(updated["agent_count"], 1);
    let one_now: Value = app
        .send(app.client.get(&one_url), &root)
        .await
        .json()
        .await
        .unwrap();
    let agents: Vec<&str> = one_now["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(agents, ["stays"], "the link to the agent that left is gone");
    let two_now: Value = app
        .send(
            app.client
                .get(app.url(&format!("/api/devices/{}", id(&two)))),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(two_now["cluster_id"], Value::Null);

    // Fields only: membership untouched.
    let renamed: Value = app
        .send(
            app.client.put(&url).json(&json!({"description": "d"})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["device_count"], 1);
    assert_eq!(renamed["description"], "d");
}

async fn delete_detaches_members(app: &TestApp) {
    let root = app.root_token().await;
    let pc = device(app, &root, "pc", "AA:BB:CC:DD:EE:01").await;
    let agent = app.insert_agent("ag", None, true).await;
    let cluster: Value = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "c", "device_ids": [id(&pc)], "agent_ids": [agent]})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!("/api/clusters/{}", id(&cluster)));
    let deleted = app.send(app.client.delete(&url), &root).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        deleted.json::<Value>().await.unwrap()["message"],
        "Cluster deleted successfully"
    );
    assert_error(app.send(app.client.get(&url), &root).await, 404).await;
    let pc_now: Value = app
        .send(
            app.client
                .get(app.url(&format!("/api/devices/{}", id(&pc)))),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pc_now["cluster_id"], Value::Null);
    assert_eq!(pc_now["name"], "pc");
}

async fn permissions_and_validation(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let (_, bob) = app.user_with_role(&root, "bob", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vwr", "viewer").await;
    let alices_pc = device(app, &alice, "pc", "AA:BB:CC:DD:EE:01").await;

    assert_error(
        app.send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "v"})),
            &viewer,
        )
        .await,
        403,
    )
    .await;
    // Bob cannot take Alice's device.
    let steal = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "b", "device_ids": [id(&alices_pc)]})),
            &bob,
        )
        .await;
    assert_error(steal, 403).await;
    let ghost = uuid::Uuid::new_v4();
    assert_error(
        app.send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "b", "device_ids": [ghost]})),
            &bob,
        )
        .await,
        404,
    )
    .await;
    assert_error(
        app.send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "b", "agent_ids": [ghost]})),
            &bob,
        )
        .await,
        404,
    )
    .await;
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": " "}), "name"),
        (json!({"name": "x", "tags": [1]}), "tags"),
    ] {
        let error = assert_error(
            app.send(app.client.post(app.url("/api/clusters")).json(&body), &bob)
                .await,
            422,
        )
        .await;
        assert!(
            error["details"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{body} → {error}"
        );
    }
    let list: Value = app
        .send(app.client.get(app.url("/api/clusters")), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 0, "nothing stored");

    let alices: Value = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "a"})),
            &alice,
        )
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!("/api/clusters/{}", id(&alices)));
    assert_error(
        app.send(app.client.put(&url).json(&json!({"name": "bob's"})), &bob)
            .await,
        403,
    )
    .await;
    assert_error(app.send(app.client.delete(&url), &bob).await, 403).await;
    assert_eq!(app.send(app.client.get(&url), &viewer).await.status(), 200);
    // Alice's agents cannot be pulled into Bob's cluster.
    let agent = app
        .insert_agent("alices-agent", Some(id(&alices)), true)
        .await;
    let bobs: Value = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "b"})),
            &bob,
        )
        .await
        .json()
        .await
        .unwrap();
    let pull = app
        .send(
            app.client
                .put(app.url(&format!("/api/clusters/{}", id(&bobs))))
                .json(&json!({"agent_ids": [agent]})),
            &bob,
        )
        .await;
    assert_error(pull, 403).await;
    assert_error(
        app.send(app.client.get(app.url("/api/clusters/nope")), &bob)
            .await,
        422,
    )
    .await;
}

async fn names_sort_the_same_way_on_every_engine(app: &TestApp) {
    let root = app.root_token().await;
    let names = ["b", "Z10", "é", "a", "B", "_x", "z9", "A"];
    let mut ids = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let device = device(app, &root, name, &format!("AA:BB:CC:DD:EE:{n:02X}")).await;
        ids.push(id(&device).to_string());
    }
    let mut agent_ids = Vec::new();
    for name in names {
        agent_ids.push(app.insert_agent(&format!("{name}-agent"), None, true).await);
    }
    let response = app
        .send(
            app.client.post(app.url("/api/clusters")).json(&json!({
                "name": "sorted", "device_ids": ids, "agent_ids": agent_ids,
            })),
            &root,
        )
        .await;
    assert_eq!(response.status(), 201);
    let cluster: Value = response.json().await.unwrap();
    let detail: Value = app
        .send(
            app.client
                .get(app.url(&format!("/api/clusters/{}", id(&cluster)))),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let listed = |key: &str, field: &str| -> Vec<String> {
        detail[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                d[field]
                    .as_str()
                    .unwrap()
                    .trim_end_matches("-agent")
                    .to_string()
            })
            .collect()
    };
    // Case-insensitive (ASCII), then capitals first, then byte order: the
    // same on SQLite and on PostgreSQL whatever the database's locale.
    let expected = ["_x", "A", "a", "B", "b", "Z10", "z9", "é"];
    assert_eq!(listed("devices", "name"), expected);
    assert_eq!(listed("agents", "hostname"), expected);
}
