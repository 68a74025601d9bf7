//! `GET /api/events`: live events as server-sent events (docs/API.md,
//! "Live events"). Routed by the browser app's router (`web::router`),
//! whose session layer lets a signed-in browser's `EventSource` in; scripts
//! send their bearer token.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use backend::events::{Credential, Delivery, EventFilter, EventStream};
use backend::services::ServiceError;
use shared::ids::{ClusterId, DeviceId};
use shared::types::{ErrorBody, LiveEvent, RESET_EVENT};

use super::ApiError;
use super::extract::bearer_token;
use crate::state::AppState;

/// How long a browser waits before it reconnects a dropped stream.
const RECONNECT_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// The events the signed-in user may read, as they happen: presence
/// changes, wakes and their verdicts, agents, devices and clusters
/// (docs/API.md, "Live events"). Each event's `event:` is its type and its
/// `data:` a `LiveEvent`; a stream starts with a `ready` event whose `id`
/// is where it stands. A client that reconnects with `Last-Event-ID` (or
/// `?last_event_id=`) gets what it missed, or a `reset` event when the
/// server no longer keeps that far back: it should reload what it shows.
#[utoipa::path(
    get, path = "/api/events", tag = "events", security(("bearer" = [])),
    params(
        ("types" = Option<String>, Query, description = "Comma-separated types to send: presence, wake, agent, device, cluster (default all)"),
        ("device" = Option<Uuid>, Query, description = "Only events about this device"),
        ("cluster" = Option<Uuid>, Query, description = "Only events about this cluster, its devices and its agents"),
        ("last_event_id" = Option<i64>, Query, description = "Resume after this event (the `Last-Event-ID` header wins)"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event"),
    ),
    responses(
        (status = 200, description = "A stream of server-sent events, each `data:` a `LiveEvent`", content_type = "text/event-stream", body = LiveEvent),
        (status = 401, body = ErrorBody),
        (status = 422, description = "An unknown type, a malformed id or Last-Event-ID", body = ErrorBody),
        (status = 503, description = "The server serves as many streams as it may", body = ErrorBody),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    headers: HeaderMap,
    EventsQuery {
        filter,
        last_event_id,
    }: EventsQuery,
) -> Result<impl IntoResponse, ApiError> {
    let services = &state.services;
    let (user, credential) = match bearer_token(&headers) {
        Some(token) => (
            services.authenticate(token).await?,
            Credential::Token(token.to_string()),
        ),
        None => match backend::sessions::session_user(services, &session).await? {
            Some(user) => (user, Credential::Session(session)),
            None => {
                return Err(ServiceError::Unauthorized("Not authenticated.".into()).into());
            }
        },
    };
    let last_event_id = match headers.get("last-event-id") {
        Some(header) => Some(
            header
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
                .ok_or_else(|| invalid("`Last-Event-ID` is an event's id.", "Last-Event-ID"))?,
        ),
        None => last_event_id,
    };
    let stream = services
        .open_event_stream(&user, credential, filter, last_event_id)
        .await?;
    let events = futures::stream::unfold(stream, |mut stream: EventStream| async move {
        let delivery = stream.next().await?;
        Some((Ok::<_, Infallible>(sse_event(delivery)), stream))
    });
    Ok((
        // Proxies such as nginx would otherwise hold the events back.
        [("x-accel-buffering", "no")],
        Sse::new(events),
    ))
}

/// How a delivery reads on the wire.
fn sse_event(delivery: Delivery) -> Event {
    match delivery {
        Delivery::Ready { id } => Event::default()
            .event("ready")
            .id(id.to_string())
            .retry(RECONNECT_AFTER)
            .data("{}"),
        Delivery::Reset { id } => Event::default()
            .event(RESET_EVENT)
            .id(id.to_string())
            .retry(RECONNECT_AFTER)
            .data("{}"),
        Delivery::Event(event) => Event::default()
            .event(event.kind.as_str())
            .id(event.id.to_string())
            .data(event.body.as_str()),
        // An id with no data moves the client's Last-Event-ID without an
        // event (the SSE standard).
        Delivery::KeepAlive { id } => Event::default().comment("").id(id.to_string()),
    }
}

fn invalid(message: &str, field: &str) -> ApiError {
    ApiError::Body {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
        details: Some(field.into()),
    }
}

/// `?types=&device=&cluster=&last_event_id=`.
pub struct EventsQuery {
    filter: EventFilter,
    last_event_id: Option<i64>,
}

impl<S: Send + Sync> FromRequestParts<S> for EventsQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[derive(serde::Deserialize)]
        struct Query {
            types: Option<String>,
            device: Option<DeviceId>,
            cluster: Option<ClusterId>,
            last_event_id: Option<i64>,
        }
        let axum::extract::Query(query) =
            axum::extract::Query::<Query>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| ApiError::Body {
                    status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    message: "`device` and `cluster` are ids; `last_event_id` an event's id."
                        .into(),
                    details: Some(rejection.body_text()),
                })?;
        let filter = EventFilter {
            device: query.device,
            cluster: query.cluster,
            ..EventFilter::default()
        }
        .with_types(query.types.as_deref())
        .map_err(|unknown| ApiError::Body {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "Unknown event type {unknown:?}: the types are presence, wake, agent, device and cluster."
            ),
            details: Some("types".into()),
        })?;
        Ok(Self {
            filter,
            last_event_id: query.last_event_id,
        })
    }
}
