//! PowerBeacon's browser app: pages, components and the types the browser and
//! the server share.
//!
//! Server-only code (the [`backend`] the server functions call) sits behind the
//! `ssr` feature; the `hydrate` feature builds the same components for the browser.

pub mod components;
pub mod format;
pub mod pages;
pub mod routing;
pub mod server_fns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod backend;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
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
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=current_theme().map(|theme| theme.as_str())>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: metadata, stylesheet and the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/powerbeacon.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="description" content="PowerBeacon: wake machines on any of your networks." />
        <Title formatter=|page: String| {
            if page.is_empty() { "PowerBeacon".to_string() } else { format!("{page} · PowerBeacon") }
        } />
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
