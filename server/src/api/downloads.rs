//! What a new agent host downloads, outside `/api`: `/install-agent.sh` and
//! the agent binaries at `/agents/{os}-{arch}` (plus `.sha256`).

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use shared::types::ErrorBody;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiResult;
use crate::state::AppState;
use backend::services::install::INSTALL_SCRIPT;

/// The agent install script (see its header for the options).
#[utoipa::path(
    get, path = "/install-agent.sh", tag = "agents",
    responses((status = 200, description = "POSIX shell script", content_type = "text/x-shellscript"))
)]
pub async fn install_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/x-shellscript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INSTALL_SCRIPT,
    )
        .into_response()
}

/// The agent binary for a platform such as `linux-x86_64`; with `.sha256`
/// appended, its checksum as `sha256sum` prints it.
#[utoipa::path(
    get, path = "/agents/{platform}", tag = "agents",
    params(("platform" = String, Path, description = "`{os}-{arch}`, e.g. `linux-x86_64`, optionally followed by `.sha256`")),
    responses(
        (status = 200, description = "The binary", content_type = "application/octet-stream"),
        (status = 404, description = "No binary for that platform; the message lists those there are", body = ErrorBody),
    )
)]
pub async fn agent_binary(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    let (platform, checksum) = match name.strip_suffix(".sha256") {
        Some(platform) => (platform, true),
        None => (name.as_str(), false),
    };
    let binary = state.services.agent_binary(platform).await?;
    if checksum {
        let sum = state.services.agent_checksum(&binary).await?;
        return Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], sum).into_response());
    }
    // ServeFile answers HEAD, ranges and conditional requests.
    let Ok(response) = ServeFile::new(&binary.path).oneshot(request).await;
    let mut response = response.map(Body::new);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"powerbeacon-agent\""),
    );
    Ok(response)
}
