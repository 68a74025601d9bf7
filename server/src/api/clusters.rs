//! `/api/clusters`: groups of devices and the agents that reach them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::ids::ClusterId;
use shared::types::{
    ClusterCreate, ClusterDetailPublic, ClusterPublic, ClusterUpdate, ClusterWakeResult,
    ClustersPublic, Message,
};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, AuthUser, Pagination, WakeQuery};
use super::json_list::JsonList;
use crate::state::AppState;

type ErrorBody = shared::types::ErrorBody;

/// Every cluster, newest first.
#[utoipa::path(
    get, path = "/api/clusters", tag = "clusters", security(("bearer" = [])),
    params(("skip" = Option<u64>, Query, description = "Rows to skip (default 0)"),
           ("limit" = Option<u64>, Query, description = "Rows to return, 1–1000 (default 100)")),
    responses((status = 200, body = ClustersPublic), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Pagination(page): Pagination,
) -> ApiResult<JsonList<ClustersPublic>> {
    Ok(JsonList(state.services.list_clusters(&actor, page).await?))
}

/// One cluster with its devices and agents, sorted by name.
#[utoipa::path(
    get, path = "/api/clusters/{id}", tag = "clusters", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ClusterDetailPublic), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<ClusterId>,
) -> ApiResult<JsonList<ClusterDetailPublic>> {
    Ok(JsonList(state.services.get_cluster(&actor, id).await?))
}

/// Creates a cluster owned by the caller (users and up).
#[utoipa::path(
    post, path = "/api/clusters", tag = "clusters", security(("bearer" = [])), request_body = ClusterCreate,
    responses(
        (status = 201, body = ClusterPublic), (status = 401, body = ErrorBody),
        (status = 403, description = "Viewer, or devices/agents not the caller's to move", body = ErrorBody),
        (status = 404, description = "Unknown device or agent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(request): ApiJson<ClusterCreate>,
) -> ApiResult<(StatusCode, Json<ClusterPublic>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_cluster(&actor, request).await?),
    ))
}

/// Changes the fields given (managers); a member list replaces the old one and
/// device↔agent links to agents that left are dropped.
#[utoipa::path(
    put, path = "/api/clusters/{id}", tag = "clusters", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ClusterUpdate,
    responses(
        (status = 200, body = ClusterPublic), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<ClusterId>,
    ApiJson(request): ApiJson<ClusterUpdate>,
) -> ApiResult<Json<ClusterPublic>> {
    Ok(Json(
        state.services.update_cluster(&actor, id, request).await?,
    ))
}

/// Deletes a cluster (managers); devices and agents are detached, not deleted.
#[utoipa::path(
    delete, path = "/api/clusters/{id}", tag = "clusters", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<ClusterId>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services.delete_cluster(&actor, id).await?))
}

/// Wakes every device of a cluster that is not up already (managers of the
/// cluster): one queue per agent, agents called concurrently, batches for
/// agents that take them. Recorded with each device's verdict.
#[utoipa::path(
    post, path = "/api/clusters/{id}/wake", tag = "clusters", security(("bearer" = [])),
    params(("id" = Uuid, Path),
           ("force" = Option<bool>, Query, description = "Send even to devices that are up (default false)"),
           ("wait" = Option<u64>, Query, description = "Seconds, at most 300, to wait until no verdict is pending")),
    responses(
        (status = 202, body = ClusterWakeResult), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The cluster has no devices, or a bad `force`/`wait`", body = ErrorBody),
        (status = 503, description = "No device was woken; `details` says why per agent", body = ErrorBody),
    )
)]
pub async fn wake(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<ClusterId>,
    WakeQuery(options): WakeQuery,
) -> ApiResult<(StatusCode, Json<ClusterWakeResult>)> {
    let result = state.services.wake_cluster(&actor, id, options).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}
