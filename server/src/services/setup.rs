//! First-run setup: the first account of an instance.

use app::types::{Role, SetupInitRequest, SetupStatus, UserPublic};

use super::config::OidcConfig;
use super::{ServiceError, Services};
use crate::domain::{Email, FullName, NewPassword, Username, non_blank};
use crate::security::hash_password;
use crate::storage::NewUser;

impl Services {
    /// Whether any user exists yet.
    pub async fn setup_status(&self) -> Result<SetupStatus, ServiceError> {
        let user_count = self.store.count_users().await?;
        Ok(SetupStatus {
            is_setup_complete: user_count > 0,
            user_count,
        })
    }

    /// Creates the first account, always a superuser. Refused with 400 once
    /// any user exists; of two concurrent calls exactly one succeeds.
    pub async fn init_setup(&self, request: SetupInitRequest) -> Result<UserPublic, ServiceError> {
        let username = Username::parse(&request.username)?;
        let password = NewPassword::parse(&request.password)?;
        let email = non_blank(request.email.as_deref())
            .map(Email::parse)
            .transpose()?;
        let full_name = non_blank(request.full_name.as_deref())
            .map(FullName::parse)
            .transpose()?;
        let oidc = request
            .oidc
            .map(|update| OidcConfig::default().updated(update))
            .transpose()?;

        // Cheap early refusal, before spending ~50 ms on hashing.
        if self.store.count_users().await? > 0 {
            return Err(already_initialised());
        }
        let password_hash = hash_password(password.expose().to_string())
            .await
            .map_err(|error| ServiceError::Internal(format!("password hashing failed: {error}")))?;
        let user = NewUser {
            username: username.as_str().to_string(),
            email: email.map(|e| e.as_str().to_string()),
            full_name: full_name.map(|n| n.as_str().to_string()),
            password_hash: Some(password_hash),
            role: Role::Superuser,
        };
        match self.store.create_first_user(user).await? {
            Some(record) => {
                if let Some(oidc) = &oidc {
                    self.save_oidc_config(oidc).await?;
                }
                tracing::info!(user_id = %record.id, username = %record.username, "first-run setup completed");
                Ok(record.to_public())
            }
            None => Err(already_initialised()),
        }
    }
}

fn already_initialised() -> ServiceError {
    ServiceError::BadRequest("PowerBeacon is already set up; sign in instead.".into())
}
