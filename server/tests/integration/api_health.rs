//! `GET /health`.

use crate::helpers::{TestApp, assert_error, on_both_engines};

on_both_engines!(
    reports_ok_with_its_database,
    reports_503_when_the_database_is_down
);

async fn reports_ok_with_its_database(app: &TestApp) {
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert!(body["message"].as_str().is_some());
    let engine = app.services.store().engine().name();
    assert_eq!(body["database"], engine);
}

async fn reports_503_when_the_database_is_down(app: &TestApp) {
    app.services.store().close().await;
    let body = assert_error(app.get("/health").await, 503).await;
    assert!(
        body["message"].as_str().unwrap().contains("database"),
        "{body}"
    );
}
