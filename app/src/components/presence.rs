//! A device's presence: a dot with its meaning in words, for everyone
//! (not color alone), and where it was seen.

use chrono::Utc;
use leptos::prelude::*;
use shared::ids::DeviceId;
use shared::types::DevicePresence;

use crate::components::toast::{ToastKind, use_toasts};
use crate::format::{presence_class, presence_label};
use crate::server_fns::adopt_device_address;

/// "● Up for 5 min", with the agent, probe and round trip in its title;
/// and, when the device answers at another address than its own, that
/// address.
#[component]
pub fn PresenceBadge(presence: DevicePresence) -> impl IntoView {
    let label = presence_label(&presence, Utc::now());
    let detail = presence.via.as_ref().map(|via| {
        let mut detail = format!("seen by {}", via.hostname);
        if let Some(method) = presence.method {
            detail.push_str(&format!(" ({})", method.as_str()));
        }
        if let Some(rtt) = presence.rtt_ms {
            detail.push_str(&format!(", {:.1} ms", f64::from(rtt.micros) / 1000.0));
        }
        detail
    });
    let moved = presence
        .address_changed
        .then(|| presence.address.clone())
        .flatten();
    view! {
        <p class="presence" data-state=presence.state.as_str() title=detail>
            <span class=presence_class(presence.state) aria-hidden="true"></span>
            <span class="presence-label">{label}</span>
            {moved
                .map(|address| {
                    view! {
                        <span class="presence-moved">
                            "at " <span class="mono">{address}</span>
                        </span>
                    }
                })}
        </p>
    }
}

/// "Use this address": a manager of a machine that answers at another
/// address makes that address its own. A plain form post back to the page
/// before the wasm (the server function redirects to the referring page);
/// in place after, then `on_adopted` reloads what shows the device.
#[component]
pub fn AdoptAddress(id: DeviceId, on_adopted: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let busy = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match adopt_device_address(id).await {
                Ok(_) => on_adopted.run(()),
                Err(error) => toasts.show(ToastKind::Error, error.message, Vec::new()),
            }
            // The card may be gone already, redrawn with the new address.
            busy.try_set(false);
        });
    };
    view! {
        <form class="adopt-form" method="post" action="/fn/adopt_device_address" on:submit=on_submit>
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="button" disabled=move || busy.get()>
                "Use this address"
            </button>
        </form>
    }
}
