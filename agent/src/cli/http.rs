//! The agent's HTTP API, called by the server: `POST /wol` (one machine or a
//! batch), `GET /health`, `GET /info`.

use std::sync::{Arc, RwLock};

use crate::presence::watcher::Watcher;
use crate::send::WakePlan;
use crate::state::Identity;
use crate::wire::{
    FEATURE_WOL_BATCH, InterfaceInfo, WolBatchRequest, WolBatchResponse, WolRequest, WolResponse,
};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

/// What the HTTP handlers share with the control loop.
#[derive(Clone)]
pub struct Shared {
    /// Set once registered; `/wol` answers 503 before.
    pub identity: Arc<RwLock<Option<Identity>>>,
    pub interfaces: Arc<RwLock<Vec<InterfaceInfo>>>,
    pub socket: Arc<std::net::UdpSocket>,
    pub hostname: String,
    /// Told to probe a woken machine twice a second (`watch_s`).
    pub watcher: Arc<Watcher>,
}

/// The most machines one batch may hold.
const MAX_BATCH: usize = 1000;

pub fn router(shared: Shared) -> axum::Router {
    axum::Router::new()
        .route("/wol", axum::routing::post(wol))
        .route("/health", axum::routing::get(health))
        .route("/info", axum::routing::get(info))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(shared)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn info(State(shared): State<Shared>) -> Json<Value> {
    let agent_id = shared
        .identity
        .read()
        .expect("identity lock")
        .as_ref()
        .map(|identity| identity.agent_id.clone());
    let interfaces = shared.interfaces.read().expect("interfaces lock").clone();
    Json(json!({
        "hostname": shared.hostname,
        "version": env!("CARGO_PKG_VERSION"),
        "os": std::env::consts::OS,
        "agent_id": agent_id,
        "registered": agent_id.is_some(),
        "features": [FEATURE_WOL_BATCH],
        "interfaces": interfaces,
    }))
}

fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(WolResponse {
            success: false,
            message: message.into(),
            sent: None,
        }),
    )
        .into_response()
}

async fn wol(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Some(token) = shared
        .identity
        .read()
        .expect("identity lock")
        .as_ref()
        .map(|identity| identity.token.clone())
        .filter(|token| !token.is_empty())
    else {
        return failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "The agent is not registered with a server yet.",
        );
    };
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(token.as_bytes())) {
        return failure(StatusCode::UNAUTHORIZED, "Invalid or missing token.");
    }
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return failure(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let interfaces = shared.interfaces.read().expect("interfaces lock").clone();
    if body.get("targets").is_some() {
        let batch: WolBatchRequest = match serde_json::from_value(body) {
            Ok(batch) => batch,
            Err(error) => return failure(StatusCode::BAD_REQUEST, format!("Bad batch: {error}")),
        };
        if batch.targets.len() > MAX_BATCH {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("At most {MAX_BATCH} targets per batch."),
            );
        }
        for target in &batch.targets {
            watch_woken(&shared.watcher, target);
        }
        // Up to 1000 × repeat blocking sends: off the async workers.
        let socket = Arc::clone(&shared.socket);
        let results: Vec<WolResponse> = match tokio::task::spawn_blocking(move || {
            batch
                .targets
                .iter()
                .map(|target| send(&socket, target, &interfaces))
                .collect()
        })
        .await
        {
            Ok(results) => results,
            Err(error) => {
                return failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Sending failed: {error}"),
                );
            }
        };
        let sent = results.iter().filter(|r| r.success).count();
        return Json(WolBatchResponse {
            success: sent == results.len(),
            message: format!("Sent {sent} of {} magic packets.", results.len()),
            results,
        })
        .into_response();
    }
    let request: WolRequest = match serde_json::from_value(body) {
        Ok(request) => request,
        Err(error) => return failure(StatusCode::BAD_REQUEST, format!("Bad request: {error}")),
    };
    match WakePlan::new(&request, &interfaces) {
        Err(error) => failure(StatusCode::BAD_REQUEST, error.to_string()),
        Ok(plan) => match plan.send(&shared.socket) {
            Ok((message, sent)) => {
                tracing::info!(mac = %plan.mac, destination = %plan.destination, "magic packet sent");
                watch_woken(&shared.watcher, &request);
                Json(WolResponse {
                    success: true,
                    message,
                    sent: Some(sent),
                })
                .into_response()
            }
            Err(error) => {
                tracing::warn!(mac = %plan.mac, destination = %plan.destination, %error, "send failed");
                failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Sending to {} failed: {error}", plan.destination),
                )
            }
        },
    }
}

/// Has the watcher probe a machine just woken twice a second, when the
/// server asked for it (`watch_s`).
fn watch_woken(watcher: &Watcher, request: &WolRequest) {
    if let (Some(seconds), Ok(mac)) = (request.watch_s, request.mac.parse::<crate::MacAddress>()) {
        watcher.hurry(mac, std::time::Duration::from_secs(seconds.into()));
    }
}

/// One target of a batch; a bad target fails alone.
fn send(
    socket: &std::net::UdpSocket,
    target: &WolRequest,
    interfaces: &[InterfaceInfo],
) -> WolResponse {
    let outcome = WakePlan::new(target, interfaces)
        .map_err(|e| e.to_string())
        .and_then(|plan| {
            plan.send(socket)
                .map_err(|e| format!("Sending to {} failed: {e}", plan.destination))
        });
    match outcome {
        Ok((message, sent)) => WolResponse {
            success: true,
            message,
            sent: Some(sent),
        },
        Err(message) => WolResponse {
            success: false,
            message,
            sent: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn shared(registered: bool) -> Shared {
        Shared {
            identity: Arc::new(RwLock::new(registered.then(|| Identity {
                server_url: "http://127.0.0.1:3000/".into(),
                agent_id: "a".into(),
                token: "right-token".into(),
            }))),
            interfaces: Arc::new(RwLock::new(Vec::new())),
            socket: Arc::new(crate::send::broadcast_socket().unwrap()),
            hostname: "test".into(),
            watcher: Arc::default(),
        }
    }

    async fn post_wol(shared: Shared, token: &str, body: &str) -> (StatusCode, Value) {
        let response = router(shared)
            .oneshot(
                Request::post("/wol")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn wake_requests_need_registration_and_the_token() {
        let body = r#"{"mac":"02:00:00:00:00:01","broadcast":"127.0.0.255","port":9}"#;
        let (status, _) = post_wol(shared(false), "right-token", body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, answer) = post_wol(shared(true), "wrong", body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer["success"], false);
        let (status, _) = post_wol(shared(true), "", body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn an_empty_stored_token_accepts_nobody() {
        let body = r#"{"mac":"02:00:00:00:00:01","broadcast":"127.0.0.255","port":9}"#;
        let shared = shared(true);
        shared.identity.write().unwrap().as_mut().unwrap().token = String::new();
        let (status, _) = post_wol(shared.clone(), "", body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let response = router(shared)
            .oneshot(
                Request::post("/wol")
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn bad_bodies_get_400_with_a_reason() {
        for body in [
            "{",
            r#"{"broadcast":"127.0.0.255","port":9}"#,
            r#"{"mac":"zz","broadcast":"127.0.0.255","port":9}"#,
            r#"{"mac":"02:00:00:00:00:01","broadcast":"nowhere","port":9}"#,
            r#"{"mac":"02:00:00:00:00:01","broadcast":"127.0.0.255","port":9,"repeat":50}"#,
            r#"{"targets":"all"}"#,
        ] {
            let (status, answer) = post_wol(shared(true), "right-token", body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(!answer["message"].as_str().unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn a_batch_reports_each_target() {
        // Loopback only: 127.0.0.255, port 9 on the loopback.
        let body = r#"{"targets":[
            {"mac":"02:00:00:00:00:01","broadcast":"127.0.0.255","port":9},
            {"mac":"bad","broadcast":"127.0.0.255","port":9}]}"#;
        let (status, answer) = post_wol(shared(true), "right-token", body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["success"], false);
        assert_eq!(answer["results"][0]["success"], true, "{answer}");
        assert_eq!(answer["results"][1]["success"], false);
    }
}
