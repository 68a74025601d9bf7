//! How new agents join, on the agents page: enrollment keys (listed,
//! created, revoked), the install command with a fresh key, and open
//! registration (admins).

use chrono::Utc;
use leptos::prelude::*;
use shared::ids::ClusterId;

use super::Dialog;
use crate::components::copy::CopyField;
use crate::components::modal::Modal;
use crate::components::toast::{ToastKind, use_toasts};
use crate::format::{day, relative_time, size};
use crate::server_fns::{
    agent_install, create_enrollment_key, revoke_enrollment_key, update_agent_registration_config,
};
use shared::types::{
    AgentInstall, ClusterChoice, EnrollmentKeyCreate, EnrollmentKeyCreated, EnrollmentKeyPublic,
};

/// Cluster and lifetime of a new key (shared by the install and key dialogs).
#[component]
fn KeyFields(
    clusters: Vec<ClusterChoice>,
    cluster: RwSignal<Option<ClusterId>>,
    hours: RwSignal<String>,
    prefix: &'static str,
) -> impl IntoView {
    view! {
        <label for=format!("{prefix}-cluster")>"Agents join the cluster"</label>
        <select
            id=format!("{prefix}-cluster")
            on:change=move |event| cluster.set(event_target_value(&event).parse().ok())
        >
            <option value="">"No cluster"</option>
            {clusters
                .into_iter()
                .map(|c| view! { <option value=c.id.to_string()>{c.name}</option> })
                .collect_view()}
        </select>
        <label for=format!("{prefix}-hours")>"The key works for (hours)"</label>
        <input id=format!("{prefix}-hours") type="number" min="1" max="87600" bind:value=hours />
    }
}

/// A close callback that reloads the page's data afterwards when `changed`.
fn closing_reloads(
    on_close: Callback<()>,
    reload: Callback<()>,
    changed: impl Fn() -> bool + Send + Sync + 'static,
) -> Callback<()> {
    Callback::new(move |()| {
        on_close.run(());
        if changed() {
            reload.run(());
        }
    })
}

fn key_request(
    name: Option<String>,
    cluster: Option<ClusterId>,
    hours: &str,
) -> EnrollmentKeyCreate {
    EnrollmentKeyCreate {
        name,
        cluster_id: cluster,
        expires_in_hours: hours.trim().parse().ok(),
    }
}

#[component]
pub(super) fn InstallDialog(
    clusters: Vec<ClusterChoice>,
    platforms: Vec<shared::types::AgentPlatform>,
    on_close: Callback<()>,
    reload: Callback<()>,
) -> impl IntoView {
    let cluster = RwSignal::new(None::<ClusterId>);
    let hours = RwSignal::new("24".to_string());
    let result = RwSignal::new(None::<Result<AgentInstall, String>>);
    let busy = RwSignal::new(false);
    // The list is reloaded once the dialog closes, so the command stays shown.
    let on_close = closing_reloads(on_close, reload, move || {
        result.with_untracked(|r| matches!(r, Some(Ok(_))))
    });
    let generate = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        let request = key_request(None, cluster.get_untracked(), &hours.get_untracked());
        leptos::task::spawn_local(async move {
            let answer = agent_install(request).await.map_err(|e| e.message);
            busy.set(false);
            result.set(Some(answer));
        });
    };
    let platform_list = if platforms.is_empty() {
        view! {
            <p class="alert error">
                "This server has no agent binaries to hand out: build one with "
                <code>"cargo build --release -p powerbeacon-agent"</code>
                " and put it in the agent directory (--agent-dir)."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="muted">
                "Linux with systemd. Binaries here: "
                {platforms
                    .iter()
                    .map(|p| format!("{} ({})", p.platform, size(p.size)))
                    .collect::<Vec<_>>()
                    .join(", ")}
            </p>
        }
        .into_any()
    };
    view! {
        <Modal title="Install an agent" on_close=on_close>
            <p>
                "Run this as root on an always-on Linux host in the network whose machines you want to wake. It installs the agent as a systemd service with a fresh enrollment key."
            </p>
            {platform_list}
            {move || match result.get() {
                Some(Ok(install)) => {
                    view! {
                        <CopyField id="install-command" label="Install command" value=install.command />
                        <p class="muted">
                            "The key is shown only now"
                            {install
                                .enrollment_key
                                .info
                                .expires_at
                                .map(|at| format!(" and works until {}", at.format("%Y-%m-%d %H:%M UTC")))}
                            "."
                        </p>
                        <div class="form-actions">
                            <button type="button" class="button primary" on:click=move |_| on_close.run(())>"Done"</button>
                        </div>
                    }
                        .into_any()
                }
                other => {
                    view! {
                        {other
                            .and_then(Result::err)
                            .map(|message| view! { <p class="alert error" role="alert">{message}</p> })}
                        <form class="form" on:submit=generate>
                            <KeyFields clusters=clusters.clone() cluster hours prefix="install" />
                            <div class="form-actions">
                                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                                <button type="submit" class="button primary" disabled=move || busy.get()>
                                    "Create install command"
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
            }}
        </Modal>
    }
}

#[component]
pub(super) fn NewKeyDialog(
    clusters: Vec<ClusterChoice>,
    on_close: Callback<()>,
    reload: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let cluster = RwSignal::new(None::<ClusterId>);
    let hours = RwSignal::new(String::new());
    let created = RwSignal::new(None::<Result<EnrollmentKeyCreated, String>>);
    let on_close = closing_reloads(on_close, reload, move || {
        created.with_untracked(|c| matches!(c, Some(Ok(_))))
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let name = name.get_untracked();
        let request = key_request(
            (!name.trim().is_empty()).then(|| name.trim().to_string()),
            cluster.get_untracked(),
            &hours.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let answer = create_enrollment_key(request).await.map_err(|e| e.message);
            created.set(Some(answer));
        });
    };
    view! {
        <Modal title="New enrollment key" on_close=on_close>
            {move || match created.get() {
                Some(Ok(key)) => {
                    view! {
                        <CopyField id="new-key" label="Enrollment key (shown only now)" value=key.key />
                        <p class="muted">"Start an agent with it as ENROLLMENT_KEY."</p>
                        <div class="form-actions">
                            <button type="button" class="button primary" on:click=move |_| on_close.run(())>"Done"</button>
                        </div>
                    }
                        .into_any()
                }
                other => {
                    view! {
                        {other
                            .and_then(Result::err)
                            .map(|message| view! { <p class="alert error" role="alert">{message}</p> })}
                        <form class="form" on:submit=submit>
                            <label for="key-name">"Name " <span class="muted">"(what it is for)"</span></label>
                            <input id="key-name" maxlength=shared::limits::NAME_MAX bind:value=name />
                            <KeyFields clusters=clusters.clone() cluster hours prefix="key" />
                            <p class="muted">"Leave the hours empty for a key that does not expire."</p>
                            <div class="form-actions">
                                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                                <button type="submit" class="button primary">"Create key"</button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
            }}
        </Modal>
    }
}

/// Open registration (admins): whether agents may register without an
/// enrollment key, and the switch.
#[component]
pub(super) fn RegistrationSection(open: bool, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let switch = move |_| {
        leptos::task::spawn_local(async move {
            match update_agent_registration_config(!open).await {
                Ok(config) => {
                    let title = if config.open_registration {
                        "Open registration is on"
                    } else {
                        "Open registration is off"
                    };
                    toasts.show(ToastKind::Success, title, Vec::new());
                    reload.run(());
                }
                Err(error) => toasts.show(ToastKind::Error, error.message, Vec::new()),
            }
        });
    };
    let text = if open {
        "On: agents may register without an enrollment key and wait, pending, until an admin approves them."
    } else {
        "Off: agents need an enrollment key to register."
    };
    view! {
        <section class="registration" aria-labelledby="registration-title">
            <h2 id="registration-title">"Open registration"</h2>
            <p data-open-registration=open.to_string()>{text}</p>
            <button type="button" class="button" on:click=switch>
                {if open { "Turn off" } else { "Turn on" }}
            </button>
        </section>
    }
}

#[component]
pub(super) fn KeysSection(
    keys: Vec<EnrollmentKeyPublic>,
    clusters: Vec<ClusterChoice>,
    dialog: RwSignal<Option<Dialog>>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let now = Utc::now();
    let cluster_name = move |id: Option<ClusterId>| {
        id.and_then(|id| clusters.iter().find(|c| c.id == id).map(|c| c.name.clone()))
            .unwrap_or_else(|| "—".into())
    };
    let rows = keys
        .into_iter()
        .map(|key| {
            let state = if key.revoked_at.is_some() {
                "Revoked"
            } else if key.expires_at.is_some_and(|at| at <= now) {
                "Expired"
            } else {
                "Active"
            };
            let id = key.id;
            let revoke = move |_| {
                leptos::task::spawn_local(async move {
                    match revoke_enrollment_key(id).await {
                        Ok(_) => {
                            toasts.show(ToastKind::Success, "Key revoked", Vec::new());
                            reload.run(());
                        }
                        Err(error) => toasts.show(ToastKind::Error, error.message, Vec::new()),
                    }
                });
            };
            view! {
                <tr data-key-id=id.to_string()>
                    <td>{if key.name.is_empty() { "—".to_string() } else { key.name.clone() }}</td>
                    <td class="mono">{format!("{}…", key.key_prefix)}</td>
                    <td>{cluster_name(key.cluster_id)}</td>
                    <td>{day(key.created_at)}</td>
                    <td>{key.expires_at.map(day).unwrap_or_else(|| "never".into())}</td>
                    <td>{relative_time(key.last_used_at, now)}</td>
                    <td>{state}</td>
                    <td>
                        {(state == "Active")
                            .then(|| {
                                view! {
                                    <button type="button" class="button danger-outline small" on:click=revoke>
                                        "Revoke"
                                    </button>
                                }
                            })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="keys" aria-labelledby="keys-title">
            <div class="page-head">
                <h2 id="keys-title">"Enrollment keys"</h2>
                <button type="button" class="button" on:click=move |_| dialog.set(Some(Dialog::NewKey))>
                    "New key"
                </button>
            </div>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Key"</th>
                            <th scope="col">"Cluster"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"State"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
