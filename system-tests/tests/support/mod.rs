//! What the agent's end-to-end tests share: a real server with a superuser,
//! and the agent process, killed when the test is done.

#![allow(dead_code)] // each test uses a part

use std::process::Child;

use backend::services::Services;
use backend::storage::UserRecord;
use powerbeacon::{Application, Config};

/// The superuser's password in these tests.
pub const PASSWORD: &str = "correct-horse-1";

/// A running server and its superuser `root`.
pub struct Server {
    pub url: String,
    pub services: Services,
    pub admin: UserRecord,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Builds and serves the application on `config` (logging off).
async fn serve(
    mut config: Config,
) -> (
    String,
    Services,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    config.log = "off".into();
    let app = Application::build(config).await.expect("server starts");
    let url = format!("http://{}", app.local_addr());
    let services = app.services().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    (url, services, stop, task)
}

/// Starts a server again on the data of an earlier one (same `root`).
pub async fn restart_server(config: Config) -> Server {
    let (url, services, stop, task) = serve(config).await;
    let admin = services
        .store()
        .user_by_username("root")
        .await
        .unwrap()
        .expect("root kept");
    Server {
        url,
        services,
        admin,
        stop,
        task,
    }
}

/// Starts a server on `config` (logging off) and creates `root`.
pub async fn start_server(config: Config) -> Server {
    let (url, services, stop, task) = serve(config).await;
    let admin = services
        .init_setup(
            shared::types::SetupInitRequest {
                username: "root".into(),
                password: PASSWORD.into(),
                email: None,
                full_name: None,
                oidc: None,
                setup_code: None,
            },
            std::net::Ipv4Addr::LOCALHOST.into(),
        )
        .await
        .expect("setup");
    let admin = services
        .store()
        .user_by_id(admin.id)
        .await
        .unwrap()
        .expect("root stored");
    Server {
        url,
        services,
        admin,
        stop,
        task,
    }
}

impl Server {
    /// Stops serving (in-flight requests finish) and closes the database.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("server task")
            .expect("server stopped cleanly");
    }

    /// A fresh enrollment key.
    pub async fn enrollment_key(&self) -> String {
        self.services
            .create_enrollment_key(&self.admin, shared::types::EnrollmentKeyCreate::default())
            .await
            .expect("enrollment key")
            .key
    }
}

/// The agent process; killed when dropped.
pub struct Agent(pub Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `check` holds, for at most 15 s.
pub async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The ids of every agent the server knows.
pub async fn agent_ids(server: &Server) -> Vec<String> {
    let page = backend::storage::Page {
        skip: 0,
        limit: 100,
    };
    let agents = server
        .services
        .list_agents(&server.admin, page)
        .await
        .unwrap();
    agents.agents.iter().map(|a| a.id.to_string()).collect()
}
