//! Start-up: configuration → data directory → database → router → listener,
//! and serving until SIGINT or SIGTERM.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use leptos::prelude::LeptosOptions;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::session_store::ExpiredDeletion;

use crate::config::Config;
use crate::state::AppState;
use crate::{api, web};
use backend::security::hosts::AllowedHosts;
use backend::security::random_secret;
use backend::services::events::EventSettings;
use backend::services::presence::PresenceSettings;
use backend::services::wake::WakeSettings;
use backend::services::{ServiceSettings, Services};
use backend::storage::{self, ConnectOptions, StorageError, keys};

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
    limits: ConnectionLimits,
}

/// How many connections are served at once, and how long a client may
/// take to send a request's headers (also the idle keep-alive time).
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    max_connections: usize,
    header_timeout: Duration,
    write_timeout: Duration,
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
        for stale in web::assets::drop_stale_precompressed(&config.site_root) {
            tracing::info!(path = %stale.display(), "removed a precompressed asset older than its source");
        }

        let settings = ServiceSettings {
            token_lifetime: Duration::from_secs(config.access_token_minutes.saturating_mul(60)),
            agent_offline_after: Duration::from_secs(config.agent_offline_seconds),
            agent_timeout: Duration::from_millis(config.agent_timeout_ms.max(1)),
            allow_loopback_agents: config.allow_loopback_agents,
            agent_networks: config.agent_networks.clone(),
            agent_ports: config.agent_ports,
            agent_dir: config.agent_dir.clone(),
            public_url: config.public_url.clone(),
            trust_forwarded_headers: config.trust_forwarded_headers,
            trusted_proxies: config.trusted_proxies.clone(),
            sso_allow_loopback: config.sso_allow_loopback,
            allowed_hosts: AllowedHosts::new(config.public_url.as_deref(), &config.allowed_hosts),
            presence: PresenceSettings {
                probe_interval: Duration::from_secs(config.presence_interval_seconds),
                down_after: config.presence_down_after,
                history_retention: Duration::from_secs(
                    config.presence_history_days.saturating_mul(24 * 3600),
                ),
                history_per_device: config.presence_history_per_device,
            },
            events: EventSettings {
                max_streams: config.max_event_streams.max(1),
                history: config.event_history,
                ..EventSettings::default()
            },
            wake: WakeSettings {
                boot_timeout: Duration::from_secs(config.wake_boot_timeout_seconds),
                history_retention: Duration::from_secs(
                    config.wake_history_days.saturating_mul(24 * 3600),
                ),
            },
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
            limits: ConnectionLimits {
                max_connections: config.max_connections.max(1),
                header_timeout: Duration::from_secs(config.header_timeout_seconds.max(1)),
                write_timeout: Duration::from_secs(config.write_timeout_seconds.max(1)),
            },
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
        match self.services.setup_code().await {
            Ok(Some(code)) => tracing::warn!(
                "PowerBeacon is not set up yet: open http://{addr}/setup on this machine, or \
                 /setup?code={code} at this server's address from another one"
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not read the setup state"),
        }
        let store = self.services.store().clone();
        let sweeper = tokio::spawn(housekeeping(
            self.services.clone(),
            Duration::from_secs(3600),
        ));
        let presence = tokio::spawn(presence_housekeeping(self.services.clone()));
        let verdicts = tokio::spawn(wake_verdicts(self.services.clone()));
        let liveness = tokio::spawn(agent_liveness(self.services.clone()));
        let feed = {
            let services = self.services.clone();
            tokio::spawn(async move { services.run_event_feed().await })
        };
        // Event streams never end by themselves: end them when the server
        // stops, so the connections can close.
        let services = self.services.clone();
        let shutdown = async move {
            shutdown.await;
            services.close_event_streams();
        };
        serve(self.listener, self.router, shutdown, self.limits).await?;
        sweeper.abort();
        presence.abort();
        verdicts.abort();
        liveness.abort();
        feed.abort();
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Accepts connections until `shutdown`, then lets those open finish (for
/// at most 30 s). At most `limits.max_connections` are served at once; a
/// client that sends its headers too slowly, or keeps an idle connection,
/// is cut off after `limits.header_timeout`, so a few hundred slow clients
/// cannot stall the server.
async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => permit.map_err(io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(request)
            },
        );
        let stream = crate::write_timeout::WriteTimeout::new(stream, limits.write_timeout);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection closed with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open 30 s after the shutdown signal; closing them");
        }
    }
    Ok(())
}

/// The whole HTTP surface: `/api`, `/health`, the docs and the browser app.
pub fn router(state: AppState, config: &Config) -> Router {
    let router = Router::new()
        .nest("/api", api::router(config.max_body_bytes))
        .merge(api::root_router())
        .merge(web::router(
            &state,
            config.public_url.as_deref(),
            config.max_body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.services.allowed_hosts().clone(),
            web::hosts::check,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(api::error::panic_response))
        .with_state(state);
    with_security_headers(router)
        .layer(axum::middleware::map_response(close_after_unread_body))
        .layer(axum::middleware::from_fn(web::assets::cache_control))
        // Pages and JSON, and assets without a precompressed copy; what is
        // already encoded (a `.br` served as such) passes untouched. Level 4
        // keeps brotli and gzip cheap enough for every page render.
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(4)),
        )
}

/// A 413 leaves the rest of the request body unread, so the connection cannot
/// serve another request. hyper closes it after the answer, but says so only
/// when it knew before the answer was written; without `Connection: close`
/// a client may send its next request on it and lose it.
async fn close_after_unread_body(
    mut response: axum::response::Response,
) -> axum::response::Response {
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Headers every response gets: no MIME sniffing, no framing (clickjacking),
/// no referrer to other sites. Pages set their own, stricter
/// Content-Security-Policy (with the render's nonce, in `app::shell`);
/// everything else that has none gets one that forbids framing.
fn with_security_headers(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
}

/// Every `period`, for as long as the server runs: forgets expired browser
/// sessions and quiet sign-in throttle counters, and fills in devices'
/// missing search columns. Each replica does it; each step is idempotent.
async fn housekeeping(services: Services, period: Duration) {
    let sessions = crate::web::sessions::DatabaseSessions::new(services.store().clone());
    let mut ticker = tokio::time::interval(period);
    loop {
        ticker.tick().await;
        if let Err(error) = sessions.delete_expired().await {
            tracing::warn!(%error, "could not remove expired browser sessions");
        }
        if let Err(error) = services.prune_login_attempts().await {
            tracing::warn!(%error, "could not remove old sign-in throttle counters");
        }
        // Devices a replica of an older version wrote during an upgrade.
        match services.store().fill_device_search().await {
            Ok(0) => {}
            Ok(filled) => tracing::info!(filled, "filled in the search columns of devices"),
            Err(error) => tracing::warn!(%error, "could not fill in the search columns of devices"),
        }
    }
}

/// How often each replica concludes anew on presence that rests on agents
/// gone offline: a device reads unknown at once when read (the services
/// check the agent at every read), and its stored state follows within
/// this.
const PRESENCE_PASS: Duration = Duration::from_secs(10);

/// Every [`PRESENCE_PASS`]: the presence pass and the pruning of the event
/// table (and, every hour, the pruning of presence history). Each replica
/// does it; the store serializes each batch, so a change is recorded once.
async fn presence_housekeeping(services: Services) {
    let mut ticker = tokio::time::interval(PRESENCE_PASS);
    let prune_every = 3600 / PRESENCE_PASS.as_secs();
    let mut ticks: u64 = 0;
    loop {
        ticker.tick().await;
        if let Err(error) = services
            .presence_housekeeping(ticks.is_multiple_of(prune_every))
            .await
        {
            tracing::warn!(%error, "could not update device presence");
        }
        if let Err(error) = services.prune_events().await {
            tracing::warn!(%error, "could not prune the event table");
        }
        ticks = ticks.wrapping_add(1);
    }
}

/// How often each replica decides the wake verdicts that are due, and
/// looks for verdicts other replicas decided that its requests wait on.
const VERDICT_PASS: Duration = Duration::from_secs(1);

/// How far back the verdict pass looks for verdicts decided elsewhere:
/// its period and room for the replicas' clocks to differ.
const VERDICT_LOOKBACK: Duration = Duration::from_secs(5);

/// Every [`VERDICT_PASS`]: the wake verdict pass. Each replica does it; a
/// verdict is written once whichever decides it.
async fn wake_verdicts(services: Services) {
    let mut ticker = tokio::time::interval(VERDICT_PASS);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = services.wake_verdict_pass(VERDICT_LOOKBACK).await {
            tracing::warn!(%error, "could not decide wake verdicts");
        }
    }
}

/// How often each replica looks for agents that fell silent, to announce
/// them offline.
const LIVENESS_PASS: Duration = Duration::from_secs(1);

/// Every [`LIVENESS_PASS`]: announces offline the agents silent for the
/// offline timeout. Each replica does it; each agent is announced once.
async fn agent_liveness(services: Services) {
    let mut ticker = tokio::time::interval(LIVENESS_PASS);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = services.announce_offline_agents().await {
            tracing::warn!(%error, "could not announce agents gone offline");
        }
    }
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
    // Created for this user only: it holds the database.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(fail)?;
    let probe = path.join(".powerbeacon-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when it is first awaited: a signal that arrives while the
/// server is still starting (its port already open) then stops it
/// gracefully instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(error), _) | (_, Err(error)) => {
                    tracing::error!(%error, "cannot listen for Ctrl-C and SIGTERM");
                    return std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C received; shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C received; shutting down");
    }
}
