//! `/api/config`: single sign-on settings and version information.

use axum::Json;
use axum::extract::State;
use shared::types::{About, AgentRegistrationConfig, OidcConfigPublic, OidcConfigUpdate};

use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use crate::state::AppState;

type ErrorBody = shared::types::ErrorBody;

/// The single sign-on settings anyone may read (never the secret).
#[utoipa::path(
    get, path = "/api/config/oidc", tag = "config",
    responses((status = 200, body = OidcConfigPublic))
)]
pub async fn oidc(State(state): State<AppState>) -> ApiResult<Json<OidcConfigPublic>> {
    Ok(Json(state.services.oidc_config().await?.to_public()))
}

/// Replaces the single sign-on settings (superuser only). An omitted
/// `client_secret` keeps the stored one.
#[utoipa::path(
    put, path = "/api/config/oidc", tag = "config", security(("bearer" = [])),
    request_body = OidcConfigUpdate,
    responses(
        (status = 200, body = OidcConfigPublic),
        (status = 400, description = "Enabling without URL, client id and secret", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update_oidc(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(update): ApiJson<OidcConfigUpdate>,
) -> ApiResult<Json<OidcConfigPublic>> {
    Ok(Json(
        state.services.update_oidc_config(&actor, update).await?,
    ))
}

/// The running version (no update check: PowerBeacon never calls the internet).
#[utoipa::path(
    get, path = "/api/config/about", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = About), (status = 401, body = ErrorBody))
)]
pub async fn about(State(state): State<AppState>, AuthUser(_): AuthUser) -> Json<About> {
    Json(state.services.about())
}

/// Whether agents may register without an enrollment key (any signed-in user may read it).
#[utoipa::path(
    get, path = "/api/config/agents", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = AgentRegistrationConfig), (status = 401, body = ErrorBody))
)]
pub async fn agent_registration(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
) -> ApiResult<Json<AgentRegistrationConfig>> {
    Ok(Json(state.services.agent_registration_config().await?))
}

/// Switches open registration on or off (admins). Agents that register
/// without a key while it is on wait, pending, until an admin approves them.
#[utoipa::path(
    put, path = "/api/config/agents", tag = "config", security(("bearer" = [])),
    request_body = AgentRegistrationConfig,
    responses((status = 200, body = AgentRegistrationConfig), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn update_agent_registration(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(config): ApiJson<AgentRegistrationConfig>,
) -> ApiResult<Json<AgentRegistrationConfig>> {
    Ok(Json(
        state
            .services
            .update_agent_registration_config(&actor, config)
            .await?,
    ))
}
