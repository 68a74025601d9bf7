//! Instance configuration: single sign-on settings and version information.

use serde::{Deserialize, Serialize};
use shared::types::{About, OidcConfigPublic, OidcConfigUpdate, Role};

use super::{ServiceError, Services};
use crate::domain::Invalid;
use crate::storage::{UserRecord, keys};

/// The stored OIDC settings, secret included (never sent to clients).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub enabled: bool,
    pub server_metadata_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The role of accounts a first single sign-on creates.
    #[serde(default)]
    pub default_role: Role,
}

/// Never shows the client secret.
impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("enabled", &self.enabled)
            .field("server_metadata_url", &self.server_metadata_url)
            .field("client_id", &self.client_id)
            .field("client_secret_set", &self.client_secret.is_some())
            .field("default_role", &self.default_role)
            .finish()
    }
}

impl OidcConfig {
    /// The view anyone may read.
    pub fn to_public(&self) -> OidcConfigPublic {
        OidcConfigPublic {
            enabled: self.enabled,
            server_metadata_url: self.server_metadata_url.clone(),
            client_id: self.client_id.clone(),
            client_secret_set: self.client_secret.is_some(),
            default_role: self.default_role,
        }
    }

    /// Applies an update on top of this configuration: an omitted or blank
    /// secret keeps the stored one; enabling needs URL, client id and secret.
    pub fn updated(&self, update: OidcConfigUpdate) -> Result<Self, ServiceError> {
        let url = crate::domain::non_blank(update.server_metadata_url.as_deref())
            .map(parse_metadata_url)
            .transpose()?;
        let client_id = crate::domain::non_blank(update.client_id.as_deref()).map(str::to_string);
        // The stored secret is kept only for the same provider: it must
        // never be sent to an issuer it was not made for.
        let same_provider = url.is_some() && url == self.server_metadata_url;
        let client_secret = crate::domain::non_blank(update.client_secret.as_deref())
            .map(str::to_string)
            .or_else(|| self.client_secret.clone().filter(|_| same_provider));
        if update.enabled {
            let missing: Vec<&str> = [
                ("server_metadata_url", url.is_none()),
                ("client_id", client_id.is_none()),
                ("client_secret", client_secret.is_none()),
            ]
            .into_iter()
            .filter_map(|(field, absent)| absent.then_some(field))
            .collect();
            if !missing.is_empty() {
                return Err(ServiceError::BadRequest(format!(
                    "To enable single sign-on, give {}.",
                    missing.join(", ")
                )));
            }
        }
        let default_role = update.default_role.unwrap_or(self.default_role);
        if !shared::access::SSO_ROLES.contains(&default_role) {
            return Err(Invalid::new(
                "default_role",
                "Accounts created by single sign-on cannot be superusers.",
            )
            .into());
        }
        Ok(Self {
            enabled: update.enabled,
            server_metadata_url: url,
            client_id,
            client_secret,
            default_role,
        })
    }
}

/// An absolute http(s) URL, such as `https://id.example.com/.well-known/openid-configuration`.
fn parse_metadata_url(input: &str) -> Result<String, Invalid> {
    let invalid = || {
        Invalid::new(
            "server_metadata_url",
            "Enter the provider's metadata URL, e.g. https://id.example.com/.well-known/openid-configuration.",
        )
    };
    let url = url::Url::parse(input).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid());
    }
    Ok(url.to_string())
}

impl Services {
    /// The stored OIDC configuration (disabled when never set).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn oidc_config(&self) -> Result<OidcConfig, ServiceError> {
        match self.store.setting(keys::OIDC_CONFIG).await? {
            Some(json) => serde_json::from_str(&json).map_err(|error| {
                ServiceError::internal_from("stored OIDC configuration unreadable", error)
            }),
            None => Ok(OidcConfig::default()),
        }
    }

    /// Replaces the OIDC configuration; superusers only.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn update_oidc_config(
        &self,
        actor: &UserRecord,
        update: OidcConfigUpdate,
    ) -> Result<OidcConfigPublic, ServiceError> {
        ServiceError::forbidden_unless(
            actor.access().may_configure_sso(),
            "Only a superuser can configure single sign-on.",
        )?;
        let config = self.oidc_config().await?.updated(update)?;
        self.save_oidc_config(&config).await?;
        tracing::info!(actor = %actor.id, enabled = config.enabled, "OIDC configuration changed");
        Ok(config.to_public())
    }

    pub(super) async fn save_oidc_config(&self, config: &OidcConfig) -> Result<(), ServiceError> {
        let json = serde_json::to_string(config).expect("OIDC configuration serialises");
        self.store.put_setting(keys::OIDC_CONFIG, &json).await?;
        Ok(())
    }

    /// Version information, without asking the internet.
    pub fn about(&self) -> About {
        About {
            current_version: env!("CARGO_PKG_VERSION").to_string(),
            latest_version: None,
            update_available: false,
            database: self.store.engine().name().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(
        enabled: bool,
        url: Option<&str>,
        id: Option<&str>,
        secret: Option<&str>,
    ) -> OidcConfigUpdate {
        OidcConfigUpdate {
            enabled,
            server_metadata_url: url.map(str::to_string),
            client_id: id.map(str::to_string),
            client_secret: secret.map(str::to_string),
            default_role: None,
        }
    }

    const URL: &str = "https://id.example.com/.well-known/openid-configuration";

    #[test]
    fn enabling_needs_url_id_and_secret() {
        let none = OidcConfig::default();
        let error = none
            .updated(update(true, Some(URL), None, None))
            .unwrap_err();
        assert_eq!(error.status_code(), 400);
        assert!(
            error.to_string().contains("client_id, client_secret"),
            "{error}"
        );
        assert!(
            none.updated(update(true, Some(URL), Some("pb"), Some("s")))
                .is_ok()
        );
        assert!(none.updated(update(false, None, None, None)).is_ok());
    }

    #[test]
    fn an_omitted_secret_keeps_the_stored_one() {
        let stored = OidcConfig::default()
            .updated(update(true, Some(URL), Some("pb"), Some("s3cret")))
            .unwrap();
        let next = stored
            .updated(update(true, Some(URL), Some("pb2"), None))
            .unwrap();
        assert_eq!(next.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(next.client_id.as_deref(), Some("pb2"));
        assert!(next.to_public().client_secret_set);
    }

    #[test]
    fn the_stored_secret_never_goes_to_another_provider() {
        let stored = OidcConfig::default()
            .updated(update(true, Some(URL), Some("pb"), Some("s3cret")))
            .unwrap();
        let elsewhere = "https://evil.example/.well-known/openid-configuration";
        let error = stored
            .updated(update(true, Some(elsewhere), Some("pb"), None))
            .unwrap_err();
        assert!(error.to_string().contains("client_secret"), "{error}");
        let disabled = stored
            .updated(update(false, Some(elsewhere), Some("pb"), None))
            .unwrap();
        assert_eq!(disabled.client_secret, None);
        let with_new_secret = stored
            .updated(update(true, Some(elsewhere), Some("pb"), Some("other")))
            .unwrap();
        assert_eq!(with_new_secret.client_secret.as_deref(), Some("other"));
    }

    #[test]
    fn metadata_url_must_be_http() {
        for bad in [
            "not a url",
            "ftp://id.example.com/x",
            "file:///etc/passwd",
            "https://",
        ] {
            let error = OidcConfig::default()
                .updated(update(false, Some(bad), None, None))
                .unwrap_err();
            assert_eq!(error.status_code(), 422, "{bad}");
        }
    }
}
