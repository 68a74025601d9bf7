//! The frames pages sit in: [`Layout`] for the public pages (setup, sign-in)
//! and [`SignedIn`] for everything behind a sign-in, with the navigation.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_location;

use crate::components::theme::ThemeToggle;
use crate::components::toast::Toaster;
use crate::server_fns::{SignOut, current_user};
use shared::types::UserPublic;

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

/// Header, main content and footer of the public pages.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <div class="layout">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="site-header">
                <a class="brand" href="/">
                    <Logo />
                    <span>"PowerBeacon"</span>
                </a>
                <div class="header-actions">
                    <ThemeToggle />
                </div>
            </header>
            <main class="site-main" id="main">
                {children()}
            </main>
            <Footer />
        </div>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <span>"PowerBeacon " {env!("CARGO_PKG_VERSION")}</span>
            <a href="/api/docs" rel="external">"API documentation"</a>
        </footer>
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

/// The signed-in user, provided to every page inside [`SignedIn`].
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserPublic);

/// The signed-in user of the page being shown.
pub fn use_current_user() -> UserPublic {
    expect_context::<CurrentUser>().0
}

/// A page behind a sign-in: sends people who are not signed in to the
/// sign-in page (and back here afterwards), else shows the page in the
/// signed-in frame with its navigation.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let user = Resource::new_blocking(|| (), |_| current_user());
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted page-loading">"Loading…"</p> }>
            {move || {
                user.get()
                    .map(|result| match result {
                        Ok(Some(user)) => {
                            view! {
                                <AppFrame user=user.clone()>
                                    {children.with_value(|children| children())}
                                </AppFrame>
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            let path = location.pathname.get_untracked();
                            view! { <Redirect path=shared::routing::login_url_for(&path) /> }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <Layout>
                                    <Card title="PowerBeacon is unavailable">
                                        <p class="alert error" role="alert">{error.message}</p>
                                    </Card>
                                </Layout>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// The signed-in frame: navigation filtered by role, the user menu, the
/// theme toggle, a menu button on narrow screens.
#[component]
fn AppFrame(user: UserPublic, children: Children) -> impl IntoView {
    provide_context(CurrentUser(user.clone()));
    let menu_open = RwSignal::new(false);
    let sign_out = ServerAction::<SignOut>::new();
    let actor = shared::access::Actor {
        id: user.id,
        role: user.role,
    };
    let links = actor
        .pages()
        .map(|page| {
            view! {
                <li>
                    <A href=page.path() on:click=move |_| menu_open.set(false)>
                        {page.label()}
                    </A>
                </li>
            }
        })
        .collect_view();
    let display_name = user
        .full_name
        .clone()
        .unwrap_or_else(|| user.username.clone());
    let initial = display_name
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    view! {
        <Toaster>
            <div class="layout">
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="site-header">
                    <a class="brand" href="/dashboard">
                        <Logo />
                        <span>"PowerBeacon"</span>
                    </a>
                    <button
                        type="button"
                        class="icon-button nav-toggle"
                        aria-controls="main-nav"
                        aria-expanded=move || menu_open.get().to_string()
                        aria-label="Menu"
                        on:click=move |_| menu_open.update(|open| *open = !*open)
                    >
                        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                            <path d="M3 6h18M3 12h18M3 18h18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                        </svg>
                    </button>
                    <nav id="main-nav" class="main-nav" class:open=move || menu_open.get() aria-label="Main">
                        <ul>{links}</ul>
                    </nav>
                    <div class="header-actions">
                        <ThemeToggle />
                        <details class="user-menu">
                            <summary aria-label="Account">
                                <span class="avatar" aria-hidden="true">{initial}</span>
                                <span class="user-name">{user.username.clone()}</span>
                            </summary>
                            <div class="menu">
                                <p class="menu-who">
                                    <strong>{display_name.clone()}</strong>
                                    <span class="muted">{user.role.as_str()}</span>
                                </p>
                                <ActionForm action=sign_out attr:class="menu-form">
                                    <button type="submit" class="menu-item">"Sign out"</button>
                                </ActionForm>
                            </div>
                        </details>
                    </div>
                </header>
                <main class="site-main wide" id="main">
                    {children()}
                </main>
                <Footer />
            </div>
        </Toaster>
    }
}
