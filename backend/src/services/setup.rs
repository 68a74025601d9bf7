//! First-run setup: the first account of an instance.

use shared::types::{Role, SetupInitRequest, SetupStatus};

use super::config::OidcConfig;
use super::{ServiceError, Services};
use crate::domain::{Email, FullName, NewPassword, Username, non_blank};
use crate::security::{hash_password, random_secret};
use crate::storage::{NewUser, UserRecord, keys};

impl Services {
    /// Whether any user exists yet.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn setup_status(&self) -> Result<SetupStatus, ServiceError> {
        let user_count = self.store.count_users().await?;
        Ok(SetupStatus {
            is_setup_complete: user_count > 0,
            user_count,
        })
    }

    /// The code first-run setup from another machine needs, while no user
    /// exists (`None` afterwards). Made once and kept in the database, so
    /// every replica asks for the same one.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn setup_code(&self) -> Result<Option<String>, ServiceError> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let fresh = random_secret()[..12].to_string();
        Ok(Some(
            self.store
                .setting_or_insert(keys::SETUP_CODE, &fresh)
                .await?,
        ))
    }

    /// Creates the first account, always a superuser. Refused with 400 once
    /// any user exists; of two concurrent calls exactly one succeeds. A
    /// `client` that is not on this machine must bring the setup code: until
    /// then anyone who reaches the server could claim it. Blank optional
    /// fields count as absent. Returns the new account's record (to sign
    /// the browser in as).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn init_setup(
        &self,
        request: SetupInitRequest,
        client: std::net::IpAddr,
    ) -> Result<UserRecord, ServiceError> {
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
        let Some(code) = self.setup_code().await? else {
            return Err(already_initialised());
        };
        if !client.to_canonical().is_loopback() {
            let given = request.setup_code.as_deref().unwrap_or_default().trim();
            if !bool::from(subtle::ConstantTimeEq::ct_eq(
                given.as_bytes(),
                code.as_bytes(),
            )) {
                return Err(ServiceError::Forbidden(
                    "Setting PowerBeacon up from another machine needs the setup code that the \
                     server printed in its log: open the /setup?code=… address it shows."
                        .into(),
                ));
            }
        }
        let password_hash = hash_password(password.expose().to_string())
            .await
            .map_err(|error| ServiceError::internal_from("password hashing failed", error))?;
        let user = NewUser {
            username,
            email,
            full_name,
            password_hash: Some(password_hash),
            role: Role::Superuser,
        };
        match self.store.create_first_user(user).await? {
            Some(record) => {
                if let Some(oidc) = &oidc {
                    self.save_oidc_config(oidc).await?;
                }
                tracing::info!(user_id = %record.id, username = %record.username, "first-run setup completed");
                Ok(record)
            }
            None => Err(already_initialised()),
        }
    }
}

fn already_initialised() -> ServiceError {
    ServiceError::BadRequest("PowerBeacon is already set up; sign in instead.".into())
}
