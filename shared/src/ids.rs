//! Typed ids: a [`DeviceId`] can never be passed where an [`AgentId`] is
//! expected. Each is a UUID, transparent in JSON (the API's shapes are
//! unchanged) and, with the `sqlx` feature, bound and read as the engine
//! stores UUIDs ([`UuidColumn`]), from the request to the row and back
//! (docs/ARCHITECTURE.md, "Typed values").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The id holding `uuid`.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID behind the id.
            pub const fn as_uuid(self) -> Uuid {
                self.0
            }

            /// A new random id (UUID v4), for a record about to be inserted.
            #[cfg(feature = "sqlx")]
            pub fn generate() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<DB: UuidColumn> sqlx::Type<DB> for $name {
            fn type_info() -> DB::TypeInfo {
                <DB::Stored as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <DB::Stored as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q, DB: UuidColumn> sqlx::Encode<'q, DB> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                DB::to_column(self.0).encode_by_ref(buf)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r, DB: UuidColumn> sqlx::Decode<'r, DB> for $name {
            /// A malformed id is an error, never a default.
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                <DB::Stored as sqlx::Decode<'r, DB>>::decode(value)
                    .map(|column| Self(DB::from_column(column)))
            }
        }
    )*};
}

ids! {
    /// A user account's id.
    UserId;
    /// A device's id.
    DeviceId;
    /// A cluster's id.
    ClusterId;
    /// An agent's id.
    AgentId;
    /// An enrollment key's id.
    EnrollmentKeyId;
    /// A wake's id: one device wake or one cluster wake.
    WakeId;
}

/// How an engine stores a UUID: PostgreSQL's native `uuid`, or hyphenated
/// text on SQLite (which has no UUID type; text stays readable in the
/// `sqlite3` shell).
#[cfg(feature = "sqlx")]
pub trait UuidColumn: sqlx::Database {
    /// The column's Rust type on this engine.
    type Stored: sqlx::Type<Self>
        + for<'q> sqlx::Encode<'q, Self>
        + for<'r> sqlx::Decode<'r, Self>
        + Send;

    fn to_column(uuid: Uuid) -> Self::Stored;

    fn from_column(column: Self::Stored) -> Uuid;
}

#[cfg(feature = "sqlx")]
impl UuidColumn for sqlx::Sqlite {
    type Stored = uuid::fmt::Hyphenated;

    fn to_column(uuid: Uuid) -> Self::Stored {
        uuid.hyphenated()
    }

    fn from_column(column: Self::Stored) -> Uuid {
        column.into_uuid()
    }
}

#[cfg(feature = "sqlx")]
impl UuidColumn for sqlx::Postgres {
    type Stored = Uuid;

    fn to_column(uuid: Uuid) -> Self::Stored {
        uuid
    }

    fn from_column(column: Self::Stored) -> Uuid {
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_uuids_in_json_and_text() {
        let uuid = Uuid::from_u128(0x1234);
        let id = DeviceId::from_uuid(uuid);
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            serde_json::to_string(&uuid).unwrap()
        );
        let back: DeviceId = serde_json::from_str(&format!("\"{uuid}\"")).unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_string(), uuid.to_string());
        assert_eq!(uuid.to_string().parse::<DeviceId>().unwrap(), id);
        assert!("not-a-uuid".parse::<AgentId>().is_err());
        assert!(serde_json::from_str::<ClusterId>("\"nope\"").is_err());
    }
}
