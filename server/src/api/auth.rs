//! `/api/auth`: password login and the current user.

use std::net::SocketAddr;

use app::types::{Token, UserPublic};
use axum::Json;
use axum::extract::{ConnectInfo, State};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{ApiForm, AuthUser};
use crate::state::AppState;

/// The OAuth2 password-grant form (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    /// Accepted for OAuth2 compatibility; only `password` is meaningful.
    #[serde(default)]
    pub grant_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in", body = Token),
        (status = 401, description = "Wrong credentials or inactive account", body = app::types::ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = app::types::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiForm(form): ApiForm<LoginForm>,
) -> ApiResult<Json<Token>> {
    Ok(Json(
        state
            .services
            .login(&form.username, &form.password, client.ip())
            .await?,
    ))
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current user", body = UserPublic),
        (status = 401, description = "Missing, invalid or expired token", body = app::types::ErrorBody),
    )
)]
pub async fn me(AuthUser(user): AuthUser) -> Json<UserPublic> {
    Json(user.to_public())
}
