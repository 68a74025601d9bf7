//! What every benchmark needs: a real server on 127.0.0.1 with a superuser,
//! on a fresh SQLite file or a scratch PostgreSQL database.

#![allow(dead_code)] // each benchmark uses a part

use backend::services::Services;
use backend::storage::UserRecord;
use powerbeacon::{Application, Config};
use powerbeacon_agent::wire::RegisterRequest;
use shared::ids::{AgentId, ClusterId, DeviceId};
use shared::types::{DeviceCreate, EnrollmentKeyCreate, Role, SetupInitRequest};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// A running server and a signed-in superuser.
pub struct Bench {
    pub base: String,
    pub token: String,
    pub services: Services,
    pub actor: UserRecord,
    pub client: reqwest::Client,
}

impl Bench {
    /// Starts a server on `config` and creates the superuser.
    pub async fn start(config: Config) -> Self {
        let app = Application::build(config).await.expect("server starts");
        let base = format!("http://{}", app.local_addr());
        let services = app.services().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        let admin = services
            .init_setup(
                SetupInitRequest {
                    username: "bench".into(),
                    password: "bench-password-1".into(),
                    email: None,
                    full_name: None,
                    oidc: None,
                    setup_code: None,
                },
                std::net::Ipv4Addr::LOCALHOST.into(),
            )
            .await
            .expect("setup");
        assert_eq!(admin.role, Role::Superuser);
        let actor = services
            .store()
            .user_by_id(admin.id)
            .await
            .unwrap()
            .expect("admin stored");
        Self {
            base,
            token: services
                .tokens()
                .issue(backend::security::tokens::TokenSubject {
                    user_id: admin.id,
                    version: actor.token_version,
                }),
            services,
            actor,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    /// Creates `count` devices (MACs from `first`), in `cluster_id`, linked to `agent_ids`.
    pub async fn add_devices(
        &self,
        first: usize,
        count: usize,
        cluster_id: Option<ClusterId>,
        agent_ids: &[AgentId],
    ) -> Vec<DeviceId> {
        let mut ids = Vec::with_capacity(count);
        for i in first..first + count {
            let created = self
                .services
                .create_device(
                    &self.actor,
                    DeviceCreate {
                        name: format!("device-{i:05}"),
                        mac_address: format!(
                            "02:00:00:{:02X}:{:02X}:{:02X}",
                            i >> 16,
                            (i >> 8) & 0xFF,
                            i & 0xFF
                        ),
                        ip_address: Some(format!("192.0.2.{}", i % 250 + 1)),
                        tags: Some(vec!["bench".into(), format!("rack-{}", i % 10)]),
                        cluster_id,
                        agent_ids: Some(agent_ids.to_vec()),
                        ..DeviceCreate::default()
                    },
                )
                .await
                .expect("device");
            ids.push(created.id);
        }
        ids
    }

    /// A fresh enrollment key (optionally for a cluster).
    pub async fn enrollment_key(&self, cluster_id: Option<ClusterId>) -> String {
        self.services
            .create_enrollment_key(
                &self.actor,
                EnrollmentKeyCreate {
                    name: Some("bench".into()),
                    cluster_id,
                    expires_in_hours: None,
                },
            )
            .await
            .expect("enrollment key")
            .key
    }

    /// Registers an agent on 127.0.0.1:`port`; returns its id and token.
    pub async fn register_agent(&self, key: &str, hostname: &str, port: u16) -> (AgentId, String) {
        let (response, _) = self
            .services
            .register_agent(
                RegisterRequest {
                    hostname: hostname.into(),
                    ip: "127.0.0.1".into(),
                    port,
                    os: "linux".into(),
                    version: "bench".into(),
                    enrollment_key: Some(key.into()),
                    interfaces: None,
                    features: None,
                },
                None,
            )
            .await
            .expect("agent registers");
        (response.agent_id.parse().unwrap(), response.token)
    }

    /// GETs `path` as the superuser and reads the whole body.
    pub async fn get(&self, path: &str) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await.expect("body");
    }

    /// POSTs to `path` as the superuser and expects `status`.
    pub async fn post(&self, path: &str, status: u16) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), status, "{path}");
        response.bytes().await.expect("body");
    }
}

/// A configuration on a fresh SQLite file in `dir`, logging off.
pub fn sqlite_config(dir: &std::path::Path) -> Config {
    let mut config = Config::for_tests(dir.to_path_buf(), None);
    config.log = "off".into();
    config
}

/// A scratch PostgreSQL database, when `PB_BENCH_POSTGRES_URL` is set;
/// dropped by [`PostgresScratch::drop_database`].
pub struct PostgresScratch {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresScratch {
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("PB_BENCH_POSTGRES_URL").ok()?;
        let name = format!("pb_bench_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await.expect("PostgreSQL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// A configuration on this database, logging off.
    pub fn config(&self, dir: &std::path::Path) -> Config {
        let mut config = Config::for_tests(dir.to_path_buf(), Some(self.url.clone()));
        config.log = "off".into();
        config
    }

    pub async fn drop_database(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
            self.name
        )))
        .execute(&mut admin)
        .await;
    }
}
