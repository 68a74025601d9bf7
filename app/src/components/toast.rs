//! Short messages in a corner of the screen, read out by screen readers.

use leptos::prelude::*;

/// How a message looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

impl ToastKind {
    fn class(self) -> &'static str {
        match self {
            ToastKind::Success => "toast success",
            ToastKind::Error => "toast error",
            ToastKind::Info => "toast info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    title: String,
    lines: Vec<String>,
}

/// The messages on screen; provided by [`Toaster`].
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    /// Shows a message for a few seconds (errors stay until dismissed).
    pub fn show(&self, kind: ToastKind, title: impl Into<String>, lines: Vec<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| {
            items.push(Toast {
                id,
                kind,
                title: title.into(),
                lines,
            });
            // A long session does not pile them up.
            if items.len() > 4 {
                items.remove(0);
            }
        });
        if kind != ToastKind::Error {
            let items = self.items;
            set_timeout(
                move || items.update(|items| items.retain(|toast| toast.id != id)),
                std::time::Duration::from_secs(8),
            );
        }
    }

    fn dismiss(&self, id: u64) {
        self.items
            .update(|items| items.retain(|toast| toast.id != id));
    }
}

/// The messages of the signed-in pages, to use with [`use_toasts`].
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Provides [`Toasts`] to its children and shows them.
#[component]
pub fn Toaster(children: Children) -> impl IntoView {
    let toasts = Toasts {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toasts);
    view! {
        {children()}
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div class=toast.kind.class()>
                    <div class="toast-text">
                        <strong>{toast.title.clone()}</strong>
                        {toast
                            .lines
                            .iter()
                            .map(|line| view! { <span class="toast-line">{line.clone()}</span> })
                            .collect_view()}
                    </div>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
