//! The API layer's error: service errors plus what only HTTP can get wrong.
//! Every variant renders the documented body `{status_code, message, details}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::types::ErrorBody;

use backend::services::ServiceError;

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The body could not be read as the expected JSON.
    #[error("{message}")]
    Body {
        status: StatusCode,
        message: String,
        details: Option<String>,
    },
    #[error("no route for this path")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
}

/// `Result` with [`ApiError`] as the default error.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

impl ApiError {
    fn body(&self) -> ErrorBody {
        match self {
            ApiError::Service(error) => error.to_body(),
            ApiError::Body {
                status,
                message,
                details,
            } => ErrorBody::new(status.as_u16(), message.clone())
                .with_optional_details(details.clone()),
            ApiError::RouteNotFound => ErrorBody::with_details(
                404,
                "Not Found",
                "No API endpoint has this path; see /api/docs.",
            ),
            ApiError::MethodNotAllowed => ErrorBody::with_details(
                405,
                "Method Not Allowed",
                "This endpoint does not accept this HTTP method; see /api/docs.",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status =
            StatusCode::from_u16(body.status_code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let ApiError::Service(ServiceError::TooManyAttempts { retry_after }) = self {
            headers.insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        response
    }
}

/// The answer to a request whose handler or page render panicked: the
/// documented 500 body (the panic itself is logged by the panic hook that
/// [`crate::telemetry::log_panics`] installs). The process keeps serving.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::from(ServiceError::internal("a request handler panicked")).into_response()
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (status, message, details) = match &rejection {
            JsonRejection::JsonDataError(error) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "The request body does not match the expected fields.".to_string(),
                Some(data_error_details(error)),
            ),
            JsonRejection::JsonSyntaxError(error) => (
                StatusCode::BAD_REQUEST,
                "The request body is not valid JSON.".to_string(),
                Some(
                    std::error::Error::source(error)
                        .map_or_else(|| error.body_text(), |e| e.to_string()),
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with `Content-Type: application/json`.".to_string(),
                None,
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.".to_string(),
                None,
            ),
            other => (other.status(), other.body_text(), None),
        };
        ApiError::Body {
            status,
            message,
            details,
        }
    }
}

/// serde's message, which names the field (`missing field `username``,
/// `username: invalid type: integer, expected a string`).
fn data_error_details(error: &axum::extract::rejection::JsonDataError) -> String {
    let text =
        std::error::Error::source(error).map_or_else(|| error.body_text(), |e| e.to_string());
    // Drop serde_json's " at line 1 column 42" suffix: it helps nobody here.
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}

/// Fallback for paths under `/api` that match no route.
pub async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// Fallback for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
