//! `/setup`: the first-run wizard, shown only while no user exists.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::copy::CopyField;
use crate::components::layout::{Card, Layout};
use crate::components::password::{MIN_PASSWORD_LEN, password_strength};
use crate::server_fns::{InitSetup, get_setup_status, install_command};

/// The setup wizard. Once the first account exists it sends people to sign in.
#[component]
pub fn SetupPage() -> impl IntoView {
    // Blocking, so the server can answer with a redirect before it streams HTML.
    let status = Resource::new_blocking(|| (), |_| get_setup_status());

    view! {
        <Layout>
            <Title text="Set up" />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    status
                        .get()
                        .map(|result| match result {
                            Ok(status) if status.is_setup_complete => {
                                view! { <Redirect path="/login" /> }.into_any()
                            }
                            Ok(_) => view! { <AccountStep /> }.into_any(),
                            Err(error) => {
                                view! {
                                    <Card title="Setup is unavailable">
                                        <p class="alert error" role="alert">{error.to_string()}</p>
                                    </Card>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </Layout>
    }
}

/// Step 1: the first administrator account.
#[component]
fn AccountStep() -> impl IntoView {
    let init = ServerAction::<InitSetup>::new();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let reveal = RwSignal::new(false);
    let strength = Memo::new(move |_| password.with(|p| password_strength(p)));
    let mismatch = move || confirm.with(|c| !c.is_empty() && *c != password.get());
    let pending = init.pending();
    let created = move || init.value().with(|value| matches!(value, Some(Ok(_))));

    view! {
        <Card
            title="Welcome to PowerBeacon"
            subtitle="Create the first account. It becomes the superuser of this instance."
        >
            <ol class="steps" aria-label="Setup steps">
                <li class:current=move || !created() aria-current=move || (!created()).then_some("step")>
                    "1. Administrator account"
                </li>
                <li class:current=created aria-current=move || created().then_some("step")>
                    "2. Deploy an agent"
                </li>
            </ol>
            {move || {
                init.value()
                    .get()
                    .map(|result| match result {
                        Ok(user) => {
                            view! {
                                <p class="alert success" role="status">
                                    "Account " <strong>{user.username}</strong>
                                    " created. PowerBeacon is ready."
                                </p>
                                <DeployStep />
                                <a class="button primary" href="/dashboard">"Go to the dashboard"</a>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <p class="alert error" role="alert">
                                    {error.message}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
            <Show when=move || !created()>
            <ActionForm action=init attr:class="form" attr:id="setup-account">
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    maxlength="64"
                />
                <label for="email">"Email " <span class="muted">"(optional)"</span></label>
                <input id="email" name="email" type="email" autocomplete="email" maxlength="254" />
                <label for="full_name">"Full name " <span class="muted">"(optional)"</span></label>
                <input id="full_name" name="full_name" autocomplete="name" maxlength="128" />
                <label for="password">"Password"</label>
                <div class="password-field">
                    <input
                        id="password"
                        name="password"
                        type=move || if reveal.get() { "text" } else { "password" }
                        autocomplete="new-password"
                        required
                        minlength=MIN_PASSWORD_LEN.to_string()
                        aria-describedby="password-strength"
                        bind:value=password
                    />
                    <button
                        type="button"
                        class="reveal"
                        aria-controls="password"
                        aria-pressed=move || reveal.get().to_string()
                        on:click=move |_| reveal.update(|shown| *shown = !*shown)
                    >
                        {move || if reveal.get() { "Hide" } else { "Show" }}
                    </button>
                </div>
                <div
                    id="password-strength"
                    class="strength"
                    data-level=move || strength.get().level().to_string()
                    aria-live="polite"
                >
                    <span class="meter"><span class="fill"></span></span>
                    <span class="label">{move || strength.get().label()}</span>
                </div>
                <label for="password_confirm">"Confirm password"</label>
                <input
                    id="password_confirm"
                    name="password_confirm"
                    type=move || if reveal.get() { "text" } else { "password" }
                    autocomplete="new-password"
                    required
                    aria-invalid=move || mismatch().to_string()
                    bind:value=confirm
                />
                <Show when=mismatch>
                    <p class="field-error" role="alert">"The passwords do not match."</p>
                </Show>
                <button type="submit" class="button primary" disabled=move || pending.get() || mismatch()>
                    {move || if pending.get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            </Show>
        </Card>
    }
}

/// Step 2: the command that installs the first agent (with a fresh key).
/// It can also wait: the Agents page makes the same command later.
#[component]
fn DeployStep() -> impl IntoView {
    let command = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let create = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = install_command(crate::types::EnrollmentKeyCreate::default())
                .await
                .map(|install| install.command)
                .map_err(|error| error.message);
            busy.set(false);
            command.set(Some(answer));
        });
    };
    view! {
        <section class="deploy-step" aria-labelledby="deploy-title">
            <h2 id="deploy-title">"Deploy an agent"</h2>
            <p class="muted">
                "Agents send the magic packets: install one on an always-on Linux host in each network whose machines you want to wake."
            </p>
            {move || match command.get() {
                Some(Ok(command)) => {
                    view! { <CopyField id="setup-install-command" label="Run as root on that host" value=command /> }
                        .into_any()
                }
                Some(Err(message)) => view! { <p class="alert error" role="alert">{message}</p> }.into_any(),
                None => {
                    view! {
                        <button type="button" class="button" disabled=move || busy.get() on:click=create>
                            "Create the install command"
                        </button>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
