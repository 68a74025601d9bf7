//! The frame every page sits in.

use leptos::prelude::*;

/// The PowerBeacon mark: a beacon sending waves.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <circle cx="16" cy="20" r="4" fill="currentColor" />
            <path d="M9 13a10 10 0 0 1 14 0" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" />
            <path d="M5 9a16 16 0 0 1 22 0" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" />
        </svg>
    }
}

/// Header, main content and footer. Pages put their content inside.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <div class="layout">
            <header class="site-header">
                <a class="brand" href="/">
                    <Logo />
                    <span>"PowerBeacon"</span>
                </a>
            </header>
            <main class="site-main" id="main">
                {children()}
            </main>
            <footer class="site-footer">
                <span>"PowerBeacon " {env!("CARGO_PKG_VERSION")}</span>
                <a href="/api/docs">"API documentation"</a>
            </footer>
        </div>
    }
}

/// A centred card for short flows such as the setup wizard and sign-in.
#[component]
pub fn Card(
    /// The heading of the card.
    #[prop(into)]
    title: String,
    /// A line under the heading.
    #[prop(into, optional)]
    subtitle: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card">
            <h1>{title}</h1>
            {subtitle.map(|text| view! { <p class="subtitle">{text}</p> })}
            {children()}
        </section>
    }
}
