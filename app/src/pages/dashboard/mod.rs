//! `/dashboard`: the devices at a glance, searchable and filterable, with
//! wake, edit and delete where the signed-in user may.

mod device_form;
pub mod filter;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use self::device_form::DeviceForm;
use self::filter::{DeviceFilter, all_tags};
use crate::components::confirm::ConfirmDelete;
use crate::components::layout::SignedIn;
use crate::components::toast::{ToastKind, use_toasts};
use crate::components::wake::WakeDeviceButton;
use crate::format::{os_label, status_class, status_label};
use crate::server_fns::{delete_device, load_dashboard};
use shared::types::{Dashboard, DashboardDevice, DevicePublic, OsType};

/// How many device cards the grid shows at first, and adds per "Show more".
const PAGE_SIZE: usize = 60;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Title text="Dashboard" />
            <DashboardContent />
        </SignedIn>
    }
}

/// What dialog is open.
#[derive(Debug, Clone)]
enum Dialog {
    Add,
    Edit(DevicePublic),
    Delete(DevicePublic),
}

#[component]
fn DashboardContent() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    let query = use_query_map();
    // The filters start from the address (so a search survives a reload and
    // works without JavaScript) and then follow the inputs.
    let initial = query.with_untracked(|q| DeviceFilter {
        search: q.get("q").unwrap_or_default(),
        os: q.get("os").and_then(|os| OsType::parse(&os)),
        cluster: q.get("cluster").and_then(|id| id.parse().ok()),
        tag: q.get("tag").filter(|tag| !tag.is_empty()),
    });
    let filter = RwSignal::new(initial);
    let dialog = RwSignal::new(None::<Dialog>);
    let reload = Callback::new(move |()| data.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading devices…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(dashboard) => {
                            view! { <DashboardView dashboard filter dialog reload /> }.into_any()
                        }
                        Err(error) => {
                            view! {
                                <p class="alert error" role="alert">{error.message}</p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn DashboardView(
    dashboard: Dashboard,
    filter: RwSignal<DeviceFilter>,
    dialog: RwSignal<Option<Dialog>>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let tags = all_tags(&dashboard.devices);
    let devices = StoredValue::new(dashboard.devices.clone());
    let clusters = dashboard.clusters.clone();
    let agents = dashboard.agents.clone();
    let total = dashboard.devices.len();
    let matching = Memo::new(move |_| {
        let filter = filter.get();
        devices.with_value(|devices| {
            devices
                .iter()
                .filter(|device| filter.matches(device))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // The grid shows a page of cards and grows on request, so a large fleet
    // renders and hydrates fast; a new search starts from one page again.
    let limit = RwSignal::new(PAGE_SIZE);
    Effect::new(move |_| {
        filter.track();
        limit.set(PAGE_SIZE);
    });
    let visible = Memo::new(move |_| {
        matching.with(|all| all.iter().take(limit.get()).cloned().collect::<Vec<_>>())
    });
    let none_match = Memo::new(move |_| matching.with(Vec::is_empty));
    let hidden = move || matching.with(Vec::len).saturating_sub(limit.get());
    let close = Callback::new(move |()| dialog.set(None));
    let saved = Callback::new(move |device: DevicePublic| {
        dialog.set(None);
        toasts.show(
            ToastKind::Success,
            format!("Saved {}", device.name),
            Vec::new(),
        );
        reload.run(());
    });
    let more = (dashboard.device_count > total as u64).then(|| {
        view! {
            <p class="muted">
                "Showing the newest " {total} " of " {dashboard.device_count} " devices."
            </p>
        }
    });
    let (form_clusters, form_agents) = (clusters.clone(), agents.clone());
    let device_form = move |existing: Option<DevicePublic>| {
        view! {
            <DeviceForm
                existing
                clusters=form_clusters.clone()
                agents=form_agents.clone()
                on_saved=saved
                on_close=close
            />
        }
        .into_any()
    };

    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
            {dashboard
                .can_create_devices
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button accent"
                            on:click=move |_| dialog.set(Some(Dialog::Add))
                        >
                            "Add device"
                        </button>
                    }
                })}
        </div>
        <section class="stats" aria-label="Summary">
            <Stat label="Devices" value=dashboard.device_count />
            <Stat label="Clusters" value=dashboard.cluster_count />
            <Stat label="Agents online" value=dashboard.agents_online tone="online" />
            <Stat label="Agents offline" value=dashboard.agents_offline tone="offline" />
        </section>
        <Toolbar filter clusters=clusters.clone() tags />
        {more}
        {move || {
            if none_match.get() {
                return if total == 0 {
                    view! {
                        <div class="empty">
                            <h2>"No devices yet"</h2>
                            <p class="muted">
                                "Add the machines you want to wake, then link them to an agent on their network."
                            </p>
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <div class="empty">
                            <h2>"No device matches"</h2>
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| filter.set(DeviceFilter::default())
                            >
                                "Clear search and filters"
                            </button>
                        </div>
                    }
                        .into_any()
                };
            }
            view! {
                <p class="result-count muted" aria-live="polite">
                    {move || format!("{} of {} devices", matching.with(Vec::len), total)}
                </p>
                <ul class="device-grid">
                    <For each=move || visible.get() key=|d| (d.device.id, d.device.updated_at) let:device>
                        <DeviceCard device dialog />
                    </For>
                </ul>
                {move || {
                    (hidden() > 0)
                        .then(|| {
                            view! {
                                <p class="show-more">
                                    <button
                                        type="button"
                                        class="button"
                                        on:click=move |_| limit.update(|limit| *limit += PAGE_SIZE)
                                    >
                                        {format!("Show {} more", hidden().min(PAGE_SIZE))}
                                    </button>
                                    <span class="muted">{format!(" {} not shown", hidden())}</span>
                                </p>
                            }
                        })
                }}
            }
                .into_any()
        }}
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Add => device_form(None),
                    Dialog::Edit(device) => device_form(Some(device)),
                    Dialog::Delete(device) => {
                        view! { <ConfirmDeleteDevice device on_close=close reload /> }.into_any()
                    }
                })
        }}
    }
}

#[component]
fn Stat(
    label: &'static str,
    value: u64,
    #[prop(optional)] tone: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="stat" data-tone=tone>
            <span class="stat-value">{value}</span>
            <span class="stat-label">{label}</span>
        </div>
    }
}

/// Search and filters. A GET form: without JavaScript, Enter reloads the
/// page filtered; with it, the list follows every keystroke.
#[component]
fn Toolbar(
    filter: RwSignal<DeviceFilter>,
    clusters: Vec<shared::types::ClusterChoice>,
    tags: Vec<String>,
) -> impl IntoView {
    view! {
        <form
            class="toolbar"
            method="get"
            action="/dashboard"
            role="search"
            on:submit=|event| event.prevent_default()
        >
            <label class="visually-hidden" for="device-search">"Search devices"</label>
            <input
                id="device-search"
                name="q"
                type="search"
                placeholder="Search name, IP, MAC or tag"
                value=filter.with_untracked(|f| f.search.clone())
                prop:value=move || filter.with(|f| f.search.clone())
                on:input=move |event| filter.update(|f| f.search = event_target_value(&event))
            />
            <label class="visually-hidden" for="filter-os">"Operating system"</label>
            <select
                id="filter-os"
                name="os"
                on:change=move |event| {
                    filter.update(|f| f.os = OsType::parse(&event_target_value(&event)))
                }
            >
                <option value="" selected=move || filter.with(|f| f.os.is_none())>"Any OS"</option>
                {[OsType::Linux, OsType::Windows, OsType::Macos]
                    .into_iter()
                    .map(|os| {
                        view! {
                            <option value=os.as_str() selected=move || filter.with(|f| f.os == Some(os))>
                                {os_label(os)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label class="visually-hidden" for="filter-cluster">"Cluster"</label>
            <select
                id="filter-cluster"
                name="cluster"
                on:change=move |event| {
                    filter.update(|f| f.cluster = event_target_value(&event).parse().ok())
                }
            >
                <option value="" selected=move || filter.with(|f| f.cluster.is_none())>
                    "Any cluster"
                </option>
                {clusters
                    .into_iter()
                    .map(|cluster| {
                        let id = cluster.id;
                        view! {
                            <option value=id.to_string() selected=move || filter.with(|f| f.cluster == Some(id))>
                                {cluster.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label class="visually-hidden" for="filter-tag">"Tag"</label>
            <select
                id="filter-tag"
                name="tag"
                on:change=move |event| {
                    let tag = event_target_value(&event);
                    filter.update(|f| f.tag = (!tag.is_empty()).then_some(tag))
                }
            >
                <option value="" selected=move || filter.with(|f| f.tag.is_none())>"Any tag"</option>
                {tags
                    .into_iter()
                    .map(|tag| {
                        let value = tag.clone();
                        let label = tag.clone();
                        view! {
                            <option
                                value=tag
                                selected=move || filter.with(|f| f.tag.as_deref() == Some(value.as_str()))
                            >
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <noscript>
                <button type="submit" class="button">"Filter"</button>
            </noscript>
        </form>
    }
}

#[component]
fn OsIcon(os: OsType) -> impl IntoView {
    let path = match os {
        OsType::Windows => "M3 5l8-1.2V11H3zM12 3.6L21 2v9h-9zM3 12h8v7.2L3 18zM12 12h9v9l-9-1.6z",
        OsType::Macos => "M4 5h16v11H4zM2 18h20v1.5H2z",
        OsType::Linux => "M3 4h18v16H3zM6 9l3 3-3 3M11 15h6",
    };
    let (fill, stroke) = match os {
        OsType::Linux => ("none", "currentColor"),
        _ => ("currentColor", "none"),
    };
    view! {
        <span class="os-icon" title=os_label(os)>
            <svg viewBox="0 0 24 24" width="20" height="20" role="img" aria-label=os_label(os)>
                <path d=path fill=fill stroke=stroke stroke-width="1.8" stroke-linejoin="round" />
            </svg>
        </span>
    }
}

#[component]
fn DeviceCard(device: DashboardDevice, dialog: RwSignal<Option<Dialog>>) -> impl IntoView {
    let DashboardDevice { device, can_manage } = device;
    let id = device.id;
    let edit_device = device.clone();
    let delete_device = device.clone();
    view! {
        <li class="device-card" data-device-id=id.to_string()>
            <header class="device-head">
                <OsIcon os=device.os_type />
                <h3>{device.name.clone()}</h3>
                {device.cluster_name.clone().map(|name| view! { <span class="badge">{name}</span> })}
            </header>
            <dl class="device-facts">
                <dt>"MAC"</dt>
                <dd class="mono">{device.mac_address.clone()}</dd>
                <dt>"IP"</dt>
                <dd class="mono">{device.ip_address.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            {(!device.tags.is_empty())
                .then(|| {
                    view! {
                        <ul class="tags" aria-label="Tags">
                            {device
                                .tags
                                .iter()
                                .map(|tag| view! { <li class="chip">{tag.clone()}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            <ul class="device-agents" aria-label="Agents">
                {if device.agents.is_empty() {
                    view! { <li class="muted">"No agent linked"</li> }.into_any()
                } else {
                    device
                        .agents
                        .iter()
                        .map(|agent| {
                            let state = status_label(agent.status);
                            view! {
                                <li>
                                    <span class=status_class(agent.status) aria-hidden="true"></span>
                                    {agent.hostname.clone()}
                                    <span class="visually-hidden">{format!(" ({state})")}</span>
                                </li>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </ul>
            {can_manage
                .then(|| {
                    view! {
                        <footer class="device-actions">
                            <WakeDeviceButton id name=device.name.clone() />
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| dialog.set(Some(Dialog::Edit(edit_device.clone())))
                            >
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="button danger-outline"
                                on:click=move |_| dialog.set(Some(Dialog::Delete(delete_device.clone())))
                            >
                                "Delete"
                            </button>
                        </footer>
                    }
                })}
        </li>
    }
}

/// The delete confirmation of a device.
#[component]
fn ConfirmDeleteDevice(
    device: DevicePublic,
    on_close: Callback<()>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = device.id;
    let delete = Action::new(move |_: &()| delete_device(id));
    view! {
        <ConfirmDelete
            title="Delete device"
            name=device.name
            consequence="Its agent links go with it."
            delete
            on_close
            on_deleted=reload
        />
    }
}
