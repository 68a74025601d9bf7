//! Single sign-on through the real router against an in-process identity
//! provider: the whole round trip, every ID-token check, and whose account
//! a sign-in lands in.

use serde_json::{Value, json};

use crate::fake_issuer::{CLIENT_ID, CLIENT_SECRET, FakeIssuer, Flaw, Person};
use crate::helpers::{TEST_PASSWORD, TestApp, on_both_engines};
use crate::web::{call, call_fields, sign_in};

on_both_engines!(
    a_first_sign_in_creates_the_account_and_the_next_reuses_it,
    flawed_tokens_and_callbacks_are_refused_without_a_session,
    sso_that_is_off_sends_people_back_to_sign_in,
    a_local_account_with_the_same_name_is_never_taken_over,
    deactivated_sso_accounts_are_refused,
    discovery_can_be_tested_from_the_settings,
    an_issuer_ending_in_a_slash_works,
    starting_sign_ins_stores_nothing_and_their_cookie_cannot_be_forged,
);

/// Turns single sign-on on with `issuer` (as root) and returns root's token.
async fn configure(app: &TestApp, issuer: &FakeIssuer) -> String {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client.put(app.url("/api/config/oidc")).json(&json!({
                "enabled": true,
                "server_metadata_url": issuer.metadata_url(),
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            })),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    root
}

/// The `name=…` cookie a response sets, if any.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| value.split(';').next().unwrap().to_string())
}

/// The `pb_session=…` cookie a response sets, if any.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie(response, "pb_session")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// How a round trip ended: where the callback sent the browser, and the
/// session cookie it holds afterwards.
struct Landing {
    location: String,
    cookie: Option<String>,
}

/// Starts a sign-in, lets the provider answer, and follows its redirect
/// back to the callback, changed by `tamper` on the way.
async fn round_trip(app: &TestApp, tamper: impl FnOnce(String) -> String) -> Landing {
    let start = app
        .client
        .get(app.url("/api/auth/login/oauth?next=/clusters"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let to_provider = location(&start);
    let cookie = set_cookie(&start, "pb_sso").expect("the started sign-in's sealed cookie");
    assert!(
        session_cookie(&start).is_none(),
        "no session before a sign-in"
    );
    assert!(
        to_provider.contains("code_challenge_method=S256"),
        "{to_provider}"
    );
    assert!(to_provider.contains("nonce="), "{to_provider}");
    let back = app.client.get(&to_provider).send().await.unwrap();
    assert_eq!(back.status(), 303, "the provider signs in");
    let callback = tamper(location(&back));
    assert!(
        callback.starts_with(&app.url("/api/auth/callback")),
        "{callback}"
    );
    let landed = app
        .client
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), 302);
    Landing {
        location: location(&landed),
        cookie: session_cookie(&landed),
    }
}

async fn signed_in_user(app: &TestApp, landing: &Landing) -> Value {
    let (status, user) = call(app, landing.cookie.as_deref(), "current_user", json!({})).await;
    assert_eq!(status, 200);
    user
}

async fn a_first_sign_in_creates_the_account_and_the_next_reuses_it(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    let root = configure(app, &issuer).await;
    let landing = round_trip(app, |url| url).await;
    assert_eq!(
        landing.location, "/clusters",
        "back where the sign-in started"
    );
    let user = signed_in_user(app, &landing).await;
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@idp.example");
    assert_eq!(user["full_name"], "alice from the IdP");
    assert_eq!(user["role"], "viewer", "the configured default role");
    // No usable local password.
    let (_, settings) = call(
        app,
        landing.cookie.as_deref(),
        "account_settings",
        json!({}),
    )
    .await;
    assert_eq!(settings["has_password"], false);
    let password_login = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[("username", "alice"), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(password_login.status(), 401);

    // The next sign-in lands in the same account, even with a new name.
    let mut renamed = Person::new("subject-1", "alice.renamed");
    renamed.email = None;
    issuer.set_person(renamed);
    let again = round_trip(app, |url| url).await;
    assert_ne!(again.cookie, landing.cookie, "a new session");
    let same = signed_in_user(app, &again).await;
    assert_eq!(same["id"], user["id"]);
    let users: Value = app
        .send(app.client.get(app.url("/api/users")), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["count"], 2, "root and alice, nobody else");

    // An email the provider does not vouch for is not taken.
    let mut unverified = Person::new("subject-2", "bob");
    unverified.email_verified = false;
    issuer.set_person(unverified);
    let bob = signed_in_user(app, &round_trip(app, |url| url).await).await;
    assert_eq!(
        (bob["username"].as_str(), &bob["email"]),
        (Some("bob"), &Value::Null)
    );
}

async fn flawed_tokens_and_callbacks_are_refused_without_a_session(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    configure(app, &issuer).await;
    for flaw in [
        Flaw::WrongNonce,
        Flaw::WrongAudience,
        Flaw::WrongIssuer,
        Flaw::Expired,
        Flaw::BadSignature,
        Flaw::UnknownKid,
    ] {
        issuer.set_flaw(flaw);
        let landing = round_trip(app, |url| url).await;
        assert_eq!(landing.location, "/login?error=sso_failed", "{flaw:?}");
        assert_eq!(signed_in_user(app, &landing).await, Value::Null, "{flaw:?}");
    }
    issuer.set_flaw(Flaw::None);

    // A state that is not the one sent.
    let landing = round_trip(app, |url| {
        let mut url = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "forged".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    })
    .await;
    assert_eq!(landing.location, "/login?error=sso_stale");
    assert_eq!(signed_in_user(app, &landing).await, Value::Null);

    // A callback without a sign-in started in this browser (no cookie).
    let stray = app
        .client
        .get(app.url("/api/auth/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&stray), "/login?error=sso_stale");
    // The provider's own refusal.
    let denied = app
        .client
        .get(app.url("/api/auth/callback?error=access_denied&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&denied), "/login?error=sso_denied");

    // After all that, a clean sign-in still works, and nothing was created before it.
    let landing = round_trip(app, |url| url).await;
    assert_eq!(signed_in_user(app, &landing).await["username"], "alice");
}

async fn sso_that_is_off_sends_people_back_to_sign_in(app: &TestApp) {
    app.root_token().await;
    let response = app
        .client
        .get(app.url("/api/auth/login/oauth"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/login?error=sso_disabled");
    // The sign-in page says so, and offers no SSO button.
    let page = app
        .get("/login?error=sso_disabled")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Single sign-on is not enabled on this server."));
    assert!(!page.contains("Sign in with SSO"));
}

async fn a_local_account_with_the_same_name_is_never_taken_over(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    let root = configure(app, &issuer).await;
    let (local, _) = app.user_with_role(&root, "alice", "admin").await;
    // The sign-in page now offers SSO.
    let page = app.get("/login").await.text().await.unwrap();
    assert!(page.contains("Sign in with SSO"));

    let landing = round_trip(app, |url| url).await;
    let user = signed_in_user(app, &landing).await;
    assert_ne!(user["id"], local["id"], "a distinct account");
    assert_eq!(user["username"], "alice-2");
    assert_eq!(user["role"], "viewer");
    // The local account is untouched: same role, its password still works.
    sign_in(app, "alice", TEST_PASSWORD).await;
    let (_, me) = {
        let cookie = sign_in(app, "alice", TEST_PASSWORD).await;
        call(app, Some(&cookie), "current_user", json!({})).await
    };
    assert_eq!(
        (me["id"].clone(), me["role"].as_str()),
        (local["id"].clone(), Some("admin"))
    );
}

async fn deactivated_sso_accounts_are_refused(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    let root = configure(app, &issuer).await;
    let landing = round_trip(app, |url| url).await;
    let user = signed_in_user(app, &landing).await;
    let response = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{}", user["id"].as_str().unwrap())))
                .json(&json!({"is_active": false})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    let again = round_trip(app, |url| url).await;
    assert_eq!(again.location, "/login?error=inactive");
    assert_eq!(signed_in_user(app, &again).await, Value::Null);
}

async fn discovery_can_be_tested_from_the_settings(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "adam", "admin").await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let adam = sign_in(app, "adam", TEST_PASSWORD).await;
    let url = issuer.metadata_url();
    let (status, body) = call_fields(
        app,
        &root,
        "test_sso_discovery",
        &[("server_metadata_url", &url)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&issuer.issuer) && message.contains("1 signing key"),
        "{message}"
    );
    let (status, _) = call_fields(
        app,
        &adam,
        "test_sso_discovery",
        &[("server_metadata_url", &url)],
    )
    .await;
    assert_eq!(status, 403, "superusers only");
    let closed = format!(
        "http://127.0.0.1:{}/.well-known/openid-configuration",
        crate::fake_agent::closed_port()
    );
    let (status, body) = call_fields(
        app,
        &root,
        "test_sso_discovery",
        &[("server_metadata_url", &closed)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Discovery failed"),
        "{body}"
    );
}

/// The redirect URI the provider is given: the request's address, or a
/// proxy's forwarded one only when the server is told to trust it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redirect_uri_follows_forwarded_headers_only_when_trusted() {
    for trusted in [false, true] {
        let app = crate::helpers::TestApp::spawn_with(crate::helpers::TestDb::sqlite(), |config| {
            config.trust_forwarded_headers = trusted;
            config.allowed_hosts = vec!["wol.example.org".into()];
        })
        .await;
        let issuer = FakeIssuer::start().await;
        configure(&app, &issuer).await;
        let start = app
            .client
            .get(app.url("/api/auth/login/oauth"))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "wol.example.org, proxy.internal")
            .send()
            .await
            .unwrap();
        let to_provider = url::Url::parse(&location(&start)).unwrap();
        let redirect_uri = to_provider
            .query_pairs()
            .find(|(key, _)| key == "redirect_uri")
            .map(|(_, value)| value.into_owned())
            .unwrap();
        let expected = if trusted {
            "https://wol.example.org/api/auth/callback".to_string()
        } else {
            app.url("/api/auth/callback")
        };
        assert_eq!(redirect_uri, expected, "trusted: {trusted}");
        app.finish().await;
    }
}

async fn an_issuer_ending_in_a_slash_works(app: &TestApp) {
    let issuer = FakeIssuer::start_with(true).await;
    assert!(issuer.issuer.ends_with('/'));
    configure(app, &issuer).await;
    let landing = round_trip(app, |url| url).await;
    assert_eq!(signed_in_user(app, &landing).await["username"], "alice");
}

/// Without `--sso-allow-loopback`, single sign-on fetches nothing from the
/// server's own loopback: whoever configures it cannot make the server read
/// its local services.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_on_loopback_are_refused_unless_allowed() {
    let app = crate::helpers::TestApp::spawn_with(crate::helpers::TestDb::sqlite(), |config| {
        config.sso_allow_loopback = false;
    })
    .await;
    let issuer = FakeIssuer::start().await;
    app.init_superuser("root").await;
    let root = app
        .services
        .store()
        .user_by_username("root")
        .await
        .unwrap()
        .unwrap();
    let error = app
        .services
        .test_sso_discovery(&root, &issuer.metadata_url())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("loopback"), "{error}");
    for never in [
        "http://169.254.169.254/.well-known/openid-configuration",
        "http://[fd00:ec2::254]/.well-known/openid-configuration",
    ] {
        let error = app
            .services
            .test_sso_discovery(&root, never)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("not an address"),
            "{never}: {error}"
        );
    }
    app.finish().await;
}

async fn starting_sign_ins_stores_nothing_and_their_cookie_cannot_be_forged(app: &TestApp) {
    let issuer = FakeIssuer::start().await;
    configure(app, &issuer).await;
    let before = app.count_rows("browser_sessions").await;
    let mut cookies = Vec::new();
    for _ in 0..20 {
        let start = app.get("/api/auth/login/oauth").await;
        assert_eq!(start.status(), 302);
        let cookie = start
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("pb_sso="))
            .expect("the started sign-in's cookie")
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Path=/api/auth/callback"),
            "{cookie}"
        );
        cookies.push(cookie.split(';').next().unwrap().to_string());
    }
    assert_eq!(
        app.count_rows("browser_sessions").await,
        before,
        "no row per started sign-in"
    );

    // A changed cookie is not a started sign-in.
    let forged = format!("{}A", cookies[0]);
    let response = app
        .client
        .get(app.url("/api/auth/callback?code=x&state=y"))
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login?error=sso_stale");
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.starts_with("pb_sso=") && value.contains("Max-Age=0"));
    assert!(cleared, "the callback clears the cookie");
}
