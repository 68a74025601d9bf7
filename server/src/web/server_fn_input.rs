//! What a server-function call may send: one of the encodings our server
//! functions read (form fields or JSON), and a body no larger than the
//! REST API accepts (`--max-body-bytes`). Anything else is answered with
//! the API's error body (415, 413) before Leptos sees it, never with a 500.
//!
//! Refusing other content types also closes a CSRF path: a page elsewhere
//! can post `text/plain` without asking the browser first.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

/// The content types the server functions are declared with.
const ACCEPTED: [&str; 2] = ["application/x-www-form-urlencoded", "application/json"];

/// The largest body a server function is given.
#[derive(Debug, Clone, Copy)]
pub struct MaxBody(pub usize);

fn refuse(status: StatusCode, message: &str, details: &str) -> Response {
    ApiError::Body {
        status,
        message: message.into(),
        details: Some(details.into()),
    }
    .into_response()
}

/// The middleware, for requests under `/fn/`.
pub async fn check(
    State(MaxBody(limit)): State<MaxBody>,
    request: Request,
    next: Next,
) -> Response {
    if !request
        .uri()
        .path()
        .starts_with(shared::routing::SERVER_FN_PREFIX)
        || request.method() != Method::POST
    {
        return next.run(request).await;
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if !content_type.is_some_and(|ty| ACCEPTED.contains(&ty.as_str())) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "Send form fields (application/x-www-form-urlencoded) or JSON.",
        );
    }
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            &format!("The request body may have at most {limit} bytes."),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large();
    }
    // Read it whole (server-function bodies are small) so a body that lies
    // about its length, or streams on, is cut off at the limit here.
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}
