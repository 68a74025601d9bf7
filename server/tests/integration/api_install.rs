//! Installing agents: `/install-agent.sh`, the binaries at
//! `/agents/{os}-{arch}` (no path traversal), and the install command for
//! admins from `POST /api/agents/install`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, TestDb, assert_error, with_both_databases};

with_both_databases!(
    the_install_command_carries_a_working_fresh_key,
    a_configured_public_url_wins_over_the_host_header,
    an_https_address_cannot_be_given_to_agents,
);

/// An agent directory with two fake binaries, noise, and a secret next to it.
struct Downloads {
    root: tempfile::TempDir,
    binary: Vec<u8>,
}

impl Downloads {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("agents");
        std::fs::create_dir(&dir).unwrap();
        let binary: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
        std::fs::write(dir.join("powerbeacon-agent-linux-x86_64"), &binary).unwrap();
        std::fs::write(dir.join("powerbeacon-agent-linux-aarch64"), b"arm").unwrap();
        std::fs::write(dir.join("powerbeacon-agent-Linux-X"), b"badly named").unwrap();
        std::fs::write(dir.join("notes.txt"), b"not an agent").unwrap();
        std::fs::write(root.path().join("secret"), b"TOP-SECRET").unwrap();
        Self { root, binary }
    }

    fn dir(&self) -> std::path::PathBuf {
        self.root.path().join("agents")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binaries_are_served_by_platform_and_nothing_else() {
    let downloads = Downloads::new();
    let app = TestApp::spawn_with(TestDb::sqlite(), |config| {
        config.agent_dir = downloads.dir();
    })
    .await;

    let response = app.get("/agents/linux-x86_64").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("powerbeacon-agent")
    );
    assert_eq!(response.bytes().await.unwrap(), downloads.binary);

    let response = app.get("/agents/linux-x86_64.sha256").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        format!(
            "{}  powerbeacon-agent-linux-x86_64\n",
            hex::encode(Sha256::digest(&downloads.binary))
        )
    );

    // An interrupted download can resume.
    let response = app
        .client
        .get(app.url("/agents/linux-x86_64"))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(response.bytes().await.unwrap(), downloads.binary[10..20]);

    // Unknown platforms: 404 naming what there is.
    let error = assert_error(app.get("/agents/windows-arm64").await, 404).await;
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("linux-aarch64, linux-x86_64"), "{message}");
    assert!(!message.contains("Linux-X"), "{message}");

    // Nothing outside the directory, however the name is spelled.
    for path in [
        "/agents/..%2Fsecret",
        "/agents/linux-..%2F..%2Fsecret",
        "/agents/%2E%2E%2Fsecret",
        "/agents/..%5Csecret",
        "/agents/Linux-X",
        "/agents/notes.txt",
        "/agents/linux-x86_64%00",
        "/agents/..%2Fagents%2Fpowerbeacon-agent-linux-x86_64",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("TOP-SECRET"), "{path}");
    }

    let response = app.get("/install-agent.sh").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-shellscript")
    );
    let script = response.text().await.unwrap();
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.contains("/agents/$platform.sha256"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_binaries_says_how_to_add_them() {
    let empty = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(TestDb::sqlite(), |config| {
        config.agent_dir = empty.path().join("missing");
    })
    .await;
    let error = assert_error(app.get("/agents/linux-x86_64").await, 404).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("cargo build --release -p powerbeacon-agent"),
        "{error}"
    );
    app.finish().await;
}

async fn install(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.send(
        app.client.post(app.url("/api/agents/install")).json(&body),
        token,
    )
    .await
}

async fn the_install_command_carries_a_working_fresh_key(db: TestDb) {
    let downloads = Downloads::new();
    let app = TestApp::spawn_with(db, |config| config.agent_dir = downloads.dir()).await;
    let root = app.root_token().await;
    let (_, user) = app.user_with_role(&root, "uma", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vic", "viewer").await;
    let me: Value = app
        .send(app.client.get(app.url("/api/auth/me")), &root)
        .await
        .json()
        .await
        .unwrap();
    let cluster = app.insert_cluster("lab", me["id"].as_str().unwrap()).await;

    let response = install(&app, &root, json!({"cluster_id": cluster})).await;
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    let base = format!("http://{}", app.addr);
    let key = answer["enrollment_key"]["key"].as_str().unwrap();
    assert_eq!(answer["server_url"], base.as_str());
    assert_eq!(
        answer["script_url"],
        format!("{base}/install-agent.sh").as_str()
    );
    assert_eq!(
        answer["command"],
        format!(
            "curl -fsSL '{base}/install-agent.sh' | sudo sh -s -- --server '{base}' --key '{key}'"
        )
        .as_str()
    );
    assert_eq!(answer["enrollment_key"]["name"], "install command");
    assert!(
        answer["enrollment_key"]["expires_at"].is_string(),
        "install keys expire by default"
    );
    assert_eq!(answer["enrollment_key"]["cluster_id"], cluster.as_str());
    let platforms: Vec<&str> = answer["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux-aarch64", "linux-x86_64"]);
    assert_eq!(answer["platforms"][1]["size"], 200_000);
    assert_eq!(
        answer["platforms"][1]["url"],
        format!("{base}/agents/linux-x86_64").as_str()
    );

    // The key in the command enrolls an agent into the cluster.
    let (agent_id, _) = app.register_agent(key, "installed", 18080, json!({})).await;
    let agent: Value = app
        .send(
            app.client.get(app.url(&format!("/api/agents/{agent_id}"))),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(agent["cluster_id"], cluster.as_str());

    // Each call makes a new key.
    let again: Value = install(&app, &root, json!({})).await.json().await.unwrap();
    assert_ne!(again["enrollment_key"]["key"], key);

    assert_error(install(&app, &user, json!({})).await, 403).await;
    assert_error(install(&app, &viewer, json!({})).await, 403).await;
    let response = app
        .client
        .post(app.url("/api/agents/install"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(response, 401).await;
    let error = assert_error(
        install(&app, &root, json!({"expires_in_hours": 0})).await,
        422,
    )
    .await;
    assert!(
        error["details"]
            .as_str()
            .unwrap()
            .contains("expires_in_hours")
    );
    let unknown = uuid::Uuid::new_v4();
    assert_error(
        install(&app, &root, json!({"cluster_id": unknown})).await,
        404,
    )
    .await;

    // A Host header that could break out of the quotes is refused.
    let response = app
        .send(
            app.client
                .post(app.url("/api/agents/install"))
                .header("host", "x';id;'")
                .json(&json!({})),
            &root,
        )
        .await;
    assert_error(response, 400).await;
    app.finish().await;
}

async fn a_configured_public_url_wins_over_the_host_header(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| {
        config.public_url = Some("http://wol.example.org:3000".into());
    })
    .await;
    let root = app.root_token().await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/agents/install"))
                .header("host", "attacker.example")
                .json(&json!({})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["server_url"], "http://wol.example.org:3000");
    assert!(
        answer["command"]
            .as_str()
            .unwrap()
            .starts_with("curl -fsSL 'http://wol.example.org:3000/install-agent.sh'")
    );
    assert_eq!(answer["platforms"], json!([]));
    app.finish().await;
}

async fn an_https_address_cannot_be_given_to_agents(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| {
        config.public_url = Some("https://wol.example.org".into());
    })
    .await;
    let root = app.root_token().await;
    let error = assert_error(install(&app, &root, json!({})).await, 400).await;
    assert!(
        error["message"].as_str().unwrap().contains("plain HTTP"),
        "{error}"
    );
    let keys: Value = app
        .send(
            app.client.get(app.url("/api/agents/enrollment-keys")),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys["count"], 0, "no key made for nothing");
    app.finish().await;
}
