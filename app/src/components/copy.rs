//! A value to copy: shown in a read-only field with a Copy button. Without
//! the clipboard API (pages served over plain http to another host) the
//! text is selected for Ctrl+C.

use leptos::prelude::*;

#[component]
pub fn CopyField(
    /// What to copy.
    #[prop(into)]
    value: String,
    /// The field's label.
    #[prop(into)]
    label: String,
    /// The field's id.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(false);
    let copy_value = value.clone();
    let copy = move |_| {
        if let Some(input) = input.get() {
            input.select();
        }
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&copy_value);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &copy_value;
        copied.set(true);
        set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
    };
    view! {
        <div class="copy-field">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id class="mono" readonly value=value node_ref=input />
                <button type="button" class="button" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
