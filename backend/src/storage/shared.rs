//! The [`Store`](super::Store) implementation both engines share.
//!
//! SQLite and PostgreSQL run the same SQL (see [`super::sql`]); they differ in
//! how a UUID is bound and read (text in SQLite, `uuid` in PostgreSQL). Each
//! engine module therefore defines its store struct (with a `pool` field) and
//! two functions, then invokes [`impl_store!`]:
//!
//! - `fn db_id(id: Uuid) -> impl Encode + Type` — binds an id;
//! - `fn row_id(row: &Row, column: &str) -> Result<Uuid, sqlx::Error>` — reads one;
//! - `async fn begin_serialized(pool) -> Result<Transaction, sqlx::Error>` — a
//!   transaction that runs alone among serialized ones, for checks that span rows.

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
                token_version: row.try_get("token_version")?,
            })
        }

        fn device_from_row(
            row: &$row,
        ) -> Result<$crate::storage::DeviceView, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let tags: sqlx::types::Json<Vec<String>> = row.try_get("tags")?;
            Ok($crate::storage::DeviceView {
                device: $crate::storage::DeviceRecord {
                    id: row_id(row, "id")?,
                    name: row.try_get("name")?,
                    mac_address: row.try_get("mac_address")?,
                    ip_address: row.try_get("ip_address")?,
                    os_type: row.try_get("os_type")?,
                    is_active: row.try_get("is_active")?,
                    description: row.try_get("description")?,
                    tags: tags.0,
                    cluster_id: row_opt_id(row, "cluster_id")?,
                    owner_id: row_opt_id(row, "owner_id")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                },
                owner_name: row.try_get("owner_name")?,
                cluster_name: row.try_get("cluster_name")?,
                agents: Vec::new(),
            })
        }

        fn agent_ref_from_row(
            row: &$row,
        ) -> Result<$crate::storage::AgentRef, $crate::storage::StorageError> {
            use sqlx::Row as _;
            Ok($crate::storage::AgentRef {
                id: row_id(row, "id")?,
                hostname: row.try_get("hostname")?,
                ip: row.try_get("ip")?,
                cluster_id: row_opt_id(row, "cluster_id")?,
                approved: row.try_get("approved")?,
                last_seen: row.try_get("last_seen")?,
            })
        }

        fn cluster_from_row(
            row: &$row,
        ) -> Result<$crate::storage::ClusterView, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let tags: sqlx::types::Json<Vec<String>> = row.try_get("tags")?;
            let device_count: i64 = row.try_get("device_count")?;
            let agent_count: i64 = row.try_get("agent_count")?;
            Ok($crate::storage::ClusterView {
                cluster: $crate::storage::ClusterRecord {
                    id: row_id(row, "id")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    tags: tags.0,
                    owner_id: row_opt_id(row, "owner_id")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                },
                owner_name: row.try_get("owner_name")?,
                device_count: device_count.try_into().unwrap_or_default(),
                agent_count: agent_count.try_into().unwrap_or_default(),
            })
        }

        /// Replaces the given sides of a cluster's membership inside `tx`,
        /// then drops device↔agent links that now cross its border.
        async fn set_members(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            cluster_id: uuid::Uuid,
            members: &$crate::storage::Membership,
        ) -> Result<(), $crate::storage::StorageError> {
            if let Some(device_ids) = &members.device_ids {
                sqlx::query(sql::DETACH_CLUSTER_DEVICES)
                    .bind(db_id(cluster_id))
                    .execute(&mut **tx)
                    .await?;
                for id in device_ids {
                    sqlx::query(sql::ATTACH_DEVICE)
                        .bind(db_id(cluster_id))
                        .bind(db_id(*id))
                        .execute(&mut **tx)
                        .await?;
                }
            }
            if let Some(agent_ids) = &members.agent_ids {
                sqlx::query(sql::DETACH_CLUSTER_AGENTS)
                    .bind(db_id(cluster_id))
                    .execute(&mut **tx)
                    .await?;
                for id in agent_ids {
                    sqlx::query(sql::ATTACH_AGENT)
                        .bind(db_id(cluster_id))
                        .bind(db_id(*id))
                        .execute(&mut **tx)
                        .await?;
                }
            }
            sqlx::query(sql::PRUNE_CLUSTER_LINKS)
                .bind(db_id(cluster_id))
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        fn enrollment_key_from_row(
            row: &$row,
        ) -> Result<$crate::storage::EnrollmentKeyRecord, $crate::storage::StorageError> {
            use sqlx::Row as _;
            Ok($crate::storage::EnrollmentKeyRecord {
                id: row_id(row, "id")?,
                name: row.try_get("name")?,
                key_hash: row.try_get("key_hash")?,
                key_prefix: row.try_get("key_prefix")?,
                cluster_id: row_opt_id(row, "cluster_id")?,
                created_by: row_opt_id(row, "created_by")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                revoked_at: row.try_get("revoked_at")?,
                last_used_at: row.try_get("last_used_at")?,
            })
        }

        /// `LIMIT`/`OFFSET` binds of a page, saturated to what SQL takes.
        fn page_binds(page: $crate::storage::Page) -> (i64, i64) {
            (
                i64::try_from(page.limit).unwrap_or(i64::MAX),
                i64::try_from(page.skip).unwrap_or(i64::MAX),
            )
        }

        /// Runs `page_sql` (`LIMIT $1 OFFSET $2`) and `count_sql`.
        async fn fetch_page_rows(
            pool: &sqlx::Pool<<$row as sqlx::Row>::Database>,
            page_sql: &'static str,
            count_sql: &'static str,
            page: $crate::storage::Page,
        ) -> Result<(Vec<$row>, u64), $crate::storage::StorageError> {
            let (limit, skip) = page_binds(page);
            let rows = sqlx::query(page_sql)
                .bind(limit)
                .bind(skip)
                .fetch_all(pool)
                .await?;
            let count: i64 = sqlx::query_scalar(count_sql).fetch_one(pool).await?;
            Ok((rows, count.try_into().unwrap_or_default()))
        }

        /// Like [`fetch_page_rows`], mapping each row.
        async fn fetch_page<T>(
            pool: &sqlx::Pool<<$row as sqlx::Row>::Database>,
            page_sql: &'static str,
            count_sql: &'static str,
            page: $crate::storage::Page,
            map: fn(&$row) -> Result<T, $crate::storage::StorageError>,
        ) -> Result<(Vec<T>, u64), $crate::storage::StorageError> {
            let (rows, count) = fetch_page_rows(pool, page_sql, count_sql, page).await?;
            let items = rows.iter().map(map).collect::<Result<Vec<_>, _>>()?;
            Ok((items, count))
        }

        /// Inserts `record`, linked to a single sign-on `identity` (issuer,
        /// subject) if given.
        async fn insert_user_row<'c, E>(
            executor: E,
            record: &$crate::storage::UserRecord,
            identity: Option<(&str, &str)>,
        ) -> Result<(), $crate::storage::StorageError>
        where
            E: sqlx::Executor<'c, Database = <$row as sqlx::Row>::Database>,
        {
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
                .bind(identity.map(|(issuer, _)| issuer))
                .bind(identity.map(|(_, subject)| subject))
                .execute(executor)
                .await?;
            Ok(())
        }

        /// Writes a device's agent links inside `tx`.
        async fn link_agents(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            device_id: uuid::Uuid,
            agent_ids: &[uuid::Uuid],
        ) -> Result<(), $crate::storage::StorageError> {
            sqlx::query(sql::DELETE_DEVICE_AGENTS)
                .bind(db_id(device_id))
                .execute(&mut **tx)
                .await?;
            for agent_id in agent_ids {
                sqlx::query(sql::INSERT_DEVICE_AGENT)
                    .bind(db_id(device_id))
                    .bind(db_id(*agent_id))
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        fn agent_from_row(
            row: &$row,
        ) -> Result<$crate::storage::AgentRecord, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let port: i32 = row.try_get("port")?;
            let interfaces: sqlx::types::Json<Vec<::shared::types::AgentInterface>> =
                row.try_get("interfaces")?;
            let features: sqlx::types::Json<Vec<String>> = row.try_get("features")?;
            Ok($crate::storage::AgentRecord {
                id: row_id(row, "id")?,
                hostname: row.try_get("hostname")?,
                ip: row.try_get("ip")?,
                port: u16::try_from(port).map_err(|_| {
                    $crate::storage::StorageError::Corrupt(format!("agent port {port}"))
                })?,
                os: row.try_get("os")?,
                version: row.try_get("version")?,
                token: row.try_get("token")?,
                approved: row.try_get("approved")?,
                interfaces: interfaces.0,
                features: features.0,
                cluster_id: row_opt_id(row, "cluster_id")?,
                owner_id: row_opt_id(row, "owner_id")?,
                last_seen: row.try_get("last_seen")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn agent_view_from_row(
            row: &$row,
        ) -> Result<$crate::storage::AgentView, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let device_count: i64 = row.try_get("device_count")?;
            Ok($crate::storage::AgentView {
                agent: agent_from_row(row)?,
                cluster_name: row.try_get("cluster_name")?,
                cluster_owner_id: row_opt_id(row, "cluster_owner_id")?,
                cluster_owner_name: row.try_get("cluster_owner_name")?,
                device_count: device_count.try_into().unwrap_or_default(),
            })
        }

        /// Reads wake targets from `devices` rows (id, name, mac_address,
        /// ip_address, owner_id) and attaches the agents of `links` rows (device_id + agent).
        fn wake_targets(
            devices: &[$row],
            links: &[$row],
        ) -> Result<Vec<$crate::storage::WakeTarget>, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let mut by_device: std::collections::HashMap<
                uuid::Uuid,
                Vec<$crate::storage::AgentRecord>,
            > = std::collections::HashMap::new();
            for row in links {
                by_device
                    .entry(row_id(row, "device_id")?)
                    .or_default()
                    .push(agent_from_row(row)?);
            }
            devices
                .iter()
                .map(|row| {
                    let device_id = row_id(row, "id")?;
                    Ok($crate::storage::WakeTarget {
                        device_id,
                        name: row.try_get("name")?,
                        mac_address: row.try_get("mac_address")?,
                        ip_address: row.try_get("ip_address")?,
                        owner_id: row_opt_id(row, "owner_id")?,
                        agents: by_device.remove(&device_id).unwrap_or_default(),
                    })
                })
                .collect()
        }

        /// Folds rows of device columns plus one agent each (see
        /// `sql::device_view_columns`) into device views, in row order.
        fn device_views(
            rows: &[$row],
        ) -> Result<Vec<$crate::storage::DeviceView>, $crate::storage::StorageError> {
            use sqlx::Row as _;
            let mut views: Vec<$crate::storage::DeviceView> = Vec::new();
            for row in rows {
                let id = row_id(row, "id")?;
                if views.last().is_none_or(|view| view.device.id != id) {
                    views.push(device_from_row(row)?);
                }
                if let Some(agent_id) = row_opt_id(row, "agent_id")? {
                    let view = views.last_mut().expect("pushed above");
                    view.agents.push($crate::storage::AgentRef {
                        id: agent_id,
                        hostname: row.try_get("agent_hostname")?,
                        ip: row.try_get("agent_ip")?,
                        cluster_id: row_opt_id(row, "agent_cluster_id")?,
                        approved: row.try_get("agent_approved")?,
                        last_seen: row.try_get("agent_last_seen")?,
                    });
                }
            }
            Ok(views)
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
                insert_user_row(&mut *tx, &record, None).await?;
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

            async fn insert_user(
                &self,
                user: $crate::storage::NewUser,
            ) -> Result<$crate::storage::UserRecord, $crate::storage::StorageError> {
                let record = user.into_record($crate::storage::now());
                insert_user_row(&self.pool, &record, None).await?;
                Ok(record)
            }

            async fn user_by_identity(
                &self,
                issuer: &str,
                subject: &str,
            ) -> Result<Option<$crate::storage::UserRecord>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_USER_BY_IDENTITY)
                    .bind(issuer)
                    .bind(subject)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(user_from_row)
                    .transpose()
            }

            async fn insert_sso_user(
                &self,
                user: $crate::storage::NewUser,
                issuer: &str,
                subject: &str,
            ) -> Result<$crate::storage::UserRecord, $crate::storage::StorageError> {
                let record = user.into_record($crate::storage::now());
                insert_user_row(&self.pool, &record, Some((issuer, subject))).await?;
                Ok(record)
            }

            async fn list_users(
                &self,
                page: $crate::storage::Page,
            ) -> Result<(Vec<$crate::storage::UserRecord>, u64), $crate::storage::StorageError>
            {
                fetch_page(
                    &self.pool,
                    sql::SELECT_USERS_PAGE,
                    sql::COUNT_USERS,
                    page,
                    user_from_row,
                )
                .await
            }

            async fn update_user(
                &self,
                id: uuid::Uuid,
                changes: $crate::storage::UserChanges,
            ) -> Result<Option<$crate::storage::UserRecord>, $crate::storage::StorageError> {
                let mut tx = begin_serialized(&self.pool).await?;
                let row = sqlx::query(sql::UPDATE_USER)
                    .bind(db_id(id))
                    .bind(&changes.username)
                    .bind(changes.email.is_some())
                    .bind(changes.email.flatten())
                    .bind(changes.full_name.is_some())
                    .bind(changes.full_name.flatten())
                    .bind(&changes.password_hash)
                    .bind(changes.role.map(|role| role.as_str()))
                    .bind(changes.is_active)
                    .bind(i64::from(changes.end_sessions))
                    .bind($crate::storage::now())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let user = user_from_row(&row)?;
                let superusers: i64 = sqlx::query_scalar(sql::COUNT_ACTIVE_SUPERUSERS)
                    .fetch_one(&mut *tx)
                    .await?;
                if superusers == 0 {
                    tx.rollback().await?;
                    return Err($crate::storage::StorageError::LastSuperuser);
                }
                tx.commit().await?;
                Ok(Some(user))
            }

            async fn delete_user(
                &self,
                id: uuid::Uuid,
            ) -> Result<bool, $crate::storage::StorageError> {
                let mut tx = begin_serialized(&self.pool).await?;
                let deleted = sqlx::query(sql::DELETE_USER)
                    .bind(db_id(id))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                let superusers: i64 = sqlx::query_scalar(sql::COUNT_ACTIVE_SUPERUSERS)
                    .fetch_one(&mut *tx)
                    .await?;
                if superusers == 0 {
                    tx.rollback().await?;
                    return Err($crate::storage::StorageError::LastSuperuser);
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn list_device_views(
                &self,
                page: $crate::storage::Page,
            ) -> Result<(Vec<$crate::storage::DeviceView>, u64), $crate::storage::StorageError>
            {
                let (rows, count) = fetch_page_rows(
                    &self.pool,
                    sql::SELECT_DEVICE_VIEWS_PAGE,
                    sql::COUNT_DEVICES,
                    page,
                )
                .await?;
                Ok((device_views(&rows)?, count))
            }

            async fn device_view(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::DeviceView>, $crate::storage::StorageError> {
                let rows = sqlx::query(sql::SELECT_DEVICE_VIEW)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(device_views(&rows)?.pop())
            }

            async fn insert_device(
                &self,
                device: &$crate::storage::DeviceRecord,
                agent_ids: &[uuid::Uuid],
            ) -> Result<(), $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sql::INSERT_DEVICE)
                    .bind(db_id(device.id))
                    .bind(&device.name)
                    .bind(&device.mac_address)
                    .bind(&device.ip_address)
                    .bind(&device.os_type)
                    .bind(device.is_active)
                    .bind(&device.description)
                    .bind(sqlx::types::Json(&device.tags))
                    .bind(device.cluster_id.map(db_id))
                    .bind(device.owner_id.map(db_id))
                    .bind(device.created_at)
                    .bind(device.updated_at)
                    .execute(&mut *tx)
                    .await?;
                link_agents(&mut tx, device.id, agent_ids).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_device(
                &self,
                device: &$crate::storage::DeviceRecord,
                agent_ids: Option<&[uuid::Uuid]>,
            ) -> Result<bool, $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(sql::UPDATE_DEVICE)
                    .bind(db_id(device.id))
                    .bind(&device.name)
                    .bind(&device.mac_address)
                    .bind(&device.ip_address)
                    .bind(&device.os_type)
                    .bind(device.is_active)
                    .bind(&device.description)
                    .bind(sqlx::types::Json(&device.tags))
                    .bind(device.cluster_id.map(db_id))
                    .bind(device.updated_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                if let Some(agent_ids) = agent_ids {
                    link_agents(&mut tx, device.id, agent_ids).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn delete_device(
                &self,
                id: uuid::Uuid,
            ) -> Result<bool, $crate::storage::StorageError> {
                let deleted = sqlx::query(sql::DELETE_DEVICE)
                    .bind(db_id(id))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn list_cluster_views(
                &self,
                page: $crate::storage::Page,
            ) -> Result<(Vec<$crate::storage::ClusterView>, u64), $crate::storage::StorageError>
            {
                fetch_page(
                    &self.pool,
                    sql::SELECT_CLUSTER_VIEWS_PAGE,
                    sql::COUNT_CLUSTERS,
                    page,
                    cluster_from_row,
                )
                .await
            }

            async fn cluster_view(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::ClusterView>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_CLUSTER_VIEW)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(cluster_from_row)
                    .transpose()
            }

            async fn cluster_device_views(
                &self,
                id: uuid::Uuid,
            ) -> Result<Vec<$crate::storage::DeviceView>, $crate::storage::StorageError> {
                let rows = sqlx::query(sql::SELECT_DEVICE_VIEWS_OF_CLUSTER)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                device_views(&rows)
            }

            async fn cluster_agent_views(
                &self,
                id: uuid::Uuid,
            ) -> Result<Vec<$crate::storage::AgentView>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_AGENT_VIEWS_OF_CLUSTER)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(agent_view_from_row)
                    .collect()
            }

            async fn insert_cluster(
                &self,
                cluster: &$crate::storage::ClusterRecord,
                members: &$crate::storage::Membership,
            ) -> Result<(), $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sql::INSERT_CLUSTER)
                    .bind(db_id(cluster.id))
                    .bind(&cluster.name)
                    .bind(&cluster.description)
                    .bind(sqlx::types::Json(&cluster.tags))
                    .bind(cluster.owner_id.map(db_id))
                    .bind(cluster.created_at)
                    .bind(cluster.updated_at)
                    .execute(&mut *tx)
                    .await?;
                set_members(&mut tx, cluster.id, members).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_cluster(
                &self,
                cluster: &$crate::storage::ClusterRecord,
                members: &$crate::storage::Membership,
            ) -> Result<bool, $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(sql::UPDATE_CLUSTER)
                    .bind(db_id(cluster.id))
                    .bind(&cluster.name)
                    .bind(&cluster.description)
                    .bind(sqlx::types::Json(&cluster.tags))
                    .bind(cluster.updated_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                set_members(&mut tx, cluster.id, members).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn delete_cluster(
                &self,
                id: uuid::Uuid,
            ) -> Result<bool, $crate::storage::StorageError> {
                let deleted = sqlx::query(sql::DELETE_CLUSTER)
                    .bind(db_id(id))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn insert_enrollment_key(
                &self,
                key: &$crate::storage::EnrollmentKeyRecord,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::INSERT_ENROLLMENT_KEY)
                    .bind(db_id(key.id))
                    .bind(&key.name)
                    .bind(&key.key_hash)
                    .bind(&key.key_prefix)
                    .bind(key.cluster_id.map(db_id))
                    .bind(key.created_by.map(db_id))
                    .bind(key.created_at)
                    .bind(key.expires_at)
                    .bind(key.revoked_at)
                    .bind(key.last_used_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn list_enrollment_keys(
                &self,
                page: $crate::storage::Page,
            ) -> Result<
                (Vec<$crate::storage::EnrollmentKeyRecord>, u64),
                $crate::storage::StorageError,
            > {
                fetch_page(
                    &self.pool,
                    sql::SELECT_ENROLLMENT_KEYS_PAGE,
                    sql::COUNT_ENROLLMENT_KEYS,
                    page,
                    enrollment_key_from_row,
                )
                .await
            }

            async fn revoke_enrollment_key(
                &self,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::storage::StorageError> {
                let updated = sqlx::query(sql::REVOKE_ENROLLMENT_KEY)
                    .bind(db_id(id))
                    .bind(at)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(updated > 0)
            }

            async fn enrollment_key_by_hash(
                &self,
                key_hash: &str,
            ) -> Result<Option<$crate::storage::EnrollmentKeyRecord>, $crate::storage::StorageError>
            {
                sqlx::query(sql::SELECT_ENROLLMENT_KEY_BY_HASH)
                    .bind(key_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(enrollment_key_from_row)
                    .transpose()
            }

            async fn insert_agent(
                &self,
                agent: &$crate::storage::AgentRecord,
                used_key: Option<uuid::Uuid>,
            ) -> Result<(), $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sql::INSERT_AGENT)
                    .bind(db_id(agent.id))
                    .bind(&agent.hostname)
                    .bind(&agent.ip)
                    .bind(i32::from(agent.port))
                    .bind(&agent.os)
                    .bind(&agent.version)
                    .bind(&agent.token)
                    .bind(agent.approved)
                    .bind(sqlx::types::Json(&agent.interfaces))
                    .bind(sqlx::types::Json(&agent.features))
                    .bind(agent.cluster_id.map(db_id))
                    .bind(agent.owner_id.map(db_id))
                    .bind(agent.last_seen)
                    .bind(agent.created_at)
                    .bind(agent.updated_at)
                    .execute(&mut *tx)
                    .await?;
                if let Some(key_id) = used_key {
                    sqlx::query(sql::TOUCH_ENROLLMENT_KEY)
                        .bind(db_id(key_id))
                        .bind(agent.created_at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn agent_record(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::AgentRecord>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_AGENT_BY_ID)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(agent_from_row)
                    .transpose()
            }

            async fn agent_by_hostname(
                &self,
                hostname: &str,
            ) -> Result<Option<$crate::storage::AgentRecord>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_AGENT_BY_HOSTNAME)
                    .bind(hostname)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(agent_from_row)
                    .transpose()
            }

            async fn renew_agent(
                &self,
                renewal: &$crate::storage::AgentRenewal,
            ) -> Result<bool, $crate::storage::StorageError> {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(sql::RENEW_AGENT)
                    .bind(db_id(renewal.id))
                    .bind(&renewal.ip)
                    .bind(i32::from(renewal.port))
                    .bind(&renewal.os)
                    .bind(&renewal.version)
                    .bind(renewal.interfaces.as_ref().map(sqlx::types::Json))
                    .bind(sqlx::types::Json(&renewal.features))
                    .bind(renewal.at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                if let Some(key) = &renewal.approving_key {
                    let approved = sqlx::query(sql::APPROVE_AGENT_WITH_KEY)
                        .bind(db_id(renewal.id))
                        .bind(key.cluster_id.map(db_id))
                        .bind(key.created_by.map(db_id))
                        .bind(renewal.at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if approved > 0 {
                        sqlx::query(sql::TOUCH_ENROLLMENT_KEY)
                            .bind(db_id(key.id))
                            .bind(renewal.at)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn approve_agent(
                &self,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::storage::StorageError> {
                let updated = sqlx::query(sql::APPROVE_AGENT)
                    .bind(db_id(id))
                    .bind(at)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(updated > 0)
            }

            async fn record_heartbeat(
                &self,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
                interfaces: Option<&[::shared::types::AgentInterface]>,
            ) -> Result<bool, $crate::storage::StorageError> {
                let query = match interfaces {
                    Some(interfaces) => sqlx::query(sql::RECORD_HEARTBEAT_WITH_INTERFACES)
                        .bind(db_id(id))
                        .bind(at)
                        .bind(sqlx::types::Json(interfaces)),
                    None => sqlx::query(sql::RECORD_HEARTBEAT).bind(db_id(id)).bind(at),
                };
                Ok(query.execute(&self.pool).await?.rows_affected() > 0)
            }

            async fn list_agent_views(
                &self,
                page: $crate::storage::Page,
            ) -> Result<(Vec<$crate::storage::AgentView>, u64), $crate::storage::StorageError> {
                fetch_page(
                    &self.pool,
                    sql::SELECT_AGENT_VIEWS_PAGE,
                    sql::COUNT_AGENTS,
                    page,
                    agent_view_from_row,
                )
                .await
            }

            async fn agent_view(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::AgentView>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_AGENT_VIEW)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(agent_view_from_row)
                    .transpose()
            }

            async fn delete_agent(
                &self,
                id: uuid::Uuid,
            ) -> Result<bool, $crate::storage::StorageError> {
                let deleted = sqlx::query(sql::DELETE_AGENT)
                    .bind(db_id(id))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn device_wake_target(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::WakeTarget>, $crate::storage::StorageError> {
                let devices = sqlx::query(sql::SELECT_WAKE_DEVICE)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                if devices.is_empty() {
                    return Ok(None);
                }
                let links = sqlx::query(sql::SELECT_WAKE_AGENTS_OF_DEVICE)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(wake_targets(&devices, &links)?.pop())
            }

            async fn cluster_wake_targets(
                &self,
                id: uuid::Uuid,
            ) -> Result<Vec<$crate::storage::WakeTarget>, $crate::storage::StorageError> {
                let devices = sqlx::query(sql::SELECT_WAKE_DEVICES_OF_CLUSTER)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                let links = sqlx::query(sql::SELECT_WAKE_AGENTS_OF_CLUSTER)
                    .bind(db_id(id))
                    .fetch_all(&self.pool)
                    .await?;
                wake_targets(&devices, &links)
            }

            async fn cluster_ref(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::ClusterRef>, $crate::storage::StorageError> {
                use sqlx::Row as _;
                let Some(row) = sqlx::query(sql::SELECT_CLUSTER_REF)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                Ok(Some($crate::storage::ClusterRef {
                    id: row_id(&row, "id")?,
                    name: row.try_get("name")?,
                    owner_id: row_opt_id(&row, "owner_id")?,
                }))
            }

            async fn agent_ref(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::AgentRef>, $crate::storage::StorageError> {
                sqlx::query(sql::SELECT_AGENT_REF)
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(agent_ref_from_row)
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

            async fn put_setting(
                &self,
                key: &str,
                value: &str,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::UPSERT_SETTING)
                    .bind(key)
                    .bind(value)
                    .bind($crate::storage::now())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_session(
                &self,
                id: &str,
                data: &str,
                expires_at: i64,
            ) -> Result<bool, $crate::storage::StorageError> {
                let inserted = sqlx::query(sql::INSERT_SESSION)
                    .bind(id)
                    .bind(data)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(inserted > 0)
            }

            async fn save_session(
                &self,
                id: &str,
                data: &str,
                expires_at: i64,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::UPSERT_SESSION)
                    .bind(id)
                    .bind(data)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(
                &self,
                id: &str,
                now: i64,
            ) -> Result<Option<String>, $crate::storage::StorageError> {
                Ok(sqlx::query_scalar(sql::SELECT_SESSION)
                    .bind(id)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn delete_session(&self, id: &str) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::DELETE_SESSION)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(
                &self,
                now: i64,
            ) -> Result<u64, $crate::storage::StorageError> {
                Ok(sqlx::query(sql::DELETE_EXPIRED_SESSIONS)
                    .bind(now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn count_pending_agents(&self) -> Result<u64, $crate::storage::StorageError> {
                let count: i64 = sqlx::query_scalar(sql::COUNT_PENDING_AGENTS)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(count).unwrap_or_default())
            }

            async fn login_attempts(
                &self,
                key: &str,
            ) -> Result<Option<$crate::storage::LoginAttempts>, $crate::storage::StorageError> {
                let row: Option<(i64, i64)> = sqlx::query_as(sql::SELECT_LOGIN_ATTEMPTS)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(
                    row.map(|(attempts, last_at_ms)| $crate::storage::LoginAttempts {
                        attempts,
                        last_at_ms,
                    }),
                )
            }

            async fn claim_login_attempt(
                &self,
                key: &str,
                seen: Option<$crate::storage::LoginAttempts>,
                next: $crate::storage::LoginAttempts,
            ) -> Result<bool, $crate::storage::StorageError> {
                let done = match seen {
                    None => {
                        sqlx::query(sql::INSERT_LOGIN_ATTEMPTS)
                            .bind(key)
                            .bind(next.attempts)
                            .bind(next.last_at_ms)
                            .execute(&self.pool)
                            .await?
                    }
                    Some(seen) => {
                        sqlx::query(sql::UPDATE_LOGIN_ATTEMPTS)
                            .bind(key)
                            .bind(next.attempts)
                            .bind(next.last_at_ms)
                            .bind(seen.attempts)
                            .bind(seen.last_at_ms)
                            .execute(&self.pool)
                            .await?
                    }
                };
                Ok(done.rows_affected() == 1)
            }

            async fn give_back_login_attempt(
                &self,
                key: &str,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::GIVE_BACK_LOGIN_ATTEMPT)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn forget_login_attempts(
                &self,
                key: &str,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query(sql::DELETE_LOGIN_ATTEMPTS)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_stale_login_attempts(
                &self,
                before_ms: i64,
            ) -> Result<u64, $crate::storage::StorageError> {
                Ok(sqlx::query(sql::DELETE_STALE_LOGIN_ATTEMPTS)
                    .bind(before_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
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
