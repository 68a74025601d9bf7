//! `/dashboard`: the devices at a glance, searchable and filterable, with
//! wake, edit and delete where the signed-in user may.
//!
//! The server searches: the page holds the summary and one page of cards,
//! never the fleet, and each search or "Show more" asks for the next page.

mod device_card;
mod device_form;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use self::device_card::{ConfirmDeleteDevice, DeviceCard};
use self::device_form::DeviceForm;
use crate::components::layout::SignedIn;
use crate::components::toast::{ToastKind, use_toasts};
use crate::format::os_label;
use crate::live::{self, LiveNotice, WakeNews};
use crate::server_fns::{dashboard, device_choices, find_devices};
use shared::types::{
    ClusterChoice, Dashboard, DeviceChoices, DevicePage, DevicePublic, DeviceQuery, OsType,
    PresenceState,
};

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
    /// The add (no device) or edit form, with the choices it offers.
    Form(Option<DevicePublic>, DeviceChoices),
    Delete(DevicePublic),
}

/// The query of the address: `q`, `os`, `cluster`, `tag`, `presence` and `limit`.
fn query_of(params: &ParamsMap) -> DeviceQuery {
    DeviceQuery {
        search: params.get("q").unwrap_or_default(),
        os: params.get("os").and_then(|os| OsType::parse(&os)),
        cluster: params.get("cluster").and_then(|id| id.parse().ok()),
        tag: params.get("tag").filter(|tag| !tag.is_empty()),
        presence: params
            .get("presence")
            .and_then(|state| PresenceState::parse(&state)),
        limit: params
            .get("limit")
            .and_then(|limit| limit.parse().ok())
            .unwrap_or(DeviceQuery::PAGE_SIZE)
            .clamp(1, DeviceQuery::MAX_LIMIT),
    }
}

/// The address that shows `query`, for links that work without JavaScript.
fn href_of(query: &DeviceQuery) -> String {
    let mut params = ParamsMap::new();
    let search = query.search.trim();
    if !search.is_empty() {
        params.insert("q", search.to_string());
    }
    if let Some(os) = query.os {
        params.insert("os", os.as_str().to_string());
    }
    if let Some(cluster) = query.cluster {
        params.insert("cluster", cluster.to_string());
    }
    if let Some(tag) = &query.tag {
        params.insert("tag", tag.clone());
    }
    if let Some(state) = query.presence {
        params.insert("presence", state.as_str().to_string());
    }
    if query.limit != DeviceQuery::PAGE_SIZE {
        params.insert("limit", query.limit.to_string());
    }
    format!("/dashboard{}", params.to_query_string())
}

#[component]
fn DashboardContent() -> impl IntoView {
    let toasts = use_toasts();
    // The search starts from the address (so it survives a reload and works
    // without JavaScript) and then follows the inputs.
    let query = RwSignal::new(use_query_map().with_untracked(query_of));
    // Moved on after a change, so both parts load again.
    let version = RwSignal::new(0_u32);
    // Moved on by live events: the cards load again, and the counts.
    let cards = RwSignal::new(0_u32);
    let counts = RwSignal::new(None::<Dashboard>);
    let summary = Resource::new(move || version.get(), |_| dashboard());
    let devices = Resource::new(
        move || (query.get(), version.get(), cards.get()),
        |(query, _, _)| find_devices(query),
    );
    let wakes = RwSignal::new(Vec::<WakeNews>::new());
    let refresh = live::debounced(move || {
        cards.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            if let Ok(dashboard) = dashboard().await {
                counts.set(Some(dashboard));
            }
        });
    });
    let connection =
        live::subscribe(
            "types=presence,wake,device,cluster".into(),
            move |event| match event.kind {
                "wake" => {
                    if let Some(news) = event.wake_news() {
                        wakes.update(|wakes| {
                            wakes.retain(|known| known.device != news.device);
                            wakes.push(news);
                        });
                    }
                }
                "reset" => version.update(|n| *n += 1),
                _ => refresh(),
            },
        );
    let dialog = RwSignal::new(None::<Dialog>);
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
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
    // The form's choices are fetched when it opens.
    let open_form = Callback::new(move |existing: Option<DevicePublic>| {
        leptos::task::spawn_local(async move {
            match device_choices().await {
                Ok(choices) => dialog.set(Some(Dialog::Form(existing, choices))),
                Err(error) => toasts.show(ToastKind::Error, error.message, Vec::new()),
            }
        });
    });
    view! {
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading devices…"</p> }>
            {move || {
                summary
                    .get()
                    .map(|result| match result {
                        Ok(dashboard) => {
                            view! { <Summary dashboard counts query open_form /> }.into_any()
                        }
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        <LiveNotice state=connection />
        <Transition fallback=|| ()>
            {move || {
                devices
                    .get()
                    .map(|result| match result {
                        Ok(page) => {
                            view! { <DeviceGrid page query dialog open_form wakes /> }.into_any()
                        }
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Form(existing, choices) => {
                        Suspend::new(device_form(existing, choices, saved, close)).into_any()
                    }
                    Dialog::Delete(device) => {
                        view! { <ConfirmDeleteDevice device on_close=close reload /> }.into_any()
                    }
                })
        }}
    }
}

/// The add and edit form, from a wasm chunk of its own that the first
/// opening loads: a first visit does not download what a person may never
/// open (docs/ARCHITECTURE.md, "Code split per page").
#[lazy]
fn device_form(
    existing: Option<DevicePublic>,
    choices: DeviceChoices,
    on_saved: Callback<DevicePublic>,
    on_close: Callback<()>,
) -> AnyView {
    let DeviceChoices { clusters, agents } = choices;
    view! { <DeviceForm existing clusters agents on_saved on_close /> }.into_any()
}

/// The heading, the counts (as `counts` has them once live events moved
/// them on) and the search.
#[component]
fn Summary(
    dashboard: Dashboard,
    counts: RwSignal<Option<Dashboard>>,
    query: RwSignal<DeviceQuery>,
    open_form: Callback<Option<DevicePublic>>,
) -> impl IntoView {
    let initial = StoredValue::new(dashboard.clone());
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
                            on:click=move |_| open_form.run(None)
                        >
                            "Add device"
                        </button>
                    }
                })}
        </div>
        {move || {
            let now = counts.get().unwrap_or_else(|| initial.get_value());
            view! {
                <section class="stats" aria-label="Summary">
                    <Stat label="Devices" value=now.device_count />
                    <Stat label="Up" value=now.devices_up tone="online" />
                    <Stat label="Down" value=now.devices_down tone="offline" />
                    <Stat label="State unknown" value=now.devices_unknown />
                    <Stat label="Clusters" value=now.cluster_count />
                    <Stat label="Agents online" value=now.agents_online tone="online" />
                    <Stat label="Agents offline" value=now.agents_offline tone="offline" />
                </section>
            }
        }}
        <Toolbar query clusters=dashboard.clusters tags=dashboard.tags />
    }
}

/// One page of cards, and "Show more" while more match.
#[component]
fn DeviceGrid(
    page: DevicePage,
    query: RwSignal<DeviceQuery>,
    dialog: RwSignal<Option<Dialog>>,
    open_form: Callback<Option<DevicePublic>>,
    wakes: RwSignal<Vec<WakeNews>>,
) -> impl IntoView {
    let DevicePage {
        devices,
        matching,
        total,
    } = page;
    if total == 0 {
        return view! {
            <div class="empty">
                <h2>"No devices yet"</h2>
                <p class="muted">
                    "Add the machines you want to wake, then link them to an agent on their network."
                </p>
            </div>
        }
        .into_any();
    }
    if matching == 0 {
        return view! {
            <div class="empty">
                <h2>"No device matches"</h2>
                <a
                    class="button"
                    href="/dashboard"
                    on:click=move |event| {
                        event.prevent_default();
                        query.set(DeviceQuery::default());
                    }
                >
                    "Clear search and filters"
                </a>
            </div>
        }
        .into_any();
    }
    let hidden = matching.saturating_sub(devices.len() as u64);
    let limit = query.with_untracked(|query| query.limit);
    let more = match hidden {
        0 => None,
        // One answer holds at most MAX_LIMIT cards.
        _ if limit >= DeviceQuery::MAX_LIMIT => Some(
            view! {
                <p class="show-more muted">
                    {format!("{hidden} more not shown: narrow the search or filters to see them.")}
                </p>
            }
            .into_any(),
        ),
        _ => {
            let next = query.with_untracked(|query| DeviceQuery {
                limit: (limit + DeviceQuery::PAGE_SIZE).min(DeviceQuery::MAX_LIMIT),
                ..query.clone()
            });
            let href = href_of(&next);
            let next_limit = next.limit;
            Some(
                view! {
                    <p class="show-more">
                        <a
                            class="button"
                            href=href
                            on:click=move |event| {
                                event.prevent_default();
                                query.update(|query| query.limit = next_limit);
                            }
                        >
                            {format!("Show {} more", hidden.min(DeviceQuery::PAGE_SIZE))}
                        </a>
                        <span class="muted">{format!(" {hidden} not shown")}</span>
                    </p>
                }
                .into_any(),
            )
        }
    };
    view! {
        <p class="result-count muted" aria-live="polite">
            {format!("{matching} of {total} devices")}
        </p>
        <ul class="device-grid">
            {devices
                .into_iter()
                .map(|device| view! { <DeviceCard device dialog open_form wakes /> })
                .collect_view()}
        </ul>
        {more}
    }
    .into_any()
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
/// page filtered; with it, the cards follow every keystroke. A new search
/// starts again from one page of cards.
#[component]
fn Toolbar(
    query: RwSignal<DeviceQuery>,
    clusters: Vec<ClusterChoice>,
    tags: Vec<String>,
) -> impl IntoView {
    let narrow = move |change: &dyn Fn(&mut DeviceQuery)| {
        query.update(|query| {
            change(query);
            query.limit = DeviceQuery::PAGE_SIZE;
        })
    };
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
                value=query.with_untracked(|q| q.search.clone())
                prop:value=move || query.with(|q| q.search.clone())
                on:input=move |event| {
                    let search = event_target_value(&event);
                    narrow(&|q| q.search = search.clone())
                }
            />
            <label class="visually-hidden" for="filter-presence">"State"</label>
            <select
                id="filter-presence"
                name="presence"
                on:change=move |event| {
                    let state = PresenceState::parse(&event_target_value(&event));
                    narrow(&|q| q.presence = state)
                }
            >
                <option value="" selected=move || query.with(|q| q.presence.is_none())>"Any state"</option>
                {[
                    (PresenceState::Up, "Up"),
                    (PresenceState::Down, "Down"),
                    (PresenceState::Unknown, "Unknown"),
                ]
                    .into_iter()
                    .map(|(state, label)| {
                        view! {
                            <option
                                value=state.as_str()
                                selected=move || query.with(|q| q.presence == Some(state))
                            >
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label class="visually-hidden" for="filter-os">"Operating system"</label>
            <select
                id="filter-os"
                name="os"
                on:change=move |event| {
                    let os = OsType::parse(&event_target_value(&event));
                    narrow(&|q| q.os = os)
                }
            >
                <option value="" selected=move || query.with(|q| q.os.is_none())>"Any OS"</option>
                {[OsType::Linux, OsType::Windows, OsType::Macos]
                    .into_iter()
                    .map(|os| {
                        view! {
                            <option value=os.as_str() selected=move || query.with(|q| q.os == Some(os))>
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
                    let cluster = event_target_value(&event).parse().ok();
                    narrow(&|q| q.cluster = cluster)
                }
            >
                <option value="" selected=move || query.with(|q| q.cluster.is_none())>
                    "Any cluster"
                </option>
                {clusters
                    .into_iter()
                    .map(|cluster| {
                        let id = cluster.id;
                        view! {
                            <option value=id.to_string() selected=move || query.with(|q| q.cluster == Some(id))>
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
                    let tag = Some(event_target_value(&event)).filter(|tag| !tag.is_empty());
                    narrow(&|q| q.tag = tag.clone())
                }
            >
                <option value="" selected=move || query.with(|q| q.tag.is_none())>"Any tag"</option>
                {tags
                    .into_iter()
                    .map(|tag| {
                        let value = tag.clone();
                        let label = tag.clone();
                        view! {
                            <option
                                value=tag
                                selected=move || query.with(|q| q.tag.as_deref() == Some(value.as_str()))
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
