//! `/api/setup`: first-run status and initialisation.

use axum::Json;
use axum::extract::State;
use shared::types::{SetupInitRequest, SetupStatus, UserPublic};

use super::error::ApiResult;
use super::extract::{ApiJson, ClientIp};
use crate::state::AppState;

/// Whether the instance has been set up, and how many users it has.
#[utoipa::path(
    get,
    path = "/api/setup/status",
    tag = "setup",
    responses((status = 200, description = "Setup state", body = SetupStatus))
)]
pub async fn status(State(state): State<AppState>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(state.services.setup_status().await?))
}

/// Creates the first account, a superuser. Only while no user exists.
#[utoipa::path(
    post,
    path = "/api/setup/init",
    tag = "setup",
    request_body = SetupInitRequest,
    responses(
        (status = 200, description = "The superuser was created", body = UserPublic),
        (status = 400, description = "Already set up", body = shared::types::ErrorBody),
        (status = 403, description = "From another machine without the setup code the server logged", body = shared::types::ErrorBody),
        (status = 422, description = "A field is invalid; `details` names it", body = shared::types::ErrorBody),
    )
)]
pub async fn init(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<SetupInitRequest>,
) -> ApiResult<Json<UserPublic>> {
    Ok(Json(
        state
            .services
            .init_setup(request, client)
            .await?
            .to_public(),
    ))
}
