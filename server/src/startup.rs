//! Start-up: configuration → data directory → database → router → listener,
//! and serving until SIGINT or SIGTERM.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use leptos::prelude::LeptosOptions;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::security::random_secret;
use crate::services::{ServiceSettings, Services};
use crate::state::AppState;
use crate::storage::{self, ConnectOptions, StorageError, keys};
use crate::{api, web};

/// Why the server could not start. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "the data directory {path} is not usable ({source}); choose a writable directory with --data-dir or PB_DATA_DIR"
    )]
    DataDir { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Database(StorageError),
    #[error("cannot listen on {addr} ({source}); choose another address with --bind or PB_BIND")]
    Bind { addr: SocketAddr, source: io::Error },
}

/// A server that is bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    services: Services,
}

impl Application {
    /// Prepares everything; nothing is served until [`run_until_stopped`](Self::run_until_stopped).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        prepare_data_dir(&config.data_dir)?;
        let store = storage::connect(ConnectOptions {
            url: config.database_url.as_deref(),
            data_dir: &config.data_dir,
            max_connections: config.db_max_connections,
            connect_timeout: Duration::from_secs(5),
        })
        .await
        .map_err(StartupError::Database)?;
        let jwt_secret = match config.jwt_secret.clone() {
            Some(secret) => secret,
            None => SecretString::from(
                store
                    .setting_or_insert(keys::JWT_SECRET, &random_secret())
                    .await
                    .map_err(StartupError::Database)?,
            ),
        };
        tracing::info!(engine = store.engine().name(), "database ready");

        let settings = ServiceSettings {
            token_lifetime: Duration::from_secs(config.access_token_minutes.saturating_mul(60)),
            agent_offline_after: Duration::from_secs(config.agent_offline_seconds),
            agent_timeout: Duration::from_millis(config.agent_timeout_ms.max(1)),
            allow_loopback_agents: config.allow_loopback_agents,
            agent_dir: config.agent_dir.clone(),
            public_url: config.public_url.clone(),
            trust_forwarded_headers: config.trust_forwarded_headers,
        };
        let services = Services::new(store, &jwt_secret, settings);
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
        let state = AppState {
            services: services.clone(),
            leptos_options: leptos_options(&config, local_addr),
        };
        let router = router(state, &config);
        Ok(Self {
            listener,
            router,
            services,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The services, for tests that arrange data directly.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, "PowerBeacon is listening; open http://{addr}/");
        let store = self.services.store().clone();
        let sweeper = tokio::spawn(web::sessions::sweep_expired(
            store.clone(),
            Duration::from_secs(3600),
        ));
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        sweeper.abort();
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The whole HTTP surface: `/api`, `/health`, the docs and the browser app.
pub fn router(state: AppState, config: &Config) -> Router {
    Router::new()
        .nest("/api", api::router(config.max_body_bytes))
        .merge(api::root_router())
        .merge(web::router(&state, config.public_url.as_deref()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn leptos_options(config: &Config, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("powerbeacon")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::prelude::Env::PROD)
        .build()
}

/// Creates the data directory if needed and proves it is writable.
fn prepare_data_dir(path: &Path) -> Result<(), StartupError> {
    let fail = |source| StartupError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(fail)?;
    let probe = path.join(".powerbeacon-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}
