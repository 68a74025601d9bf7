//! What the server functions need from the server (server side only).
//!
//! The server crate implements [`Backend`] on top of its service layer and
//! hands it to every page render and server-function call through Leptos
//! context, so the UI uses exactly the rules the REST API uses.

use std::sync::Arc;

use crate::types::{ErrorBody, SetupInitRequest, SetupStatus, UserPublic};

/// The service layer, as the UI sees it.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Whether the first-run setup has been completed.
    async fn setup_status(&self) -> Result<SetupStatus, ErrorBody>;

    /// Creates the first account, a superuser; refused once any user exists.
    async fn init_setup(&self, request: SetupInitRequest) -> Result<UserPublic, ErrorBody>;
}

/// The backend of the current request, provided by the server.
pub fn backend() -> Result<Arc<dyn Backend>, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<Arc<dyn Backend>>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("server backend missing from context"))
}
