//! What can go wrong in the storage layer.

/// A unique key of the schema: what a write can clash with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    /// `users_username_key` (case-insensitive).
    Username,
    /// `users_email_key` (case-insensitive).
    Email,
    /// `users_oidc_identity_key`: a provider's (issuer, subject).
    SsoIdentity,
    /// `devices_mac_address_key`.
    DeviceMac,
    /// `agents_hostname_key`.
    AgentHostname,
    /// `enrollment_keys_hash_key`.
    EnrollmentKey,
    /// A primary key, or a key this list does not know yet.
    Other,
}

impl UniqueKey {
    /// The key a constraint stands for: PostgreSQL names the index; SQLite
    /// names an expression index too, but for others the columns
    /// (`table.column, …`, see [`sqlite_constraint`]).
    fn of_constraint(name: &str) -> Self {
        match name {
            "users_username_key" => UniqueKey::Username,
            "users_email_key" => UniqueKey::Email,
            "users_oidc_identity_key" | "users.oidc_issuer, users.oidc_subject" => {
                UniqueKey::SsoIdentity
            }
            "devices_mac_address_key" | "devices.mac_address" => UniqueKey::DeviceMac,
            "agents_hostname_key" | "agents.hostname" => UniqueKey::AgentHostname,
            "enrollment_keys_hash_key" | "enrollment_keys.key_hash" => UniqueKey::EnrollmentKey,
            _ => UniqueKey::Other,
        }
    }
}

/// A storage failure, with the SQL details kept out of anything a client sees.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique key refused the write.
    #[error("unique key {0:?} violated")]
    Conflict(UniqueKey),
    /// The change would leave the instance without an active superuser.
    #[error("the last active superuser cannot be removed, demoted or deactivated")]
    LastSuperuser,
    /// The database cannot be reached (closed, down, or timed out).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The configuration cannot work (bad URL, unwritable file).
    #[error("{0}")]
    Config(String),
    /// A row held something the code cannot read (a bug or a manual edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Anything else the database reported.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let constraint = db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| sqlite_constraint(db.message()));
                StorageError::Conflict(UniqueKey::of_constraint(&constraint))
            }
            sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => {
                StorageError::Unavailable(error.to_string())
            }
            // A value the records cannot hold (an unknown role, a malformed
            // id, a port out of range): never read as a default.
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StorageError::Corrupt(error.to_string())
            }
            _ => StorageError::Database(error),
        }
    }
}

/// What SQLite says clashed: the index of an expression index
/// (`UNIQUE constraint failed: index 'users_username_key'`), else the
/// columns (`UNIQUE constraint failed: users.oidc_issuer, users.oidc_subject`).
fn sqlite_constraint(message: &str) -> String {
    let detail = message
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(message);
    match detail.strip_prefix("index ") {
        Some(index) => index.trim_matches('\'').to_string(),
        None => detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{UniqueKey, sqlite_constraint};

    #[test]
    fn constraint_names_are_the_keys_services_match() {
        for (name, key) in [
            ("users_username_key", UniqueKey::Username),
            ("users_email_key", UniqueKey::Email),
            ("users_oidc_identity_key", UniqueKey::SsoIdentity),
            ("devices_mac_address_key", UniqueKey::DeviceMac),
            ("agents_hostname_key", UniqueKey::AgentHostname),
            ("enrollment_keys_hash_key", UniqueKey::EnrollmentKey),
            ("settings_pkey", UniqueKey::Other),
        ] {
            assert_eq!(UniqueKey::of_constraint(name), key, "{name}");
        }
    }

    #[test]
    fn sqlite_messages_name_the_key() {
        for (message, key) in [
            (
                "UNIQUE constraint failed: index 'users_username_key'",
                UniqueKey::Username,
            ),
            (
                "UNIQUE constraint failed: devices.mac_address",
                UniqueKey::DeviceMac,
            ),
            (
                "UNIQUE constraint failed: users.oidc_issuer, users.oidc_subject",
                UniqueKey::SsoIdentity,
            ),
            (
                "UNIQUE constraint failed: enrollment_keys.key_hash",
                UniqueKey::EnrollmentKey,
            ),
            ("UNIQUE constraint failed: settings.key", UniqueKey::Other),
        ] {
            assert_eq!(
                UniqueKey::of_constraint(&sqlite_constraint(message)),
                key,
                "{message}"
            );
        }
    }
}
