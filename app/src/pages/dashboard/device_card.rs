//! One device on the dashboard: its card (OS, name, cluster, addresses,
//! tags, linked agents, and the actions its managers have) and the
//! confirmation before it is deleted.

use leptos::prelude::*;

use super::Dialog;
use crate::components::agent_link::AgentLink;
use crate::components::confirm::ConfirmDelete;
use crate::components::presence::{AdoptAddress, PresenceBadge};
use crate::components::wake::{WakeDeviceButton, WakeProgress};
use crate::format::os_label;
use crate::live::WakeNews;
use crate::server_fns::delete_device;
use shared::types::{DashboardDevice, DevicePublic, OsType};

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
pub(super) fn DeviceCard(
    device: DashboardDevice,
    dialog: RwSignal<Option<Dialog>>,
    open_form: Callback<Option<DevicePublic>>,
    wakes: RwSignal<Vec<WakeNews>>,
) -> impl IntoView {
    let DashboardDevice { device, can_manage } = device;
    let adoptable = can_manage && device.presence.address_changed;
    let id = device.id;
    let edit_device = device.clone();
    let delete_device = device.clone();
    view! {
        <li class="device-card">
            <header class="device-head">
                <OsIcon os=device.os_type />
                <h3>
                    <a href=format!("/devices/{id}") rel="external">
                        {device.name.clone()}
                    </a>
                </h3>
                {device.cluster_name.clone().map(|name| view! { <span class="badge">{name}</span> })}
            </header>
            <PresenceBadge presence=device.presence.clone() />
            {adoptable.then(|| view! { <AdoptAddress id /> })}
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
                            view! {
                                <li>
                                    <AgentLink agent=agent.clone() />
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
                            <WakeDeviceButton id />
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| open_form.run(Some(edit_device.clone()))
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
            <WakeProgress id wakes />
        </li>
    }
}

/// The delete confirmation of a device.
#[component]
pub(super) fn ConfirmDeleteDevice(
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
