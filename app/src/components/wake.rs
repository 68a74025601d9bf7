//! Wake buttons: each a plain form posting to its server function. Without
//! the wasm the server function answers with a redirect to the wake's page
//! (`/wakes/{id}`, server/src/web/plain/wake.rs), which shows what each agent
//! sent and follows the wake to its verdict. Once hydrated, on pages that
//! follow live events (the dashboard, a cluster's page) the form is sent in
//! place and the page stays: its events show the wake's progress, linking
//! to the wake's page (docs/API.md, "Wakes", "Live events"); a refusal
//! shows as a toast.

use leptos::prelude::*;
use shared::ids::{ClusterId, DeviceId};

use crate::components::toast::{ToastKind, use_toasts};
use crate::live::WakeNews;

/// Wakes one device, in place (the pages that show a device's progress).
#[component]
pub fn WakeDeviceButton(id: DeviceId) -> impl IntoView {
    view! { <WakeButton label="Wake" action="/fn/wake_device" id=id.to_string() in_place=true /> }
}

/// Wakes every device of a cluster; in place where the page shows its
/// tally, else on to the wake's page.
#[component]
pub fn WakeClusterButton(id: ClusterId, #[prop(optional)] in_place: bool) -> impl IntoView {
    view! { <WakeButton label="Wake cluster" action="/fn/wake_cluster" id=id.to_string() in_place /> }
}

/// The form of a wake. The button itself carries the id: a form post sends
/// the name and value of the button that submitted it.
#[component]
fn WakeButton(
    label: &'static str,
    action: &'static str,
    id: String,
    in_place: bool,
) -> impl IntoView {
    let toasts = use_toasts();
    let body = format!("id={id}");
    // One wake at a time from a button: a double click sends one.
    let busy = StoredValue::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        if !in_place {
            return;
        }
        event.prevent_default();
        if busy.get_value() {
            return;
        }
        busy.set_value(true);
        let body = body.clone();
        leptos::task::spawn_local(async move {
            if let Err(message) = post_in_place(action, &body).await {
                toasts.show(ToastKind::Error, message, Vec::new());
            }
            busy.set_value(false);
        });
    };
    view! {
        <form method="post" action=action on:submit=submit>
            <button type="submit" name="id" value=id class="button accent wake">
                {label}
            </button>
        </form>
    }
}

/// The device's latest wake as its live events tell it, linking to the
/// wake's page: "sent by 2 of 2 agents · up after 14 s".
#[component]
pub fn WakeProgress(id: DeviceId, wakes: RwSignal<Vec<WakeNews>>) -> impl IntoView {
    move || {
        wakes.with(|wakes| {
            wakes.iter().find(|news| news.device == id).map(|news| {
                view! {
                    <p class="wake-progress" role="status" data-verdict=news.verdict.as_str()>
                        <a href=format!("/wakes/{}", news.wake) rel="external">
                            {news.words.clone()}
                        </a>
                    </p>
                }
            })
        })
    }
}

/// Posts the form to its server function asking for JSON (no redirect);
/// the error's message when it is refused.
#[cfg(feature = "hydrate")]
async fn post_in_place(action: &str, body: &str) -> Result<(), String> {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::{Headers, RequestInit, Response, js_sys};

    let failed = || String::from("The wake could not be sent; try again.");
    let headers = Headers::new().map_err(|_| failed())?;
    let _ = headers.set("content-type", "application/x-www-form-urlencoded");
    let _ = headers.set("accept", "application/json");
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    let window = leptos::prelude::window();
    let response: Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(action, &init))
            .await
            .map_err(|_| failed())?
            .unchecked_into();
    if response.ok() {
        return Ok(());
    }
    let body = match response.json() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    Err(body
        .and_then(|body| js_sys::Reflect::get(&body, &JsValue::from_str("message")).ok())
        .and_then(|message| message.as_string())
        .unwrap_or_else(failed))
}

#[cfg(not(feature = "hydrate"))]
async fn post_in_place(_action: &str, _body: &str) -> Result<(), String> {
    Ok(())
}
