//! The browser app as served: start page, setup page, server functions, 404.

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_engines};

on_both_engines!(
    server_functions_act_as_the_session_user_and_follow_the_roles,
    sessions_end_on_sign_out_and_deactivation,
    other_sites_cannot_use_the_session,
    the_agents_page_shows_each_role_what_it_may_use,
    open_registration_is_shown_and_switched_by_admins,
    start_page_leads_to_setup_then_login,
    setup_page_renders_the_account_form_on_the_server,
    setup_server_function_uses_the_service_rules,
    forms_are_rendered_with_their_values,
    unknown_pages_get_the_html_404,
);

async fn start_page_leads_to_setup_then_login(app: &TestApp) {
    let response = app.get("/").await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/setup");

    app.init_superuser("admin").await;
    let response = app.get("/").await;
    assert_eq!(response.headers()["location"], "/login");
    let cookie = sign_in(app, "admin", crate::helpers::TEST_PASSWORD).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/dashboard");
}

/// Signs in through the server function, as the browser app does; the
/// session cookie (`pb_session=…`) to send back.
pub(crate) async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let response = app
        .client
        .post(app.url("/fn/sign_in"))
        .header("accept", "application/json")
        .header("origin", app.url(""))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "sign in as {username}");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("pb_session="))
        .expect("a session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

/// A page as the browser with session `cookie` gets it: status and HTML.
pub(crate) async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Calls a server function with a JSON body as the browser app's script
/// does: the status and the body.
pub(crate) async fn call(
    app: &TestApp,
    cookie: Option<&str>,
    function: &str,
    body: Value,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/fn/{function}")))
        .header("accept", "application/json")
        .header("origin", app.url(""))
        .json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Posts `fields` to a server function as a browser without the wasm does:
/// a plain form on the page `from`, asking for HTML.
pub(crate) async fn post_without_script(
    app: &TestApp,
    cookie: &str,
    function: &str,
    from: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/fn/{function}")))
        .header("origin", app.url(""))
        .header("referer", app.url(from))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Calls a server function that takes only an `id` form field.
pub(crate) async fn call_form(app: &TestApp, cookie: &str, function: &str, id: &Value) -> u16 {
    call_fields(app, cookie, function, &[("id", id.as_str().unwrap())])
        .await
        .0
}

/// Calls a server function that takes form fields (the default encoding):
/// the status and the body.
pub(crate) async fn call_fields(
    app: &TestApp,
    cookie: &str,
    function: &str,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/fn/{function}")))
        .header("accept", "application/json")
        .header("origin", app.url(""))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn server_functions_act_as_the_session_user_and_follow_the_roles(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "alice", "user").await;
    app.user_with_role(&root_token, "vic", "viewer").await;
    let password = crate::helpers::TEST_PASSWORD;

    // No session: refused, and so is a wrong password.
    let (status, body) = call(app, None, "dashboard", json!({})).await;
    assert_eq!(
        (status, body["status_code"].as_u64()),
        (401, Some(401)),
        "{body}"
    );
    let response = app
        .client
        .post(app.url("/fn/sign_in"))
        .header("accept", "application/json")
        .form(&[("username", "alice"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let root = sign_in(app, "root", password).await;
    let alice = sign_in(app, "alice", password).await;
    let vic = sign_in(app, "vic", password).await;
    let device = |name: &str, mac: &str| json!({"request": {"name": name, "mac_address": mac}});

    let (status, roots) = call(
        app,
        Some(&root),
        "create_device",
        device("nas", "02:00:00:00:00:01"),
    )
    .await;
    assert_eq!(status, 200, "{roots}");
    let (status, alices) = call(
        app,
        Some(&alice),
        "create_device",
        device("pc", "02:00:00:00:00:02"),
    )
    .await;
    assert_eq!(status, 200, "{alices}");
    assert_eq!(alices["owner_name"], "alice", "owned by the session's user");

    // A viewer reads the dashboard but may do nothing else.
    let (status, dashboard) = call(app, Some(&vic), "dashboard", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(dashboard["can_create_devices"], false);
    let (status, found) = call(app, Some(&vic), "find_devices", json!({})).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["matching"].as_u64(), found["total"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(
        found["devices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["can_manage"] == false)
    );
    let (status, choices) = call(app, Some(&vic), "device_choices", json!({})).await;
    assert_eq!(status, 200, "{choices}");
    assert_eq!(choices["agents"], json!([]), "viewers do not list agents");
    let (status, body) = call(
        app,
        Some(&vic),
        "create_device",
        device("x", "02:00:00:00:00:03"),
    )
    .await;
    assert_eq!(
        (status, body["status_code"].as_u64()),
        (403, Some(403)),
        "{body}"
    );
    for function in ["wake_device", "delete_device"] {
        let status = call_form(app, &vic, function, &roots["id"]).await;
        assert_eq!(status, 403, "{function}");
    }
    // A user manages only their own devices.
    let (status, _) = call(
        app,
        Some(&alice),
        "update_device",
        json!({"id": roots["id"], "request": {"name": "mine-now"}}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        call_form(app, &alice, "delete_device", &roots["id"]).await,
        403
    );
    let (status, found) = call(app, Some(&alice), "find_devices", json!({})).await;
    assert_eq!(status, 200);
    let manageable: Vec<&str> = found["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["can_manage"] == true)
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(manageable, ["pc"]);
    // Validation errors name the field.
    let (status, body) = call(app, Some(&alice), "create_device", device("bad", "zz")).await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("mac_address")),
        "{body}"
    );
    // Admins and superusers manage everything.
    assert_eq!(
        call_form(app, &root, "delete_device", &alices["id"]).await,
        200
    );
    assert_eq!(
        call_form(app, &root, "wake_device", &roots["id"]).await,
        422,
        "no agents yet"
    );
    assert_eq!(device_count(app).await, 1, "only root's device is left");
}

async fn sessions_end_on_sign_out_and_deactivation(app: &TestApp) {
    let root_token = app.root_token().await;
    let (alice_id, _) = app.user_with_role(&root_token, "alice", "user").await;
    let password = crate::helpers::TEST_PASSWORD;
    let first = sign_in(app, "alice", password).await;
    let second = sign_in(app, "alice", password).await;
    assert_ne!(first, second, "each sign-in gets its own session");
    let (status, user) = call(app, Some(&first), "current_user", json!({})).await;
    assert_eq!((status, user["username"].as_str()), (200, Some("alice")));

    let (status, _) = call(app, Some(&first), "sign_out", json!({})).await;
    assert!(status == 200 || status == 302, "{status}");
    let (status, user) = call(app, Some(&first), "current_user", json!({})).await;
    assert_eq!((status, user), (200, Value::Null), "signed out");
    let (status, _) = call(app, Some(&second), "dashboard", json!({})).await;
    assert_eq!(status, 200, "the other session goes on");

    // A deactivated account's sessions stop working at once.
    let response = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{}", alice_id["id"].as_str().unwrap())))
                .json(&json!({"is_active": false})),
            &root_token,
        )
        .await;
    assert_eq!(response.status(), 200);
    let (status, _) = call(app, Some(&second), "dashboard", json!({})).await;
    assert_eq!(status, 401);
}

async fn other_sites_cannot_use_the_session(app: &TestApp) {
    app.root_token().await;
    let root = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let forged = app
        .client
        .post(app.url("/fn/create_device"))
        .header("cookie", &root)
        .header("origin", "http://evil.example")
        .json(&json!({"request": {"name": "forged", "mac_address": "02:00:00:00:00:05"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let (status, _) = call(app, Some(&root), "dashboard", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(device_count(app).await, 0);
    // The same request from the server's own page goes through.
    let own = app
        .client
        .post(app.url("/fn/create_device"))
        .header("cookie", &root)
        .header("origin", app.url(""))
        .json(&json!({"request": {"name": "mine", "mac_address": "02:00:00:00:00:06"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

async fn setup_page_renders_the_account_form_on_the_server(app: &TestApp) {
    let response = app.get("/setup").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<title>Set up · PowerBeacon</title>"),
        "{html}"
    );
    assert!(html.contains(r#"id="setup-account""#));
    assert!(html.contains(r#"name="username""#) && html.contains(r#"name="password_confirm""#));
    assert!(html.contains("/pkg/powerbeacon.css"));
    assert!(html.contains("/favicon.svg"));
    assert!(html.contains("powerbeacon.js"), "hydration script missing");

    app.init_superuser("admin").await;
    // As a browser asks for it: leptos_axum only sets the 302 for HTML requests.
    let response = app
        .client
        .get(app.url("/setup"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_redirection(),
        "{status} {}",
        response.text().await.unwrap()
    );
    assert_eq!(response.headers()["location"], "/login");
}

async fn setup_server_function_uses_the_service_rules(app: &TestApp) {
    let form = |password: &str, confirm: &str| {
        vec![
            ("username", "webadmin".to_string()),
            ("email", "".to_string()),
            ("full_name", "Web Admin".to_string()),
            ("password", password.to_string()),
            ("password_confirm", confirm.to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        app.client
            .post(app.url("/fn/init_setup"))
            .header("accept", "application/json")
            .form(&fields)
            .send()
    };
    let mismatch = post(form("correct-horse-9", "other-horse-9"))
        .await
        .unwrap();
    assert!(mismatch.status().is_server_error() || mismatch.status().is_client_error());
    let short = post(form("short", "short")).await.unwrap();
    let text = short.text().await.unwrap();
    assert!(text.contains("at least 8 characters"), "{text}");
    assert_eq!(app.services.setup_status().await.unwrap().user_count, 0);

    let ok = post(form("correct-horse-9", "correct-horse-9"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    let status = app.services.setup_status().await.unwrap();
    assert!(status.is_setup_complete);
}

async fn unknown_pages_get_the_html_404(app: &TestApp) {
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

async fn device_count(app: &TestApp) -> u64 {
    let page = backend::storage::Page { skip: 0, limit: 1 };
    app.services
        .store()
        .list_device_views(page)
        .await
        .unwrap()
        .1
}

async fn the_agents_page_shows_each_role_what_it_may_use(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "uma", "user").await;
    app.user_with_role(&root_token, "vic", "viewer").await;
    let key = app.enrollment_key(&root_token, None).await;
    let (agent_id, _) = app
        .register_agent(&key, "lan-agent", 18080, json!({}))
        .await;
    let password = crate::helpers::TEST_PASSWORD;
    let root = sign_in(app, "root", password).await;
    let uma = sign_in(app, "uma", password).await;
    let vic = sign_in(app, "vic", password).await;

    let (status, body) = call(app, Some(&vic), "agents_overview", json!({})).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("Viewers cannot see agents."))
    );

    let (status, overview) = call(app, Some(&uma), "agents_overview", json!({})).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["is_admin"], false);
    assert_eq!(overview["keys"], json!([]), "keys are for admins");
    assert_eq!(overview["agents"][0]["hostname"], "lan-agent");
    assert_eq!(overview["agents"][0]["can_delete"], false);
    assert!(!overview.to_string().contains(&key), "never a key");
    let (status, _) = call(app, Some(&uma), "agent_install", json!({"request": {}})).await;
    assert_eq!(status, 403);
    assert_eq!(
        call_form(app, &uma, "approve_agent", &json!(agent_id)).await,
        403
    );
    assert_eq!(
        call_form(app, &uma, "delete_agent", &json!(agent_id)).await,
        403
    );

    let (status, overview) = call(app, Some(&root), "agents_overview", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(overview["is_admin"], true);
    assert_eq!(overview["keys"].as_array().unwrap().len(), 1);
    assert_eq!(overview["agents"][0]["can_delete"], true);
    let (status, install) = call(app, Some(&root), "agent_install", json!({"request": {}})).await;
    assert_eq!(status, 200, "{install}");
    let base = app.url("");
    assert!(
        install["command"]
            .as_str()
            .unwrap()
            .starts_with(&format!("curl -fsSL '{base}/install-agent.sh'")),
        "{install}"
    );
    assert_eq!(
        call_form(app, &root, "delete_agent", &json!(agent_id)).await,
        200
    );
}

/// The agents page's open-registration setting and switch: the same
/// setting and rules as `GET`/`PUT /api/config/agents`.
async fn open_registration_is_shown_and_switched_by_admins(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "uma", "user").await;
    app.user_with_role(&root_token, "vic", "viewer").await;
    let password = crate::helpers::TEST_PASSWORD;
    let root = sign_in(app, "root", password).await;
    let uma = sign_in(app, "uma", password).await;
    let vic = sign_in(app, "vic", password).await;

    let (_, overview) = call(app, Some(&root), "agents_overview", json!({})).await;
    assert_eq!(overview["open_registration"], false, "{overview}");
    let (status, _) = call_fields(
        app,
        "",
        "update_agent_registration_config",
        &[("open_registration", "true")],
    )
    .await;
    assert_eq!(status, 401, "signed in only");

    let switch = |cookie: String, open: &'static str| async move {
        call_fields(
            app,
            &cookie,
            "update_agent_registration_config",
            &[("open_registration", open)],
        )
        .await
    };
    for cookie in [&uma, &vic] {
        let (status, body) = switch(cookie.clone(), "true").await;
        assert_eq!(
            (status, body["message"].as_str()),
            (403, Some("Only admins change how agents register."))
        );
    }
    let (status, body) = switch(root.clone(), "maybe").await;
    assert_eq!(status, 400, "not a boolean: {body}");
    let (status, config) = switch(root.clone(), "true").await;
    assert_eq!((status, config), (200, json!({"open_registration": true})));

    // The REST API sees the same setting.
    let config: Value = app
        .send(app.client.get(app.url("/api/config/agents")), &root_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["open_registration"], true);
    let (_, overview) = call(app, Some(&uma), "agents_overview", json!({})).await;
    assert_eq!(overview["open_registration"], true);
}

/// The value of the input with `id` in `html`, as the server rendered it.
fn input_value(html: &str, id: &str) -> Option<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input#{id}")).unwrap();
    let input = document.select(&selector).next()?;
    input.value().attr("value").map(str::to_string)
}

/// What a form shows before the wasm arrives (or without it): the profile
/// as stored, the single sign-on settings, and the search of the address.
async fn forms_are_rendered_with_their_values(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client.patch(app.url("/api/users/me")).json(&json!({
                "email": "root@example.com", "full_name": "Ro \"Ot\" <b>",
            })),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let page = async |path: &str| {
        let (status, html) = page(app, &cookie, path).await;
        assert_eq!(status, 200, "{path}");
        html
    };

    let settings = page("/settings").await;
    assert_eq!(
        input_value(&settings, "profile-username").as_deref(),
        Some("root")
    );
    assert_eq!(
        input_value(&settings, "profile-email").as_deref(),
        Some("root@example.com")
    );
    assert_eq!(
        input_value(&settings, "profile-full-name").as_deref(),
        Some(r#"Ro "Ot" <b>"#)
    );
    assert_eq!(
        input_value(&settings, "oidc-client-id").as_deref(),
        Some("")
    );

    for (path, id) in [
        ("/dashboard?q=nas%20box", "device-search"),
        ("/clusters?q=nas%20box", "cluster-search"),
        ("/users?q=nas%20box", "user-search"),
    ] {
        let html = page(path).await;
        assert_eq!(input_value(&html, id).as_deref(), Some("nas box"), "{path}");
    }
}
