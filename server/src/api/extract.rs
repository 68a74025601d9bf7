//! Extractors whose rejections use the API's error body.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::state::AppState;
use backend::services::ServiceError;
use backend::storage::{Page, UserRecord};

/// Like [`axum::Json`], but a bad body becomes an [`ApiError`]: 400 for
/// malformed JSON, 415 without a JSON content type, 413 when too large and
/// 422 naming the field when the fields do not fit.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// Like [`axum::Form`], with rejections in the API's error body (422 naming
/// the missing or malformed field, 415 for another content type).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiForm<T>(pub T);

impl<S, T> FromRequest<S> for ApiForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::FormRejection;
        use axum::http::StatusCode;
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) => {
                let (status, message, details) = match &rejection {
                    FormRejection::InvalidFormContentType(_) => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "Send the form as `application/x-www-form-urlencoded`.".to_string(),
                        None,
                    ),
                    FormRejection::FailedToDeserializeForm(_)
                    | FormRejection::FailedToDeserializeFormBody(_) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "The form does not have the expected fields.".to_string(),
                        Some(rejection.body_text()),
                    ),
                    other => (other.status(), other.body_text(), None),
                };
                Err(ApiError::Body {
                    status,
                    message,
                    details,
                })
            }
        }
    }
}

/// The active user behind the request's `Authorization: Bearer` token;
/// rejects with 401 and `WWW-Authenticate: Bearer` otherwise.
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserRecord);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers).ok_or_else(|| {
            ApiError::Service(ServiceError::Unauthorized("Not authenticated.".into()))
        })?;
        Ok(Self(state.services.authenticate(token).await?))
    }
}

/// The client's address: the peer, or behind a trusted reverse proxy the
/// address it forwarded (see `--trusted-proxies`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(state.services.client_ip(peer(parts)?, &parts.headers)))
    }
}

/// Who is signing in: the client's address (as [`ClientIp`]) and the
/// accounts its known-device cookie names.
pub struct SignInFrom(pub backend::services::throttle::SignInClient);

impl FromRequestParts<AppState> for SignInFrom {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            state.services.sign_in_client(peer(parts)?, &parts.headers),
        ))
    }
}

/// The address at the other end of the request's connection.
fn peer(parts: &Parts) -> Result<std::net::IpAddr, ApiError> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
        .ok_or_else(|| ServiceError::internal("the connection's address is unknown").into())
}

/// The `Authorization: Bearer` token of a request, if it has one: how
/// agents authenticate (their token is not a user's access token).
#[derive(Debug, Clone, Default)]
pub struct MaybeBearer(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeBearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(bearer_token(&parts.headers).map(str::to_string)))
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
/// The token of an `Authorization: Bearer` header.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Like [`axum::extract::Path`], with a 422 error body naming the bad
/// segment (for example a malformed UUID).
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::Body {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                message: "The address contains an invalid value.".into(),
                details: Some(rejection.body_text()),
            }),
        }
    }
}

/// `?presence=up|down|unknown`: only the devices that read as that now.
#[derive(Debug, Clone, Copy)]
pub struct PresenceFilter(pub Option<shared::types::PresenceState>);

impl<S: Send + Sync> FromRequestParts<S> for PresenceFilter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[derive(serde::Deserialize)]
        struct Query {
            presence: Option<shared::types::PresenceState>,
        }
        let axum::extract::Query(query) =
            axum::extract::Query::<Query>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| ApiError::Body {
                    status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    message: "`presence` is `up`, `down` or `unknown`.".into(),
                    details: Some(rejection.body_text()),
                })?;
        Ok(Self(query.presence))
    }
}

/// `?force=true&wait=SECONDS` of a wake (docs/API.md, "Wakes"): send even
/// to machines that are up; wait up to 300 s for the verdict.
#[derive(Debug, Clone, Copy)]
pub struct WakeQuery(pub backend::services::wake::WakeOptions);

impl<S: Send + Sync> FromRequestParts<S> for WakeQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use backend::services::wake::{MAX_WAIT, WakeOptions};
        #[derive(serde::Deserialize)]
        struct Query {
            force: Option<bool>,
            wait: Option<u64>,
        }
        let invalid = |details: String| ApiError::Body {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "`force` is `true` or `false`; `wait` is whole seconds from 0 to {}.",
                MAX_WAIT.as_secs()
            ),
            details: Some(details),
        };
        let axum::extract::Query(query) =
            axum::extract::Query::<Query>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| invalid(rejection.body_text()))?;
        if query.wait.is_some_and(|wait| wait > MAX_WAIT.as_secs()) {
            return Err(invalid("wait".into()));
        }
        Ok(Self(WakeOptions {
            force: query.force.unwrap_or(false),
            wait: query
                .wait
                .filter(|&wait| wait > 0)
                .map(std::time::Duration::from_secs),
        }))
    }
}

/// `?skip=&limit=`: defaults 0 and 100; `limit` at most 1000.
#[derive(Debug, Clone, Copy)]
pub struct Pagination(pub Page);

impl<S: Send + Sync> FromRequestParts<S> for Pagination {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[derive(serde::Deserialize)]
        struct Query {
            skip: Option<u64>,
            limit: Option<u64>,
        }
        let invalid = |details: String| ApiError::Body {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            message: "`skip` and `limit` must be whole numbers, `limit` from 1 to 1000.".into(),
            details: Some(details),
        };
        let axum::extract::Query(query) =
            axum::extract::Query::<Query>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| invalid(rejection.body_text()))?;
        let limit = query.limit.unwrap_or(Page::DEFAULT_LIMIT);
        if !(1..=Page::MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit".into()));
        }
        Ok(Self(Page {
            skip: query.skip.unwrap_or(0),
            limit,
        }))
    }
}
