//! What a server function's body needs from its call (server only): the
//! services, the browser session and its signed-in user, the client's
//! address, and how a service's error becomes the function's error with
//! its HTTP status. A server function's body is then two lines:
//!
//! ```text
//! let (services, actor) = call::signed_in().await?;
//! call::answer(services.delete_device(&actor, id).await)
//! ```
//!
//! See docs/ARCHITECTURE.md, "The life of a request".

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use backend::security::client::request_address;
use backend::services::throttle::SignInClient;
use backend::services::{ServiceError, Services};
use backend::sessions;
use backend::storage::UserRecord;
use leptos::prelude::use_context;
use shared::types::ErrorBody;
use tower_sessions::Session;

/// `body` as the server function's error; a call over HTTP gets its status.
pub fn fail(body: ErrorBody) -> ErrorBody {
    shared::server_fn_status::set(body.status_code);
    body
}

/// A service's error as the server function's error (see [`fail`]); a
/// throttled sign-in also says when to try again (`Retry-After`), as the
/// REST API does.
pub fn refuse(error: ServiceError) -> ErrorBody {
    if let ServiceError::TooManyAttempts { retry_after } = &error
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.insert_header(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(retry_after.as_secs().max(1)),
        );
    }
    fail(error.to_body())
}

/// A service's answer, its error refused as [`refuse`] does.
pub fn answer<T>(result: Result<T, ServiceError>) -> Result<T, ErrorBody> {
    result.map_err(refuse)
}

fn internal(error: impl std::fmt::Display) -> ErrorBody {
    refuse(ServiceError::internal(error.to_string()))
}

/// The services, which the server provides to every render and call.
pub fn services() -> Result<Services, ErrorBody> {
    use_context::<Services>().ok_or_else(|| internal("no services in the context"))
}

/// This browser's session.
pub async fn session() -> Result<Session, ErrorBody> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|error| internal(format!("no session: {error}")))
}

/// The signed-in user of this browser session, if it has one whose account
/// is still active with the same rights; else the session is ended.
pub async fn session_user(services: &Services) -> Result<Option<UserRecord>, ErrorBody> {
    let session = session().await?;
    sessions::session_user(services, &session)
        .await
        .map_err(refuse)
}

/// The services and the signed-in user, or 401.
pub async fn signed_in() -> Result<(Services, UserRecord), ErrorBody> {
    let services = services()?;
    match session_user(&services).await? {
        Some(user) => Ok((services, user)),
        None => Err(refuse(ServiceError::Unauthorized(
            "Your session has ended; sign in again.".into(),
        ))),
    }
}

/// The connection's peer and the request's headers.
async fn peer_and_headers() -> Result<(IpAddr, http::HeaderMap), ErrorBody> {
    let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map_err(internal)?;
    let headers = use_context::<http::request::Parts>()
        .map(|parts| parts.headers)
        .unwrap_or_default();
    Ok((peer.ip(), headers))
}

/// The client's address, as the REST API finds it (behind trusted proxies too).
pub async fn client_ip(services: &Services) -> Result<IpAddr, ErrorBody> {
    let (peer, headers) = peer_and_headers().await?;
    Ok(services.client_ip(peer, &headers))
}

/// Who is signing in: the client's address (as [`client_ip`]) and the
/// accounts its known-device cookie names.
pub async fn sign_in_client(services: &Services) -> Result<SignInClient, ErrorBody> {
    let (peer, headers) = peer_and_headers().await?;
    Ok(services.sign_in_client(peer, &headers))
}

/// After `user` signed in from `client`: makes this browser a known device
/// of the account (its `Set-Cookie` on the answer).
pub fn remember_device(services: &Services, client: &SignInClient, user: &UserRecord) {
    let cookie = services.remember_device(client, user);
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
}

/// The server's public address, as for the REST API's install command.
pub fn base_url(services: &Services) -> Result<String, ServiceError> {
    let parts = use_context::<http::request::Parts>();
    let address = parts
        .as_ref()
        .map(|parts| request_address(&parts.headers, &parts.uri))
        .unwrap_or_default();
    services.public_base_url(address)
}

/// Signs this browser session in as `user`, under a new session id.
pub async fn start_session(user: &UserRecord) -> Result<(), ErrorBody> {
    sessions::sign_in_session(&session().await?, user)
        .await
        .map_err(internal)
}

/// Keeps this browser session signed in after `user`'s own password change.
pub async fn keep_session(user: &UserRecord) -> Result<(), ErrorBody> {
    sessions::keep_session(&session().await?, user)
        .await
        .map_err(internal)
}

/// Ends this browser session.
pub async fn end_session() -> Result<(), ErrorBody> {
    session().await?.flush().await.map_err(internal)
}
