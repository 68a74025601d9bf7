//! The dialog that adds or changes a device. Errors from the server appear
//! next to the field they name.

use leptos::prelude::*;
use shared::ids::AgentId;

use crate::components::agent_link::CROSSING_HINT;
use crate::components::form::{FormError, blank_to_none, parse_tags};
use crate::components::modal::Modal;
use crate::format::{os_label, status_class};
use crate::server_fns::{create_device, update_device};
use shared::access::agent_may_serve;
use shared::types::{AgentChoice, ClusterChoice, DeviceCreate, DevicePublic, DeviceUpdate, OsType};

/// The add/edit dialog. `existing` is the device to change, if any.
#[component]
pub fn DeviceForm(
    existing: Option<DevicePublic>,
    clusters: Vec<ClusterChoice>,
    agents: Vec<AgentChoice>,
    on_saved: Callback<DevicePublic>,
    on_close: Callback<()>,
) -> impl IntoView {
    let id = existing.as_ref().map(|d| d.id);
    let title = if existing.is_some() {
        "Edit device"
    } else {
        "Add device"
    };
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_default(),
    );
    let mac = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.mac_address.clone())
            .unwrap_or_default(),
    );
    let ip = RwSignal::new(
        existing
            .as_ref()
            .and_then(|d| d.ip_address.clone())
            .unwrap_or_default(),
    );
    let os = RwSignal::new(existing.as_ref().map(|d| d.os_type).unwrap_or_default());
    let cluster = RwSignal::new(existing.as_ref().and_then(|d| d.cluster_id));
    let tags = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.tags.join(", "))
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        existing
            .as_ref()
            .and_then(|d| d.description.clone())
            .unwrap_or_default(),
    );
    let chosen_agents = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.agents.iter().map(|a| a.id).collect::<Vec<AgentId>>())
            .unwrap_or_default(),
    );
    let error = FormError::new();
    let saving = RwSignal::new(false);

    // Clusters the person may put devices in, plus the device's own.
    let current_cluster = cluster.get_untracked();
    let cluster_options: Vec<ClusterChoice> = clusters
        .into_iter()
        .filter(|c| c.can_manage || Some(c.id) == current_cluster)
        .collect();
    // The agents the chosen cluster allows, and, while the device stays in
    // its cluster, the links it has that cross the cluster's edge (the
    // server keeps those; docs/API.md, "Devices"). Moving the device to
    // another cluster unticks those that no longer fit.
    let original_cluster = current_cluster;
    let linked: Vec<AgentId> = existing
        .as_ref()
        .map(|d| d.agents.iter().map(|a| a.id).collect())
        .unwrap_or_default();
    let fitting_agents = Memo::new(move |_| {
        let cluster = cluster.get();
        agents
            .iter()
            .filter(|agent| {
                agent_may_serve(agent.cluster_id, cluster)
                    || (cluster == original_cluster && linked.contains(&agent.id))
            })
            .cloned()
            .collect::<Vec<_>>()
    });
    Effect::new(move |_| {
        fitting_agents.with(|fits| {
            chosen_agents.update(|chosen| chosen.retain(|id| fits.iter().any(|a| a.id == *id)));
        });
    });

    let field_error = move |field| error.under(field);
    let invalid = move |field| error.invalid(field);
    let general_error = error.above(&[
        "name",
        "mac_address",
        "ip_address",
        "cluster_id",
        "agent_ids",
        "tags",
        "description",
    ]);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        error.set(None);
        let tags = parse_tags(&tags.get_untracked());
        let agent_ids = chosen_agents.get_untracked();
        let ip = blank_to_none(ip.get_untracked());
        let description = blank_to_none(description.get_untracked());
        let (name, mac, os, cluster) = (
            name.get_untracked(),
            mac.get_untracked(),
            os.get_untracked(),
            cluster.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => {
                    update_device(
                        id,
                        DeviceUpdate {
                            name: Some(name),
                            mac_address: Some(mac),
                            ip_address: Some(ip),
                            os_type: Some(os),
                            is_active: None,
                            description: Some(description),
                            tags: Some(tags),
                            cluster_id: Some(cluster),
                            agent_ids: Some(agent_ids),
                            // The form does not show them: they stay as they are.
                            probe: None,
                        },
                    )
                    .await
                }
                None => {
                    create_device(DeviceCreate {
                        name,
                        mac_address: mac,
                        ip_address: ip,
                        os_type: Some(os),
                        is_active: None,
                        description,
                        tags: Some(tags),
                        cluster_id: cluster,
                        agent_ids: Some(agent_ids),
                        probe: None,
                    })
                    .await
                }
            };
            saving.set(false);
            match result {
                Ok(device) => on_saved.run(device),
                Err(failure) => error.set(Some(failure)),
            }
        });
    };

    view! {
        <Modal title=title on_close=on_close>
            <form class="form device-form" on:submit=on_submit novalidate>
                {general_error}
                <label for="device-name">"Name"</label>
                <input
                    id="device-name"
                    required
                    maxlength=shared::limits::NAME_MAX
                    bind:value=name
                    aria-invalid=invalid("name")
                    aria-describedby="name-error"
                />
                {field_error("name")}
                <label for="device-mac">"MAC address"</label>
                <input
                    id="device-mac"
                    required
                    placeholder="AA:BB:CC:DD:EE:FF"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=mac
                    aria-invalid=invalid("mac_address")
                    aria-describedby="mac_address-error"
                />
                {field_error("mac_address")}
                <label for="device-ip">"IP address " <span class="muted">"(optional)"</span></label>
                <input
                    id="device-ip"
                    placeholder="192.168.1.20"
                    autocomplete="off"
                    bind:value=ip
                    aria-invalid=invalid("ip_address")
                    aria-describedby="ip_address-error"
                />
                {field_error("ip_address")}
                <label for="device-os">"Operating system"</label>
                <select
                    id="device-os"
                    on:change=move |event| {
                        if let Some(value) = OsType::parse(&event_target_value(&event)) {
                            os.set(value);
                        }
                    }
                >
                    {[OsType::Linux, OsType::Windows, OsType::Macos]
                        .into_iter()
                        .map(|choice| {
                            view! {
                                <option value=choice.as_str() selected=move || os.get() == choice>
                                    {os_label(choice)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <label for="device-cluster">"Cluster"</label>
                <select
                    id="device-cluster"
                    on:change=move |event| {
                        cluster.set(event_target_value(&event).parse().ok());
                    }
                >
                    <option value="" selected=move || cluster.get().is_none()>"No cluster"</option>
                    {cluster_options
                        .into_iter()
                        .map(|choice| {
                            let id = choice.id;
                            view! {
                                <option value=id.to_string() selected=move || cluster.get() == Some(id)>
                                    {choice.name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                {field_error("cluster_id")}
                <fieldset class="agent-choices">
                    <legend>"Agents that wake it"</legend>
                    {move || {
                        let fitting = fitting_agents.get();
                        if fitting.is_empty() {
                            view! {
                                <p class="muted">"No agents here yet: deploy one from the Agents page."</p>
                            }
                                .into_any()
                        } else {
                            fitting
                                .into_iter()
                                .map(|agent| {
                                    let agent_id = agent.id;
                                    view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                prop:checked=move || chosen_agents.get().contains(&agent_id)
                                                on:change=move |event| {
                                                    let on = event_target_checked(&event);
                                                    chosen_agents.update(|chosen| {
                                                        chosen.retain(|id| *id != agent_id);
                                                        if on {
                                                            chosen.push(agent_id);
                                                        }
                                                    });
                                                }
                                            />
                                            <span class=status_class(agent.status)></span>
                                            {agent.hostname}
                                            {(!agent_may_serve(agent.cluster_id, cluster.get_untracked()))
                                                .then(|| {
                                                    view! {
                                                        <span class="crossing" title=CROSSING_HINT>
                                                            " · other cluster"
                                                        </span>
                                                    }
                                                })}
                                        </label>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                    }}
                </fieldset>
                {field_error("agent_ids")}
                <label for="device-tags">"Tags " <span class="muted">"(comma-separated)"</span></label>
                <input
                    id="device-tags"
                    placeholder="office, storage"
                    bind:value=tags
                    aria-invalid=invalid("tags")
                    aria-describedby="tags-error"
                />
                {field_error("tags")}
                <label for="device-description">"Description " <span class="muted">"(optional)"</span></label>
                <textarea
                    id="device-description"
                    rows="2"
                    maxlength=shared::limits::DESCRIPTION_MAX
                    bind:value=description
                    aria-invalid=invalid("description")
                    aria-describedby="description-error"
                ></textarea>
                {field_error("description")}
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save device" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
