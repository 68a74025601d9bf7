//! `/api/devices`: the machines to wake.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::ids::DeviceId;
use shared::types::{
    DeviceCreate, DevicePublic, DeviceUpdate, DeviceWakeResult, DeviceWakesPublic, DevicesPublic,
    Message, PresenceHistoryPublic,
};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, AuthUser, Pagination, PresenceFilter, WakeQuery};
use super::json_list::JsonList;
use crate::state::AppState;

type ErrorBody = shared::types::ErrorBody;

/// Every device, newest first; `presence` keeps those that read as that now.
#[utoipa::path(
    get, path = "/api/devices", tag = "devices", security(("bearer" = [])),
    params(("skip" = Option<u64>, Query, description = "Rows to skip (default 0)"),
           ("limit" = Option<u64>, Query, description = "Rows to return, 1–1000 (default 100)"),
           ("presence" = Option<String>, Query, description = "`up`, `down` or `unknown`: only the devices that read as that now")),
    responses((status = 200, body = DevicesPublic), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Pagination(page): Pagination,
    PresenceFilter(presence): PresenceFilter,
) -> ApiResult<JsonList<DevicesPublic>> {
    Ok(JsonList(
        state.services.list_devices(&actor, page, presence).await?,
    ))
}

/// One device.
#[utoipa::path(
    get, path = "/api/devices/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DevicePublic), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<DevicePublic>> {
    Ok(Json(state.services.get_device(&actor, id).await?))
}

/// A device's presence now and its changes, newest first (anyone who may
/// read the device; docs/API.md, "Presence").
#[utoipa::path(
    get, path = "/api/devices/{id}/presence", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path),
           ("skip" = Option<u64>, Query, description = "Changes to skip (default 0)"),
           ("limit" = Option<u64>, Query, description = "Changes to return, 1–1000 (default 100)")),
    responses((status = 200, body = PresenceHistoryPublic), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn presence(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
    Pagination(page): Pagination,
) -> ApiResult<Json<PresenceHistoryPublic>> {
    Ok(Json(
        state.services.presence_history(&actor, id, page).await?,
    ))
}

/// Makes the address the device is up at (`presence.address`) its
/// `ip_address` (managers of the device; docs/API.md, "Presence").
#[utoipa::path(
    post, path = "/api/devices/{id}/adopt-address", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DevicePublic), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "The device is not up at another address", body = ErrorBody),
              (status = 422, body = ErrorBody))
)]
pub async fn adopt_address(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<DevicePublic>> {
    Ok(Json(state.services.adopt_address(&actor, id).await?))
}

/// Registers a device owned by the caller (users and up).
#[utoipa::path(
    post, path = "/api/devices", tag = "devices", security(("bearer" = [])), request_body = DeviceCreate,
    responses(
        (status = 201, body = DevicePublic),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Viewer, or cluster not manageable", body = ErrorBody),
        (status = 404, description = "Unknown cluster or agent", body = ErrorBody),
        (status = 409, description = "MAC address taken", body = ErrorBody),
        (status = 422, description = "Invalid field, or agents outside the device's cluster", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(request): ApiJson<DeviceCreate>,
) -> ApiResult<(StatusCode, Json<DevicePublic>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_device(&actor, request).await?),
    ))
}

/// Changes the fields given (managers of the device).
#[utoipa::path(
    put, path = "/api/devices/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DeviceUpdate,
    responses(
        (status = 200, body = DevicePublic), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(request): ApiJson<DeviceUpdate>,
) -> ApiResult<Json<DevicePublic>> {
    Ok(Json(
        state.services.update_device(&actor, id, request).await?,
    ))
}

/// Deletes a device (managers of the device).
#[utoipa::path(
    delete, path = "/api/devices/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services.delete_device(&actor, id).await?))
}

/// Wakes a device through every online agent linked to it, concurrently
/// (managers of the device), unless it is up already. The answer says, per
/// agent, what happened, and names the wake's record (docs/API.md, "Wakes").
#[utoipa::path(
    post, path = "/api/devices/{id}/wake", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path),
           ("force" = Option<bool>, Query, description = "Send even when the device is up (default false)"),
           ("wait" = Option<u64>, Query, description = "Seconds, at most 300, to wait for the verdict before answering")),
    responses(
        (status = 202, body = DeviceWakeResult), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The device has no agents, or a bad `force`/`wait`", body = ErrorBody),
        (status = 503, description = "No agent sent the packet; `details` says why per agent", body = ErrorBody),
    )
)]
pub async fn wake(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
    WakeQuery(options): WakeQuery,
) -> ApiResult<(StatusCode, Json<DeviceWakeResult>)> {
    let result = state.services.wake_device(&actor, id, options).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}

/// A device's wakes, newest first: who, when, what each agent did and the
/// verdict (anyone who may read the device).
#[utoipa::path(
    get, path = "/api/devices/{id}/wakes", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path),
           ("skip" = Option<u64>, Query, description = "Wakes to skip (default 0)"),
           ("limit" = Option<u64>, Query, description = "Wakes to return, 1–1000 (default 100)")),
    responses((status = 200, body = DeviceWakesPublic), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn wakes(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<DeviceId>,
    Pagination(page): Pagination,
) -> ApiResult<Json<DeviceWakesPublic>> {
    Ok(Json(state.services.device_wakes(&actor, id, page).await?))
}
