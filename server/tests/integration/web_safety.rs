//! Pages as served stay safe: text people type never becomes markup or
//! script, and every page renders under concurrent clients without a panic.

use scraper::{Html, Selector};
use serde_json::json;

use crate::helpers::{TestApp, on_both_engines};
use crate::web::{page, sign_in};

on_both_engines!(
    user_text_never_becomes_markup,
    signed_in_pages_render_for_concurrent_clients,
    pages_render_while_other_servers_start,
);

/// Closes the element it lands in and opens a script.
const CLOSE_AND_SCRIPT: &str = "</title><script>alert(1)</script>";
/// Breaks out of a double-quoted attribute into a new element.
const ATTRIBUTE_BREAKOUT: &str = "\"><svg onload=alert(2)>";
/// Breaks out of a single-quoted attribute into a new attribute.
const QUOTE_BREAKOUT: &str = "' onfocus=alert(3) autofocus '";
/// Runs script where it becomes a link.
const SCRIPT_URL: &str = "javascript:alert(4)";

/// What a payload would leave in the parsed document if it became markup:
/// an element the page did not write, an event-handler attribute, or a
/// `javascript:` link. Returns each finding.
fn injected_markup(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let mut findings = Vec::new();
    for element in document.select(&Selector::parse("*").unwrap()) {
        let name = element.value().name();
        let text: String = element.text().collect();
        if name == "script" && text.trim_start().starts_with("alert(") {
            findings.push(format!("a script element: {text}"));
        }
        if name == "svg" && element.value().attr("onload").is_some() {
            findings.push("an svg element with onload".into());
        }
        for (attribute, value) in element.value().attrs() {
            if attribute.starts_with("on") {
                findings.push(format!("<{name} {attribute}={value:?}>"));
            }
            if matches!(attribute, "href" | "src" | "action" | "formaction")
                && value.trim().to_ascii_lowercase().starts_with("javascript:")
            {
                findings.push(format!("<{name} {attribute}={value:?}>"));
            }
        }
    }
    findings
}

async fn user_text_never_becomes_markup(app: &TestApp) {
    let root = app.root_token().await;
    let api = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        let request = app.client.request(method, app.url(path)).json(&body);
        app.send(request, &root)
    };

    // Every field a person or an agent can write, each with payloads.
    let response = api(
        reqwest::Method::PATCH,
        "/api/users/me",
        json!({"full_name": ATTRIBUTE_BREAKOUT}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = api(
        reqwest::Method::POST,
        "/api/clusters",
        json!({"name": CLOSE_AND_SCRIPT, "description": ATTRIBUTE_BREAKOUT,
               "tags": [QUOTE_BREAKOUT, SCRIPT_URL]}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let cluster: serde_json::Value = response.json().await.unwrap();
    let cluster_id = cluster["id"].as_str().unwrap().to_string();
    let key_response = api(
        reqwest::Method::POST,
        "/api/agents/enrollment-keys",
        json!({"name": CLOSE_AND_SCRIPT, "cluster_id": cluster_id}),
    )
    .await;
    assert_eq!(key_response.status(), 201);
    let key: serde_json::Value = key_response.json().await.unwrap();
    let (agent_id, _) = app
        .register_agent(
            key["key"].as_str().unwrap(),
            "</title><script>alert(1)</script>",
            18080,
            json!({"os": "\"><svg/onload=alert(2)>", "version": SCRIPT_URL}),
        )
        .await;
    let response = api(
        reqwest::Method::POST,
        "/api/devices",
        json!({"name": CLOSE_AND_SCRIPT, "mac_address": "AA:BB:CC:00:00:01",
               "ip_address": "192.0.2.10", "os_type": "linux",
               "description": QUOTE_BREAKOUT, "tags": [ATTRIBUTE_BREAKOUT, SCRIPT_URL],
               "cluster_id": cluster_id, "agent_ids": [agent_id]}),
    )
    .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let response = api(
        reqwest::Method::POST,
        "/api/users",
        json!({"username": "mallory", "password": crate::helpers::TEST_PASSWORD,
               "email": "\"><svg/onload=alert(2)>@example.com",
               "full_name": CLOSE_AND_SCRIPT, "role": "user"}),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let cluster_page = format!("/clusters/{cluster_id}");
    for path in [
        "/dashboard",
        "/clusters",
        cluster_page.as_str(),
        "/agents",
        "/users",
        "/settings",
        "/clusters/%3C%2Ftitle%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/%3C%2Ftitle%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/dashboard?q=%22%3E%3Csvg%20onload%3Dalert(2)%3E",
    ] {
        let (status, html) = page(app, &cookie, path).await;
        assert!(matches!(status, 200 | 404), "{path}: {status}");
        let findings = injected_markup(&html);
        assert!(
            findings.is_empty(),
            "{path} carries markup from user text: {findings:?}"
        );
    }

    // The cluster's name is its page's title, as text.
    let (_, html) = page(app, &cookie, &cluster_page).await;
    let document = Html::parse_document(&html);
    let titles: Vec<String> = document
        .select(&Selector::parse("title").unwrap())
        .map(|title| title.text().collect())
        .collect();
    assert_eq!(titles, [format!("{CLOSE_AND_SCRIPT} · PowerBeacon")]);
}

/// Each signed-in page, fetched by many clients at once on the
/// multi-threaded runtime: every answer is a whole page, and no render
/// panics (a panic fails the test in `TestApp::finish`).
async fn signed_in_pages_render_for_concurrent_clients(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/clusters"))
                .json(&json!({"name": "Lab"})),
            &root,
        )
        .await;
    let cluster: serde_json::Value = response.json().await.unwrap();
    let response = app
        .send(
            app.client.post(app.url("/api/devices")).json(&json!({
                "name": "nas", "mac_address": "AA:BB:CC:00:00:02", "os_type": "linux",
                "cluster_id": cluster["id"],
            })),
            &root,
        )
        .await;
    assert_eq!(response.status(), 201);
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let cluster_page = format!("/clusters/{}", cluster["id"].as_str().unwrap());
    let paths = [
        "/dashboard",
        "/clusters",
        cluster_page.as_str(),
        "/agents",
        "/users",
        "/settings",
    ];
    let requests = (0..8).flat_map(|_| paths).map(|path| {
        let cookie = cookie.clone();
        async move {
            let (status, html) = page(app, &cookie, path).await;
            (path, status, html)
        }
    });
    for (path, status, html) in futures::future::join_all(requests).await {
        assert_eq!(status, 200, "{path}");
        let tail = &html[html.len().saturating_sub(300)..];
        assert!(
            html.contains("</body>"),
            "{path}: a cut page ending {tail:?}"
        );
    }
}

/// Pages rendered while other servers of the same process build their
/// routers (as the tests do, many servers in one process) all finish.
/// Leptos finds an app's routes with resource loading switched off by a
/// flag global to the process, and a resource first polled meanwhile waits
/// forever; the routes are found once per process, so no render overlaps
/// that.
async fn pages_render_while_other_servers_start(app: &TestApp) {
    app.root_token().await;
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let state = powerbeacon::state::AppState {
        services: app.services.clone(),
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("powerbeacon")
            .build(),
    };
    let config = powerbeacon::Config::for_tests(std::env::temp_dir(), None);
    let builders = tokio::task::spawn_blocking(move || {
        for _ in 0..40 {
            drop(powerbeacon::startup::router(state.clone(), &config));
        }
    });
    let requests = (0..60).map(|i| {
        let cookie = cookie.clone();
        let path = ["/dashboard", "/clusters", "/settings"][i % 3];
        async move { (path, page(app, &cookie, path).await) }
    });
    for (path, (status, html)) in futures::future::join_all(requests).await {
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("</body>"), "{path}: a cut page");
    }
    builders.await.unwrap();
}
