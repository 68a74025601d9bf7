//! Pages rendered here as plain HTML, with no script: a wake's page
//! (`/wakes/{id}`, [`wake`]) and a device's page with its wake history
//! (`/devices/{id}`, [`device`]). They work on any browser, before or
//! without the wasm, and add nothing to the wasm, whose first-visit bytes
//! are budgeted (`end2end/size-budget.json`). They share the app's
//! stylesheet and frame.

pub mod device;
pub mod wake;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use backend::services::{ServiceError, Services};
use backend::storage::UserRecord;
use html_escape::encode_text as text;
use tower_sessions::Session;

use crate::api::ApiError;

/// The signed-in user of a browser, or the answer to send instead: a
/// redirect to sign in first (then back to `path`), or the error.
async fn signed_in(
    services: &Services,
    session: &Session,
    path: &str,
) -> Result<UserRecord, Response> {
    match backend::sessions::session_user(services, session).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Redirect::to(&shared::routing::login_url_for(path)).into_response()),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

/// A refusal (404, 403, …) as a page of its own, with a way back.
fn error_page(title: &str, error: &ServiceError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = error.to_body().message;
    (
        status,
        Html(page(
            title,
            false,
            &format!(
                r#"<p class="back"><a href="/dashboard">← Dashboard</a></p><p class="alert error" role="alert">{}</p>"#,
                text(&message)
            ),
        )),
    )
        .into_response()
}

/// The document around `body` (already escaped), in the app's frame and
/// style; it reloads itself every 2 s when `refresh`.
fn page(title: &str, refresh: bool, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{}<title>{} · PowerBeacon</title>
<link rel="stylesheet" href="/pkg/powerbeacon.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<div class="layout">
<header class="site-header"><a class="brand" href="/"><span>PowerBeacon</span></a></header>
<main class="site-main wide" id="main">
{body}
</main>
</div>
</body>
</html>
"#,
        if refresh {
            "<meta http-equiv=\"refresh\" content=\"2\">\n"
        } else {
            ""
        },
        text(title),
    )
}
