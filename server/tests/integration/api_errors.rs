//! The documented error body for what HTTP itself can get wrong.

use serde_json::json;

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    unknown_api_route_is_a_json_404,
    wrong_method_is_a_json_405,
    malformed_json_is_a_400,
    missing_content_type_is_a_415,
    oversized_body_is_a_413_and_stores_nothing,
);

async fn unknown_api_route_is_a_json_404(app: &TestApp) {
    for path in ["/api/nope", "/api/", "/api/setup/status/extra", "/api"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        assert_error(response, 404).await;
    }
}

async fn wrong_method_is_a_json_405(app: &TestApp) {
    let response = app
        .client
        .delete(app.url("/api/setup/status"))
        .send()
        .await
        .unwrap();
    assert_error(response, 405).await;
    let response = app
        .client
        .get(app.url("/api/setup/init"))
        .send()
        .await
        .unwrap();
    assert_error(response, 405).await;
    let response = app.client.post(app.url("/health")).send().await.unwrap();
    assert_error(response, 405).await;
}

async fn malformed_json_is_a_400(app: &TestApp) {
    for body in ["{", "not json", "{\"username\": \"a\",}", ""] {
        let response = app
            .client
            .post(app.url("/api/setup/init"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        // An empty body is valid-but-wrong-shape to serde (EOF); either way a clear 4xx.
        assert!(status == 400 || status == 422, "{body:?} → {status}");
        assert_error(response, status).await;
    }
}

async fn missing_content_type_is_a_415(app: &TestApp) {
    let response = app
        .client
        .post(app.url("/api/setup/init"))
        .header("content-type", "text/plain")
        .body(r#"{"username":"a","password":"correct-horse-9"}"#)
        .send()
        .await
        .unwrap();
    assert_error(response, 415).await;
}

async fn oversized_body_is_a_413_and_stores_nothing(app: &TestApp) {
    let big = "x".repeat(2 * 1024 * 1024);
    let response = app
        .post_json(
            "/api/setup/init",
            &json!({"username": "admin", "password": big}),
        )
        .await;
    // The rest of the body is not read: the connection goes, and says so,
    // so the client's next request does not land on it.
    assert_eq!(response.headers()["connection"], "close");
    assert_error(response, 413).await;
    let status: serde_json::Value = app.get("/api/setup/status").await.json().await.unwrap();
    assert_eq!(status["user_count"], 0);
}
