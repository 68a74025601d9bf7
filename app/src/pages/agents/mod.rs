//! `/agents`: the agents, their state and networks; approving and deleting
//! them. How new agents join (enrollment keys, the install command, open
//! registration) is in `keys.rs`.

mod keys;

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;

use self::keys::{InstallDialog, KeysSection, NewKeyDialog, RegistrationSection};
use crate::components::confirm::ConfirmDelete;
use crate::components::layout::SignedIn;
use crate::components::toast::{ToastKind, use_toasts};
use crate::format::{presence_probes, relative_time};
use crate::live::{self, LiveNotice};
use crate::server_fns::{agents_overview, approve_agent, delete_agent};
use shared::types::{AgentPublic, AgentRow, AgentStatus, AgentsOverview};

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
    let data = Resource::new(|| (), |_| agents_overview());
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(StatusFilter::All);
    let dialog = RwSignal::new(None::<Dialog>);
    let reload = Callback::new(move |()| data.refetch());
    let refresh = live::debounced(move || data.refetch());
    let connection = live::subscribe("types=agent".into(), move |_| refresh());
    view! {
        <LiveNotice state=connection />
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
                        view! { <ConfirmDeleteAgent agent=*agent on_close=close reload /> }.into_any()
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
                <dt>"Presence"</dt>
                <dd>{presence_probes(&agent.features)}</dd>
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

/// The delete confirmation of an agent.
#[component]
fn ConfirmDeleteAgent(
    agent: AgentPublic,
    on_close: Callback<()>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = agent.id;
    let delete = Action::new(move |_: &()| delete_agent(id));
    view! {
        <ConfirmDelete
            title="Delete agent"
            name=agent.hostname
            consequence="Its devices lose it as a way to wake. A running agent enrolls again by itself while its key is valid: revoke the key to keep it out."
            delete
            on_close
            on_deleted=reload
        />
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
            features: Vec::new(),
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
