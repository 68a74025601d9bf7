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
