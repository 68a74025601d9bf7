//! `/api/auth`: password login and the current user.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use serde::Deserialize;
use shared::types::{Token, UserPublic};

use super::error::ApiResult;
use super::extract::{ApiForm, AuthUser, SignInFrom};
use crate::state::AppState;

/// The OAuth2 password-grant form (`application/x-www-form-urlencoded`).
#[derive(Deserialize, utoipa::ToSchema)]
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

/// Exchanges a username and password for a bearer token. The answer also
/// sets the `pb_device` cookie: a client that keeps cookies and signed in
/// before is exempt from the account's own sign-in counter (docs/API.md,
/// "Sign-in throttle"); scripts should rather use one token than sign in
/// again and again.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in; sets the `pb_device` known-device cookie", body = Token),
        (status = 401, description = "Wrong credentials or inactive account", body = shared::types::ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = shared::types::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    SignInFrom(client): SignInFrom,
    ApiForm(form): ApiForm<LoginForm>,
) -> ApiResult<([(axum::http::HeaderName, String); 1], Json<Token>)> {
    let (token, user) = state
        .services
        .login(&form.username, &form.password, &client)
        .await?;
    let known_device = state.services.remember_device(&client, &user);
    Ok(([(SET_COOKIE, known_device)], Json(token)))
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current user", body = UserPublic),
        (status = 401, description = "Missing, invalid or expired token", body = shared::types::ErrorBody),
    )
)]
pub async fn me(AuthUser(user): AuthUser) -> Json<UserPublic> {
    Json(user.to_public())
}

/// What secrets show as in `Debug` output (logs, panics).
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("grant_type", &self.grant_type)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_never_shows_the_password_in_debug_output() {
        let form: LoginForm =
            serde_json::from_str(r#"{"username":"a","password":"hunter2","client_secret":"s3"}"#)
                .unwrap();
        let text = format!("{form:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("s3\""),
            "{text}"
        );
    }
}
