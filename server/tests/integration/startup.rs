//! Start-up: the data directory, the database, the generated secret, and the
//! binary's one-line errors.

use std::process::Command;
use std::time::{Duration, Instant};

use backend::security::tokens::TokenSubject;
use powerbeacon::{Application, Config, StartupError};
use secrecy::SecretString;

use crate::helpers::{ConfigFor, TestDb, with_both_databases};

with_both_databases!(
    jwt_secret_is_generated_once_and_kept,
    configured_jwt_secret_wins
);

async fn jwt_secret_is_generated_once_and_kept(db: TestDb) {
    let first = Application::build(db.config()).await.unwrap();
    let user = TokenSubject {
        user_id: shared::ids::UserId::generate(),
        version: 0,
    };
    let token = first.services().tokens().issue(user);
    first.services().store().close().await;
    drop(first);

    // A restarted server (or another replica) accepts the token: same secret.
    let second = Application::build(db.config()).await.unwrap();
    assert_eq!(second.services().tokens().verify(&token), Ok(user));
    second.services().store().close().await;
    drop(second);
    db.drop_database().await;
}

async fn configured_jwt_secret_wins(db: TestDb) {
    let configured = |secret: &str| {
        let mut config = db.config();
        config.jwt_secret = Some(SecretString::from(secret.to_string()));
        config
    };
    let generated = Application::build(db.config()).await.unwrap();
    let from_config = Application::build(configured("from-the-config"))
        .await
        .unwrap();
    let user = TokenSubject {
        user_id: shared::ids::UserId::generate(),
        version: 0,
    };
    let token = from_config.services().tokens().issue(user);
    assert!(generated.services().tokens().verify(&token).is_err());
    let same_config = Application::build(configured("from-the-config"))
        .await
        .unwrap();
    assert_eq!(same_config.services().tokens().verify(&token), Ok(user));
    for app in [generated, from_config, same_config] {
        app.services().store().close().await;
    }
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_data_dir_fails_with_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let config = Config::for_tests(file.join("data"), None);
    let error = Application::build(config)
        .await
        .err()
        .expect("start-up must fail");
    assert!(matches!(error, StartupError::DataDir { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("--data-dir") && message.contains("PB_DATA_DIR"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_postgres_fails_fast_with_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let config = Config::for_tests(
        dir.path().to_path_buf(),
        Some("postgres://pb:secret@127.0.0.1:1/pb".into()),
    );
    let started = Instant::now();
    let error = Application::build(config)
        .await
        .err()
        .expect("start-up must fail");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    let message = error.to_string();
    assert!(
        message.contains("cannot connect to PostgreSQL"),
        "{message}"
    );
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(
        !message.contains("secret"),
        "the password leaked: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_database_url_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_tests(
        dir.path().to_path_buf(),
        Some("mysql://root@127.0.0.1/pb".into()),
    );
    let message = Application::build(config).await.err().unwrap().to_string();
    assert!(message.contains("unsupported database URL"), "{message}");
}

/// The real binary prints exactly one line and exits non-zero.
#[test]
fn binary_reports_startup_failure_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_powerbeacon"))
        .env_clear()
        .env("PB_DATA_DIR", file.join("data"))
        .env("PB_BIND", "127.0.0.1:0")
        .env("PB_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("powerbeacon: error: the data directory"),
        "{stderr}"
    );
}

/// On/off options from the environment take `1`, `yes`, `on`… as env and
/// compose files write them (they used to stop the server with "invalid
/// value '1'"): start-up gets past them to the next problem.
#[test]
fn binary_reads_on_off_options_as_people_write_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    for (on, off) in [("1", "0"), ("yes", "no"), ("on", "off"), ("true", "false")] {
        let output = Command::new(env!("CARGO_BIN_EXE_powerbeacon"))
            .env_clear()
            .env("PB_DATA_DIR", file.join("data"))
            .env("PB_BIND", "127.0.0.1:0")
            .env("PB_LOG", "off")
            .env("PB_ALLOW_LOOPBACK_AGENTS", on)
            .env("PB_TRUST_FORWARDED_HEADERS", on)
            .env("PB_SSO_ALLOW_LOOPBACK", off)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.starts_with("powerbeacon: error: the data directory"),
            "{on}/{off}: {stderr}"
        );
    }
    let output = Command::new(env!("CARGO_BIN_EXE_powerbeacon"))
        .env_clear()
        .env("PB_ALLOW_LOOPBACK_AGENTS", "maybe")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("maybe"), "{stderr}");
}

#[test]
fn binary_help_documents_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_powerbeacon"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--bind",
        "--data-dir",
        "--database-url",
        "--jwt-secret",
        "--log",
        "--log-format",
        "--max-body-bytes",
        "--site-root",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

/// SIGTERM stops the server gracefully with exit status 0; JSON logs are JSON.
#[test]
fn binary_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_powerbeacon"))
        .env_clear()
        .env("PB_DATA_DIR", dir.path())
        .env("PB_BIND", format!("127.0.0.1:{port}"))
        .env("PB_LOG", "info")
        .env("PB_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(dir.path().join("powerbeacon.db").exists());
    let logs = String::from_utf8(output.stderr).unwrap();
    let messages: Vec<String> = logs
        .lines()
        .map(|line| {
            let entry: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            entry["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(messages.iter().any(|m| m.contains("listening")), "{logs}");
    assert!(messages.iter().any(|m| m.contains("SIGTERM")), "{logs}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_in_use_fails_with_what_to_fix() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path().to_path_buf(), None);
    config.bind = taken.local_addr().unwrap();
    let error = Application::build(config)
        .await
        .err()
        .expect("start-up must fail");
    assert!(matches!(error, StartupError::Bind { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("--bind") && message.contains("PB_BIND"),
        "{message}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_database_are_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    let app = Application::build(Config::for_tests(data_dir.clone(), None))
        .await
        .unwrap();
    // A write makes SQLite create its -wal and -shm files.
    app.services()
        .store()
        .put_setting("test.key", "x")
        .await
        .unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data_dir), 0o700);
    for file in ["powerbeacon.db", "powerbeacon.db-wal", "powerbeacon.db-shm"] {
        assert_eq!(mode(&data_dir.join(file)), 0o600, "{file}");
    }
    app.services().store().close().await;
}
