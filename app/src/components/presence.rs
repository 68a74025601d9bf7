//! A device's presence: a dot with its meaning in words, for everyone
//! (not color alone), and where it was seen.

use chrono::Utc;
use leptos::prelude::*;
use shared::ids::DeviceId;
use shared::types::DevicePresence;

use crate::format::{presence_class, presence_label};

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
/// address makes that address its own. A plain form post, with or without
/// the wasm: the server function redirects back to the page, which shows the
/// adopted address (no script, so it costs the pages' wasm nothing).
#[component]
pub fn AdoptAddress(id: DeviceId) -> impl IntoView {
    view! {
        <form class="adopt-form" method="post" action="/fn/adopt_device_address">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="button">
                "Use this address"
            </button>
        </form>
    }
}
