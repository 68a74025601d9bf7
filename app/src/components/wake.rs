//! Wake buttons: each a plain form posting to its server function, with or
//! without the wasm. The server function answers with a redirect to the
//! wake's page (`/wakes/{id}`, server/src/web/plain/wake.rs), which shows
//! what each agent sent and follows the wake to its verdict. No script: the
//! buttons cost the pages' wasm nothing (docs/API.md, "Wakes").

use leptos::prelude::*;
use shared::ids::{ClusterId, DeviceId};

/// Wakes one device.
#[component]
pub fn WakeDeviceButton(id: DeviceId) -> impl IntoView {
    view! { <WakeButton label="Wake" action="/fn/wake_device" id=id.to_string() /> }
}

/// Wakes every device of a cluster.
#[component]
pub fn WakeClusterButton(id: ClusterId) -> impl IntoView {
    view! { <WakeButton label="Wake cluster" action="/fn/wake_cluster" id=id.to_string() /> }
}

/// The form of a wake. The button itself carries the id: a form post sends
/// the name and value of the button that submitted it.
#[component]
fn WakeButton(label: &'static str, action: &'static str, id: String) -> impl IntoView {
    view! {
        <form method="post" action=action>
            <button type="submit" name="id" value=id class="button accent wake">
                {label}
            </button>
        </form>
    }
}
