//! Enrollment keys: what an admin hands an agent so it may register.
//!
//! The key is shown once, when created; the server keeps only its SHA-256,
//! so a database leak does not leak working keys.

use sha2::{Digest, Sha256};
use shared::ids::EnrollmentKeyId;
use shared::types::{
    EnrollmentKeyCreate, EnrollmentKeyCreated, EnrollmentKeyPublic, EnrollmentKeysPublic, Message,
};

use super::{ServiceError, Services};
use crate::domain::{Invalid, non_blank};
use crate::security::random_secret;
use crate::storage::{EnrollmentKeyRecord, Page, UserRecord};

/// Every key starts with this, so it is recognisable in configuration files.
pub const KEY_PREFIX: &str = "pbek_";

/// How many characters of a key are kept in clear to recognise it.
const SHOWN_CHARS: usize = 12;

/// The stored form of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Services {
    /// Creates a key (admins and superusers); the answer holds the only copy of the secret.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn create_enrollment_key(
        &self,
        actor: &UserRecord,
        request: EnrollmentKeyCreate,
    ) -> Result<EnrollmentKeyCreated, ServiceError> {
        require_admin(actor)?;
        let name = non_blank(request.name.as_deref())
            .unwrap_or_default()
            .to_string();
        if name.chars().count() > shared::limits::NAME_MAX || name.chars().any(char::is_control) {
            return Err(Invalid::new(
                "name",
                format!(
                    "A key name has at most {} characters.",
                    shared::limits::NAME_MAX
                ),
            )
            .into());
        }
        let expires_at = match request.expires_in_hours {
            None => None,
            Some(hours @ 1..=87_600) => {
                Some(crate::storage::now() + chrono::Duration::hours(hours.into()))
            }
            Some(_) => {
                return Err(Invalid::new(
                    "expires_in_hours",
                    "Give from 1 to 87600 hours, or leave it out.",
                )
                .into());
            }
        };
        if let Some(cluster_id) = request.cluster_id {
            self.store.cluster_ref(cluster_id).await?.ok_or_else(|| {
                ServiceError::NotFound(format!("Cluster {cluster_id} not found."))
            })?;
        }
        let key = format!("{KEY_PREFIX}{}", random_secret());
        let record = EnrollmentKeyRecord {
            id: EnrollmentKeyId::generate(),
            name,
            key_hash: hash_key(&key),
            key_prefix: key[..SHOWN_CHARS].to_string(),
            cluster_id: request.cluster_id,
            created_by: Some(actor.id),
            created_at: crate::storage::now(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        self.store.insert_enrollment_key(&record).await?;
        tracing::info!(actor = %actor.id, key_id = %record.id, prefix = %record.key_prefix, "enrollment key created");
        Ok(EnrollmentKeyCreated {
            info: key_public(&record),
            key,
        })
    }

    /// Lists keys without their secrets (admins and superusers).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn list_enrollment_keys(
        &self,
        actor: &UserRecord,
        page: Page,
    ) -> Result<EnrollmentKeysPublic, ServiceError> {
        require_admin(actor)?;
        let (keys, count) = self.store.list_enrollment_keys(page).await?;
        Ok(EnrollmentKeysPublic {
            keys: keys.iter().map(key_public).collect(),
            count,
        })
    }

    /// Revokes a key (admins and superusers); agents can no longer enroll with it.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, key_id = %id), err(level = "debug"))]
    pub async fn revoke_enrollment_key(
        &self,
        actor: &UserRecord,
        id: EnrollmentKeyId,
    ) -> Result<Message, ServiceError> {
        require_admin(actor)?;
        if !self
            .store
            .revoke_enrollment_key(id, crate::storage::now())
            .await?
        {
            return Err(ServiceError::NotFound("Enrollment key not found.".into()));
        }
        tracing::info!(actor = %actor.id, key_id = %id, "enrollment key revoked");
        Ok(Message::new("Enrollment key revoked"))
    }
}

fn require_admin(actor: &UserRecord) -> Result<(), ServiceError> {
    ServiceError::forbidden_unless(
        actor.access().may_administer_agents(),
        "Only admins manage enrollment keys.",
    )
}

fn key_public(record: &EnrollmentKeyRecord) -> EnrollmentKeyPublic {
    EnrollmentKeyPublic {
        id: record.id,
        name: record.name.clone(),
        key_prefix: record.key_prefix.clone(),
        cluster_id: record.cluster_id,
        created_at: record.created_at,
        expires_at: record.expires_at,
        revoked_at: record.revoked_at,
        last_used_at: record.last_used_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_with_sha256() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
