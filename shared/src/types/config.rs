//! The instance: health, first-run setup, single sign-on settings and what it
//! is.

use super::{REDACTED, Role};
use serde::{Deserialize, Serialize};

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// `"ok"` when the server can reach its database, `"error"` otherwise.
    pub status: String,
    pub message: String,
    /// Whether the database answered.
    pub database: String,
}

/// `GET /api/setup/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupStatus {
    /// True once the first user exists.
    pub is_setup_complete: bool,
    pub user_count: u64,
}

/// `POST /api/setup/init`: the first account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupInitRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    /// Optional single sign-on settings, validated like `PUT /api/config/oidc`.
    #[serde(default)]
    pub oidc: Option<OidcConfigUpdate>,
    /// The one-time code the server prints in its log while it is not set
    /// up: needed when the request does not come from the server's own
    /// machine (loopback).
    #[serde(default)]
    pub setup_code: Option<String>,
}

impl std::fmt::Debug for SetupInitRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupInitRequest")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("oidc", &self.oidc)
            .field("setup_code", &self.setup_code.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// `GET /api/config/oidc`: single sign-on settings, never the secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcConfigPublic {
    pub enabled: bool,
    pub server_metadata_url: Option<String>,
    pub client_id: Option<String>,
    /// Whether a client secret is stored (the secret itself is write-only).
    pub client_secret_set: bool,
    /// The role of accounts created by a first single sign-on.
    #[serde(default)]
    pub default_role: Role,
}

/// `PUT /api/config/oidc` and the `oidc` part of setup. An omitted
/// `client_secret` keeps the stored one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcConfigUpdate {
    pub enabled: bool,
    #[serde(default)]
    pub server_metadata_url: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The role of accounts created by a first single sign-on (below
    /// superuser); omitted keeps the stored one (`viewer` at first).
    #[serde(default)]
    pub default_role: Option<Role>,
}

impl std::fmt::Debug for OidcConfigUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfigUpdate")
            .field("enabled", &self.enabled)
            .field("server_metadata_url", &self.server_metadata_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .field("default_role", &self.default_role)
            .finish()
    }
}

/// `GET /api/config/about`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct About {
    pub current_version: String,
    /// Never looked up: PowerBeacon makes no calls to the internet.
    pub latest_version: Option<String>,
    pub update_available: bool,
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
}
