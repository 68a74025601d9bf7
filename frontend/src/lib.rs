//! Hydrates the server-rendered HTML into the interactive PowerBeacon app.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydration is synchronous; a mismatch panics before the next line runs.
    leptos::mount::hydrate_body(app::App);
    // Marks the document as interactive, for the browser tests and for
    // styles that should only apply once JavaScript has taken over.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
