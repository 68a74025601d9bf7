//! `/api/config`: OIDC settings (secret write-only) and about.

use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, assert_error, on_both_engines};

on_both_engines!(
    oidc_config_round_trips_without_the_secret,
    oidc_config_is_for_superusers_and_validated,
    setup_can_configure_oidc,
    about_reports_the_version_to_signed_in_users,
);

const URL: &str = "https://id.example.com/.well-known/openid-configuration";

async fn oidc_config_round_trips_without_the_secret(app: &TestApp) {
    let root = app.root_token().await;
    let initial: Value = app.get("/api/config/oidc").await.json().await.unwrap();
    assert_eq!(initial["enabled"], false);
    assert_eq!(initial["client_secret_set"], false);

    let put = app
        .send(
            app.client.put(app.url("/api/config/oidc")).json(&json!({
                "enabled": true, "server_metadata_url": URL, "client_id": "powerbeacon",
                "client_secret": "top-secret-value",
            })),
            &root,
        )
        .await;
    assert_eq!(put.status(), 200);
    let text = put.text().await.unwrap();
    assert!(!text.contains("top-secret-value"), "{text}");

    // Anyone may read it; the secret never comes back.
    let public = app.get("/api/config/oidc").await.text().await.unwrap();
    assert!(!public.contains("top-secret-value"), "{public}");
    let public: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(public["enabled"], true);
    assert_eq!(public["server_metadata_url"], URL);
    assert_eq!(public["client_id"], "powerbeacon");
    assert_eq!(public["client_secret_set"], true);

    // Omitting the secret keeps it, so enabling still works.
    let keep = app
        .send(
            app.client.put(app.url("/api/config/oidc")).json(&json!({
                "enabled": true, "server_metadata_url": URL, "client_id": "pb-2",
            })),
            &root,
        )
        .await;
    assert_eq!(keep.status(), 200);
    let stored = app.services.oidc_config().await.unwrap();
    assert_eq!(stored.client_secret.as_deref(), Some("top-secret-value"));
    assert_eq!(stored.client_id.as_deref(), Some("pb-2"));
}

async fn oidc_config_is_for_superusers_and_validated(app: &TestApp) {
    let root = app.root_token().await;
    let (_, admin) = app.user_with_role(&root, "adm", "admin").await;
    let body = json!({"enabled": false});
    assert_error(
        app.send(
            app.client.put(app.url("/api/config/oidc")).json(&body),
            &admin,
        )
        .await,
        403,
    )
    .await;
    assert_error(
        app.client
            .put(app.url("/api/config/oidc"))
            .json(&body)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;

    let missing = app
        .send(
            app.client
                .put(app.url("/api/config/oidc"))
                .json(&json!({"enabled": true, "server_metadata_url": URL})),
            &root,
        )
        .await;
    let error = assert_error(missing, 400).await;
    assert!(
        error["message"].as_str().unwrap().contains("client_id"),
        "{error}"
    );
    let bad_url = app
        .send(
            app.client
                .put(app.url("/api/config/oidc"))
                .json(&json!({"enabled": false, "server_metadata_url": "javascript:alert(1)"})),
            &root,
        )
        .await;
    let error = assert_error(bad_url, 422).await;
    assert_eq!(error["details"], "server_metadata_url");
    let not_bool = app
        .send(
            app.client
                .put(app.url("/api/config/oidc"))
                .json(&json!({"enabled": "yes"})),
            &root,
        )
        .await;
    assert_error(not_bool, 422).await;
    let unchanged: Value = app.get("/api/config/oidc").await.json().await.unwrap();
    assert_eq!(unchanged["enabled"], false);
    assert_eq!(unchanged["server_metadata_url"], Value::Null);
}

async fn setup_can_configure_oidc(app: &TestApp) {
    let invalid = app
        .post_json(
            "/api/setup/init",
            &json!({"username": "root", "password": TEST_PASSWORD, "oidc": {"enabled": true, "client_id": "x"}}),
        )
        .await;
    assert_error(invalid, 400).await;
    assert_eq!(
        app.services.setup_status().await.unwrap().user_count,
        0,
        "nothing stored"
    );

    let ok = app
        .post_json(
            "/api/setup/init",
            &json!({"username": "root", "password": TEST_PASSWORD, "oidc": {
                "enabled": true, "server_metadata_url": URL, "client_id": "pb", "client_secret": "s"}}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let public: Value = app.get("/api/config/oidc").await.json().await.unwrap();
    assert_eq!(public["enabled"], true);
}

async fn about_reports_the_version_to_signed_in_users(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vwr", "viewer").await;
    let about: Value = app
        .send(app.client.get(app.url("/api/config/about")), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(about["current_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(about["update_available"], false);
    assert_error(app.get("/api/config/about").await, 401).await;
}
