//! Server functions called by script answer with the API's status codes.
//!
//! Leptos answers every failed server function with HTTP 500, whatever the
//! error. Ours carry the right code in their [`ErrorBody`] (403, 422, …,
//! and 400 for arguments that do not decode); this layer puts it on the
//! response, so scripts, logs and proxies see the same status the REST API
//! gives. Plain form posts (no JavaScript) are left alone: Leptos answers
//! them with a redirect.

use app::types::ErrorBody;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// The most of an error body read to find its status.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Gives a failed server function's response the status of its error body.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/fn/");
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        return Response::from_parts(parts, Body::from("server function error too large"));
    };
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status_code)
        && (status.is_client_error() || status.is_server_error())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
