//! The page for addresses that lead nowhere.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::layout::{Card, Layout};

/// Shown, with status 404, for any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Layout>
            <Title text="Page not found" />
            <Card title="Page not found" subtitle="There is nothing at this address.">
                <p>
                    <a class="button" href="/">"Go to the start page"</a>
                </p>
            </Card>
        </Layout>
    }
}
