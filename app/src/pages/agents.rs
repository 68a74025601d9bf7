//! `/agents`: the agents, their state and networks; approving and deleting
//! them; enrollment keys; and the command that installs a new one.

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::ids::ClusterId;

use crate::components::copy::CopyField;
use crate::components::layout::SignedIn;
use crate::components::modal::Modal;
use crate::components::toast::{ToastKind, use_toasts};
use crate::format::{day, relative_time, size};
use crate::server_fns::{
    approve_agent, create_enrollment_key, delete_agent, install_command, load_agents_overview,
    revoke_enrollment_key, set_agent_registration,
};
use shared::types::{
    AgentInstall, AgentPublic, AgentRow, AgentStatus, AgentsOverview, ClusterChoice,
    EnrollmentKeyCreate, EnrollmentKeyCreated, EnrollmentKeyPublic,
};

#[component]
pub fn AgentsPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Title text="Agents" />
            <AgentsContent />
        </SignedIn>
    }
}

/// Which agents the status filter lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    All,
    Online,
    Offline,
    Pending,
}

impl StatusFilter {
    fn parse(text: &str) -> Self {
        match text {
            "online" => Self::Online,
            "offline" => Self::Offline,
            "pending" => Self::Pending,
            _ => Self::All,
        }
    }

    fn admits(self, agent: &AgentPublic) -> bool {
        match self {
            Self::All => true,
            Self::Online => agent.status == AgentStatus::Online,
            Self::Offline => agent.approved && agent.status == AgentStatus::Offline,
            Self::Pending => !agent.approved,
        }
    }
}

/// Whether the search text matches hostname, IP, OS or cluster.
fn agent_matches(agent: &AgentPublic, search: &str) -> bool {
    let needle = search.trim().to_lowercase();
    needle.is_empty()
        || agent.hostname.to_lowercase().contains(&needle)
        || agent.ip.contains(&needle)
        || agent.os.to_lowercase().contains(&needle)
        || agent
            .cluster_name
            .as_deref()
            .is_some_and(|name| name.to_lowercase().contains(&needle))
}

#[derive(Debug, Clone)]
enum Dialog {
    Install,
    NewKey,
    Delete(Box<AgentPublic>),
}

#[component]
fn AgentsContent() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_agents_overview());
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(StatusFilter::All);
    let dialog = RwSignal::new(None::<Dialog>);
    let reload = Callback::new(move |()| data.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading agents…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(overview) => {
                            view! { <AgentsView overview search status dialog reload /> }.into_any()
                        }
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn AgentsView(
    overview: AgentsOverview,
    search: RwSignal<String>,
    status: RwSignal<StatusFilter>,
    dialog: RwSignal<Option<Dialog>>,
    reload: Callback<()>,
) -> impl IntoView {
    let agents = StoredValue::new(overview.agents.clone());
    let total = overview.agents.len();
    let online = overview
        .agents
        .iter()
        .filter(|row| row.agent.status == AgentStatus::Online)
        .count();
    let pending = overview
        .agents
        .iter()
        .filter(|row| !row.agent.approved)
        .count();
    let offline = total - online - pending;
    let visible = Memo::new(move |_| {
        let (search, status) = (search.get(), status.get());
        agents.with_value(|agents| {
            agents
                .iter()
                .filter(|row| status.admits(&row.agent) && agent_matches(&row.agent, &search))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let is_admin = overview.is_admin;
    let clusters = StoredValue::new(overview.clusters.clone());
    let platforms = StoredValue::new(overview.platforms.clone());
    let close = Callback::new(move |()| dialog.set(None));

    view! {
        <div class="page-head">
            <h1>"Agents"</h1>
            {is_admin
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button accent"
                            on:click=move |_| dialog.set(Some(Dialog::Install))
                        >
                            "Install an agent"
                        </button>
                    }
                })}
        </div>
        <section class="stats" aria-label="Summary">
            <div class="stat"><span class="stat-value">{total}</span><span class="stat-label">"Agents"</span></div>
            <div class="stat" data-tone="online"><span class="stat-value">{online}</span><span class="stat-label">"Online"</span></div>
            <div class="stat" data-tone="offline"><span class="stat-value">{offline}</span><span class="stat-label">"Offline"</span></div>
            <div class="stat"><span class="stat-value">{pending}</span><span class="stat-label">"Awaiting approval"</span></div>
        </section>
        <form class="toolbar" role="search" on:submit=|event| event.prevent_default()>
            <label class="visually-hidden" for="agent-search">"Search agents"</label>
            <input
                id="agent-search"
                type="search"
                placeholder="Search hostname, IP, OS or cluster"
                value=search.get_untracked()
                prop:value=move || search.get()
                on:input=move |event| search.set(event_target_value(&event))
            />
            <label class="visually-hidden" for="agent-status">"Status"</label>
            <select
                id="agent-status"
                on:change=move |event| status.set(StatusFilter::parse(&event_target_value(&event)))
            >
                <option value="all">"Any status"</option>
                <option value="online">"Online"</option>
                <option value="offline">"Offline"</option>
                <option value="pending">"Awaiting approval"</option>
            </select>
        </form>
        {move || {
            let shown = visible.get();
            if shown.is_empty() {
                let text = if total == 0 {
                    "No agents yet. Install one on an always-on host in each network."
                } else {
                    "No agent matches."
                };
                return view! { <div class="empty"><p>{text}</p></div> }.into_any();
            }
            view! {
                <ul class="agent-grid">
                    <For each=move || visible.get() key=|row| (row.agent.id, row.agent.last_seen, row.agent.approved) let:row>
                        <AgentCard row is_admin dialog reload />
                    </For>
                </ul>
            }
                .into_any()
        }}
        {is_admin
            .then(|| {
                view! {
                    <RegistrationSection open=overview.open_registration reload />
                    <KeysSection keys=overview.keys.clone() clusters=overview.clusters.clone() dialog reload />
                }
            })}
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Install => {
                        view! {
                            <InstallDialog
                                clusters=clusters.get_value()
                                platforms=platforms.get_value()
                                on_close=close
                                reload
                            />
                        }
                            .into_any()
                    }
                    Dialog::NewKey => {
                        view! { <NewKeyDialog clusters=clusters.get_value() on_close=close reload /> }
                            .into_any()
                    }
                    Dialog::Delete(agent) => {
                        view! { <ConfirmDelete agent=*agent on_close=close reload /> }.into_any()
                    }
                })
        }}
    }
}

#[component]
fn AgentCard(
    row: AgentRow,
    is_admin: bool,
    dialog: RwSignal<Option<Dialog>>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let AgentRow { agent, can_delete } = row;
    let (state, label) = match (agent.approved, agent.status) {
        (false, _) => ("pending", "Awaiting approval"),
        (true, AgentStatus::Online) => ("online", "Online"),
        (true, AgentStatus::Offline) => ("offline", "Offline"),
    };
    let id = agent.id;
    let hostname = agent.hostname.clone();
    let approving = RwSignal::new(false);
    let approve = move |_| {
        approving.set(true);
        let hostname = hostname.clone();
        leptos::task::spawn_local(async move {
            match approve_agent(id).await {
                Ok(_) => {
                    toasts.show(
                        ToastKind::Success,
                        format!("Approved {hostname}"),
                        Vec::new(),
                    );
                    reload.run(());
                }
                Err(error) => {
                    approving.set(false);
                    toasts.show(ToastKind::Error, error.message, Vec::new());
                }
            }
        });
    };
    let to_delete = agent.clone();
    view! {
        <li class="agent-card" data-agent-id=id.to_string()>
            <header class="device-head">
                <h3>{agent.hostname.clone()}</h3>
                <span class=format!("status-badge {state}")>{label}</span>
            </header>
            <dl class="device-facts">
                <dt>"Address"</dt>
                <dd class="mono">{format!("{}:{}", agent.ip, agent.port)}</dd>
                <dt>"System"</dt>
                <dd>{format!("{} · agent {}", agent.os, agent.version)}</dd>
                <dt>"Last seen"</dt>
                <dd>{relative_time(agent.last_seen, Utc::now())}</dd>
                <dt>"Cluster"</dt>
                <dd>{agent.cluster_name.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Devices"</dt>
                <dd>{agent.device_count}</dd>
            </dl>
            {(!agent.interfaces.is_empty())
                .then(|| {
                    view! {
                        <ul class="interfaces" aria-label="Networks">
                            {agent
                                .interfaces
                                .iter()
                                .map(|interface| {
                                    view! {
                                        <li class="mono">
                                            {format!("{} {}/{}", interface.name, interface.address, interface.prefix)}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <footer class="device-actions">
                {(is_admin && !agent.approved)
                    .then(|| {
                        view! {
                            <button type="button" class="button accent" disabled=move || approving.get() on:click=approve>
                                "Approve"
                            </button>
                        }
                    })}
                {can_delete
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button danger-outline"
                                on:click=move |_| dialog.set(Some(Dialog::Delete(Box::new(to_delete.clone()))))
                            >
                                "Delete"
                            </button>
                        }
                    })}
            </footer>
        </li>
    }
}

#[component]
fn ConfirmDelete(
    agent: AgentPublic,
    on_close: Callback<()>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let busy = RwSignal::new(false);
    let id = agent.id;
    let hostname = agent.hostname.clone();
    let confirm = move |_| {
        busy.set(true);
        let hostname = hostname.clone();
        leptos::task::spawn_local(async move {
            let result = delete_agent(id).await;
            on_close.run(());
            match result {
                Ok(_) => {
                    toasts.show(
                        ToastKind::Success,
                        format!("Deleted {hostname}"),
                        Vec::new(),
                    );
                    reload.run(());
                }
                Err(error) => toasts.show(ToastKind::Error, error.message, Vec::new()),
            }
        });
    };
    view! {
        <Modal title="Delete agent" on_close=on_close>
            <p>
                "Delete " <strong>{agent.hostname.clone()}</strong>
                "? Its devices lose it as a way to wake. A running agent enrolls again by itself while its key is valid: revoke the key to keep it out."
            </p>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="button danger" disabled=move || busy.get() on:click=confirm>
                    "Delete agent"
                </button>
            </div>
        </Modal>
    }
}

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
fn InstallDialog(
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
            let answer = install_command(request).await.map_err(|e| e.message);
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
fn NewKeyDialog(
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
fn RegistrationSection(open: bool, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let switch = move |_| {
        leptos::task::spawn_local(async move {
            match set_agent_registration(!open).await {
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
fn KeysSection(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(hostname: &str, approved: bool, status: AgentStatus) -> AgentPublic {
        AgentPublic {
            id: shared::ids::AgentId::from_uuid(uuid::Uuid::new_v4()),
            hostname: hostname.into(),
            ip: "192.0.2.5".into(),
            port: 18080,
            os: "linux".into(),
            version: "1.0.0".into(),
            cluster_id: None,
            owner_id: None,
            owner_name: None,
            status,
            last_seen: None,
            created_at: Utc::now(),
            cluster_name: Some("Lab".into()),
            device_count: 0,
            approved,
            interfaces: Vec::new(),
        }
    }

    #[test]
    fn status_filter_tells_pending_from_offline() {
        let online = agent("a", true, AgentStatus::Online);
        let offline = agent("b", true, AgentStatus::Offline);
        let pending = agent("c", false, AgentStatus::Offline);
        assert!(StatusFilter::Online.admits(&online));
        assert!(StatusFilter::Offline.admits(&offline));
        assert!(!StatusFilter::Offline.admits(&pending));
        assert!(StatusFilter::Pending.admits(&pending));
        assert!(StatusFilter::All.admits(&pending));
    }

    #[test]
    fn search_covers_hostname_ip_os_and_cluster() {
        let a = agent("Gateway", true, AgentStatus::Online);
        for hit in ["gate", "192.0.2", "LINUX", "lab", ""] {
            assert!(agent_matches(&a, hit), "{hit}");
        }
        assert!(!agent_matches(&a, "office"));
    }
}
