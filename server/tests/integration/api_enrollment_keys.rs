//! `/api/agents/enrollment-keys`: admins create, list (no secret) and revoke keys.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    admins_create_keys_shown_once,
    keys_are_admin_only_and_validated,
    revoking_is_recorded_once,
);

const KEYS: &str = "/api/agents/enrollment-keys";

async fn admins_create_keys_shown_once(app: &TestApp) {
    let root = app.root_token().await;
    let (owner, _) = app.user_with_role(&root, "owner", "user").await;
    let cluster = app
        .insert_cluster("site-a", owner["id"].as_str().unwrap())
        .await;
    let (_, admin) = app.user_with_role(&root, "adm", "admin").await;
    let response = app
        .send(
            app.client
                .post(app.url(KEYS))
                .json(&json!({"name": "site A", "cluster_id": cluster, "expires_in_hours": 24})),
            &admin,
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("pbek_") && key.len() == 5 + 64, "{key}");
    assert_eq!(created["key_prefix"], &key[..12]);
    assert_eq!(created["name"], "site A");
    assert_eq!(created["cluster_id"], cluster.as_str());
    assert!(created["expires_at"].is_string());
    assert_eq!(created["revoked_at"], Value::Null);

    let second: Value = app
        .send(app.client.post(app.url(KEYS)).json(&json!({})), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(second["key"], created["key"]);
    assert_eq!(second["expires_at"], Value::Null);

    let listed = app
        .send(app.client.get(app.url(KEYS)), &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(key), "the secret is never listed");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["count"], 2);
    assert_eq!(listed["keys"][0]["id"], second["id"], "newest first");
    assert!(listed["keys"][0].get("key").is_none());
    assert_eq!(listed["keys"][1]["key_prefix"], created["key_prefix"]);
}

async fn keys_are_admin_only_and_validated(app: &TestApp) {
    let root = app.root_token().await;
    let (_, user) = app.user_with_role(&root, "usr", "user").await;
    assert_error(
        app.send(app.client.post(app.url(KEYS)).json(&json!({})), &user)
            .await,
        403,
    )
    .await;
    assert_error(app.send(app.client.get(app.url(KEYS)), &user).await, 403).await;
    assert_error(app.client.get(app.url(KEYS)).send().await.unwrap(), 401).await;
    for (body, status, field) in [
        (json!({"expires_in_hours": 0}), 422, "expires_in_hours"),
        (json!({"expires_in_hours": -1}), 422, "expires_in_hours"),
        (json!({"name": "x".repeat(101)}), 422, "name"),
        (json!({"cluster_id": "nope"}), 422, "cluster_id"),
    ] {
        let error = assert_error(
            app.send(app.client.post(app.url(KEYS)).json(&body), &root)
                .await,
            status,
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
    let ghost = json!({"cluster_id": uuid::Uuid::new_v4()});
    assert_error(
        app.send(app.client.post(app.url(KEYS)).json(&ghost), &root)
            .await,
        404,
    )
    .await;
    let listed: Value = app
        .send(app.client.get(app.url(KEYS)), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 0, "nothing stored");
}

async fn revoking_is_recorded_once(app: &TestApp) {
    let root = app.root_token().await;
    let created: Value = app
        .send(app.client.post(app.url(KEYS)).json(&json!({})), &root)
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!("{KEYS}/{}", created["id"].as_str().unwrap()));
    let (_, user) = app.user_with_role(&root, "usr", "user").await;
    assert_error(app.send(app.client.delete(&url), &user).await, 403).await;
    let revoked = app.send(app.client.delete(&url), &root).await;
    assert_eq!(revoked.status(), 200);
    let first: Value = app
        .send(app.client.get(app.url(KEYS)), &root)
        .await
        .json()
        .await
        .unwrap();
    let revoked_at = first["keys"][0]["revoked_at"].clone();
    assert!(revoked_at.is_string());
    assert_eq!(app.send(app.client.delete(&url), &root).await.status(), 200);
    let again: Value = app
        .send(app.client.get(app.url(KEYS)), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["keys"][0]["revoked_at"], revoked_at,
        "the first revocation time stays"
    );
    let ghost = app.url(&format!("{KEYS}/{}", uuid::Uuid::new_v4()));
    assert_error(app.send(app.client.delete(&ghost), &root).await, 404).await;
}
