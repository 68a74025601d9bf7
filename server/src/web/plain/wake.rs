//! `/wakes/{id}`: one wake's progress, device by device (what each agent
//! sent, and where), then each verdict (docs/API.md, "Wakes"). Where a wake
//! button's form post lands: it reloads itself every 2 s while a verdict is
//! pending, so it follows the wake to its end on any browser.

use std::fmt::Write;

use app::format::{agent_part_words, relative_time, wake_counts_words, wake_device_words};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use backend::services::ServiceError;
use chrono::Utc;
use html_escape::encode_text as text;
use shared::ids::WakeId;
use shared::types::{WakeDeviceProgress, WakeKind, WakePublic};
use tower_sessions::Session;

use super::{error_page, page, signed_in};
use crate::state::AppState;

/// `GET /wakes/{id}` for a signed-in browser; others go to sign in first.
pub async fn wake_page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let services = &state.services;
    let user = match signed_in(services, &session, &format!("/wakes/{id}")).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let wake = match id.parse::<WakeId>() {
        Ok(id) => services.get_wake(&user, id).await,
        Err(_) => Err(ServiceError::NotFound("Wake not found.".into())),
    };
    match wake {
        Ok(wake) => Html(render(&wake)).into_response(),
        Err(error) => error_page("Wake", &error),
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
            wake.devices.first().map_or_else(
                || "/dashboard".to_string(),
                |d| format!("/devices/{}", d.device_id),
            ),
            "← Device",
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
            r#"<tr data-verdict="{}"><th scope="row"><a href="/devices/{}">{}</a></th><td>{}</td><td><ul class="wake-parts">"#,
            device.verdict.as_str(),
            device.device_id,
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
    wake_device_words(
        device.verdict,
        device.seconds_to_up,
        (device.deadline - wake.requested_at).num_seconds(),
        &device.agents,
    )
}
