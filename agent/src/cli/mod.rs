//! The `powerbeacon-agent` program (feature `runtime`): registers with the
//! PowerBeacon server, heartbeats, sends Wake-on-LAN packets on its LAN
//! when the server asks, and watches which of its devices are up. The binary is one call to [`main`], so tests can
//! build the same program under another name.

mod config;
mod control;
mod http;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::state;
use clap::Parser;

pub use config::Config;

/// The agent program: settings from flags and environment, then serving
/// until SIGINT or SIGTERM.
pub fn main() -> std::process::ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("powerbeacon-agent: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("powerbeacon-agent: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(mut config: Config) -> Result<(), String> {
    if !config.server_url.path().ends_with('/') {
        let path = format!("{}/", config.server_url.path());
        config.server_url.set_path(&path);
    }
    let hostname = match &config.hostname {
        Some(name) => name.clone(),
        None => gethostname::gethostname()
            .into_string()
            .map_err(|_| "the host name is not valid UTF-8; set AGENT_HOSTNAME".to_string())?,
    };
    // An identity from another server is not ours to use.
    let identity = state::load(&config.state_file)
        .map_err(|e| e.to_string())?
        .filter(|identity| identity.server_url == config.server_url.as_str());
    if identity.is_none() && config.enrollment_key.is_none() {
        tracing::warn!(
            "no identity and no ENROLLMENT_KEY: registration works only if the server has open registration"
        );
    }
    let identity = Arc::new(RwLock::new(identity));
    let interfaces = Arc::new(RwLock::new(
        crate::interfaces::discover().unwrap_or_default(),
    ));
    let socket = crate::send::broadcast_socket()
        .map_err(|e| format!("cannot open a UDP socket for sending: {e}"))?;

    let addr = SocketAddr::new(config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}; set AGENT_PORT or AGENT_BIND"))?;
    tracing::info!(%addr, %hostname, server = %config.server_url, "agent listening");
    let watcher = Arc::new(crate::presence::watcher::Watcher::default());
    let app = http::router(http::Shared {
        identity: identity.clone(),
        interfaces: interfaces.clone(),
        socket: Arc::new(socket),
        hostname: hostname.clone(),
        watcher: watcher.clone(),
    });

    let watching = tokio::spawn(watcher.clone().run());
    let control = control::Control {
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("powerbeacon-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?,
        server_url: config.server_url,
        hostname,
        advertise_ip: config.advertise_ip,
        port: config.port,
        enrollment_key: config.enrollment_key,
        state_file: config.state_file,
        heartbeat: Duration::from_secs(config.heartbeat_seconds),
        identity,
        interfaces,
        watcher,
    };
    let control = tokio::spawn(control.run());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    control.abort();
    watching.abort();
    served.map_err(|e| format!("the HTTP server failed: {e}"))?;
    tracing::info!("agent stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler");
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
