//! The confirmation dialog before something is deleted.

use leptos::prelude::*;

use crate::components::modal::Modal;
use crate::components::toast::{ToastKind, use_toasts};
use shared::types::{ErrorBody, Message};

/// Asks before deleting `name`; runs `delete` on confirmation. On success
/// it closes, shows a toast and calls `on_deleted`; on failure it stays
/// open with the server's message.
#[component]
pub fn ConfirmDelete(
    /// The dialog's title and confirm button, e.g. "Delete device".
    title: &'static str,
    /// What is deleted, as people know it.
    name: String,
    /// What else goes, or stays, e.g. "Its agent links go with it.".
    consequence: &'static str,
    /// The deletion.
    delete: Action<(), Result<Message, ErrorBody>>,
    on_close: Callback<()>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let deleted_name = name.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = delete.value().get() {
            on_close.run(());
            toasts.show(
                ToastKind::Success,
                format!("Deleted {deleted_name}"),
                Vec::new(),
            );
            on_deleted.run(());
        }
    });
    let error = move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="alert error" role="alert">{error.message}</p> })
    };
    view! {
        <Modal title=title on_close=on_close>
            {error}
            <p>
                "Delete " <strong>{name}</strong> "? " {consequence} " This cannot be undone."
            </p>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="button danger"
                    disabled=move || delete.pending().get()
                    on:click=move |_| {
                        delete.dispatch(());
                    }
                >
                    {move || if delete.pending().get() { "Deleting…" } else { title }}
                </button>
            </div>
        </Modal>
    }
}
