//! `/wakes/{id}`: one wake's progress, device by device (what each agent
//! sent, and where), then each verdict (docs/API.md, "Wakes"). Where a wake
//! asked without the wasm lands: a plain page rendered here, with no script,
//! that reloads itself every 2 s while a verdict is pending, so it follows
//! the wake to its end on any browser. It adds nothing to the wasm, whose
//! first-visit bytes are budgeted (`end2end/size-budget.json`).

use std::fmt::Write;

use app::format::{agent_part_words, relative_time, wake_counts_words, wake_verdict_words};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use backend::services::ServiceError;
use chrono::Utc;
use html_escape::encode_text as text;
use shared::ids::WakeId;
use shared::types::{WakeDeviceProgress, WakeKind, WakeOutcome, WakePublic, WakeVerdict};
use tower_sessions::Session;

use crate::api::ApiError;
use crate::state::AppState;

/// `GET /wakes/{id}` for a signed-in browser; others go to sign in first.
pub async fn wake_page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let services = &state.services;
    let user = match backend::sessions::session_user(services, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Redirect::to(&shared::routing::login_url_for(&format!("/wakes/{id}")))
                .into_response();
        }
        Err(error) => return ApiError::from(error).into_response(),
    };
    let wake = match id.parse::<WakeId>() {
        Ok(id) => services.get_wake(&user, id).await,
        Err(_) => Err(ServiceError::NotFound("Wake not found.".into())),
    };
    match wake {
        Ok(wake) => Html(render(&wake)).into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = error.to_body().message;
            (status, Html(page("Wake", false, &format!(
                r#"<p class="back"><a href="/dashboard">← Dashboard</a></p><p class="alert error" role="alert">{}</p>"#,
                text(&message)
            ))))
                .into_response()
        }
    }
}

/// The page of `wake`.
fn render(wake: &WakePublic) -> String {
    let pending = wake.counts.pending > 0;
    let (title, back, back_label) = match (wake.kind, wake.cluster_id) {
        (WakeKind::Cluster, cluster) => (
            format!(
                "Wake of {}",
                wake.cluster_name.as_deref().unwrap_or("a cluster")
            ),
            cluster.map_or_else(|| "/clusters".to_string(), |id| format!("/clusters/{id}")),
            "← Cluster",
        ),
        (WakeKind::Device, _) => (
            format!(
                "Wake of {}",
                wake.devices
                    .first()
                    .map_or("a device", |d| d.device_name.as_str())
            ),
            "/dashboard".to_string(),
            "← Dashboard",
        ),
    };
    let summary = match (wake.kind, wake.devices.first()) {
        (WakeKind::Device, Some(device)) => device_words(wake, device),
        _ => wake_counts_words(&wake.counts),
    };
    let mut body = format!(
        r#"<p class="back"><a href="{back}">{back_label}</a></p>
<div class="page-head"><h1>{}</h1></div>
<p class="lead wake-verdict" role="status">{}</p>
<p class="muted">Asked by {} {}{}</p>
<div class="table-wrap"><table class="table"><thead><tr><th scope="col">Device</th><th scope="col">Verdict</th><th scope="col">Agents</th></tr></thead><tbody>"#,
        text(&title),
        text(&summary),
        text(&wake.requested_by.name),
        relative_time(Some(wake.requested_at), Utc::now()),
        if wake.forced { ", forced" } else { "" },
    );
    for device in &wake.devices {
        let _ = write!(
            body,
            r#"<tr data-verdict="{}"><th scope="row">{}</th><td>{}</td><td><ul class="wake-parts">"#,
            device.verdict.as_str(),
            text(&device.device_name),
            text(&device_words(wake, device)),
        );
        for agent in &device.agents {
            let _ = write!(body, "<li>{}</li>", text(&agent_part_words(agent)));
        }
        body.push_str("</ul></td></tr>");
    }
    body.push_str("</tbody></table></div>");
    page(&title, pending, &body)
}

/// A device's verdict in words, with how many of its agents sent.
fn device_words(wake: &WakePublic, device: &WakeDeviceProgress) -> String {
    let timeout = u64::try_from((device.deadline - wake.requested_at).num_seconds()).unwrap_or(0);
    let words = wake_verdict_words(device.verdict, device.seconds_to_up, timeout);
    match device.verdict {
        WakeVerdict::AlreadyUp | WakeVerdict::NotSent => words,
        _ => {
            let sent = device
                .agents
                .iter()
                .filter(|a| a.outcome == WakeOutcome::Sent)
                .count();
            format!("sent by {sent} of {} agents · {words}", device.agents.len())
        }
    }
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
