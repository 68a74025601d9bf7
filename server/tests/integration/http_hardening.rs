//! The HTTP surface a browser or an attacker meets: security headers, CSRF
//! and DNS-rebinding refusals, server-function input limits, slow clients,
//! and the addresses the server will (not) call for agents.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, TestDb, assert_error, on_both_engines, with_both_databases};
use crate::web::sign_in;

on_both_engines!(
    every_response_carries_the_security_headers,
    pages_allow_only_their_own_scripts,
    browser_state_changes_must_say_where_they_come_from,
    server_functions_take_only_their_encodings_and_size,
    agents_are_never_called_at_metadata_addresses,
    open_registration_has_a_cap_on_pending_agents,
    install_commands_name_only_known_hosts,
);

/// Tests that start a server with a configuration of their own.
mod configured {
    use super::*;

    with_both_databases!(
        setup_from_another_machine_needs_the_logged_code,
        browsers_act_only_for_configured_host_names,
        slow_clients_are_cut_off_while_others_are_served,
        agents_outside_the_operators_networks_and_ports_are_refused,
    );
}

async fn every_response_carries_the_security_headers(app: &TestApp) {
    for path in [
        "/health",
        "/api/devices",
        "/api/nope",
        "/login",
        "/nope",
        "/api/openapi.json",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

async fn pages_allow_only_their_own_scripts(app: &TestApp) {
    let response = app.get("/login").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's CSP");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Every inline script of the page carries this render's nonce.
    let document = scraper::Html::parse_document(&html);
    let scripts = scraper::Selector::parse("script").unwrap();
    let mut inline = 0;
    for script in document.select(&scripts) {
        if script.value().attr("src").is_none() {
            inline += 1;
            assert_eq!(
                script.value().attr("nonce"),
                Some(nonce),
                "{}",
                script.html()
            );
        }
    }
    assert!(inline > 0, "the page hydrates through an inline script");
    // A new render, a new nonce.
    let again = app.get("/login").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
}

async fn browser_state_changes_must_say_where_they_come_from(app: &TestApp) {
    app.init_superuser("root").await;
    let cookie = sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let post = |headers: &[(&str, String)]| {
        let mut request = app
            .client
            .post(app.url("/fn/dashboard"))
            .header("cookie", &cookie)
            .header("accept", "application/json")
            .json(&json!({}));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send()
    };
    // A session cookie and nothing that tells where the request came from.
    assert_error(post(&[]).await.unwrap(), 403).await;
    assert_error(
        post(&[("sec-fetch-site", "same-site".into())])
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_error(
        post(&[("origin", "http://evil.example".into())])
            .await
            .unwrap(),
        403,
    )
    .await;
    // From a page of this server.
    assert_eq!(
        post(&[("origin", app.url(""))]).await.unwrap().status(),
        200
    );
    assert_eq!(
        post(&[("sec-fetch-site", "same-origin".into())])
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(&[("referer", app.url("/dashboard"))])
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn server_functions_take_only_their_encodings_and_size(app: &TestApp) {
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(app.url("/fn/sign_in"))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body)
            .send()
    };
    // text/plain is what another site can post without asking first.
    assert_error(
        send("text/plain", b"username=a&password=b".to_vec())
            .await
            .unwrap(),
        415,
    )
    .await;
    assert_error(
        send("multipart/form-data; boundary=x", b"--x--".to_vec())
            .await
            .unwrap(),
        415,
    )
    .await;
    // Larger than --max-body-bytes, declared or streamed. Declared: the
    // server answers from the headers, without reading the body (a client
    // still writing it may see the connection close under it, so this one
    // sends only the headers and reads the answer).
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /fn/sign_in HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                1024 * 1024 + 1
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Streamed in chunks, with no length given.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /fn/sign_in HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\
              Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..17 {
        let header = format!("{:x}\r\n", chunk.len());
        if stream.write_all(header.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break; // the server stopped reading: it has answered
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // A body that does not decode: 400, never 500.
    let response = app
        .client
        .post(app.url("/fn/create_cluster"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, 400).await;
}

async fn setup_from_another_machine_needs_the_logged_code(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let init = |code: Option<&str>| {
        app.client
            .post(app.url("/api/setup/init"))
            .header("x-forwarded-for", "203.0.113.50")
            .json(
                &json!({"username": "root", "password": crate::helpers::TEST_PASSWORD,
                          "setup_code": code}),
            )
            .send()
    };
    assert_error(init(None).await.unwrap(), 403).await;
    assert_error(init(Some("not-the-code")).await.unwrap(), 403).await;
    let code = app
        .services
        .setup_code()
        .await
        .unwrap()
        .expect("a code while not set up");
    assert_eq!(code.len(), 12);
    assert_eq!(
        app.services.setup_code().await.unwrap().as_deref(),
        Some(code.as_str()),
        "one code, kept"
    );
    assert_eq!(init(Some(&code)).await.unwrap().status(), 200);
    assert_eq!(
        app.services.setup_code().await.unwrap(),
        None,
        "no code once set up"
    );
    app.finish().await;
}

async fn browsers_act_only_for_configured_host_names(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| {
        config.allowed_hosts = vec!["wol.lan".into()];
    })
    .await;
    let init = |host: &str, origin: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/api/setup/init"))
            .header("host", host)
            .json(&json!({"username": "root", "password": crate::helpers::TEST_PASSWORD}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // A rebound name: the browser thinks it is talking to evil.example.
    let response = init("evil.example:3000", Some("http://evil.example:3000".into()))
        .await
        .unwrap();
    let body = assert_error(response, 421).await;
    assert!(
        body["details"]
            .as_str()
            .unwrap()
            .contains("--allowed-hosts"),
        "{body}"
    );
    let status: serde_json::Value = app.get("/api/setup/status").await.json().await.unwrap();
    assert_eq!(
        status["is_setup_complete"], false,
        "nobody claimed the instance"
    );

    // A configured name works from a browser.
    let response = init("wol.lan:3000", Some("http://wol.lan:3000".into()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Scripts and agents, which send no browser headers, are not affected.
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("host", "powerbeacon.internal:3000")
        .form(&[
            ("username", "root"),
            ("password", crate::helpers::TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.finish().await;
}

async fn slow_clients_are_cut_off_while_others_are_served(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| config.header_timeout_seconds = 1).await;
    // Many clients that start a request and never finish its headers.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Others are served meanwhile.
    let started = Instant::now();
    assert_eq!(app.get("/health").await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // The slow ones are cut off within the timeout (and a little).
    for mut stream in slow {
        let mut buffer = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buffer))
            .await
            .expect("the server closes a slow connection within the timeout");
        let closed = match read {
            Ok(0) | Err(_) => true,
            // hyper may answer 408 before closing.
            Ok(n) => String::from_utf8_lossy(&buffer[..n]).contains("408"),
        };
        assert!(closed);
    }
    app.finish().await;
}

async fn agents_are_never_called_at_metadata_addresses(app: &TestApp) {
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    for ip in ["169.254.169.254", "100.100.100.200", "fd00:ec2::254"] {
        let response = app
            .post_json(
                "/api/agents/register",
                &json!({"hostname": "meta", "ip": ip, "port": 80, "os": "linux",
                        "version": "1", "enrollment_key": key}),
            )
            .await;
        let body = assert_error(response, 422).await;
        assert_eq!(body["details"], "ip", "{ip}");
    }
    // An agent stored with such an address (an older version allowed it)
    // is not called when a wake comes.
    let agent = app.insert_agent("old-agent", None, true).await;
    app.raw_sql(&format!(
        "UPDATE agents SET ip = '100.100.100.200', port = 80 WHERE id = '{agent}'"
    ))
    .await;
    let device: serde_json::Value = app
        .send(
            app.client.post(app.url("/api/devices")).json(&json!({
                "name": "pc", "mac_address": "AA:00:00:00:00:09", "agent_ids": [agent],
            })),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .send(
            app.client.post(app.url(&format!(
                "/api/devices/{}/wake",
                device["id"].as_str().unwrap()
            ))),
            &root,
        )
        .await;
    let body = assert_error(response, 503).await;
    assert!(
        body["details"].as_str().unwrap().contains("metadata"),
        "{body}"
    );
}

async fn agents_outside_the_operators_networks_and_ports_are_refused(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| {
        config.agent_networks = vec!["10.0.0.0/8".parse().unwrap()];
        config.agent_ports = backend::domain::PortRange {
            first: 20000,
            last: 20010,
        };
    })
    .await;
    let root = app.root_token().await;
    let key = app.enrollment_key(&root, None).await;
    let register = |ip: &'static str, port: u16| {
        let body = json!({"hostname": format!("a-{port}"), "ip": ip, "port": port, "os": "linux",
                          "version": "1", "enrollment_key": key});
        let app = &app;
        async move { app.post_json("/api/agents/register", &body).await }
    };
    let body = assert_error(register("127.0.0.1", 20000).await, 422).await;
    assert_eq!(body["details"], "ip");
    let body = assert_error(register("10.1.2.3", 18080).await, 422).await;
    assert_eq!(body["details"], "port");
    assert_eq!(register("10.1.2.3", 20005).await.status(), 201);
    app.finish().await;
}

async fn open_registration_has_a_cap_on_pending_agents(app: &TestApp) {
    let root = app.root_token().await;
    let response = app
        .send(
            app.client
                .put(app.url("/api/config/agents"))
                .json(&json!({"open_registration": true})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
    let cap = backend::services::MAX_PENDING_AGENTS;
    let mut sql = String::new();
    for i in 0..cap {
        sql.push_str(&format!(
            "INSERT INTO agents (id, hostname, ip, port, token, approved, created_at, updated_at) \
             VALUES ('{}', 'pending-{i}', '127.0.0.1', 18080, 'token-{i}', FALSE, {{now}}, {{now}});",
            uuid::Uuid::new_v4()
        ));
    }
    app.raw_sql(&sql).await;
    let response = app
        .post_json(
            "/api/agents/register",
            &json!({"hostname": "one-more", "ip": "127.0.0.1", "port": 18080,
                    "os": "linux", "version": "1"}),
        )
        .await;
    assert_error(response, 503).await;
}

async fn install_commands_name_only_known_hosts(app: &TestApp) {
    let root = app.root_token().await;
    let install = |host: &'static str| {
        app.client
            .post(app.url("/api/agents/install"))
            .header("host", host)
            .bearer_auth(&root)
            .json(&json!({}))
            .send()
    };
    // Whatever Host a request claims does not become the address agents use.
    let body = assert_error(install("attacker.example").await.unwrap(), 400).await;
    assert!(
        body["message"].as_str().unwrap().contains("--public-url"),
        "{body}"
    );
    let answer: serde_json::Value = install("127.0.0.1:3000")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["server_url"], "http://127.0.0.1:3000");
}
