//! The service layer: every business rule, once. The REST handlers and the
//! browser app's server functions both call these methods.

mod auth;
pub mod config;
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
}

impl Services {
    /// Services over `store`, signing access tokens valid for `token_lifetime`
    /// with `jwt_secret`.
    pub fn new(store: Arc<dyn Store>, jwt_secret: &SecretString, token_lifetime: Duration) -> Self {
        Self {
            store,
            tokens: TokenKeys::new(jwt_secret, token_lifetime),
            throttle: Arc::new(LoginThrottle::new(ThrottleLimits::default())),
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
