//! Server functions: the browser's typed calls into the service layer.
//!
//! Each body runs on the server only and does nothing but call the
//! [`Backend`](crate::backend::Backend); the rules live in the server's services.

use leptos::prelude::*;

use crate::types::{SetupStatus, UserPublic};

/// Whether the first-run setup has been completed.
#[server(prefix = "/fn", endpoint = "setup_status")]
pub async fn get_setup_status() -> Result<SetupStatus, ServerFnError> {
    crate::backend::backend()?
        .setup_status()
        .await
        .map_err(|error| ServerFnError::new(error.message))
}

/// Creates the first account from the setup form.
///
/// `password_confirm` is checked here because only the form has it; every
/// other rule is the service's.
#[server(prefix = "/fn", endpoint = "init_setup")]
pub async fn init_setup(
    username: String,
    email: String,
    full_name: String,
    password: String,
    password_confirm: String,
) -> Result<UserPublic, ServerFnError> {
    if password != password_confirm {
        return Err(ServerFnError::new("The passwords do not match."));
    }
    let blank_to_none = |text: String| {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    };
    let request = crate::types::SetupInitRequest {
        username,
        password,
        email: blank_to_none(email),
        full_name: blank_to_none(full_name),
        oidc: None,
    };
    crate::backend::backend()?
        .init_setup(request)
        .await
        .map_err(|error| ServerFnError::new(error.message))
}
