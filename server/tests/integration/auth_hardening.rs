//! Password guessing is throttled per (username, client) and per client,
//! counted before any hashing, across replicas; sessions and tokens end when
//! a password, an active flag or a role changes; concurrent edits of a user
//! never undo each other.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, assert_error, with_both_databases};
use crate::web::sign_in;

with_both_databases!(
    guesses_wait_at_the_guessing_client_only,
    concurrent_guesses_never_pass_the_limit,
    forwarded_addresses_count_only_from_trusted_proxies,
    ipv6_clients_count_per_64,
    two_replicas_share_the_counters,
    password_changes_are_throttled_like_sign_in,
    sessions_and_tokens_end_when_access_is_taken_away,
    concurrent_edits_of_a_user_keep_both_changes,
);

/// A server that believes `X-Forwarded-For` from 127.0.0.1, so tests can
/// play several clients.
async fn behind_proxy(db: TestDb) -> TestApp {
    TestApp::spawn_with(db, |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

async fn login_from(
    app: &TestApp,
    client: Option<&str>,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[("username", username), ("password", password)]);
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap()
}

async fn guesses_wait_at_the_guessing_client_only(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "alice", "user").await;
    const ATTACKER: &str = "203.0.113.66";
    for _ in 0..5 {
        let response = login_from(&app, Some(ATTACKER), "alice", "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The sixth guess waits, and so would the right password from there.
    let response = login_from(&app, Some(ATTACKER), "alice", "wrong-password").await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_error(response, 429).await;
    let response = login_from(&app, Some(ATTACKER), "alice", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // Alice at her own client is not locked out.
    let response = login_from(&app, Some("198.51.100.7"), "alice", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.finish().await;
}

async fn concurrent_guesses_never_pass_the_limit(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "bob", "user").await;
    let guesses = (0..20).map(|_| login_from(&app, None, "bob", "wrong-password"));
    let statuses: Vec<StatusCode> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(|response| response.status())
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 15), "{statuses:?}");
    app.finish().await;
}

async fn forwarded_addresses_count_only_from_trusted_proxies(db: TestDb) {
    // No trusted proxies: the header is the client's own word, and ignored.
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "carol", "user").await;
    for i in 0..5 {
        let client = format!("203.0.113.{i}");
        let response = login_from(&app, Some(&client), "carol", "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = login_from(&app, Some("203.0.113.99"), "carol", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn ipv6_clients_count_per_64(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "dave", "user").await;
    for i in 1..=5 {
        let client = format!("2001:db8:1:2::{i}");
        let response = login_from(&app, Some(&client), "dave", "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let same_64 = login_from(&app, Some("2001:db8:1:2:ffff::1"), "dave", TEST_PASSWORD).await;
    assert_eq!(same_64.status(), StatusCode::TOO_MANY_REQUESTS);
    let other_64 = login_from(&app, Some("2001:db8:1:3::1"), "dave", TEST_PASSWORD).await;
    assert_eq!(other_64.status(), StatusCode::OK);
    app.finish().await;
}

async fn two_replicas_share_the_counters(db: TestDb) {
    // Two server processes on one database: guesses at one count at the other.
    let config = db.config();
    let first = TestApp::spawn(db).await;
    let root = first.root_token().await;
    first.user_with_role(&root, "erin", "user").await;
    let second = powerbeacon::Application::build(config).await.unwrap();
    let second_addr = second.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until(async {
        let _ = stopped.await;
    }));
    for i in 0..5 {
        let base = if i % 2 == 0 {
            first.url("")
        } else {
            format!("http://{second_addr}")
        };
        let response = first
            .client
            .post(format!("{base}/api/auth/login"))
            .form(&[("username", "erin"), ("password", "wrong-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let response = first
        .client
        .post(format!("http://{second_addr}/api/auth/login"))
        .form(&[("username", "erin"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    first.finish().await;
}

async fn password_changes_are_throttled_like_sign_in(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    let (_, frank) = app.user_with_role(&root, "frank", "user").await;
    let change = |current: &str| {
        app.client
            .patch(app.url("/api/users/me/password"))
            .bearer_auth(&frank)
            .json(&json!({"current_password": current, "new_password": "another-pass-1"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            change("wrong-password").await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );
    }
    let response = change(TEST_PASSWORD).await.unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, 429).await;
    // Nothing changed: no new password, so her token goes on working.
    assert_eq!(me(&app, &frank).await, StatusCode::OK);
    app.finish().await;
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.client
        .get(app.url("/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn page_status(app: &TestApp, cookie: &str) -> u16 {
    crate::web::call(app, Some(cookie), "dashboard", json!({}))
        .await
        .0
}

async fn sessions_and_tokens_end_when_access_is_taken_away(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    let (grace, grace_token) = app.user_with_role(&root, "grace", "admin").await;
    let grace_path = format!("/api/users/{}", grace["id"].as_str().unwrap());
    let patch = |body: Value| {
        app.client
            .patch(app.url(&grace_path))
            .bearer_auth(&root)
            .json(&body)
            .send()
    };

    // A higher role ends nothing.
    let cookie = sign_in(&app, "grace", TEST_PASSWORD).await;
    assert_eq!(
        patch(json!({"role": "admin", "full_name": "Grace"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(me(&app, &grace_token).await, StatusCode::OK);
    assert_eq!(page_status(&app, &cookie).await, 200);

    // A lower role ends her token and her browser session at once.
    assert_eq!(patch(json!({"role": "user"})).await.unwrap().status(), 200);
    assert_eq!(me(&app, &grace_token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(page_status(&app, &cookie).await, 401);

    // Her own password change ends her other sessions and tokens, but not
    // the browser session she changed it in.
    let token = app.token("grace", TEST_PASSWORD).await;
    let elsewhere = sign_in(&app, "grace", TEST_PASSWORD).await;
    let here = sign_in(&app, "grace", TEST_PASSWORD).await;
    let (status, body) = crate::web::call_fields(
        &app,
        &here,
        "change_password",
        &[
            ("current_password", TEST_PASSWORD),
            ("new_password", "brand-new-pass-2"),
            ("new_password_confirm", "brand-new-pass-2"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(page_status(&app, &elsewhere).await, 401);
    assert_eq!(page_status(&app, &here).await, 200);

    // A superuser setting a new password, or deactivating: the same.
    let token = app.token("grace", "brand-new-pass-2").await;
    assert_eq!(
        patch(json!({"password": "set-by-root-3"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED);
    let token = app.token("grace", "set-by-root-3").await;
    assert_eq!(
        patch(json!({"is_active": false})).await.unwrap().status(),
        200
    );
    assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn concurrent_edits_of_a_user_keep_both_changes(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let root = app.root_token().await;
    let (heidi, _) = app.user_with_role(&root, "heidi", "user").await;
    let heidi_path = format!("/api/users/{}", heidi["id"].as_str().unwrap());
    let set_active = |active: bool| {
        app.client
            .patch(app.url(&heidi_path))
            .bearer_auth(&root)
            .json(&json!({"is_active": active}))
            .send()
    };
    // Her own profile edit races the superuser's deactivation, many times:
    // the deactivation must never be undone by an edit that read the row
    // before it.
    for round in 0..8 {
        assert_eq!(set_active(true).await.unwrap().status(), 200);
        let heidi_token = app.token("heidi", TEST_PASSWORD).await;
        let own_edit = app
            .client
            .patch(app.url("/api/users/me"))
            .bearer_auth(&heidi_token)
            .json(&json!({"full_name": format!("Heidi {round}")}))
            .send();
        let (_, response) = tokio::join!(own_edit, set_active(false));
        assert_eq!(response.unwrap().status(), 200);
        let stored = app
            .services
            .store()
            .user_by_username("heidi")
            .await
            .unwrap()
            .unwrap();
        assert!(
            !stored.is_active,
            "round {round}: the deactivation was undone"
        );
    }
    app.finish().await;
}
