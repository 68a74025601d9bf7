//! Single sign-on with OpenID Connect: the authorization code flow with
//! PKCE, `state` and `nonce`, and the account the verified ID token stands
//! for.
//!
//! The provider's metadata (endpoints and signing keys) is discovered from
//! the configured metadata URL and cached; the cache is dropped when the
//! configuration changes, when a check fails in a way fresh keys could fix,
//! and after an hour (so rotated keys are picked up).

use super::provider_http::ProviderHttp;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DiscoveryError,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use shared::types::Message;
use tokio::sync::Mutex;

use super::config::OidcConfig;
use super::{ServiceError, Services};
use crate::domain::{Email, FullName, Username};
use crate::storage::{NewUser, StorageError, UniqueKey, UserRecord};

/// How long discovered metadata (and the provider's keys) is trusted.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// How long a started sign-in waits for the provider's callback.
const PENDING_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How long one call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The path the provider sends people back to.
pub const CALLBACK_PATH: &str = "/api/auth/callback";

/// The suffix of a discovery document's URL; the issuer is what precedes it.
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The cookie that carries a started sign-in to its callback, sealed, so
/// that starting one stores nothing on the server.
pub const PENDING_COOKIE: &str = "pb_sso";

/// The HTTP client for providers, the discovery cache, and the key that
/// seals started sign-ins.
pub struct SsoState {
    http: ProviderHttp,
    cache: Mutex<Option<Discovered>>,
    pending_key: cookie::Key,
}

impl SsoState {
    /// `allow_loopback`: whether providers on the server's own loopback
    /// addresses may be used (`--sso-allow-loopback`). The sealing key is
    /// derived from the instance secret, so every replica opens what
    /// another sealed.
    pub fn new(allow_loopback: bool, secret: &secrecy::SecretString) -> Self {
        use secrecy::ExposeSecret;
        use sha2::Digest;
        let mut hash = sha2::Sha512::new();
        hash.update(b"powerbeacon: started single sign-on\0");
        hash.update(secret.expose_secret().as_bytes());
        Self {
            http: ProviderHttp::new(allow_loopback, PROVIDER_TIMEOUT),
            cache: Mutex::new(None),
            pending_key: cookie::Key::from(&hash.finalize()[..]),
        }
    }
}

/// Metadata discovered for one configuration.
struct Discovered {
    config: OidcConfig,
    metadata: CoreProviderMetadata,
    at: Instant,
}

/// What the browser session keeps between the redirect to the provider and
/// the callback.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSso {
    state: String,
    nonce: String,
    pkce_verifier: String,
    redirect_uri: String,
    /// When the sign-in started (Unix seconds).
    started: i64,
    /// Where to land afterwards (a local path).
    pub next: String,
}

/// Never shows the state, nonce or verifier.
impl std::fmt::Debug for PendingSso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSso")
            .field("redirect_uri", &self.redirect_uri)
            .field("started", &self.started)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Why a single sign-on did not sign anyone in. The details go to the log;
/// the person sees the message of [`SsoError::code`].
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not enabled")]
    Disabled,
    /// No sign-in was started in this browser, or `state` does not match.
    #[error("the callback does not belong to a sign-in started in this browser")]
    Stale,
    /// The provider answered with an error instead of a code.
    #[error("the provider refused: {0}")]
    Denied(String),
    /// Discovery, the code exchange or a check of the ID token failed.
    #[error("{0}")]
    Failed(String),
    #[error("the account is deactivated")]
    Inactive,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl SsoError {
    /// The sign-in page's error code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            SsoError::Disabled => "sso_disabled",
            SsoError::Stale => "sso_stale",
            SsoError::Denied(_) => "sso_denied",
            SsoError::Failed(_) | SsoError::Service(_) => "sso_failed",
            SsoError::Inactive => "inactive",
        }
    }
}

impl From<StorageError> for SsoError {
    fn from(error: StorageError) -> Self {
        SsoError::Service(error.into())
    }
}

/// The issuer of a configured metadata URL: the URL without
/// `/.well-known/openid-configuration` (a URL without it is the issuer).
fn issuer_of(metadata_url: &str) -> &str {
    metadata_url
        .strip_suffix(WELL_KNOWN)
        .unwrap_or(metadata_url.trim_end_matches('/'))
}

impl Services {
    /// The enabled SSO configuration, or [`SsoError::Disabled`].
    async fn enabled_sso(&self) -> Result<OidcConfig, SsoError> {
        let config = self.oidc_config().await?;
        if config.enabled {
            Ok(config)
        } else {
            Err(SsoError::Disabled)
        }
    }

    /// The provider's metadata for `config`: cached, else discovered (the
    /// cache is not locked while the provider is asked).
    async fn provider(&self, config: &OidcConfig) -> Result<CoreProviderMetadata, SsoError> {
        if let Some(found) = self.sso.cache.lock().await.as_ref()
            && found.config == *config
            && found.at.elapsed() < METADATA_LIFETIME
        {
            return Ok(found.metadata.clone());
        }
        let url = config.server_metadata_url.as_deref().unwrap_or_default();
        let metadata = discover(&self.sso.http, url).await?;
        *self.sso.cache.lock().await = Some(Discovered {
            config: config.clone(),
            metadata: metadata.clone(),
            at: Instant::now(),
        });
        Ok(metadata)
    }

    /// Forgets the discovered metadata, so the next sign-in discovers afresh.
    async fn forget_provider(&self) {
        *self.sso.cache.lock().await = None;
    }

    fn client(
        config: &OidcConfig,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<OidcClient, SsoError> {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|error| SsoError::Failed(format!("redirect URI {redirect_uri}: {error}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone().unwrap_or_default()),
            config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's authorization URL to send the
    /// browser to, and what the session must keep until the callback.
    /// `base_url` is this server's public address; `next` where to land.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn start_sso(
        &self,
        base_url: &str,
        next: &str,
    ) -> Result<(String, PendingSso), SsoError> {
        let config = self.enabled_sso().await?;
        let metadata = self.provider(&config).await?;
        let redirect_uri = format!("{}{CALLBACK_PATH}", base_url.trim_end_matches('/'));
        let client = Self::client(&config, metadata, &redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingSso {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            redirect_uri,
            started: chrono::Utc::now().timestamp(),
            next: next.to_string(),
        };
        Ok((url.to_string(), pending))
    }

    /// Finishes a sign-in from the provider's callback: checks `state`,
    /// exchanges the code, verifies the ID token (signature, issuer,
    /// audience, expiry, nonce) and returns the account it stands for,
    /// creating it on a first sign-in.
    /// A started sign-in, sealed (encrypted and authenticated) for the
    /// [`PENDING_COOKIE`].
    pub fn seal_pending(&self, pending: &PendingSso) -> String {
        let json = serde_json::to_string(pending).unwrap_or_default();
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.sso.pending_key)
            .add(cookie::Cookie::new(PENDING_COOKIE, json));
        jar.get(PENDING_COOKIE)
            .map(|sealed| sealed.value().to_string())
            .unwrap_or_default()
    }

    /// The started sign-in in a [`PENDING_COOKIE`] value, if this instance
    /// sealed it and nobody changed it.
    pub fn open_pending(&self, sealed: &str) -> Option<PendingSso> {
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new(PENDING_COOKIE, sealed.to_string()));
        let opened = jar.private(&self.sso.pending_key).get(PENDING_COOKIE)?;
        serde_json::from_str(opened.value()).ok()
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn finish_sso(
        &self,
        pending: Option<PendingSso>,
        state: &str,
        code: &str,
    ) -> Result<UserRecord, SsoError> {
        let pending = pending.ok_or(SsoError::Stale)?;
        let age = chrono::Utc::now().timestamp() - pending.started;
        if !(0..=PENDING_LIFETIME.as_secs() as i64).contains(&age) {
            return Err(SsoError::Stale);
        }
        let same_state: bool =
            subtle::ConstantTimeEq::ct_eq(pending.state.as_bytes(), state.as_bytes()).into();
        if !same_state {
            return Err(SsoError::Stale);
        }
        let config = self.enabled_sso().await?;
        let metadata = self.provider(&config).await?;
        let client = Self::client(&config, metadata, &pending.redirect_uri)?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|error| SsoError::Failed(format!("provider has no token endpoint: {error}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        let tokens = match exchange.request_async(&self.sso.http).await {
            Ok(tokens) => tokens,
            Err(error) => {
                if matches!(error, RequestTokenError::Request(_)) {
                    // The token endpoint is unreachable: it may have moved.
                    self.forget_provider().await;
                }
                return Err(SsoError::Failed(format!(
                    "code exchange failed: {}",
                    describe(&error)
                )));
            }
        };
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SsoError::Failed("the token response has no ID token".into()))?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce.clone())) {
            Ok(claims) => claims.clone(),
            Err(error) => {
                if matches!(
                    error,
                    ClaimsVerificationError::SignatureVerification(
                        SignatureVerificationError::NoMatchingKey
                    )
                ) {
                    // The provider may have rotated its keys.
                    self.forget_provider().await;
                }
                return Err(SsoError::Failed(format!(
                    "ID token refused: {}",
                    describe(&error)
                )));
            }
        };
        self.sso_account(&config, &claims).await
    }

    /// The account linked to the token's (issuer, subject), else a new one
    /// with the configured role: username from `preferred_username` (made
    /// unique, never an existing account's), email and name from the claims
    /// when usable and free. SSO accounts have no local password.
    async fn sso_account(
        &self,
        config: &OidcConfig,
        claims: &CoreIdTokenClaims,
    ) -> Result<UserRecord, SsoError> {
        let issuer = claims.issuer().as_str();
        let subject = claims.subject().as_str();
        if let Some(user) = self.store.user_by_identity(issuer, subject).await? {
            return if user.is_active {
                Ok(user)
            } else {
                Err(SsoError::Inactive)
            };
        }
        // Only an address the provider vouches for is taken.
        let email = claims
            .email()
            .filter(|_| claims.email_verified() == Some(true))
            .and_then(|email| Email::parse(email.as_str()).ok());
        let claimed_name = claims
            .preferred_username()
            .map(|name| name.as_str().to_string())
            .or_else(|| {
                email
                    .as_ref()
                    .and_then(|e| e.as_str().split('@').next().map(str::to_string))
            })
            .unwrap_or_default();
        let full_name = claims
            .name()
            .and_then(|name| name.get(None))
            .and_then(|name| FullName::parse(name.as_str()).ok());
        let mut email = email;
        let mut attempt = 1;
        loop {
            let user = NewUser {
                username: Username::suggest(&claimed_name, attempt),
                email: email.clone(),
                full_name: full_name.clone(),
                password_hash: None,
                role: config.default_role,
            };
            match self.store.insert_sso_user(user, issuer, subject).await {
                Ok(user) => {
                    tracing::info!(user_id = %user.id, username = %user.username, issuer, "account created by single sign-on");
                    return Ok(user);
                }
                Err(StorageError::Conflict(UniqueKey::Username)) => {
                    attempt += 1;
                    if attempt > 50 {
                        return Err(SsoError::Failed(format!(
                            "no free username for {claimed_name:?}"
                        )));
                    }
                }
                // Another account has this email: the new one goes without.
                Err(StorageError::Conflict(UniqueKey::Email)) if email.is_some() => {
                    email = None;
                }
                // A concurrent first sign-in of the same person won.
                Err(StorageError::Conflict { .. }) => {
                    return match self.store.user_by_identity(issuer, subject).await? {
                        Some(user) if user.is_active => Ok(user),
                        Some(_) => Err(SsoError::Inactive),
                        None => Err(SsoError::Failed("could not create the account".into())),
                    };
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Checks that discovery works for `metadata_url` (superusers): the
    /// issuer it names and how many signing keys it publishes.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn test_sso_discovery(
        &self,
        actor: &UserRecord,
        metadata_url: &str,
    ) -> Result<Message, ServiceError> {
        ServiceError::forbidden_unless(
            actor.access().may_configure_sso(),
            "Only a superuser can configure single sign-on.",
        )?;
        let config = OidcConfig::default().updated(shared::types::OidcConfigUpdate {
            enabled: false,
            server_metadata_url: Some(metadata_url.to_string()),
            ..Default::default()
        })?;
        let url = config.server_metadata_url.unwrap_or_default();
        match discover(&self.sso.http, &url).await {
            Ok(metadata) => Ok(Message::new(format!(
                "Discovery works: issuer {}, {} signing key(s).",
                metadata.issuer().as_str(),
                metadata.jwks().keys().len()
            ))),
            Err(error) => Err(ServiceError::BadRequest(format!(
                "Discovery failed: {error}"
            ))),
        }
    }
}

/// Fetches the provider's metadata and signing keys. The issuer is the
/// metadata URL without its well-known suffix, as written or with a
/// trailing `/` (some providers' issuers end in one; both forms lead to the
/// same document), since the document's issuer must match it exactly.
async fn discover(
    http: &ProviderHttp,
    metadata_url: &str,
) -> Result<CoreProviderMetadata, SsoError> {
    let issuer = issuer_of(metadata_url);
    let mut last_error = None;
    for candidate in [issuer.to_string(), format!("{issuer}/")] {
        let issuer_url = IssuerUrl::new(candidate)
            .map_err(|error| SsoError::Failed(format!("metadata URL {metadata_url}: {error}")))?;
        match CoreProviderMetadata::discover_async(issuer_url, http).await {
            Ok(metadata) => return Ok(metadata),
            // The document was read but names the other form of the issuer.
            Err(error @ DiscoveryError::Validation(_)) => last_error = Some(error),
            Err(error) => {
                last_error = Some(error);
                break;
            }
        }
    }
    let error = last_error.expect("at least one attempt was made");
    Err(SsoError::Failed(format!(
        "discovery from {metadata_url} failed: {}",
        describe(&error)
    )))
}

/// An error with its causes, for the log.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_the_metadata_url_without_the_well_known_path() {
        assert_eq!(
            issuer_of("https://id.example.com/realms/x/.well-known/openid-configuration"),
            "https://id.example.com/realms/x"
        );
        assert_eq!(
            issuer_of("https://id.example.com/"),
            "https://id.example.com"
        );
    }

    #[test]
    fn each_failure_has_a_sign_in_page_message() {
        for error in [
            SsoError::Disabled,
            SsoError::Stale,
            SsoError::Denied("access_denied".into()),
            SsoError::Failed("x".into()),
            SsoError::Inactive,
        ] {
            assert!(
                shared::routing::error_message(error.code()).is_some(),
                "{error:?}"
            );
        }
    }
}
