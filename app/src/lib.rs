//! PowerBeacon's browser app: pages, components and server functions. The
//! types the browser and the server share are in the `shared` crate.
//!
//! Server-only code ([`call`], what the server functions' bodies use to reach
//! the `backend` crate's services) sits behind the `ssr` feature; the `hydrate` feature builds the same components for the browser.

pub mod components;
pub mod format;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod call;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::theme::current_theme;
use crate::pages::{
    agents::AgentsPage,
    clusters::{ClustersPage, detail::ClusterDetailPage},
    dashboard::DashboardPage,
    login::LoginPage,
    not_found::NotFound,
    settings::SettingsPage,
    setup::SetupPage,
    users::UsersPage,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=current_theme().map(|theme| theme.as_str())>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="PowerBeacon: wake machines on any of your networks." />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Installable: "Add to home screen" gives an app with this icon.
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png" />
                <meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)" />
                <meta name="theme-color" content="#111827" media="(prefers-color-scheme: dark)" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The Content-Security-Policy of a page: scripts only from this server
/// and Leptos' own inline scripts (which carry this render's nonce), the
/// wasm, styles and images from this server, no plugins, no framing, forms
/// only to this server. Nothing the app writes needs more.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The document title of a page ("Lab · PowerBeacon").
///
/// On the server leptos_meta writes the title into the HTML as it is, so the
/// text (a cluster's name, say) is escaped here; in the browser it becomes
/// `document.title`, which is plain text and needs no escaping.
pub fn document_title(page: String) -> String {
    let title = if page.is_empty() {
        "PowerBeacon".to_string()
    } else {
        format!("{page} · PowerBeacon")
    };
    #[cfg(feature = "ssr")]
    let title = html_escape::encode_text(&title).into_owned();
    title
}

/// The root component: metadata, stylesheet and the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/powerbeacon.css" />
        <Title formatter=document_title />
        <Router>
            <Routes fallback=NotFound>
                // Async: the page may answer with a redirect, which needs its
                // status and headers before any HTML is streamed.
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                <Route path=path!("/clusters") view=ClustersPage ssr=SsrMode::Async />
                <Route path=path!("/clusters/:id") view=ClusterDetailPage ssr=SsrMode::Async />
                <Route path=path!("/agents") view=AgentsPage ssr=SsrMode::Async />
                <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::document_title;

    #[test]
    fn titles_from_user_text_cannot_close_the_title_element() {
        assert_eq!(
            document_title("</title><script>alert(1)</script>".into()),
            "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · PowerBeacon"
        );
        assert_eq!(document_title(String::new()), "PowerBeacon");
    }
}
