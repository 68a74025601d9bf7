//! PowerBeacon's browser app: pages, components and server functions. The
//! types the browser and the server share are in the `shared` crate.
//!
//! Server-only code ([`call`], what the server functions' bodies use to reach
//! the `backend` crate's services) sits behind the `ssr` feature; the `hydrate` feature builds the same components for the browser.

// The views of wide tables nest deeper than the default limit allows
// (components are not erased; see `disable-erase-components` in Cargo.toml).
#![recursion_limit = "256"]

pub mod components;
pub mod format;
pub mod live;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod call;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::theme::current_theme;
use crate::pages::not_found::NotFound;
use crate::pages::routes::{
    AgentsRoute, ClusterDetailRoute, ClustersRoute, DashboardRoute, LoginRoute, SettingsRoute,
    SetupRoute, UsersRoute,
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

/// The page part of the title the server rendered ("Lab" of "Lab ·
/// PowerBeacon"), empty on the server. The root's title while a page's
/// code loads (each page is a chunk of its own): without it the tab's title
/// went blank until the page's own `<Title>` came.
fn rendered_page_title() -> String {
    #[cfg(feature = "hydrate")]
    {
        let title = document().title();
        title
            .strip_suffix(" · PowerBeacon")
            .unwrap_or_default()
            .to_string()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// The root component: metadata, stylesheet and the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/powerbeacon.css" />
        <Title formatter=document_title text=rendered_page_title() />
        <Router>
            <Routes fallback=NotFound>
                // Async: the page may answer with a redirect, which needs its
                // status and headers before any HTML is streamed.
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=path!("/dashboard")
                    view={Lazy::<DashboardRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/clusters")
                    view={Lazy::<ClustersRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/clusters/:id")
                    view={Lazy::<ClusterDetailRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=path!("/agents") view={Lazy::<AgentsRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=path!("/settings")
                    view={Lazy::<SettingsRoute>::new()}
                    ssr=SsrMode::Async
                />
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
