//! `/login`: sign in with a username and password, or through single
//! sign-on when it is enabled. Works without JavaScript too: the form posts
//! to the server function, which redirects; SSO is a plain link.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::layout::{Card, Layout};
use crate::server_fns::{SignIn, current_user, sso_enabled};
use shared::routing::{error_message, safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |_| current_user());
    let sso = Resource::new_blocking(|| (), |_| sso_enabled());
    let query = use_query_map();
    let next = move || safe_next(query.with(|q| q.get("next")).as_deref()).to_string();
    view! {
        <Layout>
            <Title text="Sign in" />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    user.get()
                        .map(|result| match result {
                            Ok(Some(_)) => view! { <Redirect path=next() /> }.into_any(),
                            _ => {
                                let sso = sso.get().and_then(Result::ok).unwrap_or(false);
                                view! { <LoginForm next=next() sso /> }.into_any()
                            }
                        })
                }}
            </Suspense>
        </Layout>
    }
}

#[component]
fn LoginForm(next: String, sso: bool) -> impl IntoView {
    // A plain link: single sign-on needs no JavaScript either.
    let sso_href = format!("/api/auth/login/oauth?next={next}");
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    // Why the last plain-form attempt failed (no JavaScript), from the URL.
    let url_error = move || {
        query
            .with(|q| q.get("error"))
            .and_then(|code| error_message(&code))
    };
    let pending = sign_in.pending();
    let error = move || match sign_in.value().get() {
        Some(Err(error)) => Some(error.message),
        Some(Ok(_)) => None,
        None => url_error().map(str::to_string),
    };
    view! {
        <Card title="Sign in" subtitle="Welcome back to PowerBeacon.">
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="alert error" role="alert" id="login-error">
                                {message}
                            </p>
                        }
                    })
            }}
            <ActionForm action=sign_in attr:class="form" attr:id="login-form">
                <input type="hidden" name="next" value=next />
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    maxlength=shared::limits::USERNAME_MAX
                    aria-describedby="login-error"
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            {sso
                .then(|| {
                    view! {
                        <div class="sso">
                            <span class="divider">"or"</span>
                            // External: a full page load, not the app's router.
                            <a class="button sso-button" href=sso_href rel="external">
                                "Sign in with SSO"
                            </a>
                        </div>
                    }
                })}
        </Card>
    }
}
