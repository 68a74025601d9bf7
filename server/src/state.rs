//! The state every handler can reach.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use backend::services::Services;

/// Shared by the REST API and the browser app; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
