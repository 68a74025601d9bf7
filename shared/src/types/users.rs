//! Users: accounts as the API shows them, their roles, sign-in tokens, and the
//! requests that create and change them.

use super::{REDACTED, UnknownSpelling};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPublic {
    pub id: UserId,
    pub username: String,
    pub email: Option<String>,
    pub is_active: bool,
    pub role: Role,
    pub full_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/auth/login`: an OAuth2 bearer token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Token {
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
}

impl Token {
    /// A bearer token.
    pub fn bearer(access_token: String) -> Self {
        Self {
            access_token,
            token_type: "bearer".into(),
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// `GET /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsersPublic {
    pub data: Vec<UserPublic>,
    /// All users, not just this page.
    pub count: u64,
}

/// `POST /api/users`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCreate {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    /// Defaults to `viewer` (least privilege, as the original API).
    #[serde(default)]
    pub role: Option<Role>,
    /// Defaults to `true`.
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl std::fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCreate")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// `PATCH /api/users/{id}`: only the fields given change. An empty `email`
/// or `full_name` clears it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl std::fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserUpdate")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// `PATCH /api/users/me`: one's own profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdateMe {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
}

/// `PATCH /api/users/me/password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdatePassword {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for UpdatePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdatePassword")
            .field("current_password", &REDACTED)
            .field("new_password", &REDACTED)
            .finish()
    }
}

/// What a user may do, from most to least powerful. The default is the
/// least: `viewer`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Viewer,
    User,
    Admin,
    Superuser,
}

impl Role {
    /// How a role reads on screen.
    pub fn label(self) -> &'static str {
        match self {
            Role::Superuser => "Superuser",
            Role::Admin => "Admin",
            Role::User => "User",
            Role::Viewer => "Viewer",
        }
    }

    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superuser => "superuser",
            Role::Admin => "admin",
            Role::User => "user",
            Role::Viewer => "viewer",
        }
    }

    /// Parses the JSON/database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "superuser" => Some(Role::Superuser),
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Reads the database's spelling; anything else is an error, never a default.
impl TryFrom<String> for Role {
    type Error = UnknownSpelling;

    fn try_from(text: String) -> Result<Self, UnknownSpelling> {
        Role::parse(&text).ok_or_else(|| UnknownSpelling::new("role", &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Superuser > Role::Admin);
        assert!(Role::Admin > Role::User);
        assert!(Role::User > Role::Viewer);
    }

    #[test]
    fn role_spellings_round_trip() {
        for role in [Role::Superuser, Role::Admin, Role::User, Role::Viewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
