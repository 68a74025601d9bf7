//! Users: who may see, create, change and delete whom.

use shared::ids::UserId;
use shared::types::{
    AccountSettings, Message, Role, UpdatePassword, UserCreate, UserEditScope, UserPublic, UserRow,
    UserUpdate, UserUpdateMe, UsersOverview, UsersPublic,
};

use super::{ServiceError, Services};
use crate::domain::{Email, FullName, NewPassword, Username};
use crate::security::{hash_password, verify_password};
use crate::storage::{NewUser, Page, StorageError, UniqueKey, UserChanges, UserRecord};

impl Services {
    /// Lists users for anyone from `user` up. Plain users see only names:
    /// id, username, full name and creation time.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn list_users(
        &self,
        actor: &UserRecord,
        page: Page,
    ) -> Result<UsersPublic, ServiceError> {
        if !actor.access().may_list_users() {
            return Err(forbidden());
        }
        let (users, count) = self.store.list_users(page).await?;
        let data = users
            .iter()
            .map(|user| {
                let mut public = user.to_public();
                if !actor.access().sees_user_details() {
                    public.email = None;
                    public.role = Role::User;
                    public.is_active = true;
                }
                public
            })
            .collect();
        Ok(UsersPublic { data, count })
    }

    /// What the users page shows `actor` (users and up): the list as
    /// [`Self::list_users`] gives it, each user marked with what the actor
    /// may change (the rules of [`Self::update_user`] and
    /// [`Self::delete_user`]).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn users_overview(&self, actor: &UserRecord) -> Result<UsersOverview, ServiceError> {
        let page = Page {
            skip: 0,
            limit: UsersOverview::USER_LIMIT,
        };
        let UsersPublic { data, count } = self.list_users(actor, page).await?;
        let users = data
            .into_iter()
            .map(|user| UserRow {
                edit: actor.access().user_edit_scope(user.role),
                can_delete: actor.access().may_delete_user(user.id),
                user,
            })
            .collect();
        Ok(UsersOverview {
            users,
            count,
            can_create: actor.access().may_create_users(),
            assignable_roles: actor.access().assignable_roles(),
            shows_details: actor.access().sees_user_details(),
        })
    }

    /// What `/settings` shows `actor`: their profile, whether they have a
    /// local password, the SSO configuration (superusers) and the version.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn account_settings(
        &self,
        actor: &UserRecord,
    ) -> Result<AccountSettings, ServiceError> {
        let user = self
            .store
            .user_by_id(actor.id)
            .await?
            .ok_or_else(not_found)?;
        let oidc = if actor.access().may_configure_sso() {
            Some(self.oidc_config().await?.to_public())
        } else {
            None
        };
        Ok(AccountSettings {
            has_password: user.password_hash.is_some(),
            user: user.to_public(),
            oidc,
            about: self.about(),
        })
    }

    /// Creates a user; superusers only.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn create_user(
        &self,
        actor: &UserRecord,
        request: UserCreate,
    ) -> Result<UserPublic, ServiceError> {
        if !actor.access().may_create_users() {
            return Err(forbidden());
        }
        let username = Username::parse(&request.username)?;
        let password = NewPassword::parse(&request.password)?;
        let email = optional(request.email.as_deref(), Email::parse)?;
        let full_name = optional(request.full_name.as_deref(), FullName::parse)?;
        let password_hash = self.hash(&password).await?;
        let user = NewUser {
            username,
            email,
            full_name,
            password_hash: Some(password_hash),
            role: request.role.unwrap_or(Role::Viewer),
        };
        let mut record = self
            .store
            .insert_user(user)
            .await
            .map_err(|e| user_conflict(e, ServiceError::BadRequest))?;
        if request.is_active == Some(false) {
            let changes = UserChanges {
                is_active: Some(false),
                ..UserChanges::default()
            };
            record = self
                .store
                .update_user(record.id, changes)
                .await?
                .ok_or_else(not_found)?;
        }
        tracing::info!(actor = %actor.id, user_id = %record.id, role = record.role.as_str(), "user created");
        Ok(record.to_public())
    }

    /// One user; oneself or, for superusers, anyone.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, user_id = %id), err(level = "debug"))]
    pub async fn get_user(
        &self,
        actor: &UserRecord,
        id: UserId,
    ) -> Result<UserPublic, ServiceError> {
        if !actor.access().may_read_user(id) {
            return Err(forbidden());
        }
        Ok(self
            .store
            .user_by_id(id)
            .await?
            .ok_or_else(not_found)?
            .to_public())
    }

    /// Changes a user. Superusers may change every field; admins only the
    /// role and active flag of non-superusers, and never to superuser.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, user_id = %id), err(level = "debug"))]
    pub async fn update_user(
        &self,
        actor: &UserRecord,
        id: UserId,
        request: UserUpdate,
    ) -> Result<UserPublic, ServiceError> {
        if !actor.access().is_admin() {
            return Err(forbidden());
        }
        let user = self.store.user_by_id(id).await?.ok_or_else(not_found)?;
        match actor.access().user_edit_scope(user.role) {
            UserEditScope::Full => {}
            UserEditScope::RoleAndActive => {
                let touches_profile = request.username.is_some()
                    || request.email.is_some()
                    || request.full_name.is_some()
                    || request.password.is_some();
                if touches_profile {
                    return Err(ServiceError::Forbidden(
                        "Admins may change only a user's role and active state.".into(),
                    ));
                }
                if request
                    .role
                    .is_some_and(|role| !actor.access().assignable_roles().contains(&role))
                {
                    return Err(ServiceError::Forbidden(
                        "Only a superuser can make a superuser.".into(),
                    ));
                }
            }
            UserEditScope::None => {
                return Err(ServiceError::Forbidden(
                    "Only a superuser can change a superuser.".into(),
                ));
            }
        }
        let mut changes = profile_changes(
            request.username.as_deref(),
            request.email.as_deref(),
            request.full_name.as_deref(),
        )?;
        if let Some(password) = &request.password {
            let password = NewPassword::parse(password)?;
            changes.password_hash = Some(self.hash(&password).await?);
        }
        changes.role = request.role;
        changes.is_active = request.is_active;
        // A new password, a deactivation or a lower role ends every session
        // and access token the user has (docs/API.md).
        changes.end_sessions = changes.password_hash.is_some()
            || request.is_active == Some(false)
            || request.role.is_some_and(|role| role < user.role);
        let user = self
            .store
            .update_user(id, changes)
            .await
            .map_err(|e| user_conflict(e, ServiceError::Conflict))?
            .ok_or_else(not_found)?;
        tracing::info!(actor = %actor.id, user_id = %user.id, "user updated");
        Ok(user.to_public())
    }

    /// Deletes a user; superusers only, never themselves.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, user_id = %id), err(level = "debug"))]
    pub async fn delete_user(
        &self,
        actor: &UserRecord,
        id: UserId,
    ) -> Result<Message, ServiceError> {
        if !actor.access().may_delete_user(id) {
            return Err(if actor.access().is_superuser() {
                ServiceError::Forbidden("You cannot delete your own account.".into())
            } else {
                forbidden()
            });
        }
        if !self.store.delete_user(id).await.map_err(last_superuser)? {
            return Err(not_found());
        }
        tracing::info!(actor = %actor.id, user_id = %id, "user deleted");
        Ok(Message::new("User deleted successfully"))
    }

    /// Changes one's own username, email or full name.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn update_me(
        &self,
        actor: &UserRecord,
        request: UserUpdateMe,
    ) -> Result<UserPublic, ServiceError> {
        let changes = profile_changes(
            request.username.as_deref(),
            request.email.as_deref(),
            request.full_name.as_deref(),
        )?;
        let user = self
            .store
            .update_user(actor.id, changes)
            .await
            .map_err(|e| user_conflict(e, ServiceError::Conflict))?
            .ok_or_else(not_found)?;
        Ok(user.to_public())
    }

    /// Changes one's own password, given the current one. Every session and
    /// token of the user ends; the record returned carries the new token
    /// version, for the session the change was made in to go on with.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn change_password(
        &self,
        actor: &UserRecord,
        request: UpdatePassword,
        client: std::net::IpAddr,
    ) -> Result<UserRecord, ServiceError> {
        let user = self
            .store
            .user_by_id(actor.id)
            .await?
            .ok_or_else(not_found)?;
        // Guessing the current password is throttled like signing in, from
        // a client signed in to the account (so not by the account's own
        // counter, which guards against strangers).
        let attempt = self
            .claim_login_attempt(user.username.as_str(), client, true)
            .await?;
        let current_ok = match &user.password_hash {
            Some(hash) => verify_password(request.current_password.clone(), hash.clone()).await,
            None => false,
        };
        if !current_ok {
            return Err(ServiceError::BadRequest(
                "The current password is incorrect.".into(),
            ));
        }
        self.login_succeeded(attempt).await?;
        if request.current_password == request.new_password {
            return Err(ServiceError::BadRequest(
                "The new password must differ from the current one.".into(),
            ));
        }
        let password = NewPassword::parse(&request.new_password)
            .map_err(|invalid| crate::domain::Invalid::new("new_password", invalid.message))?;
        let changes = UserChanges {
            password_hash: Some(self.hash(&password).await?),
            end_sessions: true,
            ..UserChanges::default()
        };
        let user = self
            .store
            .update_user(user.id, changes)
            .await?
            .ok_or_else(not_found)?;
        tracing::info!(user_id = %user.id, "password changed");
        Ok(user)
    }

    async fn hash(&self, password: &NewPassword) -> Result<String, ServiceError> {
        hash_password(password.expose().to_string())
            .await
            .map_err(|error| ServiceError::internal_from("password hashing failed", error))
    }
}

/// The profile fields given (each parsed), as changes: an empty email or
/// full name clears it.
fn profile_changes(
    username: Option<&str>,
    email: Option<&str>,
    full_name: Option<&str>,
) -> Result<UserChanges, ServiceError> {
    Ok(UserChanges {
        username: username.map(Username::parse).transpose()?,
        email: email
            .map(|email| optional(Some(email), Email::parse))
            .transpose()?,
        full_name: full_name
            .map(|name| optional(Some(name), FullName::parse))
            .transpose()?,
        ..UserChanges::default()
    })
}

/// Parses an optional text field; blank means absent.
fn optional<T>(
    input: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::domain::Invalid>,
) -> Result<Option<T>, crate::domain::Invalid> {
    crate::domain::non_blank(input).map(parse).transpose()
}

fn forbidden() -> ServiceError {
    ServiceError::Forbidden("You do not have enough privileges for this.".into())
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("User not found.".into())
}

/// Names the clash of a taken username or email, as a 400 or 409 (`status`).
fn user_conflict(error: StorageError, status: fn(String) -> ServiceError) -> ServiceError {
    match &error {
        StorageError::Conflict(UniqueKey::Username) => {
            status("A user with this username already exists.".into())
        }
        StorageError::Conflict(UniqueKey::Email) => {
            status("A user with this email already exists.".into())
        }
        _ => last_superuser(error),
    }
}

fn last_superuser(error: StorageError) -> ServiceError {
    match error {
        StorageError::LastSuperuser => ServiceError::BadRequest(
            "This is the last active superuser; it cannot be demoted, deactivated or deleted."
                .into(),
        ),
        other => other.into(),
    }
}
