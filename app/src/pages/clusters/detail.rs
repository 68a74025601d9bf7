//! `/clusters/:id`: one cluster with its devices and agents, and the wake,
//! edit and delete actions its managers have.

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::form::ClusterDialog;
use super::{ConfirmDeleteCluster, plural};
use crate::components::agent_link::AgentLink;
use crate::components::layout::SignedIn;
use crate::components::presence::{AdoptAddress, PresenceBadge};
use crate::components::toast::{ToastKind, use_toasts};
use crate::components::wake::{WakeClusterButton, WakeDeviceButton, WakeProgress};
use crate::format::{os_label, relative_time, status_class, status_label, wake_counts_words};
use crate::live::{self, LiveNotice, LiveState, WakeNews};
use crate::server_fns::cluster_page;
use shared::types::{
    AgentPublic, ClusterPage, ClusterPublic, DashboardDevice, PresenceState, WakeCounts,
};

#[component]
pub fn ClusterDetailPage() -> impl IntoView {
    view! {
        <SignedIn>
            <ClusterDetailContent />
        </SignedIn>
    }
}

#[component]
fn ClusterDetailContent() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<shared::ids::ClusterId>().ok())
        })
    };
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => cluster_page(id).await,
            None => Err(shared::types::ErrorBody::new(404, "Cluster not found.")),
        }
    });
    let reload = Callback::new(move |()| data.refetch());
    // Open dialogs and the latest wake's news outlive the page's reloads.
    let dialog = RwSignal::new(None::<Dialog>);
    let wakes = RwSignal::new(Vec::<WakeNews>::new());
    let refresh = live::debounced(move || data.refetch());
    let connection = match id() {
        Some(id) => live::subscribe(format!("cluster={id}"), move |event| {
            if event.kind == "wake"
                && let Some(news) = event.wake_news()
            {
                wakes.update(|wakes| {
                    // A new wake of the cluster starts a new tally.
                    if wakes.first().is_some_and(|first| first.wake != news.wake) {
                        wakes.clear();
                    }
                    wakes.retain(|known| known.device != news.device);
                    wakes.push(news);
                });
            }
            refresh();
        }),
        None => signal(LiveState::Connecting).0,
    };
    view! {
        <LiveNotice state=connection />
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading cluster…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(page) => view! { <ClusterDetail page reload dialog wakes /> }.into_any(),
                        Err(error) => {
                            view! {
                                <Title text="Cluster" />
                                <p class="back"><a href="/clusters">"← Clusters"</a></p>
                                <p class="alert error" role="alert">{error.message}</p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// What dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Edit,
    Delete,
}

#[component]
fn ClusterDetail(
    page: ClusterPage,
    reload: Callback<()>,
    dialog: RwSignal<Option<Dialog>>,
    wakes: RwSignal<Vec<WakeNews>>,
) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let ClusterPage {
        cluster,
        can_manage,
        devices,
        agents,
    } = page;
    let close = Callback::new(move |()| dialog.set(None));
    let saved = Callback::new(move |saved: ClusterPublic| {
        dialog.set(None);
        toasts.show(
            ToastKind::Success,
            format!("Saved {}", saved.name),
            Vec::new(),
        );
        reload.run(());
    });
    let deleted = Callback::new(move |()| navigate("/clusters", Default::default()));
    let shown_cluster = StoredValue::new(cluster.clone());
    view! {
        <Title text=cluster.name.clone() />
        <p class="back"><a href="/clusters">"← Clusters"</a></p>
        <div class="page-head">
            <h1>{cluster.name.clone()}</h1>
            {can_manage
                .then(|| {
                    view! {
                        <div class="head-actions">
                            <WakeClusterButton id=cluster.id in_place=true />
                            <button type="button" class="button" on:click=move |_| dialog.set(Some(Dialog::Edit))>
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="button danger-outline"
                                on:click=move |_| dialog.set(Some(Dialog::Delete))
                            >
                                "Delete"
                            </button>
                        </div>
                    }
                })}
        </div>
        {cluster.description.clone().map(|text| view! { <p class="lead">{text}</p> })}
        <p class="counts muted">
            {plural(cluster.device_count, "device", "devices")} " · "
            {plural(cluster.agent_count, "agent", "agents")}
            {cluster.owner_name.clone().map(|owner| format!(" · owner {owner}"))}
        </p>
        <p class="tally" aria-label="Devices by state">{presence_tally(&devices)}</p>
        <WakeTally wakes />
        {(!cluster.tags.is_empty())
            .then(|| {
                view! {
                    <ul class="tags" aria-label="Tags">
                        {cluster.tags.iter().map(|tag| view! { <li class="chip">{tag.clone()}</li> }).collect_view()}
                    </ul>
                }
            })}
        <section aria-labelledby="cluster-devices-title">
            <h2 id="cluster-devices-title">"Devices"</h2>
            <DeviceTable devices wakes />
        </section>
        <section aria-labelledby="cluster-agents-title">
            <h2 id="cluster-agents-title">"Agents"</h2>
            <AgentTable agents />
        </section>
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Edit => {
                        view! {
                            <ClusterDialog
                                existing=Some(shown_cluster.get_value())
                                on_saved=saved
                                on_close=close
                            />
                        }
                            .into_any()
                    }
                    Dialog::Delete => {
                        view! {
                            <ConfirmDeleteCluster cluster=shown_cluster.get_value() on_close=close on_deleted=deleted />
                        }
                            .into_any()
                    }
                })
        }}
    }
}

/// "3 up · 1 down · 2 unknown".
fn presence_tally(devices: &[DashboardDevice]) -> String {
    let count = |state| {
        devices
            .iter()
            .filter(|device| device.device.presence.state == state)
            .count()
    };
    format!(
        "{} up · {} down · {} unknown",
        count(PresenceState::Up),
        count(PresenceState::Down),
        count(PresenceState::Unknown)
    )
}

/// The cluster's latest wake as its live events tell it: "Wake: 3 up · 1
/// waiting", linking to the wake's page.
#[component]
fn WakeTally(wakes: RwSignal<Vec<WakeNews>>) -> impl IntoView {
    move || {
        wakes.with(|wakes| {
            let first = wakes.first()?;
            let counts = WakeCounts::of(wakes.iter().map(|news| news.verdict));
            Some(view! {
                <p class="wake-progress" role="status">
                    <a href=format!("/wakes/{}", first.wake) rel="external">
                        {format!("Wake: {}", wake_counts_words(&counts))}
                    </a>
                </p>
            })
        })
    }
}

#[component]
fn DeviceTable(devices: Vec<DashboardDevice>, wakes: RwSignal<Vec<WakeNews>>) -> impl IntoView {
    if devices.is_empty() {
        return view! {
            <p class="empty-inline muted">"No devices in this cluster. Edit it to add some."</p>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"MAC"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"OS"</th>
                        <th scope="col">"Agents"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {devices
                        .into_iter()
                        .map(|DashboardDevice { device, can_manage }| {
                            let agents = if device.agents.is_empty() {
                                view! { <span class="muted">"none"</span> }.into_any()
                            } else {
                                device
                                    .agents
                                    .iter()
                                    .map(|agent| {
                                        view! {
                                            <span class="agent-chip">
                                                <AgentLink agent=agent.clone() />
                                            </span>
                                        }
                                    })
                                    .collect_view()
                                    .into_any()
                            };
                            view! {
                                <tr data-device-id=device.id.to_string()>
                                    <th scope="row">
                                        <a href=format!("/devices/{}", device.id) rel="external">
                                            {device.name.clone()}
                                        </a>
                                    </th>
                                    <td>
                                        <PresenceBadge presence=device.presence.clone() />
                                        <WakeProgress id=device.id wakes />
                                        {(can_manage && device.presence.address_changed)
                                            .then(|| view! { <AdoptAddress id=device.id /> })}
                                    </td>
                                    <td class="mono">{device.mac_address.clone()}</td>
                                    <td class="mono">{device.ip_address.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td>{os_label(device.os_type)}</td>
                                    <td>{agents}</td>
                                    <td class="actions">
                                        {can_manage.then(|| view! { <WakeDeviceButton id=device.id /> })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AgentTable(agents: Vec<AgentPublic>) -> impl IntoView {
    if agents.is_empty() {
        return view! {
            <p class="empty-inline muted">
                "No agents in this cluster: its devices cannot be woken until one joins."
            </p>
        }
        .into_any();
    }
    let now = Utc::now();
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Hostname"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Version"</th>
                        <th scope="col">"Last seen"</th>
                    </tr>
                </thead>
                <tbody>
                    {agents
                        .into_iter()
                        .map(|agent| {
                            let state = if agent.approved {
                                status_label(agent.status).to_string()
                            } else {
                                "pending approval".to_string()
                            };
                            // Viewers get no address or version (empty).
                            let address = if agent.ip.is_empty() {
                                "—".to_string()
                            } else {
                                format!("{}:{}", agent.ip, agent.port)
                            };
                            let version = if agent.version.is_empty() {
                                "—".to_string()
                            } else {
                                agent.version.clone()
                            };
                            view! {
                                <tr data-agent-id=agent.id.to_string()>
                                    <th scope="row">{agent.hostname.clone()}</th>
                                    <td class="mono">{address}</td>
                                    <td>
                                        <span class=status_class(agent.status) aria-hidden="true"></span>
                                        " " {state}
                                    </td>
                                    <td>{version}</td>
                                    <td>{relative_time(agent.last_seen, now)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
