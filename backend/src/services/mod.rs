//! The service layer: every business rule, once. The REST handlers and the
//! browser app's server functions both call these methods of [`Services`];
//! who may do what is asked of [`shared::access`] through
//! `UserRecord::access`. A failure is a [`ServiceError`], which carries its
//! HTTP status and the documented error body.
//!
//! The methods, by area (one file each):
//!
//! | area | file | methods |
//! |---|---|---|
//! | first-run setup | `setup.rs` | `setup_status`, `setup_code`, `init_setup` |
//! | signing in, tokens | `auth.rs` | `login`, `verify_credentials`, `authenticate`, `active_user` |
//! | sign-in throttle | `throttle.rs` | (used by `auth.rs`), `prune_login_attempts` |
//! | single sign-on | `sso.rs` | `start_sso`, `finish_sso`, `test_sso_discovery` |
//! | users | `users.rs` | `list_users`, `get_user`, `create_user`, `update_user`, `delete_user`, `update_me`, `change_password`, `users_overview`, `account_settings` |
//! | devices | `devices.rs` | `list_devices`, `get_device`, `create_device`, `update_device`, `delete_device` |
//! | clusters | `clusters.rs` | `list_clusters`, `get_cluster`, `create_cluster`, `update_cluster`, `delete_cluster`, `clusters_overview`, `cluster_page`, `cluster_form_choices` |
//! | waking | `wake.rs` | `wake_device`, `wake_cluster` |
//! | presence | `presence.rs` | `report_presence`, `presence_history`, `adopt_address`, `presence_housekeeping` (and the heartbeat's watch list) |
//! | agents | `agents.rs` | `register_agent`, `agent_heartbeat`, `list_agents`, `get_agent`, `approve_agent`, `delete_agent`, `announce_offline_agents`, `agent_registration_config`, `update_agent_registration_config`, `agents_overview` |
//! | enrollment keys | `enrollment.rs` | `create_enrollment_key`, `list_enrollment_keys`, `revoke_enrollment_key` |
//! | installing agents | `install.rs` | `agent_platforms`, `agent_binary`, `agent_checksum`, `agent_install`, `public_base_url` |
//! | configuration | `config.rs` | `oidc_config`, `update_oidc_config`, `about` |
//! | the dashboard | `dashboard.rs` | `dashboard`, `find_devices`, `device_choices` |
//! | live events | `events.rs` | `open_event_stream`, `run_event_feed`, `close_event_streams`, `event_stream_count`, `prune_events` |
//! | the process | `mod.rs` | `health`, `client_ip`, `sign_in_client`, `remember_device`, `https`, `allowed_hosts`, `tokens`, `store` |
//!
//! Each method runs in a `tracing` span of its name, with the actor and the
//! ids it acts on (docs/ARCHITECTURE.md, "Principles").

mod agents;
mod auth;
mod clusters;
pub mod config;
mod dashboard;
pub mod devices;
pub mod enrollment;
mod error;
pub mod events;
pub mod install;
pub mod presence;
mod provider_http;
mod setup;
pub mod sso;
pub mod throttle;
mod users;
pub mod wake;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

pub use agents::MAX_PENDING_AGENTS;
pub use error::ServiceError;

use crate::security::known_device::KnownDeviceKey;
use crate::security::tokens::TokenKeys;
use crate::storage::Store;
use crate::wake::{AgentClient, WakeDispatcher};
use throttle::{SignInClient, ThrottlePolicy};

/// The services of one server process.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    tokens: TokenKeys,
    throttle: ThrottlePolicy,
    dispatcher: WakeDispatcher,
    sso: Arc<sso::SsoState>,
    known_devices: KnownDeviceKey,
    verdict_waiters: Arc<crate::wake::VerdictWaiters>,
    events: crate::events::EventFeed,
    event_streams: Arc<tokio::sync::Semaphore>,
    settings: ServiceSettings,
}

/// Tunables of the service layer.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How long an access token is valid.
    pub token_lifetime: Duration,
    /// An agent silent for this long is offline.
    pub agent_offline_after: Duration,
    /// How long one agent may take to answer a wake request.
    pub agent_timeout: Duration,
    /// Whether agents may advertise a loopback address.
    pub allow_loopback_agents: bool,
    /// Networks agent addresses must lie in (empty: any).
    pub agent_networks: Vec<ipnet::IpNet>,
    /// Ports agents may listen on.
    pub agent_ports: crate::domain::PortRange,
    /// Where the agent binaries for download are.
    pub agent_dir: std::path::PathBuf,
    /// The server's public base address, when configured.
    pub public_url: Option<String>,
    /// Whether `X-Forwarded-Proto`/`X-Forwarded-Host` tell this server's
    /// address (only behind a proxy that sets them).
    pub trust_forwarded_headers: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether identity providers on loopback addresses may be used.
    pub sso_allow_loopback: bool,
    /// The host names the server acts under.
    pub allowed_hosts: crate::security::hosts::AllowedHosts,
    /// How presence is watched and kept.
    pub presence: presence::PresenceSettings,
    /// How wakes are judged and kept.
    pub wake: wake::WakeSettings,
    /// How live events are streamed and kept.
    pub events: events::EventSettings,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(24 * 3600),
            agent_offline_after: Duration::from_secs(90),
            agent_timeout: Duration::from_secs(3),
            allow_loopback_agents: false,
            agent_networks: Vec::new(),
            agent_ports: crate::domain::PortRange::ANY,
            agent_dir: std::path::PathBuf::from("target/agents"),
            public_url: None,
            trust_forwarded_headers: false,
            trusted_proxies: Vec::new(),
            sso_allow_loopback: false,
            allowed_hosts: crate::security::hosts::AllowedHosts::default(),
            presence: presence::PresenceSettings::default(),
            wake: wake::WakeSettings::default(),
            events: events::EventSettings::default(),
        }
    }
}

impl Services {
    /// Services over `store`, signing access tokens with `jwt_secret`.
    pub fn new(
        store: Arc<dyn Store>,
        jwt_secret: &SecretString,
        settings: ServiceSettings,
    ) -> Self {
        Self {
            store,
            tokens: TokenKeys::new(jwt_secret, settings.token_lifetime),
            throttle: ThrottlePolicy::default(),
            dispatcher: WakeDispatcher::new(AgentClient::new(settings.agent_timeout)),
            sso: Arc::new(sso::SsoState::new(settings.sso_allow_loopback, jwt_secret)),
            known_devices: KnownDeviceKey::derive(jwt_secret),
            verdict_waiters: Arc::default(),
            events: crate::events::EventFeed::default(),
            event_streams: Arc::new(tokio::sync::Semaphore::new(settings.events.max_streams)),
            settings,
        }
    }

    /// The client a request comes from (`peer` is the connection's other
    /// end); see [`crate::security::client::client_ip`].
    pub fn client_ip(&self, peer: std::net::IpAddr, headers: &http::HeaderMap) -> std::net::IpAddr {
        crate::security::client::client_ip(&self.settings.trusted_proxies, peer, headers)
    }

    /// Who is signing in: the client (as [`Services::client_ip`] finds it)
    /// and the accounts its known-device cookie names.
    pub fn sign_in_client(
        &self,
        peer: std::net::IpAddr,
        headers: &http::HeaderMap,
    ) -> SignInClient {
        SignInClient {
            ip: self.client_ip(peer, headers),
            known: self.known_devices.from_headers(headers),
        }
    }

    /// After `user` signed in from `client`: the `Set-Cookie` value that
    /// makes the client a known device of the account (see
    /// [`crate::security::known_device`]).
    pub fn remember_device(
        &self,
        client: &SignInClient,
        user: &crate::storage::UserRecord,
    ) -> String {
        let device = client
            .known
            .clone()
            .remember(user.id, chrono::Utc::now().timestamp());
        self.known_devices.set_cookie(&device, self.https())
    }

    /// Whether people reach this server over https (`--public-url`), so
    /// cookies must be Secure.
    pub fn https(&self) -> bool {
        self.settings
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// The host names the server acts under.
    pub fn allowed_hosts(&self) -> &crate::security::hosts::AllowedHosts {
        &self.settings.allowed_hosts
    }

    /// The access-token keys.
    pub fn tokens(&self) -> &TokenKeys {
        &self.tokens
    }

    /// The store underneath, for start-up and tests.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Succeeds when the database answers.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn health(&self) -> Result<(), ServiceError> {
        self.store.ping().await.map_err(|error| {
            tracing::warn!(%error, "health check: database unreachable");
            ServiceError::Unavailable("The database is unreachable.".into())
        })
    }
}
