//! Password guessing is throttled per (account, client), per client and per
//! account across clients (known devices exempt from the last), counted
//! before any hashing, across replicas; sessions and tokens end when
//! a password, an active flag or a role changes; concurrent edits of a user
//! never undo each other.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ConfigFor, TEST_PASSWORD, TestApp, TestDb, assert_error, with_both_databases,
};
use crate::web::sign_in;

with_both_databases!(
    guesses_wait_at_the_guessing_client_only,
    concurrent_guesses_never_pass_the_limit,
    forwarded_addresses_count_only_from_trusted_proxies,
    ipv6_clients_count_per_64,
    two_replicas_share_the_counters,
    guesses_from_many_addresses_wait_for_the_account,
    known_devices_sign_in_while_the_account_is_guessed,
    the_browser_sign_in_knows_its_devices_too,
    every_spelling_of_a_name_shares_the_counters,
    two_replicas_share_the_account_counter_and_known_devices,
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
    login_at(&app.url(""), app, client, None, username, password).await
}

/// A token sign-in at the server `base`, from `client` (as a trusted proxy
/// forwards it), bringing the known-device cookie `device`.
async fn login_at(
    base: &str,
    app: &TestApp,
    client: Option<&str>,
    device: Option<&str>,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{base}/api/auth/login"))
        .form(&[("username", username), ("password", password)]);
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    request.send().await.unwrap()
}

/// The known-device cookie an answer sets (`pb_device=…`), to send back.
fn known_device(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("pb_device="))
        .expect("a known-device cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// Ten wrong guesses on `username`, each from another /64 of one /48.
async fn guess_from_ten_networks(app: &TestApp, username: &str) {
    for i in 0..10 {
        let client = format!("2001:db8:66:{i:x}::1");
        let response = login_from(app, Some(&client), username, "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
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

async fn guesses_from_many_addresses_wait_for_the_account(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "ivan", "user").await;
    guess_from_ten_networks(&app, "ivan").await;
    // The eleventh guess waits, from any address, right password or not.
    let response = login_from(&app, Some("2001:db8:66:ff::1"), "ivan", "wrong-password").await;
    assert!((1..=2).contains(&retry_after(&response)));
    assert_error(response, 429).await;
    let response = login_from(&app, Some("192.0.2.200"), "ivan", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Unknown names are counted the same way (nothing tells them apart).
    guess_from_ten_networks(&app, "nobody").await;
    let response = login_from(&app, Some("192.0.2.201"), "nobody", "x").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other accounts are not affected.
    let response = login_from(&app, Some("192.0.2.202"), "root", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.finish().await;
}

async fn known_devices_sign_in_while_the_account_is_guessed(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "judy", "user").await;
    const LAPTOP: &str = "198.51.100.7";
    let base = app.url("");
    let first = login_at(&base, &app, Some(LAPTOP), None, "judy", TEST_PASSWORD).await;
    assert_eq!(first.status(), StatusCode::OK);
    let laptop = known_device(&first);

    guess_from_ten_networks(&app, "judy").await;

    // Judy on her laptop signs in meanwhile, again and again, and from a
    // new address too (the cookie is what counts).
    for client in [LAPTOP, LAPTOP, "203.0.113.9"] {
        let response = login_at(
            &base,
            &app,
            Some(client),
            Some(&laptop),
            "judy",
            TEST_PASSWORD,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "from {client}");
    }
    // A new device waits, also at her laptop's address; so does a cookie
    // someone changed.
    let response = login_at(&base, &app, Some(LAPTOP), None, "judy", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let forged = format!("{laptop}x");
    let response = login_at(
        &base,
        &app,
        Some(LAPTOP),
        Some(&forged),
        "judy",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The cookie is per account: it does not exempt guesses on another.
    app.user_with_role(&root, "mallory", "user").await;
    guess_from_ten_networks(&app, "mallory").await;
    let response = login_at(
        &base,
        &app,
        Some(LAPTOP),
        Some(&laptop),
        "mallory",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // A known device still has its own counters: five wrong passwords
    // there and it waits too.
    for _ in 0..5 {
        let response = login_at(
            &base,
            &app,
            Some(LAPTOP),
            Some(&laptop),
            "judy",
            "wrong-password",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = login_at(
        &base,
        &app,
        Some(LAPTOP),
        Some(&laptop),
        "judy",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn the_browser_sign_in_knows_its_devices_too(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "kim", "user").await;
    let browser_sign_in = |device: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/fn/sign_in"))
            .header("accept", "application/json")
            .header("origin", app.url(""))
            .header("x-forwarded-for", "198.51.100.20")
            .form(&[("username", "kim"), ("password", TEST_PASSWORD)]);
        if let Some(device) = device {
            request = request.header("cookie", device);
        }
        request.send()
    };
    let first = browser_sign_in(None).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let browser = known_device(&first);

    guess_from_ten_networks(&app, "kim").await;

    let again = browser_sign_in(Some(browser.clone())).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    // Each sign-in renews the cookie, which still opens.
    let renewed = known_device(&again);
    assert_eq!(
        browser_sign_in(Some(renewed)).await.unwrap().status(),
        StatusCode::OK
    );
    let stranger = browser_sign_in(None).await.unwrap();
    assert_eq!(stranger.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(stranger.headers().contains_key("retry-after"));
    // A token sign-in from the same browser counts it as known as well.
    let response = login_at(
        &app.url(""),
        &app,
        Some("198.51.100.20"),
        Some(&browser),
        "kim",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.finish().await;
}

async fn every_spelling_of_a_name_shares_the_counters(db: TestDb) {
    let app = behind_proxy(db).await;
    let root = app.root_token().await;
    app.user_with_role(&root, "leo", "user").await;
    // Every spelling signs in to the same account.
    for spelling in ["LEO", " leo ", "Leo"] {
        let response = login_from(&app, Some("198.51.100.30"), spelling, TEST_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{spelling:?}");
    }
    // Five guesses in five spellings from one client: the sixth waits.
    for spelling in ["leo", "LEO", " Leo", "lEo ", "\tleo"] {
        let response = login_from(&app, Some("203.0.113.40"), spelling, "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{spelling:?}");
    }
    let response = login_from(&app, Some("203.0.113.40"), "leo", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Spread over addresses, the account's counter adds them up as well:
    // five more, then the eleventh of all waits.
    for i in 0..5 {
        let spelling = if i % 2 == 0 { "LEO" } else { " leo" };
        let client = format!("2001:db8:77:{i:x}::1");
        let response = login_from(&app, Some(&client), spelling, "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{spelling:?}");
    }
    let response = login_from(&app, Some("2001:db8:77:ff::1"), "Leo", TEST_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn two_replicas_share_the_account_counter_and_known_devices(db: TestDb) {
    // Two server processes on one database: guesses at either count on one
    // account counter, and a device one made known is known at the other.
    let mut config = db.config();
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let first = behind_proxy(db).await;
    let root = first.root_token().await;
    first.user_with_role(&root, "mia", "user").await;
    let second = powerbeacon::Application::build(config).await.unwrap();
    let second_base = format!("http://{}", second.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until(async {
        let _ = stopped.await;
    }));
    let first_base = first.url("");

    let signed_in = login_at(
        &first_base,
        &first,
        Some("198.51.100.50"),
        None,
        "mia",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let device = known_device(&signed_in);
    for i in 0..10 {
        let base = if i % 2 == 0 {
            &first_base
        } else {
            &second_base
        };
        let client = format!("2001:db8:88:{i:x}::1");
        let response = login_at(base, &first, Some(&client), None, "mia", "wrong-password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    for base in [&first_base, &second_base] {
        let response = login_at(base, &first, Some("192.0.2.50"), None, "mia", TEST_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
        let response = login_at(
            base,
            &first,
            Some("198.51.100.50"),
            Some(&device),
            "mia",
            TEST_PASSWORD,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{base}");
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    first.finish().await;
}
