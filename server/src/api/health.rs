//! `GET /health`: is the server up and can it reach its database?

use axum::Json;
use axum::extract::State;
use shared::types::HealthResponse;

use super::error::ApiResult;
use crate::state::AppState;

/// Reports liveness and database reachability.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "The server and its database are up", body = HealthResponse),
        (status = 503, description = "The database is unreachable", body = shared::types::ErrorBody),
    )
)]
pub async fn health(State(state): State<AppState>) -> ApiResult<Json<HealthResponse>> {
    state.services.health().await?;
    Ok(Json(HealthResponse {
        status: "ok".into(),
        message: "PowerBeacon is running.".into(),
        database: state.services.store().engine().name().to_string(),
    }))
}
