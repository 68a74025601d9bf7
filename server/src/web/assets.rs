//! The built site's static files on the wire (docs/ARCHITECTURE.md, "On the
//! wire"): served from the files `cargo leptos build --release --precompress`
//! leaves next to each asset (`x.wasm.br`, `x.wasm.gz`) when the browser
//! accepts them, compressed on the fly otherwise, and revalidated by the
//! browser on every visit.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::http::{HeaderValue, Request, Response, header};
use tower_http::services::ServeDir;

/// Where the site's assets are served.
const PKG_PREFIX: &str = "/pkg/";

/// The site's icon (`public/favicon.svg`), served like the assets.
pub const ICON_PATH: &str = "/favicon.svg";

/// The app icons of the manifest, at the sizes phones ask for.
const ICONS_PREFIX: &str = "/icons/";

/// The web app manifest (`public/manifest.webmanifest`): what "Add to home
/// screen" installs.
pub const MANIFEST_PATH: &str = "/manifest.webmanifest";

/// The endings of the precompressed copies the static file server picks.
const COMPRESSED: [&str; 2] = ["br", "gz"];

/// The files of the built site under `/pkg/`, the icons and the manifest,
/// with their precompressed copies, `Last-Modified` and conditional
/// requests (`If-Modified-Since` → 304); anything not found goes to
/// `not_found` (the app's 404 page).
pub fn site_files<F>(site_root: &str, not_found: F) -> ServeDir<F> {
    ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found)
}

/// Removes precompressed copies older than the file they were made from (or
/// whose file is gone): a debug rebuild rewrites `powerbeacon.wasm` but not
/// the `.br` of an earlier release build, and serving that would pair an
/// old app with the new server. Returns the files removed.
pub fn drop_stale_precompressed(site_root: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let mut folders = vec![site_root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                folders.push(path);
            } else if is_stale_copy(&path) {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed.push(path),
                    Err(error) => tracing::warn!(
                        path = %path.display(), %error,
                        "a precompressed asset is older than its source and cannot be removed; \
                         rebuild the site"
                    ),
                }
            }
        }
    }
    removed
}

/// Whether `path` is a `.br`/`.gz` copy older than its source, or one whose
/// source is gone.
fn is_stale_copy(path: &Path) -> bool {
    let is_copy = path
        .extension()
        .and_then(|ending| ending.to_str())
        .is_some_and(|ending| COMPRESSED.contains(&ending));
    if !is_copy {
        return false;
    }
    let source = path.with_extension("");
    let modified =
        |path: &Path| -> Option<SystemTime> { std::fs::metadata(path).ok()?.modified().ok() };
    match (modified(&source), modified(path)) {
        (Some(source), Some(copy)) => source > copy,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// `Cache-Control` for what has none: the site's assets keep their names
/// from one build to the next, so browsers keep them but ask again each
/// visit (`no-cache`, answered by a 304 while `Last-Modified` holds); pages
/// and API answers are made for one person at one moment (`no-store`).
pub async fn cache_control(
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> Response<axum::body::Body> {
    let path = request.uri().path();
    let is_asset = path.starts_with(PKG_PREFIX)
        || path.starts_with(ICONS_PREFIX)
        || path == ICON_PATH
        || path == MANIFEST_PATH;
    let mut response = next.run(request).await;
    let policy = if is_asset { "no-cache" } else { "no-store" };
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    // A precompressed copy is chosen by `Accept-Encoding`, and the static
    // file server does not say so; a shared cache must not hand the brotli
    // copy to a browser that asked for gzip.
    if is_asset {
        headers
            .entry(header::VARY)
            .or_insert(HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn touch(path: &Path, age: Duration) {
        std::fs::write(path, b"x").unwrap();
        let at = SystemTime::now() - age;
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }

    #[test]
    fn only_copies_older_than_their_source_are_dropped() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        let hour = Duration::from_secs(3600);
        // A fresh build with its copies: kept.
        touch(&pkg.join("app.js"), hour * 2);
        touch(&pkg.join("app.js.br"), hour);
        touch(&pkg.join("app.js.gz"), hour);
        // A rebuilt wasm next to an earlier build's copies: dropped.
        touch(&pkg.join("app.wasm.br"), hour * 2);
        touch(&pkg.join("app.wasm.gz"), hour * 2);
        touch(&pkg.join("app.wasm"), hour);
        // A copy whose source is gone: dropped.
        touch(&pkg.join("old.css.br"), hour);
        let mut removed = drop_stale_precompressed(site.path());
        removed.sort();
        assert_eq!(
            removed,
            [
                pkg.join("app.wasm.br"),
                pkg.join("app.wasm.gz"),
                pkg.join("old.css.br")
            ]
        );
        assert!(pkg.join("app.js.br").exists() && pkg.join("app.js.gz").exists());
        assert!(pkg.join("app.wasm").exists());
    }
}
