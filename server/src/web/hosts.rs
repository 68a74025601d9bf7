//! DNS rebinding: a site the operator visits can point its own name at
//! this server and then make the operator's browser send it requests that
//! the browser takes for same-origin ones. So a state-changing request from
//! a browser is served only for a host name the operator configured
//! (`--public-url`, `--allowed-hosts`), a loopback name or an IP literal
//! (an address cannot be rebound). Scripts and agents, which send no
//! browser headers, are not affected.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;
pub use backend::security::hosts::AllowedHosts;
use backend::security::hosts::host_name;

/// Whether a request shows signs of coming from a browser.
fn from_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN)
        || headers.contains_key("sec-fetch-site")
        || headers.contains_key(header::COOKIE)
}

/// The middleware: refuses browsers' state changes for other host names
/// with 421 and what to configure.
pub async fn check(State(allowed): State<AllowedHosts>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || !from_browser(request.headers()) {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        })
        .unwrap_or_default()
        .to_string();
    if allowed.allows(&host) {
        return next.run(request).await;
    }
    tracing::warn!(%host, "browser request for a host name that is not configured refused");
    ApiError::Body {
        status: StatusCode::MISDIRECTED_REQUEST,
        message: format!("This server does not act for requests to {:?}.", host_name(&host)),
        details: Some(
            "Add the name with --allowed-hosts (PB_ALLOWED_HOSTS) or set --public-url (PB_PUBLIC_URL)."
                .into(),
        ),
    }
    .into_response()
}
