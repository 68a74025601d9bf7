//! `/api/setup`: status and the first account.

use serde_json::json;

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    status_reports_a_fresh_instance,
    init_creates_a_superuser_once,
    init_validates_every_field_and_stores_nothing,
    concurrent_inits_have_exactly_one_winner,
);

async fn status(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/setup/status").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn status_reports_a_fresh_instance(app: &TestApp) {
    assert_eq!(
        status(app).await,
        json!({"is_setup_complete": false, "user_count": 0})
    );
}

async fn init_creates_a_superuser_once(app: &TestApp) {
    let response = app
        .post_json(
            "/api/setup/init",
            &json!({
                "username": "  admin ",
                "password": "correct-horse-9",
                "email": "admin@example.com",
                "full_name": "Ada Admin",
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["username"], "admin");
    assert_eq!(user["role"], "superuser");
    assert_eq!(user["email"], "admin@example.com");
    assert_eq!(user["full_name"], "Ada Admin");
    assert_eq!(user["is_active"], true);
    assert!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok());
    assert!(chrono::DateTime::parse_from_rfc3339(user["created_at"].as_str().unwrap()).is_ok());
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    assert_eq!(
        status(app).await,
        json!({"is_setup_complete": true, "user_count": 1})
    );

    // The password is stored as an Argon2id hash.
    let id: shared::ids::UserId = user["id"].as_str().unwrap().parse().unwrap();
    let stored = app.services.store().user_by_id(id).await.unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));

    let again = app
        .post_json(
            "/api/setup/init",
            &json!({"username": "other", "password": "correct-horse-9"}),
        )
        .await;
    let body = assert_error(again, 400).await;
    assert!(body["message"].as_str().unwrap().contains("already set up"));
    assert_eq!(status(app).await["user_count"], 1);
}

async fn init_validates_every_field_and_stores_nothing(app: &TestApp) {
    let cases = [
        (json!({"password": "correct-horse-9"}), 422, "username"),
        (json!({"username": "admin"}), 422, "password"),
        (
            json!({"username": 42, "password": "correct-horse-9"}),
            422,
            "username",
        ),
        (
            json!({"username": "admin", "password": ["x"]}),
            422,
            "password",
        ),
        (
            json!({"username": "", "password": "correct-horse-9"}),
            422,
            "username",
        ),
        (
            json!({"username": "bad name", "password": "correct-horse-9"}),
            422,
            "username",
        ),
        (
            json!({"username": "a".repeat(65), "password": "correct-horse-9"}),
            422,
            "username",
        ),
        (
            json!({"username": "admin", "password": "short"}),
            422,
            "password",
        ),
        (
            json!({"username": "admin", "password": "correct-horse-9", "email": "nope"}),
            422,
            "email",
        ),
        (
            json!({"username": "admin", "password": "correct-horse-9", "email": 7}),
            422,
            "email",
        ),
        (
            json!({"username": "admin", "password": "correct-horse-9", "full_name": "x".repeat(129)}),
            422,
            "full_name",
        ),
    ];
    for (body, expected, field) in cases {
        let response = app.post_json("/api/setup/init", &body).await;
        let error = assert_error(response, expected).await;
        let details = error["details"].as_str().unwrap_or_default();
        assert!(
            details.contains(field),
            "{body} → {error} should name {field}"
        );
    }
    let malformed = app
        .client
        .post(app.url("/api/setup/init"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_error(malformed, 400).await;
    assert_eq!(
        status(app).await,
        json!({"is_setup_complete": false, "user_count": 0})
    );
}

async fn concurrent_inits_have_exactly_one_winner(app: &TestApp) {
    let attempts = (0..6).map(|i| {
        let body = json!({"username": format!("admin{i}"), "password": "correct-horse-9"});
        async move {
            app.post_json("/api/setup/init", &body)
                .await
                .status()
                .as_u16()
        }
    });
    let mut statuses = futures::future::join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 400, 400, 400, 400, 400]);
    assert_eq!(status(app).await["user_count"], 1);
}
