//! The OpenAPI document and Swagger UI.

use crate::helpers::{TestApp, on_both_engines};

on_both_engines!(
    openapi_document_describes_the_api,
    swagger_ui_is_served_from_the_binary
);

async fn openapi_document_describes_the_api(app: &TestApp) {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    assert_eq!(doc["info"]["title"], "PowerBeacon API");
    for path in [
        "/health",
        "/api/setup/status",
        "/api/setup/init",
        "/api/agents/register",
        "/api/agents/heartbeat",
        "/api/agents/{id}/approve",
        "/api/config/agents",
        "/api/devices/{id}/wake",
        "/api/clusters/{id}/wake",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "ErrorBody",
        "SetupStatus",
        "SetupInitRequest",
        "UserPublic",
        "HealthResponse",
        "RegisterRequest",
        "AgentPublic",
        "DeviceWakeResult",
        "ClusterWakeResult",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema} missing"
        );
    }
}

async fn swagger_ui_is_served_from_the_binary(app: &TestApp) {
    let redirect = app.get("/api/docs").await;
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/api/docs/");

    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "Swagger UI must not load anything from a CDN"
    );

    let initializer = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    assert!(
        initializer
            .text()
            .await
            .unwrap()
            .contains("/api/openapi.json")
    );

    let bundle = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}
