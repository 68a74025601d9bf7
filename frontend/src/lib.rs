//! Hydrates the server-rendered HTML into the interactive PowerBeacon app.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Each page's code is a chunk of its own (app::pages::routes), so
    // hydration waits for the page's chunk (as `hydrate_lazy` does).
    // `hydrate_from_async` sets up Leptos' executor on wasm-bindgen-futures,
    // which runs this task too.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("a page has a body");
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Marks the document as interactive, for the browser tests and for
        // styles that should only apply once JavaScript has taken over.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
