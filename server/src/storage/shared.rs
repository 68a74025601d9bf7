//! The [`Store`](super::Store) implementation both engines share.
//!
//! SQLite and PostgreSQL run the same SQL (see [`super::sql`]); they differ in
//! how a UUID is bound and read (text in SQLite, `uuid` in PostgreSQL). Each
//! engine module therefore defines its store struct (with a `pool` field) and
//! two functions, then invokes [`impl_store!`]:
//!
//! - `fn db_id(id: Uuid) -> impl Encode + Type` — binds an id;
//! - `fn row_id(row: &Row, column: &str) -> Result<Uuid, sqlx::Error>` — reads one.

/// Implements `Store` for `$store` (rows of type `$row`, engine `$engine`)
/// from the shared SQL.
macro_rules! impl_store {
    ($store:ty, $row:ty, $engine:expr) => {
        fn user_from_row(
            row: &$row,
        ) -> Result<$crate::storage::UserRecord, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let role: String = row.try_get("role")?;
            Ok($crate::storage::UserRecord {
                id: row_id(row, "id")?,
                username: row.try_get("username")?,
                email: row.try_get("email")?,
                full_name: row.try_get("full_name")?,
                password_hash: row.try_get("password_hash")?,
                role: $crate::storage::models::parse_role(&role)?,
                is_active: row.try_get("is_active")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            fn engine(&self) -> $crate::storage::Engine {
                $engine
            }

            async fn ping(&self) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::PING).execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn count_users(&self) -> Result<u64, $crate::storage::StorageError> {
                let count: i64 = sqlx::query_scalar(sql::COUNT_USERS)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count.try_into().unwrap_or_default())
            }

            async fn create_first_user(
                &self,
                user: $crate::storage::NewUser,
            ) -> Result<Option<$crate::storage::UserRecord>, $crate::storage::StorageError> {
                let now = $crate::storage::now();
                let record = user.into_record(now);
                let mut tx = self.pool.begin().await?;
                // The settings key is the lock: a concurrent caller waits on
                // it until we commit, then inserts nothing.
                let claimed = sqlx::query(sql::INSERT_SETTING_IF_ABSENT)
                    .bind($crate::storage::keys::SETUP_COMPLETED_AT)
                    .bind(now.to_rfc3339())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let existing: i64 = sqlx::query_scalar(sql::COUNT_USERS)
                    .fetch_one(&mut *tx)
                    .await?;
                if claimed == 0 || existing > 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                sqlx::query(sql::INSERT_USER)
                    .bind(db_id(record.id))
                    .bind(&record.username)
                    .bind(&record.email)
                    .bind(&record.full_name)
                    .bind(&record.password_hash)
                    .bind(record.role.as_str())
                    .bind(record.is_active)
                    .bind(record.created_at)
                    .bind(record.updated_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(record))
            }

            async fn user_by_id(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::UserRecord>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_USER_BY_ID)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(user_from_row)
                    .transpose()
            }

            async fn user_by_username(
                &self,
                username: &str,
            ) -> Result<Option<$crate::storage::UserRecord>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_USER_BY_USERNAME)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(user_from_row)
                    .transpose()
            }

            async fn setting(
                &self,
                key: &str,
            ) -> Result<Option<String>, $crate::storage::StorageError> {
                Ok(sqlx::query_scalar(sql::SELECT_SETTING)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn setting_or_insert(
                &self,
                key: &str,
                value: &str,
            ) -> Result<String, $crate::storage::StorageError> {
                sqlx::query(sql::INSERT_SETTING_IF_ABSENT)
                    .bind(key)
                    .bind(value)
                    .bind($crate::storage::now())
                    .execute(&self.pool)
                    .await?;
                self.setting(key).await?.ok_or_else(|| {
                    $crate::storage::StorageError::Corrupt(format!(
                        "setting {key} vanished after insert"
                    ))
                })
            }
        }
    };
}
pub(crate) use impl_store;
