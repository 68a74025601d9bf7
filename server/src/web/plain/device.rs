//! `/devices/{id}`: a device's own page: what it is, whether it is up and
//! its latest presence changes, a Wake button for its managers, and its wake
//! history, newest first, a page at a time (docs/API.md, "Wakes"): who
//! asked, when, the verdict and the time to up, each linking to the wake's
//! page.

use std::fmt::Write;

use app::format::{os_label, presence_label, relative_time, wake_device_words};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use backend::services::ServiceError;
use backend::storage::Page;
use chrono::{DateTime, SecondsFormat, Utc};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use shared::ids::DeviceId;
use shared::types::{
    DevicePublic, DeviceWakeEntry, DeviceWakesPublic, PresenceState, PresenceTransitionPublic,
    WakeKind,
};
use tower_sessions::Session;

use super::{error_page, page, signed_in};
use crate::state::AppState;

/// Wakes shown per page.
const WAKES_PER_PAGE: u64 = 20;
/// Presence changes shown (the API pages through all of them).
const RECENT_CHANGES: u64 = 10;

/// `?skip=`: the wakes to pass over; anything else reads as the first page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct HistoryAt {
    skip: Option<String>,
}

/// `GET /devices/{id}` for a signed-in browser; others go to sign in first.
pub async fn device_page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(at): Query<HistoryAt>,
) -> Response {
    let services = &state.services;
    let user = match signed_in(services, &session, &format!("/devices/{id}")).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let Ok(id) = id.parse::<DeviceId>() else {
        return error_page(
            "Device",
            &ServiceError::NotFound("Device not found.".into()),
        );
    };
    let skip = at
        .skip
        .and_then(|skip| skip.parse::<u64>().ok())
        .unwrap_or(0);
    let page_of = Page {
        skip,
        limit: WAKES_PER_PAGE,
    };
    let device = match services.get_device(&user, id).await {
        Ok(device) => device,
        Err(error) => return error_page("Device", &error),
    };
    let recent = Page {
        skip: 0,
        limit: RECENT_CHANGES,
    };
    let read = tokio::try_join!(
        services.device_wakes(&user, id, page_of),
        services.presence_history(&user, id, recent),
    );
    match read {
        Ok((wakes, presence)) => {
            let shown = Shown {
                device: &device,
                may_wake: user.access().may_manage(device.owner_id),
                changes: &presence.transitions,
                wakes: &wakes,
                skip,
            };
            Html(render(&shown, Utc::now())).into_response()
        }
        Err(error) => error_page("Device", &error),
    }
}

/// What the page shows.
struct Shown<'a> {
    device: &'a DevicePublic,
    may_wake: bool,
    /// The latest presence changes, newest first.
    changes: &'a [PresenceTransitionPublic],
    /// The page of wakes that starts at `skip`.
    wakes: &'a DeviceWakesPublic,
    skip: u64,
}

/// The page of a device.
fn render(shown: &Shown<'_>, now: DateTime<Utc>) -> String {
    let Shown {
        device,
        may_wake,
        changes,
        wakes,
        skip,
    } = *shown;
    let mut body = format!(
        r#"<p class="back"><a href="/dashboard">← Dashboard</a></p>
<div class="page-head"><h1>{}</h1>{}</div>
<p class="lead"><span class="{}" aria-hidden="true"></span> {}</p>
<dl class="device-facts">
<dt>MAC</dt><dd class="mono">{}</dd>
<dt>IP</dt><dd class="mono">{}</dd>
<dt>OS</dt><dd>{}</dd>
<dt>Cluster</dt><dd>{}</dd>
</dl>
"#,
        text(&device.name),
        if may_wake {
            format!(
                r#"<form method="post" action="/fn/wake_device"><button type="submit" name="id" value="{}" class="button accent wake">Wake</button></form>"#,
                device.id
            )
        } else {
            String::new()
        },
        app::format::presence_class(device.presence.state),
        text(&presence_label(&device.presence, now)),
        text(&device.mac_address),
        text(device.ip_address.as_deref().unwrap_or("—")),
        os_label(device.os_type),
        text(device.cluster_name.as_deref().unwrap_or("—")),
    );
    if !changes.is_empty() {
        body.push_str(r#"<h2>Recent changes</h2><ul class="presence-changes">"#);
        for change in changes {
            change_item(&mut body, change, now);
        }
        body.push_str("</ul>");
    }
    body.push_str("<h2>Wakes</h2>");
    if wakes.wakes.is_empty() {
        body.push_str(if skip == 0 {
            r#"<p class="muted">Never woken from PowerBeacon (or not within the days wakes are kept).</p>"#
        } else {
            r#"<p class="muted">No wakes this far back.</p>"#
        });
    } else {
        body.push_str(
            r#"<div class="table-wrap"><table class="table wake-history"><thead><tr><th scope="col">When</th><th scope="col">Asked by</th><th scope="col">Verdict</th><th scope="col">Time to up</th></tr></thead><tbody>"#,
        );
        for wake in &wakes.wakes {
            history_row(&mut body, wake, now);
        }
        body.push_str("</tbody></table></div>");
    }
    pager(&mut body, device.id, wakes.count, skip);
    page(&device.name, false, &body)
}

/// One presence change: "Up · 5 min ago · seen by nas-agent (neighbor,
/// 192.0.2.10)", "Down · 1 h ago · reported by nas-agent".
fn change_item(body: &mut String, change: &PresenceTransitionPublic, now: DateTime<Utc>) {
    let state = match change.to {
        PresenceState::Up => "Up",
        PresenceState::Down => "Down",
        PresenceState::Unknown => "Unknown",
    };
    let how = [
        change.method.map(|method| method.as_str().to_string()),
        change.address.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let verb = if change.to == PresenceState::Up {
        "seen by"
    } else {
        "reported by"
    };
    let by = match &change.via {
        Some(via) if how.is_empty() => format!(" · {verb} {}", via.hostname),
        Some(via) => format!(" · {verb} {} ({how})", via.hostname),
        None => " · no online agent watches it".to_string(),
    };
    let _ = write!(
        body,
        r#"<li data-state="{}"><span class="{}" aria-hidden="true"></span> {} · <time datetime="{}" title="{}">{}</time>{}</li>"#,
        change.to.as_str(),
        app::format::presence_class(change.to),
        state,
        attr(&change.at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        attr(&change.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        text(&relative_time(Some(change.at), now)),
        text(&by),
    );
}

/// One wake of the history.
fn history_row(body: &mut String, wake: &DeviceWakeEntry, now: DateTime<Utc>) {
    let asked = match (wake.kind, &wake.cluster_name) {
        (WakeKind::Cluster, Some(cluster)) => {
            format!("{} (cluster {})", wake.requested_by.name, cluster)
        }
        (WakeKind::Cluster, None) => format!("{} (a cluster wake)", wake.requested_by.name),
        (WakeKind::Device, _) => wake.requested_by.name.clone(),
    };
    let words = wake_device_words(
        wake.verdict,
        wake.seconds_to_up,
        (wake.deadline - wake.requested_at).num_seconds(),
        &wake.agents,
    );
    let to_up = wake.seconds_to_up.map_or_else(
        || "—".to_string(),
        |elapsed| format!("{:.1} s", elapsed.millis as f64 / 1000.0),
    );
    let _ = write!(
        body,
        r#"<tr data-verdict="{}"><td><a href="/wakes/{}"><time datetime="{}" title="{}">{}</time></a></td><td>{}{}</td><td>{}</td><td>{}</td></tr>"#,
        wake.verdict.as_str(),
        wake.wake_id,
        attr(&wake.requested_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        attr(
            &wake
                .requested_at
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        ),
        text(&relative_time(Some(wake.requested_at), now)),
        text(&asked),
        if wake.forced { ", forced" } else { "" },
        text(&words),
        text(&to_up),
    );
}

/// "Newer" and "Older" links, and where this page stands.
fn pager(body: &mut String, id: DeviceId, count: u64, skip: u64) {
    if count <= WAKES_PER_PAGE && skip == 0 {
        return;
    }
    let first = skip.min(count) + 1;
    let last = (skip + WAKES_PER_PAGE).min(count);
    body.push_str(r#"<nav class="pager" aria-label="Wake history pages">"#);
    if skip > 0 {
        let _ = write!(
            body,
            r#"<a class="button" href="/devices/{id}?skip={}">Newer</a> "#,
            skip.saturating_sub(WAKES_PER_PAGE)
        );
    }
    if first <= last {
        let _ = write!(
            body,
            "<span class=\"muted\">{first}–{last} of {count}</span>"
        );
    }
    if skip + WAKES_PER_PAGE < count {
        let _ = write!(
            body,
            r#" <a class="button" href="/devices/{id}?skip={}">Older</a>"#,
            skip + WAKES_PER_PAGE
        );
    }
    body.push_str("</nav>");
}
