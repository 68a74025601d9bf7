//! What a browser receives: compressed when it says it can take it, the
//! build's precompressed copies for the site's assets, and cache headers
//! that never let a browser keep an old app or someone's page.

use std::io::Read;

use crate::helpers::{TestApp, TestDb, on_both_engines};

on_both_engines!(pages_and_json_are_compressed_for_clients_that_accept_it);

async fn fetch(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    request.send().await.expect("request sent")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

async fn pages_and_json_are_compressed_for_clients_that_accept_it(app: &TestApp) {
    // JSON: the same document, in fewer bytes.
    let plain = fetch(app, "/api/openapi.json", None).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain = plain.bytes().await.unwrap();
    let gzipped = fetch(app, "/api/openapi.json", Some("gzip")).await;
    assert_eq!(header(&gzipped, "content-encoding"), Some("gzip"));
    assert!(header(&gzipped, "vary").is_some_and(|v| v.contains("accept-encoding")));
    let gzipped = gzipped.bytes().await.unwrap();
    assert!(
        gzipped.len() * 4 < plain.len(),
        "{} of {}",
        gzipped.len(),
        plain.len()
    );
    assert_eq!(gunzip(&gzipped), plain);
    // Brotli when offered (at the level pages use, it is about as small as
    // gzip: the same document either way).
    let brotli = fetch(app, "/api/openapi.json", Some("gzip, deflate, br")).await;
    assert_eq!(header(&brotli, "content-encoding"), Some("br"));
    let brotli = brotli.bytes().await.unwrap();
    assert!(brotli.len() * 4 < plain.len());
    assert_eq!(unbrotli(&brotli), plain);

    // A page: compressed, and never stored.
    let page = fetch(app, "/setup", Some("gzip")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-encoding"), Some("gzip"));
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    let html = String::from_utf8(gunzip(&page.bytes().await.unwrap())).unwrap();
    assert!(html.contains("</html>"), "{html}");

    // Errors keep their JSON body, compressed like any other.
    let missing = fetch(app, "/api/no-such-route", Some("gzip")).await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value =
        serde_json::from_slice(&gunzip(&missing.bytes().await.unwrap())).unwrap();
    assert_eq!(body["status_code"], 404);
}

/// Static files do not touch the database: one engine is enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_served_precompressed_and_never_stale() {
    let db = TestDb::sqlite();
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let wasm = vec![7u8; 64 * 1024];
    std::fs::write(pkg.join("powerbeacon.wasm"), &wasm).unwrap();
    // The copies a release build leaves: written after their source.
    std::fs::write(pkg.join("powerbeacon.wasm.br"), b"brotli copy").unwrap();
    std::fs::write(pkg.join("powerbeacon.wasm.gz"), b"gzip copy").unwrap();
    std::fs::write(
        pkg.join("powerbeacon.js"),
        "export const x = 1;\n".repeat(100),
    )
    .unwrap();
    // Copies of an older build of this file.
    std::fs::write(pkg.join("powerbeacon.js.br"), b"stale").unwrap();
    let older = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(pkg.join("powerbeacon.js.br"))
        .unwrap()
        .set_modified(older)
        .unwrap();

    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let site_root = site.path().to_path_buf();
    let app = TestApp::spawn_with(db, |config| config.site_root = site_root).await;

    let br = fetch(&app, "/pkg/powerbeacon.wasm", Some("gzip, br")).await;
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, "content-encoding"), Some("br"));
    assert_eq!(header(&br, "content-type"), Some("application/wasm"));
    assert_eq!(header(&br, "cache-control"), Some("no-cache"));
    assert_eq!(
        header(&br, "vary"),
        Some("accept-encoding"),
        "caches keep one copy per encoding"
    );
    let last_modified = header(&br, "last-modified")
        .expect("a validator")
        .to_string();
    assert_eq!(&br.bytes().await.unwrap()[..], b"brotli copy");
    let gz = fetch(&app, "/pkg/powerbeacon.wasm", Some("gzip")).await;
    assert_eq!(header(&gz, "content-encoding"), Some("gzip"));
    assert_eq!(&gz.bytes().await.unwrap()[..], b"gzip copy");
    let plain = fetch(&app, "/pkg/powerbeacon.wasm", None).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(plain.bytes().await.unwrap().len(), wasm.len());

    // A visit after the first asks again and gets 304 while nothing changed.
    let again = app
        .client
        .get(app.url("/pkg/powerbeacon.wasm"))
        .header("accept-encoding", "br")
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The icon is kept and revalidated like the assets.
    let icon = fetch(&app, "/favicon.svg", None).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(header(&icon, "cache-control"), Some("no-cache"));
    assert!(header(&icon, "last-modified").is_some());

    // An asset that is not there: the app's 404 page.
    let missing = fetch(&app, "/pkg/missing.js", Some("br")).await;
    assert_eq!(missing.status(), 404);

    // The stale copy was removed at start-up: the script is compressed now,
    // from the current file.
    assert!(!pkg.join("powerbeacon.js.br").exists());
    let js = fetch(&app, "/pkg/powerbeacon.js", Some("br")).await;
    assert_eq!(header(&js, "content-encoding"), Some("br"));
    let js = js.bytes().await.unwrap();
    assert_ne!(&js[..], b"stale");
    assert!(js.len() < 200, "{} bytes", js.len());
    app.finish().await;
}
