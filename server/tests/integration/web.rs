//! The browser app as served: start page, setup page, server functions, 404.

use crate::helpers::{TestApp, on_both_engines};

on_both_engines!(
    start_page_leads_to_setup_then_login,
    setup_page_renders_the_account_form_on_the_server,
    setup_server_function_uses_the_service_rules,
    unknown_pages_get_the_html_404,
);

async fn start_page_leads_to_setup_then_login(app: &TestApp) {
    let response = app.get("/").await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/setup");

    app.init_superuser("admin").await;
    let response = app.get("/").await;
    assert_eq!(response.headers()["location"], "/login");
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
