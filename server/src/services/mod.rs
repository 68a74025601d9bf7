//! The service layer: every business rule, once. The REST handlers and the
//! browser app's server functions both call these methods.

mod auth;
mod clusters;
pub mod config;
pub mod devices;
pub mod enrollment;
mod error;
mod setup;
pub mod throttle;
mod users;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

pub use error::ServiceError;

use crate::security::tokens::TokenKeys;
use crate::storage::Store;
use throttle::{LoginThrottle, ThrottleLimits};

/// The services of one server process.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    tokens: TokenKeys,
    throttle: Arc<LoginThrottle>,
    settings: ServiceSettings,
}

/// Tunables of the service layer.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSettings {
    /// How long an access token is valid.
    pub token_lifetime: Duration,
    /// An agent silent for this long is offline.
    pub agent_offline_after: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(24 * 3600),
            agent_offline_after: Duration::from_secs(90),
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
            throttle: Arc::new(LoginThrottle::new(ThrottleLimits::default())),
            settings,
        }
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
    pub async fn health(&self) -> Result<(), ServiceError> {
        self.store.ping().await.map_err(|error| {
            tracing::warn!(%error, "health check: database unreachable");
            ServiceError::Unavailable("The database is unreachable.".into())
        })
    }
}
