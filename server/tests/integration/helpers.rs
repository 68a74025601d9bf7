//! Test scaffolding: fresh databases, a running server, an HTTP client.

use std::net::SocketAddr;
use std::sync::{Mutex, Once, PoisonError};
use std::time::Duration;

use backend::services::Services;
use powerbeacon::{Application, Config};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password every test account gets.
pub const TEST_PASSWORD: &str = "correct-horse-9";

#[path = "../../../backend/tests/support/test_db.rs"]
mod test_db;
pub use test_db::TestDb;

/// The server configuration for a test database.
pub trait ConfigFor {
    fn config(&self) -> Config;
}

impl ConfigFor for TestDb {
    fn config(&self) -> Config {
        Config::for_tests(self.dir.path().to_path_buf(), self.url.clone())
    }
}

/// Panics seen on the runtime's worker threads, where the servers of the
/// tests run (tests run on a multi-threaded runtime, as the real server
/// does, so that what breaks across threads breaks here too).
static SERVER_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every panic on a runtime worker thread, so that a panic in the
/// server fails the run even when it answered something and the test's own
/// assertions passed (the check is in [`TestApp::finish`]).
fn watch_for_server_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // "tokio-rt-worker" (tokio ≥ 1.50), "tokio-runtime-worker" before.
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("tokio-r"));
            if on_worker {
                SERVER_PANICS
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(info.to_string());
            }
            default_hook(info);
        }));
    });
}

/// `TEST_LOG=debug` (any `tracing` filter, e.g. `info,backend=debug`)
/// shows the servers' logs in the tests' output: each service call and wake
/// in its span, so one request's lines can be followed. Off by default.
fn log_when_asked() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// Fails when any server of this test run has panicked so far.
pub fn assert_no_server_panics() {
    let panics = SERVER_PANICS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert!(
        panics.is_empty(),
        "a server panicked during the test run:\n{}",
        panics.join("\n")
    );
}

/// A running server on 127.0.0.1 with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub services: Services,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    db: Option<TestDb>,
}

impl TestApp {
    /// Builds the application exactly as `main` does and serves it.
    pub async fn spawn(db: TestDb) -> Self {
        Self::spawn_with(db, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration changed by `tweak` first.
    pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> Self {
        watch_for_server_panics();
        log_when_asked();
        let mut config = db.config();
        tweak(&mut config);
        let app = Application::build(config)
            .await
            .expect("application starts");
        let addr = app.local_addr();
        let services = app.services().clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            addr,
            client,
            services,
            shutdown: Some(tx),
            task: Some(task),
            db: Some(db),
        }
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates the first superuser through the API and returns its JSON.
    pub async fn init_superuser(&self, username: &str) -> serde_json::Value {
        let response = self
            .post_json(
                "/api/setup/init",
                &serde_json::json!({"username": username, "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 200, "setup init");
        response.json().await.unwrap()
    }

    /// Signs in and returns the access token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/auth/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login as {username}");
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Sets the instance up with superuser `root` and returns its token.
    pub async fn root_token(&self) -> String {
        self.init_superuser("root").await;
        self.token("root", TEST_PASSWORD).await
    }

    /// Creates a user with `role` (as `root`) and returns its JSON and token.
    pub async fn user_with_role(
        &self,
        root: &str,
        username: &str,
        role: &str,
    ) -> (serde_json::Value, String) {
        let response = self
            .send(
                self.client
                    .post(self.url("/api/users"))
                    .json(&serde_json::json!({
                        "username": username,
                        "password": TEST_PASSWORD,
                        "email": format!("{username}@example.com"),
                        "role": role,
                    })),
                root,
            )
            .await;
        assert_eq!(response.status(), 200, "create {username}");
        let user = response.json().await.unwrap();
        (user, self.token(username, TEST_PASSWORD).await)
    }

    /// Creates something through `POST path` with `body` (must answer 201):
    /// its id.
    pub async fn create(&self, token: &str, path: &str, body: serde_json::Value) -> String {
        let response = self
            .send(self.client.post(self.url(path)).json(&body), token)
            .await;
        assert_eq!(response.status(), 201, "POST {path}");
        response.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Sends a request with a bearer token.
    pub async fn send(&self, request: reqwest::RequestBuilder, token: &str) -> reqwest::Response {
        request
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// Runs SQL directly on this app's database, to arrange rows no API
    /// creates yet. `{now}` becomes the engine's current timestamp.
    pub async fn raw_sql(&self, sql: &str) {
        let db = self.db.as_ref().expect("database");
        let engine = self.services.store().engine();
        let sql = match engine {
            backend::storage::Engine::Sqlite => {
                sql.replace("{now}", "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
            }
            backend::storage::Engine::Postgres => sql.replace("{now}", "now()"),
        };
        db.run_sql(&sql).await.expect("arranging SQL runs");
    }

    /// Inserts `count` bare devices (`{prefix}-0`…, MACs `02:{mac_byte}:…`)
    /// straight into the database, newer than any made before: a big fleet
    /// in one statement.
    pub async fn insert_devices(&self, prefix: &str, mac_byte: u8, count: u32) {
        let rows: Vec<String> = (0..count)
            .map(|i| {
                format!(
                    "('{}', '{prefix}-{i}', '02:{mac_byte:02X}:00:00:{:02X}:{:02X}', {{now}}, {{now}})",
                    uuid::Uuid::new_v4(),
                    i / 256,
                    i % 256
                )
            })
            .collect();
        self.raw_sql(&format!(
            "INSERT INTO devices (id, name, mac_address, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .await;
    }

    /// How many rows `table` of this app's database holds.
    pub async fn count_rows(&self, table: &str) -> i64 {
        self.db.as_ref().expect("database").count_rows(table).await
    }

    /// Inserts a cluster owned by `owner_id` and returns its id.
    pub async fn insert_cluster(&self, name: &str, owner_id: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.raw_sql(&format!(
            "INSERT INTO clusters (id, name, owner_id, created_at, updated_at) \
             VALUES ('{id}', '{name}', '{owner_id}', {{now}}, {{now}})"
        ))
        .await;
        id
    }

    /// Inserts an approved agent in `cluster_id` (or none), last seen now
    /// when `online`, and returns its id.
    pub async fn insert_agent(
        &self,
        hostname: &str,
        cluster_id: Option<&str>,
        online: bool,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let cluster = cluster_id.map_or("NULL".to_string(), |c| format!("'{c}'"));
        let last_seen = if online { "{now}" } else { "NULL" };
        self.raw_sql(&format!(
            "INSERT INTO agents (id, hostname, ip, port, token, cluster_id, last_seen, created_at, updated_at) \
             VALUES ('{id}', '{hostname}', '127.0.0.1', 18080, 'token-{id}', {cluster}, {last_seen}, {{now}}, {{now}})"
        ))
        .await;
        id
    }

    /// Creates an enrollment key (as `admin`, optionally for a cluster) and returns the secret.
    pub async fn enrollment_key(&self, admin: &str, cluster_id: Option<&str>) -> String {
        let response = self
            .send(
                self.client
                    .post(self.url("/api/agents/enrollment-keys"))
                    .json(&serde_json::json!({"name": "test", "cluster_id": cluster_id})),
                admin,
            )
            .await;
        assert_eq!(response.status(), 201, "create enrollment key");
        let body: serde_json::Value = response.json().await.unwrap();
        body["key"].as_str().unwrap().to_string()
    }

    /// Registers an agent on 127.0.0.1:`port` through the API with `key`
    /// and returns its id and token.
    pub async fn register_agent(
        &self,
        key: &str,
        hostname: &str,
        port: u16,
        extra: serde_json::Value,
    ) -> (String, String) {
        let mut body = serde_json::json!({
            "hostname": hostname, "ip": "127.0.0.1", "port": port,
            "os": "linux", "version": "1.0.0", "enrollment_key": key,
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let response = self.post_json("/api/agents/register", &body).await;
        assert_eq!(response.status(), 201, "register {hostname}");
        let body: serde_json::Value = response.json().await.unwrap();
        (
            body["agent_id"].as_str().unwrap().to_string(),
            body["token"].as_str().unwrap().to_string(),
        )
    }

    /// Stops the server gracefully and drops its database.
    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
        assert_no_server_panics();
    }
}

/// Asserts the documented error body and returns it.
pub async fn assert_error(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["status_code"], status, "status_code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(body.get("details").is_some(), "details present in {body}");
    body
}

/// Runs each listed `async fn(&TestApp)` against a fresh server on SQLite and
/// on PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::TestDb::sqlite()).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::helpers::TestDb::postgres().await else { return };
                    let app = $crate::helpers::TestApp::spawn(db).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_engines;

/// Like [`on_both_engines!`], for tests that take a fresh [`TestDb`] and
/// build what they need themselves.
macro_rules! with_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestDb::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::helpers::TestDb::postgres().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}
pub(crate) use with_both_databases;
