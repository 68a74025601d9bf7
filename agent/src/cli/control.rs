//! Talking to the server: registration (with retries, backoff and jitter)
//! and heartbeats; re-registration when the server no longer knows us.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::presence::watcher::Watcher;
use crate::state::{self, Identity};
use crate::wire::{
    FEATURE_PRESENCE, FEATURE_PRESENCE_ICMP, FEATURE_WOL_BATCH, HeartbeatRequest,
    HeartbeatResponse, InterfaceInfo, PresenceReport, PresenceReportResponse, RegisterRequest,
    RegisterResponse,
};
use rand::Rng;

/// Waits between registration attempts: doubling from 1 s up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The agent's side of the conversation with the server.
pub struct Control {
    pub http: reqwest::Client,
    pub server_url: url::Url,
    pub hostname: String,
    pub advertise_ip: Option<IpAddr>,
    pub port: u16,
    pub enrollment_key: Option<String>,
    pub state_file: PathBuf,
    pub heartbeat: Duration,
    pub identity: Arc<RwLock<Option<Identity>>>,
    pub interfaces: Arc<RwLock<Vec<InterfaceInfo>>>,
    /// The devices this agent watches, and what it saw.
    pub watcher: Arc<Watcher>,
}

/// How often waiting presence changes are sent.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// The most sightings one report carries.
const REPORT_BATCH: usize = 1000;

/// How a call to the server went.
enum Answer<T> {
    Ok(T),
    /// The server does not know us or refused our token: register anew.
    Forgotten(String),
    /// Anything else: try again later.
    Failed(String),
}

impl Control {
    /// Registers (until it works), then heartbeats forever; meanwhile
    /// sends what the watcher saw.
    pub async fn run(self) {
        let registered = async {
            loop {
                self.register_until_done().await;
                self.watcher.start_over();
                // The list comes with the first heartbeat: send it at once.
                let identity = self.identity.read().expect("identity lock").clone();
                if let Some(identity) = identity {
                    let _ = self.heartbeat(&identity).await;
                }
                self.heartbeat_until_forgotten().await;
                tracing::warn!("the server no longer knows this agent; registering again");
            }
        };
        tokio::join!(registered, self.report_forever());
    }

    /// Sends the watcher's changes, a batch at a time, as they come.
    async fn report_forever(&self) {
        let mut ticker = tokio::time::interval(REPORT_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let sightings = self.watcher.pending(REPORT_BATCH);
            if sightings.is_empty() {
                continue;
            }
            let identity = self.identity.read().expect("identity lock").clone();
            let Some(identity) = identity else {
                continue;
            };
            let report = PresenceReport {
                agent_id: identity.agent_id.clone(),
                sightings,
            };
            let response = self
                .http
                .post(self.url("api/agents/presence"))
                .bearer_auth(&identity.token)
                .json(&report)
                .send()
                .await;
            match response {
                Ok(response) if response.status().is_success() => {
                    match response.json::<PresenceReportResponse>().await {
                        Ok(answer) => self.watcher.reported(&report.sightings, &answer.refused),
                        Err(error) => {
                            tracing::warn!(%error, "unreadable answer to a presence report")
                        }
                    }
                }
                Ok(response) if response.status() == reqwest::StatusCode::FORBIDDEN => {
                    // Not approved yet, or none of these devices is ours any
                    // more: the next watch list says what to watch.
                    let message = error_message(response).await;
                    tracing::warn!(%message, "presence report refused");
                    self.watcher.reported(&report.sightings, &[]);
                    self.watcher.start_over();
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let message = error_message(response).await;
                    tracing::warn!(status, %message, "presence report failed; it is sent again");
                }
                Err(error) => tracing::warn!(%error, "presence report failed; it is sent again"),
            }
        }
    }

    async fn register_until_done(&self) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let current = self.identity.read().expect("identity lock").clone();
            match self.register(current.as_ref()).await {
                Answer::Ok(identity) => {
                    if let Err(error) = state::save(&self.state_file, &identity) {
                        tracing::error!(%error, "the identity could not be saved; a restart will register anew");
                    }
                    tracing::info!(agent_id = %identity.agent_id, server = %self.server_url, "registered");
                    *self.identity.write().expect("identity lock") = Some(identity);
                    return;
                }
                Answer::Forgotten(reason) => {
                    tracing::warn!(%reason, "the server refused the stored identity; enrolling anew");
                    *self.identity.write().expect("identity lock") = None;
                    continue;
                }
                Answer::Failed(reason) => {
                    let wait = jitter(backoff);
                    tracing::warn!(%reason, retry_in = ?wait, "registration failed");
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Registers; with a stored identity, proves it with its token so the
    /// server keeps our id and token.
    async fn register(&self, current: Option<&Identity>) -> Answer<Identity> {
        self.refresh_interfaces();
        let ip = match self.advertise_ip {
            Some(ip) => ip,
            None => match self.local_ip_toward_server().await {
                Ok(ip) => ip,
                Err(reason) => return Answer::Failed(reason),
            },
        };
        let body = RegisterRequest {
            hostname: self.hostname.clone(),
            ip: ip.to_string(),
            port: self.port,
            os: std::env::consts::OS.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            enrollment_key: self.enrollment_key.clone(),
            interfaces: Some(self.interfaces.read().expect("interfaces lock").clone()),
            features: Some(features()),
        };
        let mut request = self.http.post(self.url("api/agents/register")).json(&body);
        if let Some(identity) = current {
            request = request.bearer_auth(&identity.token);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Answer::Failed(format!("server unreachable: {error}")),
        };
        let status = response.status();
        if status.is_success() {
            return match response.json::<RegisterResponse>().await {
                // A token the agent would accept from anyone is no token.
                Ok(registered) if registered.token.trim().is_empty() => {
                    Answer::Failed("the server answered an empty token".into())
                }
                Ok(registered) => Answer::Ok(Identity {
                    server_url: self.server_url.to_string(),
                    agent_id: registered.agent_id,
                    token: registered.token,
                }),
                Err(error) => Answer::Failed(format!("unreadable answer: {error}")),
            };
        }
        let message = error_message(response).await;
        if status == reqwest::StatusCode::UNAUTHORIZED && current.is_some() {
            return Answer::Forgotten(message);
        }
        Answer::Failed(format!("HTTP {}: {message}", status.as_u16()))
    }

    async fn heartbeat_until_forgotten(&self) {
        let mut ticker = tokio::time::interval(self.heartbeat);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // registration just counted as one
        loop {
            ticker.tick().await;
            let Some(identity) = self.identity.read().expect("identity lock").clone() else {
                return;
            };
            match self.heartbeat(&identity).await {
                Answer::Ok(()) => tracing::debug!("heartbeat"),
                Answer::Forgotten(reason) => {
                    tracing::warn!(%reason, "heartbeat refused");
                    return;
                }
                Answer::Failed(reason) => tracing::warn!(%reason, "heartbeat failed"),
            }
        }
    }

    async fn heartbeat(&self, identity: &Identity) -> Answer<()> {
        self.refresh_interfaces();
        let body = HeartbeatRequest {
            agent_id: identity.agent_id.clone(),
            interfaces: Some(self.interfaces.read().expect("interfaces lock").clone()),
            watch_version: self.watcher.version(),
        };
        let response = match self
            .http
            .post(self.url("api/agents/heartbeat"))
            .bearer_auth(&identity.token)
            .json(&body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return Answer::Failed(format!("server unreachable: {error}")),
        };
        let status = response.status();
        if status == reqwest::StatusCode::OK {
            match response.json::<HeartbeatResponse>().await {
                Ok(answer) => self.watcher.apply(answer.watch),
                Err(error) => tracing::warn!(%error, "unreadable watch list"),
            }
            return Answer::Ok(());
        }
        if status.is_success() {
            return Answer::Ok(());
        }
        let message = error_message(response).await;
        match status {
            // Deleted on the server (404) or a token it no longer accepts (401):
            // keep the identity for the re-registration, which proves it.
            reqwest::StatusCode::NOT_FOUND | reqwest::StatusCode::UNAUTHORIZED => {
                Answer::Forgotten(message)
            }
            _ => Answer::Failed(format!("HTTP {}: {message}", status.as_u16())),
        }
    }

    fn refresh_interfaces(&self) {
        match crate::interfaces::discover() {
            Ok(found) => *self.interfaces.write().expect("interfaces lock") = found,
            Err(error) => tracing::warn!(%error, "cannot list network interfaces"),
        }
    }

    /// The local address the kernel would use to reach the server (a UDP
    /// "connect" sends nothing).
    async fn local_ip_toward_server(&self) -> Result<IpAddr, String> {
        let host = self.server_url.host_str().unwrap_or_default();
        let port = self.server_url.port_or_known_default().unwrap_or(80);
        let target = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let bind: std::net::SocketAddr = if target.is_ipv4() {
            "0.0.0.0:0".parse().expect("static")
        } else {
            "[::]:0".parse().expect("static")
        };
        let socket = tokio::net::UdpSocket::bind(bind)
            .await
            .map_err(|e| format!("cannot open a socket: {e}"))?;
        socket
            .connect(target)
            .await
            .map_err(|e| format!("no route to {target}: {e}"))?;
        Ok(socket.local_addr().map_err(|e| e.to_string())?.ip())
    }

    fn url(&self, path: &str) -> url::Url {
        self.server_url.join(path).expect("static paths join")
    }
}

/// What this agent announces at registration: batched wakes, presence, and
/// ICMP echo where this host lets it send one.
fn features() -> Vec<String> {
    let mut features = vec![FEATURE_WOL_BATCH.into(), FEATURE_PRESENCE.into()];
    if crate::presence::probe::icmp_available() {
        features.push(FEATURE_PRESENCE_ICMP.into());
    }
    features
}

/// The server's error message, or the body's start.
async fn error_message(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| text.chars().take(200).collect())
}

/// `wait` ± 20 %.
fn jitter(wait: Duration) -> Duration {
    wait.mul_f64(rand::rng().random_range(0.8..1.2))
}
