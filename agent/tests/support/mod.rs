//! What the agent's end-to-end tests share: a real server with a superuser,
//! and the agent process, killed when the test is done.

#![allow(dead_code)] // each test uses a part

use std::process::Child;

use powerbeacon::services::Services;
use powerbeacon::storage::UserRecord;
use powerbeacon::{Application, Config};

/// The superuser's password in these tests.
pub const PASSWORD: &str = "correct-horse-1";

/// A running server and its superuser `root`.
pub struct Server {
    pub url: String,
    pub services: Services,
    pub admin: UserRecord,
}

/// Starts a server on `config` (logging off) and creates `root`.
pub async fn start_server(mut config: Config) -> Server {
    config.log = "off".into();
    let app = Application::build(config).await.expect("server starts");
    let url = format!("http://{}", app.local_addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let admin = services
        .init_setup(app::types::SetupInitRequest {
            username: "root".into(),
            password: PASSWORD.into(),
            email: None,
            full_name: None,
            oidc: None,
        })
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
    }
}

impl Server {
    /// A fresh enrollment key.
    pub async fn enrollment_key(&self) -> String {
        self.services
            .create_enrollment_key(&self.admin, app::types::EnrollmentKeyCreate::default())
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
