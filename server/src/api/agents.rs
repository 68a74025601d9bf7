//! `/api/agents`: enrollment keys (registration, heartbeats and the agent
//! list follow in the same module).

use app::types::{EnrollmentKeyCreate, EnrollmentKeyCreated, EnrollmentKeysPublic, Message};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, AuthUser, Pagination};
use crate::state::AppState;

type ErrorBody = app::types::ErrorBody;

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
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state.services.revoke_enrollment_key(&actor, id).await?,
    ))
}
