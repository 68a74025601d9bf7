//! Signing in with a password, and recognising a bearer token.

use shared::types::Token;
use tokio::sync::OnceCell;

use super::throttle::SignInClient;
use super::{ServiceError, Services};
use crate::security::tokens::{TokenError, TokenSubject};
use crate::security::{hash_password, random_secret, verify_password};
use crate::storage::UserRecord;

/// A hash to verify against when the username does not exist, so that a
/// wrong username costs the same time as a wrong password.
static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

async fn dummy_hash() -> &'static str {
    DUMMY_HASH
        .get_or_init(|| async {
            hash_password(random_secret())
                .await
                .expect("hashing a random string")
        })
        .await
}

impl Services {
    /// Checks a username and password and issues an access token; and the
    /// user, whose device the caller remembers
    /// ([`Services::remember_device`]).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &SignInClient,
    ) -> Result<(Token, UserRecord), ServiceError> {
        let user = self.verify_credentials(username, password, client).await?;
        let token = Token::bearer(self.tokens.issue(TokenSubject {
            user_id: user.id,
            version: user.token_version,
        }));
        Ok((token, user))
    }

    /// Checks a username and password: the user they belong to. Used by the
    /// API's token login and by the browser's session sign-in alike.
    ///
    /// Unknown users, wrong passwords, SSO-only and inactive accounts all get
    /// the same 401; too many failures get 429 with the wait (the throttle:
    /// `throttle.rs`). The username matches whatever its case and the spaces
    /// around it.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn verify_credentials(
        &self,
        username: &str,
        password: &str,
        client: &SignInClient,
    ) -> Result<UserRecord, ServiceError> {
        let user = self.store.user_by_username(username.trim()).await?;
        let now = chrono::Utc::now().timestamp();
        let known_device = user
            .as_ref()
            .is_some_and(|user| client.known.knows(user.id, now));
        let attempt = self
            .claim_login_attempt(username, client.ip, known_device)
            .await?;
        let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let hash = match &stored_hash {
            Some(hash) => hash.clone(),
            None => dummy_hash().await.to_string(),
        };
        let password_ok =
            verify_password(password.to_string(), hash).await && stored_hash.is_some();
        match user {
            Some(user) if password_ok && user.is_active => {
                self.login_succeeded(attempt).await?;
                tracing::info!(user_id = %user.id, "signed in");
                Ok(user)
            }
            _ => Err(ServiceError::Unauthorized(
                "Incorrect username or password.".into(),
            )),
        }
    }

    /// The active user a bearer token belongs to.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn authenticate(&self, token: &str) -> Result<UserRecord, ServiceError> {
        let subject = self.tokens.verify(token).map_err(|error| match error {
            TokenError::Expired => {
                ServiceError::Unauthorized("The access token has expired; sign in again.".into())
            }
            TokenError::Invalid => {
                ServiceError::Unauthorized("Could not validate credentials.".into())
            }
        })?;
        self.active_user(subject).await
    }

    /// The user a token or a browser session belongs to, if the account
    /// still exists, is active, and has not ended its sessions since (a new
    /// password, a deactivation or a lower role move its token version on).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn active_user(&self, subject: TokenSubject) -> Result<UserRecord, ServiceError> {
        match self.store.user_by_id(subject.user_id).await? {
            Some(user) if !user.is_active => Err(ServiceError::Unauthorized(
                "This account is deactivated.".into(),
            )),
            Some(user) if user.token_version != subject.version => Err(ServiceError::Unauthorized(
                "This session has ended; sign in again.".into(),
            )),
            Some(user) => Ok(user),
            None => Err(ServiceError::Unauthorized(
                "Could not validate credentials.".into(),
            )),
        }
    }
}
