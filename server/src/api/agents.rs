//! `/api/agents`: registration, heartbeats and presence reports (agents,
//! with their own tokens), the agent list for people, and enrollment keys.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use powerbeacon_agent::wire::{
    HeartbeatRequest, HeartbeatResponse, PresenceReport, PresenceReportResponse, RegisterRequest,
    RegisterResponse,
};
use shared::ids::{AgentId, EnrollmentKeyId};
use shared::types::{
    AgentInstall, AgentPublic, AgentsPublic, EnrollmentKeyCreate, EnrollmentKeyCreated,
    EnrollmentKeysPublic, Message,
};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, AuthUser, MaybeBearer, Pagination};
use super::json_list::JsonList;
use crate::state::AppState;
use backend::security::client::request_address;

type ErrorBody = shared::types::ErrorBody;

/// Registers an agent (docs/API.md, "Agents"). A new agent needs an enrollment key,
/// unless open registration is on (it then waits for approval). A known
/// hostname re-registers only with its current token as the bearer; its id
/// and token stay the same.
#[utoipa::path(
    post, path = "/api/agents/register", tag = "agents",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = RegisterResponse),
        (status = 401, description = "Missing, invalid, revoked or expired enrollment key; or a wrong token for a known hostname", body = ErrorBody),
        (status = 409, description = "The hostname is registered and no token was presented", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    MaybeBearer(token): MaybeBearer,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let (response, _) = state
        .services
        .register_agent(request, token.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// Records an agent's heartbeat; send it with the agent's token as the
/// bearer. An agent that announced the `presence` feature at registration
/// is answered with its watch list (docs/API.md, "Presence"); any other
/// gets 204 with no body, as in the original protocol.
#[utoipa::path(
    post, path = "/api/agents/heartbeat", tag = "agents",
    request_body = HeartbeatRequest,
    responses(
        (status = 200, description = "Heartbeat recorded; the watch list of an agent announcing `presence`", body = HeartbeatResponse),
        (status = 204, description = "Heartbeat recorded"),
        (status = 400, description = "Malformed agent id", body = ErrorBody),
        (status = 401, description = "Missing or wrong agent token", body = ErrorBody),
        (status = 404, description = "Unknown agent: register again", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn heartbeat(
    State(state): State<AppState>,
    MaybeBearer(token): MaybeBearer,
    ApiJson(request): ApiJson<HeartbeatRequest>,
) -> ApiResult<Response> {
    Ok(
        match state
            .services
            .agent_heartbeat(request, token.as_deref())
            .await?
        {
            Some(watch) => Json(HeartbeatResponse { watch }).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

/// What an agent saw of the devices it watches, since its last report;
/// send it with the agent's token as the bearer (docs/API.md, "Presence").
/// Sightings of devices the agent does not serve are refused and listed;
/// when every one is, the whole report is refused (403).
#[utoipa::path(
    post, path = "/api/agents/presence", tag = "agents",
    request_body = PresenceReport,
    responses(
        (status = 200, body = PresenceReportResponse),
        (status = 400, description = "Malformed agent id", body = ErrorBody),
        (status = 401, description = "Missing or wrong agent token", body = ErrorBody),
        (status = 403, description = "The agent awaits approval, or serves none of the devices", body = ErrorBody),
        (status = 404, description = "Unknown agent: register again", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn presence(
    State(state): State<AppState>,
    MaybeBearer(token): MaybeBearer,
    ApiJson(report): ApiJson<PresenceReport>,
) -> ApiResult<Json<PresenceReportResponse>> {
    Ok(Json(
        state
            .services
            .report_presence(report, token.as_deref())
            .await?,
    ))
}

/// Lists agents by hostname (users and up); tokens are never shown.
#[utoipa::path(
    get, path = "/api/agents", tag = "agents", security(("bearer" = [])),
    params(("skip" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = AgentsPublic), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Pagination(page): Pagination,
) -> ApiResult<JsonList<AgentsPublic>> {
    Ok(JsonList(state.services.list_agents(&actor, page).await?))
}

/// One agent (users and up).
#[utoipa::path(
    get, path = "/api/agents/{id}", tag = "agents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AgentPublic), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentPublic>> {
    Ok(Json(state.services.get_agent(&actor, id).await?))
}

/// Forgets an agent (admins, or the owner of its cluster).
#[utoipa::path(
    delete, path = "/api/agents/{id}", tag = "agents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services.delete_agent(&actor, id).await?))
}

/// Approves an agent that registered without a key (admins).
#[utoipa::path(
    post, path = "/api/agents/{id}/approve", tag = "agents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AgentPublic), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody))
)]
pub async fn approve(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentPublic>> {
    Ok(Json(state.services.approve_agent(&actor, id).await?))
}

/// Creates an enrollment key (admins); the answer is the only time the key is shown.
#[utoipa::path(
    post, path = "/api/agents/enrollment-keys", tag = "agents", security(("bearer" = [])),
    request_body = EnrollmentKeyCreate,
    responses(
        (status = 201, body = EnrollmentKeyCreated), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "Unknown cluster", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create_enrollment_key(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(request): ApiJson<EnrollmentKeyCreate>,
) -> ApiResult<(StatusCode, Json<EnrollmentKeyCreated>)> {
    let created = state
        .services
        .create_enrollment_key(&actor, request)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lists enrollment keys without their secrets (admins).
#[utoipa::path(
    get, path = "/api/agents/enrollment-keys", tag = "agents", security(("bearer" = [])),
    params(("skip" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = EnrollmentKeysPublic), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list_enrollment_keys(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Pagination(page): Pagination,
) -> ApiResult<Json<EnrollmentKeysPublic>> {
    Ok(Json(
        state.services.list_enrollment_keys(&actor, page).await?,
    ))
}

/// Revokes an enrollment key (admins).
#[utoipa::path(
    delete, path = "/api/agents/enrollment-keys/{id}", tag = "agents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn revoke_enrollment_key(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<EnrollmentKeyId>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state.services.revoke_enrollment_key(&actor, id).await?,
    ))
}

/// A fresh enrollment key and the command line that installs an agent with
/// it on a Linux host (admins). The server address in it is `--public-url`,
/// else the address this request came to.
#[utoipa::path(
    post, path = "/api/agents/install", tag = "agents", security(("bearer" = [])),
    request_body = EnrollmentKeyCreate,
    responses((status = 201, body = AgentInstall), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "Unknown cluster", body = ErrorBody),
              (status = 422, body = ErrorBody))
)]
pub async fn install(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    uri: Uri,
    ApiJson(request): ApiJson<EnrollmentKeyCreate>,
) -> ApiResult<(StatusCode, Json<AgentInstall>)> {
    let base = state
        .services
        .public_base_url(request_address(&headers, &uri))?;
    let install = state.services.agent_install(&actor, &base, request).await?;
    Ok((StatusCode::CREATED, Json(install)))
}
