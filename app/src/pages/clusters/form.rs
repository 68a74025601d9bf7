//! The dialog that creates or changes a cluster: its name, description and
//! tags, and which devices and agents belong to it.

use leptos::prelude::*;
use shared::ids::ClusterId;

use crate::components::form::{FormError, blank_to_none, parse_tags};
use crate::components::modal::Modal;
use crate::format::status_class;
use crate::server_fns::{cluster_form_choices, create_cluster, update_cluster};
use shared::types::{ClusterCreate, ClusterMembers, ClusterPublic, ClusterUpdate, MemberChoice};

/// The add/edit dialog of a cluster (`existing`, if any): it first loads
/// the choices the form offers, so no page carries them.
#[component]
pub fn ClusterDialog(
    existing: Option<ClusterPublic>,
    on_saved: Callback<ClusterPublic>,
    on_close: Callback<()>,
) -> impl IntoView {
    let id = existing.as_ref().map(|c| c.id);
    let existing = StoredValue::new(existing);
    let choices = Resource::new(|| (), move |()| cluster_form_choices(id));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                choices
                    .get()
                    .map(|result| match result {
                        Ok(members) => {
                            view! {
                                <ClusterForm existing=existing.get_value() members on_saved on_close />
                            }
                                .into_any()
                        }
                        Err(error) => {
                            let title = if id.is_some() { "Edit cluster" } else { "New cluster" };
                            view! {
                                <Modal title=title on_close=on_close>
                                    <p class="alert error" role="alert">{error.message}</p>
                                </Modal>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// The add/edit form. `existing` is the cluster to change, if any.
#[component]
fn ClusterForm(
    existing: Option<ClusterPublic>,
    members: ClusterMembers,
    on_saved: Callback<ClusterPublic>,
    on_close: Callback<()>,
) -> impl IntoView {
    let id = existing.as_ref().map(|c| c.id);
    let title = if existing.is_some() {
        "Edit cluster"
    } else {
        "New cluster"
    };
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        existing
            .as_ref()
            .and_then(|c| c.description.clone())
            .unwrap_or_default(),
    );
    let tags = RwSignal::new(
        existing
            .as_ref()
            .map(|c| c.tags.join(", "))
            .unwrap_or_default(),
    );
    let ClusterMembers { devices, agents } = members;
    let (device_options, chosen_devices) = choices(devices, id);
    let (agent_options, chosen_agents) = choices(agents, id);
    let initial_devices = StoredValue::new(chosen_devices.get_untracked());
    let initial_agents = StoredValue::new(chosen_agents.get_untracked());
    let error = FormError::new();
    let saving = RwSignal::new(false);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        error.set(None);
        let name = name.get_untracked();
        let description = blank_to_none(description.get_untracked());
        let tags = parse_tags(&tags.get_untracked());
        let device_ids = chosen_devices.get_untracked();
        let agent_ids = chosen_agents.get_untracked();
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => {
                    let update = ClusterUpdate {
                        name: Some(name),
                        description: Some(description),
                        tags: Some(tags),
                        device_ids: initial_devices
                            .with_value(|initial| changed(device_ids, initial)),
                        agent_ids: initial_agents.with_value(|initial| changed(agent_ids, initial)),
                    };
                    update_cluster(id, update).await
                }
                None => {
                    let create = ClusterCreate {
                        name,
                        description,
                        tags: Some(tags),
                        device_ids: Some(device_ids),
                        agent_ids: Some(agent_ids),
                    };
                    create_cluster(create).await
                }
            };
            saving.set(false);
            match result {
                Ok(cluster) => on_saved.run(cluster),
                Err(failure) => error.set(Some(failure)),
            }
        });
    };

    view! {
        <Modal title=title on_close=on_close>
            <form class="form cluster-form" on:submit=on_submit novalidate>
                {error.above(&["name", "description", "tags"])}
                <label for="cluster-name">"Name"</label>
                <input
                    id="cluster-name"
                    required
                    maxlength=shared::limits::NAME_MAX
                    bind:value=name
                    aria-invalid=error.invalid("name")
                    aria-describedby="name-error"
                />
                {error.under("name")}
                <label for="cluster-description">
                    "Description " <span class="muted">"(optional)"</span>
                </label>
                <textarea
                    id="cluster-description"
                    rows="2"
                    maxlength=shared::limits::DESCRIPTION_MAX
                    bind:value=description
                    aria-invalid=error.invalid("description")
                    aria-describedby="description-error"
                ></textarea>
                {error.under("description")}
                <label for="cluster-tags">"Tags " <span class="muted">"(comma-separated)"</span></label>
                <input
                    id="cluster-tags"
                    placeholder="office, lab"
                    bind:value=tags
                    aria-invalid=error.invalid("tags")
                    aria-describedby="tags-error"
                />
                {error.under("tags")}
                <MemberPicker
                    legend="Devices"
                    id="cluster-devices"
                    empty="No devices you may move. Add devices on the dashboard."
                    options=device_options
                    chosen=chosen_devices
                    cluster=id
                />
                <MemberPicker
                    legend="Agents"
                    id="cluster-agents"
                    empty="No agents you may move. Deploy one from the Agents page."
                    options=agent_options
                    chosen=chosen_agents
                    cluster=id
                />
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save cluster" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// The choices the person may tick (the service marks what they may put
/// into this cluster, its members included) and the ids ticked at first
/// (the cluster's members).
fn choices<Id: MemberId>(
    all: Vec<MemberChoice<Id>>,
    cluster: Option<ClusterId>,
) -> (Vec<MemberChoice<Id>>, RwSignal<Vec<Id>>) {
    let chosen = all
        .iter()
        .filter(|choice| cluster.is_some() && choice.cluster_id == cluster)
        .map(|choice| choice.id)
        .collect();
    let options = all.into_iter().filter(|choice| choice.can_move).collect();
    (options, RwSignal::new(chosen))
}

/// The ticked ids, or `None` when they are the ones ticked at first (so an
/// edit that does not touch the members leaves them as they are).
fn changed<Id: PartialEq>(chosen: Vec<Id>, initial: &[Id]) -> Option<Vec<Id>> {
    let same = chosen.len() == initial.len() && chosen.iter().all(|id| initial.contains(id));
    (!same).then_some(chosen)
}

/// What a member's id must be for the picker: a device's or an agent's.
trait MemberId: Copy + Eq + std::fmt::Display + Send + Sync + 'static {}

impl<Id: Copy + Eq + std::fmt::Display + Send + Sync + 'static> MemberId for Id {}

/// Ticks for devices or agents, with a filter once the list is long.
#[component]
fn MemberPicker<Id: MemberId>(
    legend: &'static str,
    id: &'static str,
    empty: &'static str,
    options: Vec<MemberChoice<Id>>,
    chosen: RwSignal<Vec<Id>>,
    cluster: Option<ClusterId>,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let long = options.len() > 8;
    let options = StoredValue::new(options);
    let shown = move || {
        let needle = filter.get().to_lowercase();
        options.with_value(|options| {
            options
                .iter()
                .filter(|option| needle.is_empty() || option.name.to_lowercase().contains(&needle))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let count = move || chosen.with(Vec::len);
    view! {
        <fieldset class="member-picker" id=id>
            <legend>{legend} " " <span class="muted">{move || format!("({} chosen)", count())}</span></legend>
            {long
                .then(|| {
                    view! {
                        <input
                            type="search"
                            class="picker-filter"
                            placeholder=format!("Filter {}", legend.to_lowercase())
                            aria-label=format!("Filter {}", legend.to_lowercase())
                            bind:value=filter
                        />
                    }
                })}
            {move || {
                let shown = shown();
                if shown.is_empty() {
                    return view! { <p class="muted">{empty}</p> }.into_any();
                }
                view! {
                    <div class="picker-list">
                        {shown
                            .into_iter()
                            .map(|option| {
                                let option_id = option.id;
                                let elsewhere = option.cluster_id.is_some() && option.cluster_id != cluster;
                                view! {
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            value=option_id.to_string()
                                            prop:checked=move || chosen.with(|c| c.contains(&option_id))
                                            on:change=move |event| {
                                                let on = event_target_checked(&event);
                                                chosen.update(|chosen| {
                                                    chosen.retain(|id| *id != option_id);
                                                    if on {
                                                        chosen.push(option_id);
                                                    }
                                                });
                                            }
                                        />
                                        {option.status.map(|status| view! { <span class=status_class(status)></span> })}
                                        <span>{option.name}</span>
                                        {elsewhere.then(|| view! { <span class="muted small">"moves from another cluster"</span> })}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                }
                    .into_any()
            }}
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_members_are_not_sent() {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert_eq!(changed(vec![b, a], &[a, b]), None);
        assert_eq!(changed(vec![a], &[a, b]), Some(vec![a]));
        assert_eq!(changed(vec![a, b], &[a]), Some(vec![a, b]));
        assert_eq!(changed::<uuid::Uuid>(vec![], &[]), None);
    }
}
