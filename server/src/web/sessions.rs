//! Browser sessions for the web router: tower-sessions records kept in the
//! database through the [`Store`] (so they survive restarts and are shared
//! by every replica), behind an HttpOnly, SameSite=Lax cookie that is Secure
//! when the server is served over https. What a signed-in session holds is
//! `backend::sessions`.

use std::sync::Arc;

use backend::storage::Store;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "pb_session";

/// A session lasts this long after its last change (sign-in, or any write).
const IDLE_LIFETIME: Duration = Duration::days(7);

/// Sessions stored through the [`Store`], as JSON records.
#[derive(Clone)]
pub struct DatabaseSessions {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for DatabaseSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSessions")
            .field("engine", &self.store.engine().name())
            .finish()
    }
}

impl DatabaseSessions {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The layer that gives every request of the browser app its session.
    pub fn layer(self, secure: bool) -> SessionManagerLayer<Self> {
        SessionManagerLayer::new(self)
            .with_name(COOKIE_NAME)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(IDLE_LIFETIME))
    }
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|error| session_store::Error::Encode(error.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for DatabaseSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id: a collision is all but impossible, but a taken
        // id is never overwritten.
        loop {
            let inserted = self
                .store
                .insert_session(
                    &record.id.to_string(),
                    &encode(record)?,
                    record.expiry_date.unix_timestamp(),
                )
                .await
                .map_err(backend)?;
            if inserted {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store
            .save_session(
                &record.id.to_string(),
                &encode(record)?,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(data) = self
            .store
            .session(&id.to_string(), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        serde_json::from_str(&data)
            .map(Some)
            .map_err(|error| session_store::Error::Decode(error.to_string()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DatabaseSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let deleted = self
            .store
            .delete_expired_sessions(now)
            .await
            .map_err(backend)?;
        if deleted > 0 {
            tracing::debug!(deleted, "expired browser sessions removed");
        }
        Ok(())
    }
}
