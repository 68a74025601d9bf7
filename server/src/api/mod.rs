//! The REST API under `/api`: thin handlers that extract, call a service and
//! map the result. One module per area. The routes are listed in [`router`];
//! the two single sign-on redirects under `/api/auth/` belong to the
//! browser app (`crate::web::sso`), since they end in a browser session.

pub mod agents;
pub mod auth;
pub mod clusters;
pub mod config;
pub mod devices;
pub mod docs;
pub mod downloads;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod json_list;
pub mod setup;
pub mod users;
pub mod wakes;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, delete, get, patch, post};

pub use error::ApiError;

use crate::state::AppState;

/// The routes nested under `/api`, with JSON errors for unknown paths and methods.
pub fn router(max_body_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(docs::openapi_json))
        .route("/setup/status", get(setup::status))
        .route("/setup/init", post(setup::init))
        .route("/auth/login", post(auth::login))
        .route("/auth/me", get(auth::me))
        .route("/config/oidc", get(config::oidc).put(config::update_oidc))
        .route("/config/about", get(config::about))
        .route(
            "/config/agents",
            get(config::agent_registration).put(config::update_agent_registration),
        )
        .route("/agents", get(agents::list))
        .route("/agents/register", post(agents::register))
        .route("/agents/heartbeat", post(agents::heartbeat))
        .route("/agents/presence", post(agents::presence))
        .route("/agents/{id}", get(agents::get).delete(agents::delete))
        .route("/agents/{id}/approve", post(agents::approve))
        .route("/agents/install", post(agents::install))
        .route(
            "/agents/enrollment-keys",
            get(agents::list_enrollment_keys).post(agents::create_enrollment_key),
        )
        .route(
            "/agents/enrollment-keys/{id}",
            delete(agents::revoke_enrollment_key),
        )
        .route("/clusters", get(clusters::list).post(clusters::create))
        .route(
            "/clusters/{id}",
            get(clusters::get)
                .put(clusters::update)
                .delete(clusters::delete),
        )
        .route("/clusters/{id}/wake", post(clusters::wake))
        .route("/devices", get(devices::list).post(devices::create))
        .route(
            "/devices/{id}",
            get(devices::get)
                .put(devices::update)
                .delete(devices::delete),
        )
        .route("/devices/{id}/wake", post(devices::wake))
        .route("/devices/{id}/presence", get(devices::presence))
        .route("/devices/{id}/wakes", get(devices::wakes))
        .route("/wakes/{id}", get(wakes::get))
        .route("/devices/{id}/adopt-address", post(devices::adopt_address))
        .route("/users", get(users::list).post(users::create))
        .route("/users/me", get(users::me).patch(users::update_me))
        .route("/users/me/password", patch(users::change_password))
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
}

/// Routes outside `/api` that answer JSON: `/health` and the API documentation.
pub fn root_router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/install-agent.sh", get(downloads::install_script))
        .route("/agents/{platform}", get(downloads::agent_binary))
        // `nest("/api", …)` covers `/api` and `/api/x`, but not the bare `/api/`.
        .route("/api/", any(error::route_not_found))
        .method_not_allowed_fallback(error::method_not_allowed)
        .merge(docs::swagger_ui())
}
