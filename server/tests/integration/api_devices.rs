//! `/api/devices`: CRUD, ownership, validation, cluster and agent links.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    create_normalises_and_defaults,
    create_validates_every_field_and_stores_nothing,
    mac_addresses_are_unique_in_any_spelling,
    viewers_read_but_do_not_write,
    list_is_newest_first_and_paginated,
    only_managers_change_or_delete,
    update_is_partial_and_null_clears,
    cluster_and_agent_rules,
    unknown_and_malformed_ids,
);

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.send(app.client.post(app.url("/api/devices")).json(&body), token)
        .await
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

async fn create_normalises_and_defaults(app: &TestApp) {
    let root = app.root_token().await;
    let (user, token) = app.user_with_role(&root, "alice", "user").await;
    let response = create(
        app,
        &token,
        json!({"name": " nas ", "mac_address": "aa-bb-cc-dd-ee-0f", "ip_address": "192.0.2.10"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let device: Value = response.json().await.unwrap();
    assert_eq!(device["name"], "nas");
    assert_eq!(device["mac_address"], "AA:BB:CC:DD:EE:0F");
    assert_eq!(device["ip_address"], "192.0.2.10");
    assert_eq!(device["os_type"], "linux");
    assert_eq!(device["is_active"], true);
    assert_eq!(device["tags"], json!([]));
    assert_eq!(device["agents"], json!([]));
    assert_eq!(device["owner_id"], user["id"]);
    assert_eq!(device["owner_name"], "alice");
    assert_eq!(device["cluster_id"], Value::Null);
    assert_eq!(device["created_at"], device["updated_at"]);

    let full = create(
        app,
        &token,
        json!({"name": "win", "mac_address": "001122334455", "ip_address": "2001:DB8::5", "os_type": "windows",
               "is_active": false, "description": "gaming pc", "tags": ["lab", " lab", "rack-2"]}),
    )
    .await;
    let full: Value = full.json().await.unwrap();
    assert_eq!(full["ip_address"], "2001:db8::5");
    assert_eq!(full["os_type"], "windows");
    assert_eq!(full["is_active"], false);
    assert_eq!(full["tags"], json!(["lab", "rack-2"]));
    let fetched: Value = app
        .send(
            app.client
                .get(app.url(&format!("/api/devices/{}", id(&full)))),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, full);
}

async fn create_validates_every_field_and_stores_nothing(app: &TestApp) {
    let root = app.root_token().await;
    let cases = [
        (json!({"mac_address": "AA:BB:CC:DD:EE:FF"}), "name"),
        (
            json!({"name": "", "mac_address": "AA:BB:CC:DD:EE:FF"}),
            "name",
        ),
        (json!({"name": "x"}), "mac_address"),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE"}),
            "mac_address",
        ),
        (
            json!({"name": "x", "mac_address": "GG:BB:CC:DD:EE:FF"}),
            "mac_address",
        ),
        (json!({"name": "x", "mac_address": 42}), "mac_address"),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "ip_address": "192.0.2.300"}),
            "ip_address",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "os_type": "beos"}),
            "os_type",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "tags": "lab"}),
            "tags",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "tags": [""]}),
            "tags",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "cluster_id": "nope"}),
            "cluster_id",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "agent_ids": ["nope"]}),
            "agent_ids",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "is_active": 1}),
            "is_active",
        ),
        (
            json!({"name": "x", "mac_address": "AA:BB:CC:DD:EE:FF", "description": "d".repeat(1001)}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let error = assert_error(create(app, &root, body.clone()).await, 422).await;
        assert!(
            error["details"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{body} → {error}"
        );
    }
    let list: Value = app
        .send(app.client.get(app.url("/api/devices")), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 0);
}

async fn mac_addresses_are_unique_in_any_spelling(app: &TestApp) {
    let root = app.root_token().await;
    assert_eq!(
        create(
            app,
            &root,
            json!({"name": "a", "mac_address": "AA:BB:CC:DD:EE:FF"})
        )
        .await
        .status(),
        201
    );
    let error = assert_error(
        create(
            app,
            &root,
            json!({"name": "b", "mac_address": "aabbccddeeff"}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("AA:BB:CC:DD:EE:FF"),
        "{error}"
    );
    let other: Value = create(
        app,
        &root,
        json!({"name": "c", "mac_address": "AA:BB:CC:DD:EE:00"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let clash = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{}", id(&other))))
                .json(&json!({"mac_address": "aa-bb-cc-dd-ee-ff"})),
            &root,
        )
        .await;
    assert_error(clash, 409).await;
}

async fn viewers_read_but_do_not_write(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vwr", "viewer").await;
    let device: Value = create(
        app,
        &root,
        json!({"name": "a", "mac_address": "AA:BB:CC:DD:EE:FF"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_error(
        create(
            app,
            &viewer,
            json!({"name": "v", "mac_address": "AA:BB:CC:DD:EE:01"}),
        )
        .await,
        403,
    )
    .await;
    let list: Value = app
        .send(app.client.get(app.url("/api/devices")), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 1);
    let url = app.url(&format!("/api/devices/{}", id(&device)));
    assert_eq!(app.send(app.client.get(&url), &viewer).await.status(), 200);
    assert_error(
        app.send(app.client.put(&url).json(&json!({"name": "z"})), &viewer)
            .await,
        403,
    )
    .await;
    assert_error(app.send(app.client.delete(&url), &viewer).await, 403).await;
    assert_error(app.get("/api/devices").await, 401).await;
}

async fn list_is_newest_first_and_paginated(app: &TestApp) {
    let root = app.root_token().await;
    for i in 0..5 {
        let mac = format!("AA:BB:CC:DD:EE:0{i}");
        assert_eq!(
            create(
                app,
                &root,
                json!({"name": format!("d{i}"), "mac_address": mac})
            )
            .await
            .status(),
            201
        );
    }
    let all: Value = app
        .send(app.client.get(app.url("/api/devices")), &root)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = all["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["d4", "d3", "d2", "d1", "d0"]);
    assert_eq!(all["count"], 5);
    let page: Value = app
        .send(
            app.client.get(app.url("/api/devices?skip=1&limit=2")),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["d3", "d2"]);
    assert_eq!(page["count"], 5);
    assert_error(
        app.send(app.client.get(app.url("/api/devices?limit=5000")), &root)
            .await,
        422,
    )
    .await;
}

async fn only_managers_change_or_delete(app: &TestApp) {
    let root = app.root_token().await;
    let (_, alice) = app.user_with_role(&root, "alice", "user").await;
    let (_, bob) = app.user_with_role(&root, "bob", "user").await;
    let (_, admin) = app.user_with_role(&root, "adm", "admin").await;
    let device: Value = create(
        app,
        &alice,
        json!({"name": "a", "mac_address": "AA:BB:CC:DD:EE:FF"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let url = app.url(&format!("/api/devices/{}", id(&device)));
    assert_error(
        app.send(app.client.put(&url).json(&json!({"name": "bob's"})), &bob)
            .await,
        403,
    )
    .await;
    assert_error(app.send(app.client.delete(&url), &bob).await, 403).await;
    let own: Value = app
        .send(app.client.put(&url).json(&json!({"name": "mine"})), &alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["name"], "mine");
    let by_admin: Value = app
        .send(
            app.client.put(&url).json(&json!({"name": "admin's"})),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_admin["name"], "admin's");
    assert_eq!(by_admin["owner_name"], "alice", "ownership does not move");
    let deleted = app.send(app.client.delete(&url), &alice).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        deleted.json::<Value>().await.unwrap()["message"],
        "Device deleted successfully"
    );
    assert_error(app.send(app.client.get(&url), &alice).await, 404).await;
}

async fn update_is_partial_and_null_clears(app: &TestApp) {
    let root = app.root_token().await;
    let device: Value = create(
        app,
        &root,
        json!({"name": "a", "mac_address": "AA:BB:CC:DD:EE:FF", "ip_address": "192.0.2.1", "description": "d", "tags": ["x"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let url = app.url(&format!("/api/devices/{}", id(&device)));
    let updated: Value = app
        .send(
            app.client.put(&url).json(&json!({"os_type": "macos"})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["os_type"], "macos");
    assert_eq!(updated["ip_address"], "192.0.2.1");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["tags"], json!(["x"]));
    assert_ne!(updated["updated_at"], device["updated_at"]);
    let cleared: Value = app
        .send(
            app.client
                .put(&url)
                .json(&json!({"ip_address": null, "description": null, "tags": []})),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["ip_address"], Value::Null);
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["tags"], json!([]));
    let bad = app
        .send(
            app.client.put(&url).json(&json!({"mac_address": "zz"})),
            &root,
        )
        .await;
    assert_error(bad, 422).await;
    let unchanged: Value = app
        .send(app.client.get(&url), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["mac_address"], "AA:BB:CC:DD:EE:FF");
}

async fn cluster_and_agent_rules(app: &TestApp) {
    let root = app.root_token().await;
    let (alice, alice_token) = app.user_with_role(&root, "alice", "user").await;
    let (bob, _) = app.user_with_role(&root, "bob", "user").await;
    let alices = app.insert_cluster("alices", id(&alice)).await;
    let bobs = app.insert_cluster("bobs", id(&bob)).await;
    let online = app.insert_agent("agent-b", Some(&alices), true).await;
    let offline = app.insert_agent("agent-a", Some(&alices), false).await;
    let elsewhere = app.insert_agent("agent-x", Some(&bobs), true).await;

    let device: Value = create(
        app,
        &alice_token,
        json!({"name": "pc", "mac_address": "AA:BB:CC:DD:EE:FF", "cluster_id": alices, "agent_ids": [online, offline, online]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(device["cluster_name"], "alices");
    let agents = device["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "{device}");
    assert_eq!(agents[0]["hostname"], "agent-a");
    assert_eq!(agents[0]["status"], "offline");
    assert_eq!(agents[1]["hostname"], "agent-b");
    assert_eq!(agents[1]["status"], "online");
    assert_eq!(agents[1]["ip"], "127.0.0.1");

    // Another user's cluster: 403. Unknown cluster or agent: 404. Agent elsewhere: 422.
    let mac = |n: u8| format!("AA:BB:CC:DD:EE:{n:02X}");
    assert_error(
        create(
            app,
            &alice_token,
            json!({"name": "x", "mac_address": mac(1), "cluster_id": bobs}),
        )
        .await,
        403,
    )
    .await;
    let ghost = uuid::Uuid::new_v4();
    assert_error(
        create(
            app,
            &alice_token,
            json!({"name": "x", "mac_address": mac(2), "cluster_id": ghost}),
        )
        .await,
        404,
    )
    .await;
    assert_error(
        create(
            app,
            &alice_token,
            json!({"name": "x", "mac_address": mac(3), "agent_ids": [ghost]}),
        )
        .await,
        404,
    )
    .await;
    let outside = create(
        app,
        &alice_token,
        json!({"name": "x", "mac_address": mac(4), "cluster_id": alices, "agent_ids": [elsewhere]}),
    )
    .await;
    let error = assert_error(outside, 422).await;
    assert_eq!(error["details"], "agent_ids");
    // Admins may use any cluster.
    assert_eq!(create(app, &root, json!({"name": "y", "mac_address": mac(5), "cluster_id": bobs, "agent_ids": [elsewhere]})).await.status(), 201);

    // Leaving the cluster while its agents serve the device is refused
    // (as the original); leaving with the agents it keeps (none) is not.
    let url = app.url(&format!("/api/devices/{}", id(&device)));
    let refused = app
        .send(
            app.client.put(&url).json(&json!({"cluster_id": null})),
            &alice_token,
        )
        .await;
    assert_eq!(assert_error(refused, 422).await["details"], "cluster_id");
    let moved: Value = app
        .send(
            app.client
                .put(&url)
                .json(&json!({"cluster_id": null, "agent_ids": []})),
            &alice_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["cluster_id"], Value::Null);
    assert_eq!(moved["agents"], json!([]));
    // An agent of a cluster cannot serve a device in none.
    let relinked = app
        .send(
            app.client.put(&url).json(&json!({"agent_ids": [online]})),
            &alice_token,
        )
        .await;
    assert_eq!(assert_error(relinked, 422).await["details"], "agent_ids");
    let count: Value = app
        .send(app.client.get(app.url("/api/devices")), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 2, "refused requests stored nothing");
}

async fn unknown_and_malformed_ids(app: &TestApp) {
    let root = app.root_token().await;
    let ghost = app.url(&format!("/api/devices/{}", uuid::Uuid::new_v4()));
    assert_error(app.send(app.client.get(&ghost), &root).await, 404).await;
    assert_error(
        app.send(app.client.put(&ghost).json(&json!({"name": "x"})), &root)
            .await,
        404,
    )
    .await;
    assert_error(app.send(app.client.delete(&ghost), &root).await, 404).await;
    assert_error(
        app.send(app.client.get(app.url("/api/devices/xyz")), &root)
            .await,
        422,
    )
    .await;
}
