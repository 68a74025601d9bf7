//! The browser app: Leptos pages rendered on the server, their server
//! functions, browser sessions, the start page, and the static files of the
//! built site.
//!
//! Two routes under `/api` live here rather than in [`crate::api`]: the
//! single sign-on round trip (`/api/auth/login/oauth` and
//! `/api/auth/callback`, [`sso`]). Their paths are the original
//! PowerBeacon's, but they are browser navigations that end in a browser
//! session, so they run behind this router's session layer.

pub mod assets;
pub mod hosts;
mod origin;
mod plain;
mod server_fn_input;
pub mod sessions;
pub mod sso;

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use tower_sessions::Session;

use self::origin::TrustedOrigins;
use self::sessions::DatabaseSessions;
use crate::api::ApiError;
use crate::state::AppState;

/// `/`: the setup wizard while no user exists, the dashboard for a signed-in
/// browser, otherwise the sign-in page.
pub async fn start_page(State(state): State<AppState>, session: Session) -> Response {
    match state.services.setup_status().await {
        Ok(status) if !status.is_setup_complete => Redirect::to("/setup").into_response(),
        Ok(_) => {
            let signed_in = matches!(
                session
                    .get::<shared::ids::UserId>(backend::sessions::USER_ID)
                    .await,
                Ok(Some(_))
            );
            Redirect::to(if signed_in {
                shared::routing::HOME
            } else {
                "/login"
            })
            .into_response()
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The app's routes, found once per process by rendering the app with its
/// data loading switched off.
///
/// Leptos switches resource loading off with a flag global to the process
/// while it does this, so a page rendering at that moment on another
/// router (tests run several servers in one process) would wait forever
/// for its data. Found once, before the first router exists, no render can
/// overlap it.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::LazyLock<Vec<AxumRouteListing>> =
        std::sync::LazyLock::new(|| generate_route_list(app::App));
    ROUTES.clone()
}

/// The Leptos routes, the server functions, `/`, and the static files
/// (with the app's 404 page for anything else), with browser sessions and
/// the same-origin check for everything that changes state.
pub fn router(
    state: &AppState,
    public_url: Option<&str>,
    max_body_bytes: usize,
) -> Router<AppState> {
    // The server functions reach the services through Leptos' context.
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let secure_cookie = public_url.is_some_and(|url| url.starts_with("https://"));
    let sessions = DatabaseSessions::new(state.services.store().clone()).layer(secure_cookie);
    let trusted = TrustedOrigins::new(public_url);
    let options = state.leptos_options.clone();
    let shell = move |options: leptos::prelude::LeptosOptions| app::shell(options);
    let not_found = file_and_error_handler_with_context::<AppState, _>(context.clone(), shell);
    let site_files = assets::site_files(
        &state.leptos_options.site_root,
        not_found.clone().with_state(state.clone()),
    );
    Router::new()
        .route("/", get(start_page))
        .route_service("/pkg/{*file}", site_files.clone())
        .route_service("/icons/{*file}", site_files.clone())
        .route_service(assets::ICON_PATH, site_files.clone())
        .route_service(assets::MANIFEST_PATH, site_files)
        .route("/api/auth/login/oauth", get(sso::login))
        .route("/api/auth/callback", get(sso::callback))
        // A browser's EventSource signs in with its session.
        .route("/api/events", get(crate::api::events::stream))
        .route("/wakes/{id}", get(plain::wake::wake_page))
        .route("/devices/{id}", get(plain::device::device_page))
        .leptos_routes_with_context(state, routes(), context.clone(), move || {
            app::shell(options.clone())
        })
        .fallback(not_found)
        // Innermost first: what a server function accepts is checked after
        // the request has shown it comes from one of our pages.
        .layer(axum::middleware::from_fn_with_state(
            server_fn_input::MaxBody(max_body_bytes),
            server_fn_input::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            origin::same_origin,
        ))
        .layer(sessions)
}
