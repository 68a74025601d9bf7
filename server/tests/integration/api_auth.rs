//! `/api/auth`: login, tokens, throttling.

use crate::helpers::{TestApp, assert_error, on_both_engines};
use backend::security::tokens::TokenSubject;

on_both_engines!(
    login_returns_a_bearer_token_for_me,
    wrong_credentials_are_401_alike,
    login_form_is_validated,
    me_needs_a_valid_token,
    repeated_failures_are_throttled_with_retry_after,
);

const PASSWORD: &str = "correct-horse-9";

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn login_returns_a_bearer_token_for_me(app: &TestApp) {
    let admin = app.init_superuser("admin").await;
    // Usernames match without regard to case, like the unique index.
    let response = login(app, "ADMIN", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let token: serde_json::Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "bearer");
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");

    let me = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me, admin);
}

async fn wrong_credentials_are_401_alike(app: &TestApp) {
    app.init_superuser("admin").await;
    let wrong_password = assert_error(login(app, "admin", "not-the-password").await, 401).await;
    let unknown_user = assert_error(login(app, "nobody", PASSWORD).await, 401).await;
    assert_eq!(wrong_password["message"], unknown_user["message"]);
    assert_eq!(wrong_password["message"], "Incorrect username or password.");
}

async fn login_form_is_validated(app: &TestApp) {
    let missing = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[("username", "admin")])
        .send()
        .await
        .unwrap();
    let body = assert_error(missing, 422).await;
    assert!(
        body["details"].as_str().unwrap().contains("password"),
        "{body}"
    );

    let json = app
        .post_json(
            "/api/auth/login",
            &serde_json::json!({"username": "admin", "password": PASSWORD}),
        )
        .await;
    assert_error(json, 415).await;
}

async fn me_needs_a_valid_token(app: &TestApp) {
    let admin = app.init_superuser("admin").await;
    let no_token = app.get("/api/auth/me").await;
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    assert_error(no_token, 401).await;

    for header in [
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46eA==",
        "Bearer not.a.jwt",
        "Token abc",
    ] {
        let response = app
            .client
            .get(app.url("/api/auth/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{header}");
        assert_error(response, 401).await;
    }

    // A token signed with another secret.
    let other = backend::security::tokens::TokenKeys::new(
        &secrecy::SecretString::from("another-secret".to_string()),
        std::time::Duration::from_secs(60),
    );
    let id: shared::ids::UserId = admin["id"].as_str().unwrap().parse().unwrap();
    let forged = other.issue(TokenSubject {
        user_id: id,
        version: 0,
    });
    let response = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_error(response, 401).await;

    // A well-signed token for a user that does not exist.
    let ghost = app.services.tokens().issue(TokenSubject {
        user_id: shared::ids::UserId::generate(),
        version: 0,
    });
    let response = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(ghost)
        .send()
        .await
        .unwrap();
    assert_error(response, 401).await;
}

async fn repeated_failures_are_throttled_with_retry_after(app: &TestApp) {
    app.init_superuser("admin").await;
    for _ in 0..5 {
        assert_error(login(app, "admin", "wrong-password").await, 401).await;
    }
    // Now even the right password waits, and the client is told how long.
    let throttled = login(app, "admin", PASSWORD).await;
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    let body = assert_error(throttled, 429).await;
    assert!(
        body["message"].as_str().unwrap().contains("try again"),
        "{body}"
    );
    // Other accounts are not affected by this username's failures.
    assert_error(login(app, "someone-else", "x").await, 401).await;
}
