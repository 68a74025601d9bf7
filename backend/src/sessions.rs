//! Browser sessions: tower-sessions records kept in the database (so they
//! survive restarts and are shared by every replica), behind an HttpOnly,
//! SameSite=Lax cookie that is Secure when the server is served over https.

use std::sync::Arc;

use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::storage::Store;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "pb_session";

/// The session key holding the signed-in user's id.
pub const USER_ID: &str = "user_id";

/// The session key holding the user's token version at sign-in (see
/// [`crate::services::Services::active_user`]).
pub const TOKEN_VERSION: &str = "token_version";

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

/// Makes `session` the signed-in session of `user_id`, under a new session
/// id (so an id planted before sign-in is worthless).
pub async fn sign_in_session(
    session: &tower_sessions::Session,
    user: &crate::storage::UserRecord,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    session.insert(TOKEN_VERSION, user.token_version).await
}

/// Keeps this session signed in as `user` after the user's token version
/// moved on (their own password change), under the same id.
pub async fn keep_session(
    session: &tower_sessions::Session,
    user: &crate::storage::UserRecord,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(TOKEN_VERSION, user.token_version).await
}
