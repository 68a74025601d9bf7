//! The browser's single sign-on round trip: `GET /api/auth/login/oauth`
//! sends the browser to the identity provider, `GET /api/auth/callback`
//! brings it back signed in. The flow's rules are the services'
//! ([`crate::services::sso`]); these handlers keep its state in the browser
//! session and turn every failure into the sign-in page with a message
//! (details go to the log, never to the page or a URL).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::sessions::sign_in_session;
use crate::api::extract::request_address;
use crate::services::sso::{PendingSso, SsoError};
use crate::state::AppState;

/// The session key of a sign-in waiting for its callback.
const PENDING: &str = "pending_sso";

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LoginQuery {
    /// Where to land after signing in (a path on this server).
    next: Option<String>,
}

/// Starts single sign-on: redirects to the identity provider.
#[utoipa::path(
    get, path = "/api/auth/login/oauth", tag = "auth", params(LoginQuery),
    responses(
        (status = 302, description = "To the identity provider's authorization page (code flow with PKCE, `state` and `nonce` kept in the browser session); to `/login?error=…` when single sign-on is off or the provider cannot be reached"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = app::routing::safe_next(query.next.as_deref()).to_string();
    let started = match state
        .services
        .public_base_url(request_address(&headers, &uri))
    {
        Ok(base) => state.services.start_sso(&base, &next).await,
        Err(error) => Err(SsoError::Service(error)),
    };
    match started {
        Ok((authorize_url, pending)) => match session.insert(PENDING, pending).await {
            Ok(()) => found(&authorize_url),
            Err(error) => refused(SsoError::Failed(format!("session: {error}"))),
        },
        Err(error) => refused(error),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// Set by the provider instead of `code` when it did not sign the person in.
    error: Option<String>,
}

/// Finishes single sign-on: checks and signs the browser in.
#[utoipa::path(
    get, path = "/api/auth/callback", tag = "auth", params(CallbackQuery),
    responses(
        (status = 302, description = "Signed in (a new browser session): to the page the sign-in started from, `/dashboard` by default. Refused (wrong `state`, a failed code exchange, an ID token whose signature, issuer, audience, expiry or nonce does not check out, a deactivated account, single sign-on off): to `/login?error=…`, no session"),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // A pending sign-in is used once, whatever happens next.
    let pending: Option<PendingSso> = session.remove(PENDING).await.ok().flatten();
    if let Some(error) = query.error {
        // The provider's words, but anyone can write them: kept short and quoted.
        let error: String = error.chars().take(64).collect();
        return refused(SsoError::Denied(format!("{error:?}")));
    }
    let (Some(code), Some(returned_state)) = (query.code, query.state) else {
        return refused(SsoError::Stale);
    };
    let next = pending.as_ref().map(|p| p.next.clone());
    match state
        .services
        .finish_sso(pending, &returned_state, &code)
        .await
    {
        Ok(user) => match sign_in_session(&session, user.id).await {
            Ok(()) => {
                tracing::info!(user_id = %user.id, "signed in through single sign-on");
                found(app::routing::safe_next(next.as_deref()))
            }
            Err(error) => refused(SsoError::Failed(format!("session: {error}"))),
        },
        Err(error) => refused(error),
    }
}

/// The sign-in page with the failure's message; the details go to the log.
fn refused(error: SsoError) -> Response {
    match &error {
        SsoError::Service(_) | SsoError::Failed(_) => {
            tracing::warn!(%error, "single sign-on failed");
        }
        _ => tracing::info!(%error, "single sign-on refused"),
    }
    found(&format!("/login?error={}", error.code()))
}

/// A `302 Found` to `location`, the status the original API answers these
/// redirects with.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
