//! A failed server function answers with its error's HTTP status (403,
//! 422, …), as the REST API does, where Leptos would answer 500 for any
//! error. The status is set where the error is made: by the app's server
//! functions for the services' errors and by [`ErrorBody`]'s conversion for
//! arguments that do not decode.
//!
//! Only a server function called over HTTP by a script gets the status: a
//! plain form post (no JavaScript) is answered with a redirect by Leptos,
//! and a server function called while a page renders leaves the page's
//! status alone.
//!
//! [`ErrorBody`]: crate::types::ErrorBody

use leptos::prelude::use_context;

/// Gives the current server function call's response `status_code`, if
/// the call came over HTTP from a script (see the module docs).
pub fn set(status_code: u16) {
    let (Some(request), Some(response)) = (
        use_context::<http::request::Parts>(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if !request
        .uri
        .path()
        .starts_with(crate::routing::SERVER_FN_PREFIX)
        || is_plain_form_post(&request)
    {
        return;
    }
    if let Ok(status) = http::StatusCode::from_u16(status_code)
        && (status.is_client_error() || status.is_server_error())
    {
        response.set_status(status);
    }
}

/// Whether `request` is a plain HTML form post (no JavaScript), which
/// expects a page, not JSON: how Leptos itself tells them apart.
pub fn is_plain_form_post(request: &http::request::Parts) -> bool {
    request
        .headers
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
