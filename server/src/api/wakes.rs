//! `/api/wakes`: the record of every wake, with its verdicts.

use axum::Json;
use axum::extract::State;
use shared::ids::WakeId;
use shared::types::WakePublic;

use super::error::ApiResult;
use super::extract::{ApiPath, AuthUser};
use crate::state::AppState;

type ErrorBody = shared::types::ErrorBody;

/// A wake's progress: per device what each agent did, then the verdict
/// (docs/API.md, "Wakes").
#[utoipa::path(
    get, path = "/api/wakes/{id}", tag = "wakes", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WakePublic), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<WakeId>,
) -> ApiResult<Json<WakePublic>> {
    Ok(Json(state.services.get_wake(&actor, id).await?))
}
