//! The service layer: every business rule, once. The REST handlers and the
//! browser app's server functions both call these methods.

mod error;
mod setup;

use std::sync::Arc;

use secrecy::SecretString;

pub use error::ServiceError;

use crate::storage::Store;

/// The services of one server process.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    jwt_secret: Arc<SecretString>,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, jwt_secret: SecretString) -> Self {
        Self {
            store,
            jwt_secret: Arc::new(jwt_secret),
        }
    }

    /// The secret that signs access tokens (from the configuration, or
    /// generated once and kept in the database).
    pub fn jwt_secret(&self) -> &SecretString {
        &self.jwt_secret
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
