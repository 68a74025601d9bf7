//! The browser app: Leptos pages rendered on the server, the start page, and
//! the static files of the built site.

use std::sync::Arc;

use app::backend::Backend;
use app::types::{ErrorBody, SetupInitRequest, SetupStatus, UserPublic};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};

use crate::api::ApiError;
use crate::services::Services;
use crate::state::AppState;

/// The service layer as the browser app's server functions see it.
#[async_trait::async_trait]
impl Backend for Services {
    async fn setup_status(&self) -> Result<SetupStatus, ErrorBody> {
        Services::setup_status(self).await.map_err(|e| e.to_body())
    }

    async fn init_setup(&self, request: SetupInitRequest) -> Result<UserPublic, ErrorBody> {
        Services::init_setup(self, request)
            .await
            .map_err(|e| e.to_body())
    }
}

/// `/`: the setup wizard while no user exists, otherwise the sign-in page.
pub async fn start_page(State(state): State<AppState>) -> Response {
    match state.services.setup_status().await {
        Ok(status) if status.is_setup_complete => Redirect::to("/login").into_response(),
        Ok(_) => Redirect::to("/setup").into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The Leptos routes, the server functions, `/`, and the static files
/// (with the app's 404 page for anything else).
pub fn router(state: &AppState) -> Router<AppState> {
    let backend: Arc<dyn Backend> = Arc::new(state.services.clone());
    let context = move || provide_context(backend.clone());
    let options = state.leptos_options.clone();
    let shell = move |options: leptos::prelude::LeptosOptions| app::shell(options);
    Router::new()
        .route("/", get(start_page))
        .leptos_routes_with_context(
            state,
            generate_route_list(app::App),
            context.clone(),
            move || app::shell(options.clone()),
        )
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
}
