//! Types of the REST API and the server functions, compiled by both the
//! server and the browser so the two can never disagree on a field name.
//! One file per area; everything is re-exported here, so a type is
//! `shared::types::DevicePublic` whichever file holds it.

mod agents;
mod clusters;
mod config;
mod devices;
mod errors;
mod events;
mod pages;
mod presence;
mod users;
mod wake;

pub use agents::*;
pub use clusters::*;
pub use config::*;
pub use devices::*;
pub use errors::*;
pub use events::*;
pub use pages::*;
pub use presence::*;
pub use users::*;
pub use wake::*;

use serde::Deserialize;

/// What secrets show as in `Debug` output (logs, panics).
pub(crate) const REDACTED: &str = "[redacted]";

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EnrollmentKeyId;

    #[test]
    fn secrets_never_show_in_debug_output() {
        const SECRET: &str = "hunter2-secret";
        let key = EnrollmentKeyCreated {
            info: EnrollmentKeyPublic {
                id: EnrollmentKeyId::from_uuid(uuid::Uuid::from_u128(1)),
                name: "k".into(),
                key_prefix: "pbek_".into(),
                cluster_id: None,
                created_at: chrono::Utc::now(),
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            },
            key: SECRET.into(),
        };
        let printed = [
            format!(
                "{:?}",
                SetupInitRequest {
                    username: "a".into(),
                    password: SECRET.into(),
                    email: None,
                    full_name: None,
                    oidc: None,
                    setup_code: Some(SECRET.into())
                }
            ),
            format!("{:?}", Token::bearer(SECRET.into())),
            format!(
                "{:?}",
                UserCreate {
                    username: "a".into(),
                    password: SECRET.into(),
                    email: None,
                    full_name: None,
                    role: None,
                    is_active: None
                }
            ),
            format!(
                "{:?}",
                UserUpdate {
                    password: Some(SECRET.into()),
                    ..UserUpdate::default()
                }
            ),
            format!(
                "{:?}",
                UpdatePassword {
                    current_password: SECRET.into(),
                    new_password: SECRET.into()
                }
            ),
            format!(
                "{:?}",
                OidcConfigUpdate {
                    enabled: true,
                    server_metadata_url: None,
                    client_id: None,
                    client_secret: Some(SECRET.into()),
                    default_role: None
                }
            ),
            format!("{key:?}"),
        ];
        for text in printed {
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}
