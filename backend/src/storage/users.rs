//! Users: accounts, their single sign-on identities, and the rule that one
//! active superuser remains.
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use shared::ids::UserId;

use crate::domain::{Email, FullName, Username};

use super::engine::{Sql, SqlEngine};
use super::events::NewEvent;
use super::store::SqlStore;
use super::{NewUser, Page, StorageError, UserChanges, UserRecord, keys, now};

const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

macro_rules! user_columns {
    () => {
        "id, username, email, full_name, password_hash, role, is_active, created_at, updated_at, \
         token_version"
    };
}

/// A user, with the (issuer, subject) pair a single sign-on provider knows
/// them by (both NULL for local accounts).
const INSERT_USER: &str = "INSERT INTO users (id, username, email, full_name, password_hash, \
    role, is_active, created_at, updated_at, oidc_issuer, oidc_subject) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The user a single sign-on provider knows by (issuer, subject).
const SELECT_USER_BY_IDENTITY: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2"
);

const SELECT_USER_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

const SELECT_USER_BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE lower(username) = lower($1)"
);

const SELECT_USERS_PAGE: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2"
);

/// Writes only the fields given (`$3`, `$5`: whether to set email, full
/// name; NULL elsewhere: keep), so concurrent changes never undo each other.
const UPDATE_USER: &str = concat!(
    "UPDATE users SET username = COALESCE($2, username), \
     email = CASE WHEN $3 THEN $4 ELSE email END, \
     full_name = CASE WHEN $5 THEN $6 ELSE full_name END, \
     password_hash = COALESCE($7, password_hash), role = COALESCE($8, role), \
     is_active = COALESCE($9, is_active), token_version = token_version + $10, \
     updated_at = $11 WHERE id = $1 RETURNING ",
    user_columns!()
);

const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";

const COUNT_ACTIVE_SUPERUSERS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'superuser' AND is_active = TRUE";

/// Users: accounts, their single sign-on identities, and the rule that one
/// active superuser remains.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// How many users exist.
    async fn count_users(&self) -> Result<u64, StorageError>;

    /// Creates the first user, atomically with marking setup complete.
    /// Returns `None`, storing nothing, when setup already happened — also when
    /// another caller completes it concurrently.
    async fn create_first_user(&self, user: NewUser) -> Result<Option<UserRecord>, StorageError>;

    /// A user by id.
    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, StorageError>;

    /// A user by name, ignoring case.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StorageError>;

    /// Inserts a user; a taken username or email is a [`StorageError::Conflict`].
    async fn insert_user(&self, user: NewUser) -> Result<UserRecord, StorageError>;

    /// The user a single sign-on provider (`issuer`) knows as `subject`.
    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, StorageError>;

    /// Inserts a user linked to a provider's (`issuer`, `subject`); a taken
    /// username, email or identity is a [`StorageError::Conflict`].
    async fn insert_sso_user(
        &self,
        user: NewUser,
        issuer: &str,
        subject: &str,
    ) -> Result<UserRecord, StorageError>;

    /// One page of users, oldest first, and the total count.
    async fn list_users(&self, page: Page) -> Result<(Vec<UserRecord>, u64), StorageError>;

    /// Writes the fields `changes` gives (stamping `updated_at`), and only
    /// those, and returns the stored record, or `None` when no such user
    /// exists. Refuses with
    /// [`StorageError::LastSuperuser`] a change that would leave no active
    /// superuser, also under concurrent changes.
    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<UserRecord>, StorageError>;

    /// Deletes a user; `false` when none existed. Refuses the last active
    /// superuser like [`UserStore::update_user`].
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> UserStore for SqlStore<DB> {
    async fn count_users(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(COUNT_USERS)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(count.try_into().unwrap_or_default())
    }

    async fn create_first_user(&self, user: NewUser) -> Result<Option<UserRecord>, StorageError> {
        let now = now();
        let record = user.into_record(now);
        let mut tx = self.pool.begin().await?;
        // The settings key is the lock: a concurrent caller waits on
        // it until we commit, then inserts nothing.
        let claimed = Sql::<DB>::new(super::settings::INSERT_SETTING_IF_ABSENT)
            .bind(keys::SETUP_COMPLETED_AT)
            .bind(now.to_rfc3339())
            .bind(now)
            .execute(&mut tx)
            .await?;
        let (existing,): (i64,) = Sql::<DB>::new(COUNT_USERS).fetch_one(&mut tx).await?;
        if claimed == 0 || existing > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_user_row::<DB>(&mut tx, &record, None).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(SELECT_USER_BY_ID)
            .bind(id)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(SELECT_USER_BY_USERNAME)
            .bind(username)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_user(&self, user: NewUser) -> Result<UserRecord, StorageError> {
        let record = user.into_record(now());
        insert_user_row::<DB>(&mut *self.conn().await?, &record, None).await?;
        Ok(record)
    }

    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, StorageError> {
        Sql::<DB>::new(SELECT_USER_BY_IDENTITY)
            .bind(issuer)
            .bind(subject)
            .fetch_optional::<UserRecord>(&mut *self.conn().await?)
            .await
            .map_err(Into::into)
    }

    async fn insert_sso_user(
        &self,
        user: NewUser,
        issuer: &str,
        subject: &str,
    ) -> Result<UserRecord, StorageError> {
        let record = user.into_record(now());
        insert_user_row::<DB>(&mut *self.conn().await?, &record, Some((issuer, subject))).await?;
        Ok(record)
    }

    async fn list_users(&self, page: Page) -> Result<(Vec<UserRecord>, u64), StorageError> {
        self.page(SELECT_USERS_PAGE, COUNT_USERS, page).await
    }

    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<UserRecord>, StorageError> {
        let mut tx = DB::begin_serialized(&self.pool).await?;
        let row = Sql::<DB>::new(UPDATE_USER)
            .bind(id)
            .bind(changes.username.as_ref().map(Username::as_str))
            .bind(changes.email.is_some())
            .bind(
                changes
                    .email
                    .as_ref()
                    .and_then(|email| email.as_ref().map(Email::as_str)),
            )
            .bind(changes.full_name.is_some())
            .bind(
                changes
                    .full_name
                    .as_ref()
                    .and_then(|name| name.as_ref().map(FullName::as_str)),
            )
            .bind(&changes.password_hash)
            .bind(changes.role.map(|role| role.as_str()))
            .bind(changes.is_active)
            .bind(i64::from(changes.end_sessions))
            .bind(now())
            .fetch_optional::<UserRecord>(&mut tx)
            .await?;
        let Some(user) = row else {
            return Ok(None);
        };
        let (superusers,): (i64,) = Sql::<DB>::new(COUNT_ACTIVE_SUPERUSERS)
            .fetch_one(&mut tx)
            .await?;
        if superusers == 0 {
            tx.rollback().await?;
            return Err(StorageError::LastSuperuser);
        }
        // The user's event streams check their rights again.
        let rights_changed =
            changes.end_sessions || changes.role.is_some() || changes.is_active.is_some();
        let events: Vec<NewEvent> = rights_changed
            .then(|| NewEvent::access(id))
            .into_iter()
            .collect();
        self.commit_with_events(tx, &events).await?;
        Ok(Some(user))
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        let mut tx = DB::begin_serialized(&self.pool).await?;
        let deleted = Sql::<DB>::new(DELETE_USER)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if deleted == 0 {
            return Ok(false);
        }
        let (superusers,): (i64,) = Sql::<DB>::new(COUNT_ACTIVE_SUPERUSERS)
            .fetch_one(&mut tx)
            .await?;
        if superusers == 0 {
            tx.rollback().await?;
            return Err(StorageError::LastSuperuser);
        }
        self.commit_with_events(tx, &[NewEvent::access(id)]).await?;
        Ok(true)
    }
}

/// Inserts `record`, linked to a single sign-on `identity` (issuer,
/// subject) if given.
async fn insert_user_row<DB: SqlEngine>(
    conn: &mut DB::Connection,
    record: &UserRecord,
    identity: Option<(&str, &str)>,
) -> Result<(), StorageError> {
    Sql::<DB>::new(INSERT_USER)
        .bind(record.id)
        .bind(record.username.as_str())
        .bind(record.email.as_ref().map(Email::as_str))
        .bind(record.full_name.as_ref().map(FullName::as_str))
        .bind(&record.password_hash)
        .bind(record.role.as_str())
        .bind(record.is_active)
        .bind(record.created_at)
        .bind(record.updated_at)
        .bind(identity.map(|(issuer, _)| issuer))
        .bind(identity.map(|(_, subject)| subject))
        .execute(conn)
        .await?;
    Ok(())
}
