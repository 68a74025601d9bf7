//! `/settings`: one's own profile and password, single sign-on (superusers)
//! and what this server is.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{FormError, ProfileFields};
use crate::components::layout::SignedIn;
use crate::components::password::{NewPasswordInput, mismatched};
use crate::components::toast::{ToastKind, use_toasts};
use crate::server_fns::{
    ChangePassword, account_settings, test_sso_discovery, update_me, update_oidc_config,
};
use shared::types::{
    About, AccountSettings, OidcConfigPublic, OidcConfigUpdate, Role, UserPublic, UserUpdateMe,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Title text="Settings" />
            <SettingsContent />
        </SignedIn>
    }
}

#[component]
fn SettingsContent() -> impl IntoView {
    let data = Resource::new(|| (), |_| account_settings());
    view! {
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading settings…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(settings) => view! { <SettingsView settings /> }.into_any(),
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn SettingsView(settings: AccountSettings) -> impl IntoView {
    let AccountSettings {
        user,
        has_password,
        oidc,
        about,
    } = settings;
    view! {
        <div class="settings-grid">
            <ProfileSection user />
            <PasswordSection has_password />
            {oidc.map(|config| {
                view! {
                    <section class="panel" aria-labelledby="oidc-title">
                        <h2 id="oidc-title">"Single sign-on"</h2>
                        <p class="muted">
                            "Let people sign in with an OpenID Connect provider (Keycloak, Authentik, Entra ID…). Changes take effect at once."
                        </p>
                        <OidcForm config />
                    </section>
                }
            })}
            <AboutSection about />
        </div>
    }
}

#[component]
fn ProfileSection(user: UserPublic) -> impl IntoView {
    let toasts = use_toasts();
    let username = RwSignal::new(user.username.clone());
    let email = RwSignal::new(user.email.clone().unwrap_or_default());
    let full_name = RwSignal::new(user.full_name.clone().unwrap_or_default());
    let error = FormError::new();
    let saving = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        saving.set(true);
        error.set(None);
        let request = UserUpdateMe {
            username: Some(username.get_untracked()),
            email: Some(email.get_untracked().trim().to_string()),
            full_name: Some(full_name.get_untracked().trim().to_string()),
        };
        leptos::task::spawn_local(async move {
            let result = update_me(request).await;
            saving.set(false);
            match result {
                Ok(_) => toasts.show(ToastKind::Success, "Profile saved", Vec::new()),
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <p class="muted">"Signed in as " {user.role.as_str()} "."</p>
            <form class="form" id="profile-form" on:submit=on_submit novalidate>
                {error.above(&["username", "email", "full_name"])}
                <ProfileFields prefix="profile" username email full_name error own=true />
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save profile" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// The password change: a plain form, so it also works without JavaScript.
#[component]
fn PasswordSection(has_password: bool) -> impl IntoView {
    if !has_password {
        return view! {
            <section class="panel" aria-labelledby="password-title">
                <h2 id="password-title">"Password"</h2>
                <p class="muted">
                    "This account signs in through single sign-on and has no PowerBeacon password."
                </p>
            </section>
        }
        .into_any();
    }
    let toasts = use_toasts();
    let change = ServerAction::<ChangePassword>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = move || confirm.with(|c| password.with(|p| mismatched(p, c)));
    let error = FormError::new();
    Effect::new(move |_| match change.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            password.set(String::new());
            confirm.set(String::new());
            if let Some(form) = form.get() {
                form.reset();
            }
            toasts.show(ToastKind::Success, "Password changed", Vec::new());
        }
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });
    view! {
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <ActionForm action=change node_ref=form attr:class="form" attr:id="password-form">
                {error.above(&["current_password", "new_password", "new_password_confirm"])}
                <label for="current_password">"Current password"</label>
                <input
                    id="current_password"
                    name="current_password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <NewPasswordInput
                    id="new_password"
                    label="New password"
                    value=password
                    confirm=("new_password_confirm", confirm)
                    invalid=Signal::derive(error.invalid("new_password"))
                />
                {error.under("new_password")}
                {error.under("new_password_confirm")}
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || change.pending().get() || mismatch()>
                        {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The single sign-on settings; also the setup wizard's second step.
/// `on_saved` runs after a save succeeds.
#[component]
pub fn OidcForm(
    config: OidcConfigPublic,
    #[prop(optional)] on_saved: Option<Callback<OidcConfigPublic>>,
    /// The submit button's text.
    #[prop(default = "Save single sign-on")]
    submit: &'static str,
) -> impl IntoView {
    let toasts = use_toasts_if_any();
    let enabled = RwSignal::new(config.enabled);
    let url = RwSignal::new(config.server_metadata_url.clone().unwrap_or_default());
    let client_id = RwSignal::new(config.client_id.clone().unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let secret_set = RwSignal::new(config.client_secret_set);
    let role = RwSignal::new(config.default_role);
    let testing = RwSignal::new(false);
    let tested = RwSignal::new(None::<Result<String, String>>);
    let test = move |_| {
        testing.set(true);
        tested.set(None);
        let url = url.get_untracked();
        leptos::task::spawn_local(async move {
            let result = test_sso_discovery(url).await;
            testing.set(false);
            tested.set(Some(result.map(|m| m.message).map_err(|e| e.message)));
        });
    };
    let error = FormError::new();
    let saving = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        saving.set(true);
        error.set(None);
        let request = OidcConfigUpdate {
            enabled: enabled.get_untracked(),
            server_metadata_url: Some(url.get_untracked()),
            client_id: Some(client_id.get_untracked()),
            client_secret: Some(secret.get_untracked()),
            default_role: Some(role.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let result = update_oidc_config(request).await;
            saving.set(false);
            match result {
                Ok(saved) => {
                    secret.set(String::new());
                    secret_set.set(saved.client_secret_set);
                    if let Some(toasts) = toasts {
                        let state = if saved.enabled { "on" } else { "off" };
                        toasts.show(
                            ToastKind::Success,
                            format!("Single sign-on is {state}"),
                            Vec::new(),
                        );
                    }
                    if let Some(on_saved) = on_saved {
                        on_saved.run(saved);
                    }
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    view! {
        <form class="form" id="oidc-form" on:submit=on_submit novalidate>
            {error.above(&["server_metadata_url", "client_id", "client_secret", "default_role"])}
            <label class="check">
                <input type="checkbox" id="oidc-enabled" checked=enabled.get_untracked() bind:checked=enabled />
                "Enable “Sign in with SSO”"
            </label>
            <label for="oidc-url">"Provider metadata URL"</label>
            <input
                id="oidc-url"
                type="url"
                placeholder="https://id.example.com/.well-known/openid-configuration"
                autocomplete="off"
                value=url.get_untracked()
                bind:value=url
                aria-invalid=error.invalid("server_metadata_url")
                aria-describedby="server_metadata_url-error"
            />
            {error.under("server_metadata_url")}
            <label for="oidc-client-id">"Client ID"</label>
            <input
                id="oidc-client-id"
                autocomplete="off"
                value=client_id.get_untracked()
                bind:value=client_id
                aria-invalid=error.invalid("client_id")
                aria-describedby="client_id-error"
            />
            {error.under("client_id")}
            <label for="oidc-client-secret">"Client secret"</label>
            <input
                id="oidc-client-secret"
                type="password"
                autocomplete="new-password"
                placeholder=move || if secret_set.get() { "Stored: leave empty to keep it" } else { "" }
                value=secret.get_untracked()
                bind:value=secret
                aria-invalid=error.invalid("client_secret")
                aria-describedby="client_secret-error"
            />
            {error.under("client_secret")}
            <label for="oidc-role">"Role of accounts made by a first sign-in"</label>
            <select
                id="oidc-role"
                on:change=move |event| {
                    if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                        role.set(chosen);
                    }
                }
            >
                {shared::access::SSO_ROLES
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <option value=choice.as_str() selected=move || role.get() == choice>
                                {choice.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {error.under("default_role")}
            <p class="hint muted">
                "The redirect URI to register with the provider is this server's address followed by /api/auth/callback."
            </p>
            {move || {
                tested
                    .get()
                    .map(|result| match result {
                        Ok(message) => view! { <p class="alert success" role="status">{message}</p> }.into_any(),
                        Err(message) => view! { <p class="alert error" role="alert">{message}</p> }.into_any(),
                    })
            }}
            <div class="form-actions">
                <button type="button" class="button" disabled=move || testing.get() on:click=test>
                    {move || if testing.get() { "Testing…" } else { "Test connection" }}
                </button>
                <button type="submit" class="button primary" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { submit }}
                </button>
            </div>
        </form>
    }
}

/// The toasts, where the page has them (the setup wizard does not).
fn use_toasts_if_any() -> Option<crate::components::toast::Toasts> {
    use_context::<crate::components::toast::Toasts>()
}

#[component]
fn AboutSection(about: About) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="about-title">
            <h2 id="about-title">"About"</h2>
            <dl class="facts">
                <dt>"Version"</dt>
                <dd id="about-version">{about.current_version}</dd>
                <dt>"Database"</dt>
                <dd>{about.database}</dd>
                <dt>"Updates"</dt>
                <dd>"Not checked: PowerBeacon makes no calls to the internet."</dd>
                <dt>"API"</dt>
                <dd><a href="/api/docs" rel="external">"API documentation"</a></dd>
            </dl>
        </section>
    }
}
