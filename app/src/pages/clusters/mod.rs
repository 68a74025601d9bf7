//! `/clusters`: groups of devices and the agents that reach them, with
//! create, edit, delete and wake where the signed-in user may.

pub mod detail;
mod form;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use self::form::ClusterDialog;
use crate::components::confirm::ConfirmDelete;
use crate::components::layout::SignedIn;
use crate::components::toast::{ToastKind, use_toasts};
use crate::components::wake::WakeClusterButton;
use crate::server_fns::{clusters_overview, delete_cluster};
use shared::types::{ClusterPublic, ClusterRow, ClustersOverview};

#[component]
pub fn ClustersPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Title text="Clusters" />
            <ClustersContent />
        </SignedIn>
    }
}

/// What dialog is open.
#[derive(Debug, Clone)]
enum Dialog {
    Add,
    Edit(ClusterPublic),
    Delete(ClusterPublic),
}

#[component]
fn ClustersContent() -> impl IntoView {
    let data = Resource::new(|| (), |_| clusters_overview());
    // The search starts from the address (so it works without JavaScript).
    let search = RwSignal::new(
        use_query_map()
            .with_untracked(|q| q.get("q"))
            .unwrap_or_default(),
    );
    let reload = Callback::new(move |()| data.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading clusters…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(overview) => view! { <ClustersView overview search reload /> }.into_any(),
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// Whether a cluster matches the search: name, description or a tag.
fn matches(cluster: &ClusterPublic, search: &str) -> bool {
    let needle = search.trim().to_lowercase();
    needle.is_empty()
        || cluster.name.to_lowercase().contains(&needle)
        || cluster
            .description
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains(&needle))
        || cluster
            .tags
            .iter()
            .any(|tag| tag.to_lowercase().contains(&needle))
}

#[component]
fn ClustersView(
    overview: ClustersOverview,
    search: RwSignal<String>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let dialog = RwSignal::new(None::<Dialog>);
    let total = overview.clusters.len();
    let clusters = StoredValue::new(overview.clusters);
    let visible = Memo::new(move |_| {
        let search = search.get();
        clusters.with_value(|clusters| {
            clusters
                .iter()
                .filter(|row| matches(&row.cluster, &search))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // The list stays in place while the search changes; only an empty
    // result swaps it for a message.
    let none_match = Memo::new(move |_| visible.with(Vec::is_empty));
    let close = Callback::new(move |()| dialog.set(None));
    let saved = Callback::new(move |cluster: ClusterPublic| {
        dialog.set(None);
        toasts.show(
            ToastKind::Success,
            format!("Saved {}", cluster.name),
            Vec::new(),
        );
        reload.run(());
    });
    let more = (overview.count > total as u64).then(|| {
        view! { <p class="muted">"Showing " {total} " of " {overview.count} " clusters."</p> }
    });
    view! {
        <div class="page-head">
            <h1>"Clusters"</h1>
            {overview
                .can_create
                .then(|| {
                    view! {
                        <button type="button" class="button accent" on:click=move |_| dialog.set(Some(Dialog::Add))>
                            "New cluster"
                        </button>
                    }
                })}
        </div>
        <form class="toolbar" method="get" action="/clusters" role="search" on:submit=|event| event.prevent_default()>
            <label class="visually-hidden" for="cluster-search">"Search clusters"</label>
            <input
                id="cluster-search"
                name="q"
                type="search"
                placeholder="Search name, description or tag"
                value=search.get_untracked()
                bind:value=search
            />
            <noscript>
                <button type="submit" class="button">"Search"</button>
            </noscript>
        </form>
        {more}
        {move || {
            if none_match.get() {
                return if total == 0 {
                    view! {
                        <div class="empty">
                            <h2>"No clusters yet"</h2>
                            <p class="muted">
                                "A cluster groups the devices of one network with the agents there, so they wake together."
                            </p>
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <div class="empty">
                            <h2>"No cluster matches"</h2>
                            <button type="button" class="button" on:click=move |_| search.set(String::new())>
                                "Clear search"
                            </button>
                        </div>
                    }
                        .into_any()
                };
            }
            view! {
                <p class="result-count muted" aria-live="polite">
                    {move || format!("{} of {} clusters", visible.with(Vec::len), total)}
                </p>
                <ul class="cluster-grid">
                    <For each=move || visible.get() key=|row| (row.cluster.id, row.cluster.updated_at) let:row>
                        <ClusterCard row dialog />
                    </For>
                </ul>
            }
                .into_any()
        }}
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Add => {
                        view! { <ClusterDialog existing=None on_saved=saved on_close=close /> }.into_any()
                    }
                    Dialog::Edit(cluster) => {
                        view! { <ClusterDialog existing=Some(cluster) on_saved=saved on_close=close /> }.into_any()
                    }
                    Dialog::Delete(cluster) => {
                        view! { <ConfirmDeleteCluster cluster on_close=close on_deleted=reload /> }.into_any()
                    }
                })
        }}
    }
}

#[component]
fn ClusterCard(row: ClusterRow, dialog: RwSignal<Option<Dialog>>) -> impl IntoView {
    let ClusterRow {
        cluster,
        can_manage,
    } = row;
    let href = format!("/clusters/{}", cluster.id);
    let edit = cluster.clone();
    let delete = cluster.clone();
    view! {
        <li class="cluster-card" data-cluster-id=cluster.id.to_string()>
            <header class="device-head">
                <h3>
                    <a href=href>{cluster.name.clone()}</a>
                </h3>
            </header>
            {cluster.description.clone().map(|text| view! { <p class="muted">{text}</p> })}
            <p class="counts">
                <span>{plural(cluster.device_count, "device", "devices")}</span>
                " · "
                <span>{plural(cluster.agent_count, "agent", "agents")}</span>
                {cluster.owner_name.clone().map(|owner| view! { " · " <span class="muted">"owner " {owner}</span> })}
            </p>
            {(!cluster.tags.is_empty())
                .then(|| {
                    view! {
                        <ul class="tags" aria-label="Tags">
                            {cluster.tags.iter().map(|tag| view! { <li class="chip">{tag.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {can_manage
                .then(|| {
                    view! {
                        <footer class="device-actions">
                            <WakeClusterButton id=cluster.id />
                            <button type="button" class="button" on:click=move |_| dialog.set(Some(Dialog::Edit(edit.clone())))>
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="button danger-outline"
                                on:click=move |_| dialog.set(Some(Dialog::Delete(delete.clone())))
                            >
                                "Delete"
                            </button>
                        </footer>
                    }
                })}
        </li>
    }
}

/// "1 device", "3 devices".
pub(crate) fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// The delete confirmation of a cluster.
#[component]
pub(crate) fn ConfirmDeleteCluster(
    cluster: ClusterPublic,
    on_close: Callback<()>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let id = cluster.id;
    let delete = Action::new(move |_: &()| delete_cluster(id));
    view! {
        <ConfirmDelete
            title="Delete cluster"
            name=cluster.name
            consequence="Its devices and agents stay, outside any cluster."
            delete
            on_close
            on_deleted
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, description: Option<&str>, tags: &[&str]) -> ClusterPublic {
        ClusterPublic {
            id: shared::ids::ClusterId::from_uuid(uuid::Uuid::new_v4()),
            name: name.into(),
            description: description.map(str::to_string),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            owner_id: None,
            owner_name: None,
            device_count: 0,
            agent_count: 0,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn search_looks_at_name_description_and_tags() {
        let lab = cluster("Lab", Some("Second floor"), &["Office"]);
        assert!(matches(&lab, ""));
        assert!(matches(&lab, " lab "));
        assert!(matches(&lab, "FLOOR"));
        assert!(matches(&lab, "offi"));
        assert!(!matches(&lab, "garage"));
    }

    #[test]
    fn counts_read_in_words() {
        assert_eq!(plural(1, "device", "devices"), "1 device");
        assert_eq!(plural(0, "device", "devices"), "0 devices");
    }
}
