//! A stand-in for a PowerBeacon agent on 127.0.0.1: it records every `/wol`
//! call and answers as told. It never sends a packet anywhere.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How the fake agent answers `/wol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 `{success: true}` (per target for batches).
    Succeed,
    /// 500 with an error body.
    Fail,
    /// Never answers.
    Silent,
    /// 200 with an endless body (streamed, no length given).
    Flood,
}

/// One request the fake agent received.
#[derive(Debug, Clone)]
pub struct Call {
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// A fake agent listening on 127.0.0.1; stops when dropped.
pub struct FakeAgent {
    pub addr: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeAgent {
    pub async fn start(behaviour: Behaviour) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route("/wol", axum::routing::post(wol))
            .with_state(Shared {
                behaviour,
                calls: calls.clone(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, calls, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A port on 127.0.0.1 nothing listens on: connections are refused.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn wol(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared.calls.lock().unwrap().push(Call {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.clone(),
    });
    match shared.behaviour {
        Behaviour::Silent => std::future::pending::<Response>().await,
        Behaviour::Flood => {
            let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
            let endless = futures::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            });
            axum::body::Body::from_stream(endless).into_response()
        }
        Behaviour::Fail => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"success": false, "message": "interface down"})),
        )
            .into_response(),
        Behaviour::Succeed => match body.get("targets").and_then(Value::as_array) {
            Some(targets) => Json(json!({
                "success": true,
                "message": format!("sent {} packets", targets.len()),
                "results": targets.iter().map(|t| json!({
                    "success": true,
                    "message": format!("sent to {}", t["mac"].as_str().unwrap_or("?")),
                })).collect::<Vec<_>>(),
            }))
            .into_response(),
            // What this project's agent adds: where it sent, and how much.
            None => Json(json!({
                "success": true,
                "message": format!("Magic packet sent to {}", body["mac"].as_str().unwrap_or("?")),
                "sent": {"interface": "eth0", "destination": body["broadcast"], "port": body["port"],
                         "packets": 3, "bytes": 102},
            }))
            .into_response(),
        },
    }
}
