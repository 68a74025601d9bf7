//! The browser's single sign-on round trip: `GET /api/auth/login/oauth`
//! sends the browser to the identity provider, `GET /api/auth/callback`
//! brings it back signed in. The flow's rules are the services'
//! ([`backend::services::sso`]); these handlers carry its state in a sealed,
//! HttpOnly cookie (so starting a sign-in stores nothing on the server),
//! start the browser session once someone is signed in, and turn every
//! failure into the sign-in page with a message (details go to the log,
//! never to the page or a URL).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use backend::security::client::request_address;
use backend::services::sso::{CALLBACK_PATH, PENDING_COOKIE, PendingSso, SsoError};
use backend::sessions::sign_in_session;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LoginQuery {
    /// Where to land after signing in (a path on this server).
    next: Option<String>,
}

/// Starts single sign-on: redirects to the identity provider.
#[utoipa::path(
    get, path = "/api/auth/login/oauth", tag = "auth", params(LoginQuery),
    responses(
        (status = 302, description = "To the identity provider's authorization page (code flow with PKCE, `state`, `nonce` and the verifier sealed in an HttpOnly cookie for the callback; nothing is stored on the server); to `/login?error=…` when single sign-on is off or the provider cannot be reached"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = shared::routing::safe_next(query.next.as_deref()).to_string();
    let started = match state
        .services
        .public_base_url(request_address(&headers, &uri))
    {
        Ok(base) => state.services.start_sso(&base, &next).await,
        Err(error) => Err(SsoError::Service(error)),
    };
    match started {
        Ok((authorize_url, pending)) => {
            // Nothing is stored on the server until someone is signed in.
            let sealed = state.services.seal_pending(&pending);
            let mut response = found(&authorize_url);
            set_pending_cookie(
                &mut response,
                &sealed,
                PENDING_LIFETIME_SECONDS,
                state.services.https(),
            );
            response
        }
        Err(error) => refused(error),
    }
}

/// How long a started sign-in's cookie lives (the service also refuses
/// older ones).
const PENDING_LIFETIME_SECONDS: i64 = 15 * 60;

/// Sets (or, with `max_age` 0, clears) the cookie of a started sign-in: sent
/// back only to the callback, never readable by script.
fn set_pending_cookie(response: &mut Response, value: &str, max_age: i64, secure: bool) {
    let cookie = cookie::Cookie::build((PENDING_COOKIE, value.to_string()))
        .path(CALLBACK_PATH)
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    if let Ok(value) = axum::http::HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The started sign-in this browser brings back, if any.
fn pending_from(headers: &HeaderMap, state: &AppState) -> Option<PendingSso> {
    backend::security::request_cookie(headers, PENDING_COOKIE)
        .and_then(|sealed| state.services.open_pending(&sealed))
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
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let mut response = finish(&state, &session, &headers, query).await;
    // A started sign-in is used once, whatever happened.
    set_pending_cookie(&mut response, "", 0, state.services.https());
    response
}

async fn finish(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Response {
    let pending = pending_from(headers, state);
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
        Ok(user) => match sign_in_session(session, &user).await {
            Ok(()) => {
                tracing::info!(user_id = %user.id, "signed in through single sign-on");
                found(shared::routing::safe_next(next.as_deref()))
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
