//! `/setup`: the first-run wizard, shown only while no user exists.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::copy::CopyField;
use crate::components::layout::{Card, Layout};
use crate::components::password::{NewPasswordInput, mismatched};
use crate::pages::settings::OidcForm;
use crate::server_fns::{InitSetup, agent_install, setup_status};
use shared::types::OidcConfigPublic;

/// The setup wizard. Once the first account exists it sends people to sign in.
#[component]
pub fn SetupPage() -> impl IntoView {
    // Blocking, so the server can answer with a redirect before it streams HTML.
    let status = Resource::new_blocking(|| (), |_| setup_status());

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
    let query = use_query_map();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = move || confirm.with(|c| password.with(|p| mismatched(p, c)));
    let pending = init.pending();
    let created = move || init.value().with(|value| matches!(value, Some(Ok(_))));
    let sso_done = RwSignal::new(false);
    let step = move || match (created(), sso_done.get()) {
        (false, _) => 1,
        (true, false) => 2,
        (true, true) => 3,
    };

    view! {
        <Card
            title="Welcome to PowerBeacon"
            subtitle="Create the first account. It becomes the superuser of this instance."
        >
            <ol class="steps" aria-label="Setup steps">
                {[(1, "1. Administrator account"), (2, "2. Single sign-on"), (3, "3. Deploy an agent")]
                    .into_iter()
                    .map(|(number, label)| {
                        let current = move || step() == number;
                        view! {
                            <li class:current=current aria-current=move || current().then_some("step")>
                                {label}
                            </li>
                        }
                    })
                    .collect_view()}
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
            <Show when=move || step() == 2>
                <section class="wizard-step" aria-labelledby="sso-title">
                    <h2 id="sso-title">"Single sign-on " <span class="muted">"(optional)"</span></h2>
                    <p class="muted">
                        "Let people sign in with your OpenID Connect provider. You can also do this later under Settings."
                    </p>
                    <OidcForm
                        config=OidcConfigPublic::default()
                        on_saved=Callback::new(move |_| sso_done.set(true))
                        submit="Save and continue"
                    />
                    <button type="button" class="button link" on:click=move |_| sso_done.set(true)>
                        "Skip for now"
                    </button>
                </section>
            </Show>
            <Show when=move || step() == 3>
                <DeployStep />
                <a class="button primary" href="/dashboard">"Go to the dashboard"</a>
            </Show>
            <Show when=move || !created()>
            <ActionForm action=init attr:class="form" attr:id="setup-account">
                // From another machine the server asks for the code it printed
                // in its log; the link it prints carries it as `?code=`.
                <input
                    type="hidden"
                    name="setup_code"
                    value=move || query.with(|query| query.get("code").unwrap_or_default())
                />
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    maxlength=shared::limits::USERNAME_MAX
                />
                <label for="email">"Email " <span class="muted">"(optional)"</span></label>
                <input id="email" name="email" type="email" autocomplete="email" maxlength=shared::limits::EMAIL_MAX />
                <label for="full_name">"Full name " <span class="muted">"(optional)"</span></label>
                <input id="full_name" name="full_name" autocomplete="name" maxlength=shared::limits::FULL_NAME_MAX />
                <NewPasswordInput id="password" label="Password" value=password confirm=("password_confirm", confirm) />
                <button type="submit" class="button primary" disabled=move || pending.get() || mismatch()>
                    {move || if pending.get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            </Show>
        </Card>
    }
}

/// Step 3: the command that installs the first agent (with a fresh key).
/// It can also wait: the Agents page makes the same command later.
#[component]
fn DeployStep() -> impl IntoView {
    let command = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let create = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = agent_install(shared::types::EnrollmentKeyCreate::default())
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
