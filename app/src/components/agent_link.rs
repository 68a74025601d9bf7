//! An agent as a device lists it: its state, its name, and a mark when the
//! link crosses a cluster's edge (docs/API.md, "Devices").

use leptos::prelude::*;
use shared::types::DeviceAgentPublic;

use crate::format::{status_class, status_label};

/// What the mark on a crossing link says when pointed at or read aloud.
pub const CROSSING_HINT: &str = "This agent is not in the device's cluster. Wakes still use it; \
     edit the device to drop the link, or move the agent.";

/// One linked agent: a status dot, the hostname, and "other cluster" when
/// the agent sits outside the device's cluster.
#[component]
pub fn AgentLink(agent: DeviceAgentPublic) -> impl IntoView {
    let state = status_label(agent.status);
    view! {
        <span class=status_class(agent.status) aria-hidden="true"></span>
        {agent.hostname}
        <span class="visually-hidden">{format!(" ({state})")}</span>
        {agent
            .crosses_cluster
            .then(|| {
                view! {
                    <span class="crossing" title=CROSSING_HINT>
                        " · other cluster"
                        <span class="visually-hidden">{format!(": {CROSSING_HINT}")}</span>
                    </span>
                }
            })}
    }
}
