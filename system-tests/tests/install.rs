//! `/install-agent.sh` run for real against a real server on 127.0.0.1: it
//! downloads the agent binary built from this workspace, checks its
//! checksum and installs it with its environment file and systemd unit
//! under a scratch root (`--root`: no user, no systemd, nothing outside the
//! temporary directory). The installed binary, started with what the
//! script wrote, enrolls with the server.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use powerbeacon::Config;
use support::{Agent, Server, agent_ids, eventually, free_port, start_server};

/// The platform name the script asks for (`uname -s`-`uname -m`, lower case).
fn platform() -> String {
    let uname = |flag: &str| {
        let out = Command::new("uname").arg(flag).output().expect("uname");
        String::from_utf8(out.stdout).unwrap().trim().to_lowercase()
    };
    format!("{}-{}", uname("-s"), uname("-m"))
}

async fn server_with_the_agent_binary(dir: &Path) -> Server {
    let agents = dir.join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_test-agent"),
        agents.join(format!("powerbeacon-agent-{}", platform())),
    )
    .unwrap();
    let mut config = Config::for_tests(dir.join("data"), None);
    config.agent_dir = agents;
    start_server(config).await
}

async fn run_script(server: &Server, args: &[&str]) -> Output {
    let script = reqwest::get(format!("{}/install-agent.sh", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("sh")
            .args(["-s", "--"])
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn env_file(root: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(root.join("etc/powerbeacon-agent.env"))
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('=').expect("NAME=value");
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_script_installs_an_agent_that_enrolls() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_the_agent_binary(dir.path()).await;
    let key = server.enrollment_key().await;
    let root = dir.path().join("root");
    let root_arg = root.to_str().unwrap();

    let out = run_script(
        &server,
        &[
            "--server",
            &server.url,
            "--key",
            &key,
            "--hostname",
            "installed",
            "--root",
            root_arg,
            "--no-start",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The binary, byte for byte, executable.
    let installed = root.join("usr/local/bin/powerbeacon-agent");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_test-agent")).unwrap()
    );
    assert_eq!(
        std::fs::metadata(&installed).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // The environment file holds the key: root only.
    let env_path = root.join("etc/powerbeacon-agent.env");
    assert_eq!(
        std::fs::metadata(&env_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let env = env_file(&root);
    let value = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(value("BACKEND_URL"), Some(server.url.as_str()));
    assert_eq!(value("ENROLLMENT_KEY"), Some(key.as_str()));
    assert_eq!(value("AGENT_PORT"), Some("18080"));
    assert_eq!(value("AGENT_HOSTNAME"), Some("installed"));
    // The unit: a dedicated user, no capability for a high port, hardened.
    let unit =
        std::fs::read_to_string(root.join("etc/systemd/system/powerbeacon-agent.service")).unwrap();
    for line in [
        "User=powerbeacon-agent",
        "EnvironmentFile=/etc/powerbeacon-agent.env",
        "ExecStart=/usr/local/bin/powerbeacon-agent",
        "StateDirectory=powerbeacon-agent",
        "AmbientCapabilities=\n",
        "CapabilityBoundingSet=\n",
        "NoNewPrivileges=yes",
        "Restart=always",
    ] {
        assert!(unit.contains(line), "unit lacks {line:?}:\n{unit}");
    }

    // What the script wrote starts an agent that enrolls (state and port
    // moved into the scratch directory).
    let mut command = Command::new(&installed);
    for (name, value) in &env {
        command.env(name, value);
    }
    let _agent = Agent(
        command
            .env("AGENT_STATE_FILE", dir.path().join("state.json"))
            .env("AGENT_PORT", free_port().to_string())
            .env("AGENT_BIND", "127.0.0.1")
            .env("AGENT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("installed agent starts"),
    );
    eventually("the installed agent enrolls", async || {
        agent_ids(&server).await.len() == 1
    })
    .await;
    let page = backend::storage::Page { skip: 0, limit: 10 };
    let listed = server
        .services
        .list_agents(&server.admin, page)
        .await
        .unwrap();
    assert_eq!(listed.agents[0].hostname, "installed");
    assert!(listed.agents[0].approved);

    // Uninstalling removes what was installed but keeps the identity for a
    // reinstall; --purge forgets it too.
    let state = root.join("var/lib/powerbeacon-agent/state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, "{}").unwrap();
    let out = run_script(&server, &["--uninstall", "--root", root_arg]).await;
    assert!(out.status.success());
    assert!(!installed.exists());
    assert!(!env_path.exists());
    assert!(state.exists(), "identity kept");
    let out = run_script(&server, &["--uninstall", "--purge", "--root", root_arg]).await;
    assert!(out.status.success());
    assert!(!state.exists(), "identity purged");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_script_refuses_bad_options_and_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_the_agent_binary(dir.path()).await;
    let root = dir.path().join("root");
    let root_arg = root.to_str().unwrap();
    let quote = format!("{}'; touch /tmp/pwned; '", server.url);
    let cases: &[(&[&str], &str)] = &[
        (&["--key", "k"], "--server is required"),
        (&["--server", "ftp://x", "--key", "k"], "http://"),
        (&["--server", "https://x", "--key", "k"], "plain HTTP"),
        (&["--server", &quote, "--key", "k"], "not allowed"),
        (&["--server", &server.url, "--key", "a\nb"], "not allowed"),
        (&["--server", &server.url, "--port", "http"], "number"),
        (&["--server", &server.url, "--port", "70000"], "1-65535"),
        (&["--server", &server.url, "--frobnicate"], "unknown option"),
        (&["--server", &server.url, "--key"], "needs a value"),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        args.extend(["--root", root_arg]);
        let out = run_script(&server, &args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!root.exists(), "{args:?} installed something");
    }

    // A platform the server has no binary for: the download fails clearly.
    std::fs::remove_dir_all(dir.path().join("agents")).unwrap();
    std::fs::create_dir(dir.path().join("agents")).unwrap();
    let out = run_script(&server, &["--server", &server.url, "--root", root_arg]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no agent for"), "{stderr}");
    assert!(!root.join("usr/local/bin/powerbeacon-agent").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_low_port_gets_only_the_bind_capability() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_the_agent_binary(dir.path()).await;
    let root = dir.path().join("root");
    let out = run_script(
        &server,
        &[
            "--server",
            &server.url,
            "--port",
            "80",
            "--root",
            root.to_str().unwrap(),
            "--no-start",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unit =
        std::fs::read_to_string(root.join("etc/systemd/system/powerbeacon-agent.service")).unwrap();
    assert!(unit.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE\n"));
    assert!(unit.contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"));
    let env = env_file(&root);
    assert!(
        env.iter().all(|(name, _)| name != "ENROLLMENT_KEY"),
        "no key given, none written"
    );
}
