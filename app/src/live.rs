//! Live updates: once hydrated, a page listens to `/api/events` (docs/API.md,
//! "Live events") through the browser's `EventSource`, which signs in with
//! the session cookie and reconnects by itself with `Last-Event-ID`. Pages
//! react to each event's type and a few of its fields; they read the rest
//! again through their server functions, so the wasm carries no event
//! shapes (the data is parsed by the browser's `JSON.parse`). Without
//! JavaScript nothing here runs, and pages show the state they were
//! rendered with.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsValue;
use shared::ids::DeviceId;
use shared::types::{Elapsed, WakeVerdict};

use crate::format::wake_progress_words;

/// The connection, for a quiet "reconnecting…".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not connected yet (or no JavaScript).
    Connecting,
    Live,
    /// Lost; the browser tries again and catches up after.
    Reconnecting,
}

/// One event: its type (`presence`, `wake`, `agent`, `device`, `cluster`,
/// or `reset`: reload everything) and its data.
pub struct LiveEvent<'a> {
    pub kind: &'a str,
    data: &'a JsValue,
}

impl LiveEvent<'_> {
    /// A text field of the data.
    pub fn text(&self, name: &str) -> Option<String> {
        field(self.data, name).and_then(|value| value.as_string())
    }

    /// A number field of the data.
    pub fn number(&self, name: &str) -> Option<f64> {
        field(self.data, name).and_then(|value| value.as_f64())
    }

    /// What a `wake` event tells of a device's part in a wake.
    pub fn wake_news(&self) -> Option<WakeNews> {
        // The spelling serde reads too: no second parser in the wasm.
        let time = |name| {
            self.text(name)?
                .parse::<chrono::DateTime<chrono::Utc>>()
                .ok()
        };
        let count = |name| self.number(name).map(|n| n as usize);
        let verdict: WakeVerdict = self.text("verdict")?.parse().ok()?;
        let seconds_to_up = self.number("seconds_to_up").map(|seconds| Elapsed {
            millis: (seconds * 1000.0).round() as u64,
        });
        let timeout_s = (time("deadline")? - time("requested_at")?).num_seconds();
        Some(WakeNews {
            device: self.text("device_id")?.parse().ok()?,
            wake: self.text("wake_id")?,
            verdict,
            words: wake_progress_words(
                verdict,
                seconds_to_up,
                timeout_s,
                count("sent_by")?,
                count("agents")?,
            ),
        })
    }
}

/// A device's part in a wake, as its latest `wake` event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeNews {
    pub device: DeviceId,
    /// The wake's id, for its page (`/wakes/{id}`).
    pub wake: String,
    pub verdict: WakeVerdict,
    /// "sent by 2 of 2 agents · up after 14 s".
    pub words: String,
}

#[cfg(feature = "hydrate")]
fn field(data: &JsValue, name: &str) -> Option<JsValue> {
    leptos::web_sys::js_sys::Reflect::get(data, &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

#[cfg(not(feature = "hydrate"))]
fn field(_data: &JsValue, _name: &str) -> Option<JsValue> {
    None
}

/// Listens to the events `query` asks for (`types=…&cluster=…`) for as long
/// as the calling component lives, handing each to `on_event`; the state
/// of the connection.
pub fn subscribe(
    query: String,
    on_event: impl Fn(LiveEvent<'_>) + 'static,
) -> ReadSignal<LiveState> {
    let (state, set_state) = signal(LiveState::Connecting);
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::wasm_bindgen::closure::Closure;
        use leptos::web_sys::{EventSource, MessageEvent};

        let Ok(source) = EventSource::new(&format!("/api/events?{query}")) else {
            return state;
        };
        let on_event = std::rc::Rc::new(on_event);
        let mut listeners = Vec::new();
        // Every event type, the `reset` after a gap too long to fill, and
        // the `ready` each connection starts with.
        let kinds = [
            "presence", "wake", "agent", "device", "cluster", "reset", "ready",
        ];
        for kind in kinds {
            let on_event = on_event.clone();
            let listener = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
                set_state.set(LiveState::Live);
                let Some(text) = message.data().as_string() else {
                    return;
                };
                let Ok(data) = leptos::web_sys::js_sys::JSON::parse(&text) else {
                    return;
                };
                if kind != "ready" {
                    on_event(LiveEvent { kind, data: &data });
                }
            });
            let _ =
                source.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            listeners.push(listener);
        }
        // The browser reconnects by itself, with Last-Event-ID.
        let lost = Closure::<dyn Fn()>::new(move || set_state.set(LiveState::Reconnecting));
        source.set_onerror(Some(lost.as_ref().unchecked_ref()));
        let source = StoredValue::new_local((source, listeners, lost));
        on_cleanup(move || source.with_value(|(source, _, _)| source.close()));
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (query, on_event, set_state);
    }
    state
}

/// "Reconnecting…" while the connection is lost; nothing otherwise.
#[component]
pub fn LiveNotice(state: ReadSignal<LiveState>) -> impl IntoView {
    view! {
        <p class="live-notice muted" role="status" aria-live="polite">
            {move || (state.get() == LiveState::Reconnecting).then_some("Reconnecting…")}
        </p>
    }
}

/// Runs `task` at most once a second however often it is asked for: pages
/// read again after a burst of events, not once per event.
pub fn debounced(task: impl Fn() + Send + Sync + 'static) -> impl Fn() + Copy + 'static {
    let pending = StoredValue::new(false);
    let task = Callback::new(move |()| task());
    move || {
        if pending.get_value() {
            return;
        }
        pending.set_value(true);
        set_timeout(
            move || {
                pending.set_value(false);
                task.run(());
            },
            std::time::Duration::from_secs(1),
        );
    }
}
