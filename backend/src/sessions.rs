//! What a signed-in browser session holds (the user and their token
//! version), written at sign-in by the browser app's server functions and by
//! the single sign-on callback alike. The session layer itself, which keeps
//! sessions in the database behind their cookie, is the web router's
//! (`server/src/web/sessions.rs`).

/// The session key holding the signed-in user's id.
pub const USER_ID: &str = "user_id";

/// The session key holding the user's token version at sign-in (see
/// [`crate::services::Services::active_user`]).
pub const TOKEN_VERSION: &str = "token_version";

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

/// The signed-in user of `session`, if it has one whose account is still
/// active with the same rights; else the session is ended (deleted,
/// deactivated or demoted since) and there is none.
pub async fn session_user(
    services: &crate::services::Services,
    session: &tower_sessions::Session,
) -> Result<Option<crate::storage::UserRecord>, crate::services::ServiceError> {
    use crate::services::ServiceError;
    let internal = |error: tower_sessions::session::Error| {
        ServiceError::internal_from("the browser session could not be read", error)
    };
    let id: Option<shared::ids::UserId> = session.get(USER_ID).await.map_err(internal)?;
    let Some(id) = id else { return Ok(None) };
    let version: Option<i64> = session.get(TOKEN_VERSION).await.map_err(internal)?;
    let subject = crate::security::tokens::TokenSubject {
        user_id: id,
        version: version.unwrap_or_default(),
    };
    match services.active_user(subject).await {
        Ok(user) => Ok(Some(user)),
        Err(ServiceError::Unauthorized(_)) => {
            let _ = session.flush().await;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
