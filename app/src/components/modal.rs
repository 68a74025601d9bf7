//! A modal dialog: labelled, closed by Escape, the close button or a click
//! outside, with focus moved into it when it opens.

use leptos::prelude::*;

/// A dialog over the page. The caller shows it conditionally.
#[component]
pub fn Modal(
    /// The dialog's heading; also its accessible name.
    #[prop(into)]
    title: String,
    /// Called when the person closes it.
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        // Focus the first field (or button) once the dialog is in the page.
        if let Some(dialog) = dialog.get() {
            let first = dialog
                .query_selector("input, select, textarea, button.primary, button.danger")
                .ok()
                .flatten();
            if let Some(element) = first {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(element) = element.dyn_into::<leptos::web_sys::HtmlElement>() {
                    let _ = element.focus();
                }
            }
        }
    });
    view! {
        <div
            class="modal-backdrop"
            on:click=move |event| {
                if event.target() == event.current_target() {
                    on_close.run(());
                }
            }
        >
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="modal-title"
                node_ref=dialog
                on:keydown=move |event| {
                    if event.key() == "Escape" {
                        on_close.run(());
                    }
                }
            >
                <header class="modal-header">
                    <h2 id="modal-title">{title}</h2>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Close"
                        on:click=move |_| on_close.run(())
                    >
                        "×"
                    </button>
                </header>
                {children()}
            </div>
        </div>
    }
}
