//! Devices: the machines to wake, their agent links, their search columns, and
//! what a wake of one reads.
//!
//! The area's trait, its SQL (one text for both engines) and its
//! implementation over [`SqlStore`]; what differs per engine is in
//! `engine.rs`.

use std::collections::HashMap;
use std::net::IpAddr;

use powerbeacon_agent::MacAddress;
use powerbeacon_agent::wire::ProbeMethod;
use shared::ids::{AgentId, ClusterId, DeviceId, UserId};
use shared::types::{Change, DeviceEvent, LiveEvent, OsType};

use crate::domain::device_search::{self, DeviceMatch};
use crate::domain::presence::Presence;

use super::engine::{Parsed, ParsedOpt, Sql, SqlEngine};
use super::events::NewEvent;
use super::store::SqlStore;
use super::{
    AgentRecord, AgentRef, DeviceRecord, DeviceView, Engine, Page, StorageError, Store, WakeTarget,
};

/// The devices a `DeviceMatch` (`domain::device_search`) accepts: $1 the
/// search text, $2 its bare MAC (matched against the MAC's letters and
/// digits only), $3 the OS, $4 the cluster, $5 the tag key, $6 the presence
/// state (as of the heartbeat cutoff $7); each NULL when it does not narrow. "Contains" is written as
/// `length(replace(text, part, '')) < length(text)`, which both engines
/// spell the same way and which, unlike LIKE, has no wildcards to escape and
/// is case-sensitive on both.
macro_rules! device_match {
    () => {
        concat!(
        " WHERE ($1 IS NULL OR length(replace(search_text, $1, '')) < length(search_text) \
           OR ($2 IS NOT NULL AND length(replace(replace(lower(mac_address), ':', ''), $2, '')) \
               < length(replace(mac_address, ':', '')))) \
         AND ($3 IS NULL OR os_type = $3) AND ($4 IS NULL OR cluster_id = $4) \
         AND ($5 IS NULL OR length(replace(tag_keys, $5, '')) < length(tag_keys)) \
         AND ($6 IS NULL OR ",
        effective_presence!("devices.id", "$7"),
        " = $6)"
        )
    };
}

/// A page (`$page`, its `LIMIT … OFFSET …`) of the devices `$filter`
/// accepts (a `WHERE` clause, or none), as the tail of a `SELECT … FROM`:
/// newest first, ties broken by id so pages never overlap.
macro_rules! newest_devices {
    ($filter:expr, $page:expr) => {
        concat!(
            "devices",
            $filter,
            " ORDER BY created_at DESC, id DESC ",
            $page
        )
    };
}

/// The statements of a page of [`newest_devices`], with owner, cluster and
/// agent ids; the agents themselves on the same snapshot (see
/// [`device_views_of`]).
macro_rules! newest_page {
    ($filter:expr, $page:expr) => {
        device_list_sql!(
            concat!(
                "SELECT ",
                device_columns!(),
                device_agent_ids!(),
                " FROM (SELECT * FROM ",
                newest_devices!($filter, $page),
                ") d",
                device_record_joins!(),
                " ORDER BY d.created_at DESC, d.id DESC"
            ),
            "created_at DESC, id DESC",
            concat!("SELECT id FROM ", newest_devices!($filter, $page))
        )
    };
}

const DEVICE_PAGE: DeviceListSql = newest_page!("", "LIMIT $1 OFFSET $2");

const SELECT_DEVICE_VIEW: &str = concat!(
    "SELECT ",
    device_view_columns!(),
    " FROM devices d",
    device_joins!(),
    " WHERE d.id = $1 ORDER BY lower(a.hostname), a.hostname, a.id"
);

const COUNT_DEVICES: &str = "SELECT COUNT(*) FROM devices";

/// A page (`LIMIT $8 OFFSET $9`) of the matching devices.
const MATCHING_DEVICE_PAGE: DeviceListSql = newest_page!(device_match!(), "LIMIT $8 OFFSET $9");

const COUNT_MATCHING_DEVICES: &str = concat!("SELECT COUNT(*) FROM devices", device_match!());

/// Each set of tags once.
const SELECT_DEVICE_TAG_KEYS: &str = "SELECT DISTINCT tag_keys FROM devices";

/// Devices whose search columns are not written yet (added before them).
const SELECT_DEVICES_TO_INDEX: &str = concat!(
    "SELECT ",
    device_record_columns!(),
    " FROM devices d WHERE d.search_text = '' LIMIT 500"
);

/// Only while still unwritten: an edit on another replica in the meantime
/// wrote the device's own.
const UPDATE_DEVICE_SEARCH: &str =
    "UPDATE devices SET search_text = $2, tag_keys = $3 WHERE id = $1 AND search_text = ''";

const INSERT_DEVICE: &str = "INSERT INTO devices (id, name, mac_address, ip_address, os_type, \
    is_active, description, tags, cluster_id, owner_id, created_at, updated_at, search_text, \
    tag_keys, probe_method, probe_ports, probe_interval_s, probe_adopt_address, boot_timeout_s) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

const UPDATE_DEVICE: &str = "UPDATE devices SET name = $2, mac_address = $3, ip_address = $4, \
    os_type = $5, is_active = $6, description = $7, tags = $8, cluster_id = $9, updated_at = $10, \
    search_text = $11, tag_keys = $12, probe_method = $13, probe_ports = $14, \
    probe_interval_s = $15, probe_adopt_address = $16, boot_timeout_s = $17 WHERE id = $1";

const DELETE_DEVICE: &str = "DELETE FROM devices WHERE id = $1 RETURNING name, cluster_id";

const INSERT_DEVICE_AGENT: &str =
    "INSERT INTO device_agents (device_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

const DELETE_DEVICE_AGENTS: &str = "DELETE FROM device_agents WHERE device_id = $1";

const SELECT_WAKE_DEVICE: &str = "SELECT id, name, mac_address, ip_address, owner_id, \
    probe_method, boot_timeout_s FROM devices WHERE id = $1";

const SELECT_WAKE_AGENTS_OF_DEVICE: &str = concat!(
    "SELECT da.device_id, ",
    agent_columns!(),
    " FROM device_agents da JOIN agents a ON a.id = da.agent_id WHERE da.device_id = $1 \
     ORDER BY lower(a.hostname), a.hostname, a.id"
);

/// Devices: the machines to wake, their agent links, their search columns, and
/// what a wake of one reads.
#[async_trait::async_trait]
pub trait DeviceStore: Send + Sync {
    /// One page of devices, newest first, with owner, cluster and agents; and the total.
    async fn list_device_views(&self, page: Page) -> Result<(Vec<DeviceView>, u64), StorageError>;

    /// One page of the devices `filter` accepts, ordered as
    /// [`DeviceStore::list_device_views`]; and how many it accepts.
    async fn find_device_views(
        &self,
        filter: &DeviceMatch,
        page: Page,
    ) -> Result<(Vec<DeviceView>, u64), StorageError>;

    /// How many devices there are.
    async fn count_devices(&self) -> Result<u64, StorageError>;

    /// Every tag of the devices, sorted, once each.
    async fn device_tags(&self) -> Result<Vec<String>, StorageError>;

    /// Writes the search columns of devices that have none (stored before
    /// the columns existed, or by a replica of an older version during an
    /// upgrade), a batch at a time; how many it wrote. Run at start-up and
    /// hourly.
    async fn fill_device_search(&self) -> Result<u64, StorageError>;

    /// One device with owner, cluster and agents.
    async fn device_view(&self, id: DeviceId) -> Result<Option<DeviceView>, StorageError>;

    /// Inserts a device linked to `agent_ids`; a taken MAC is a conflict on
    /// `devices_mac_address_key`.
    async fn insert_device(
        &self,
        device: &DeviceRecord,
        agent_ids: &[AgentId],
    ) -> Result<(), StorageError>;

    /// Writes every field of a device (stamping `updated_at`) and, when
    /// given, replaces its agent links; `false` when no such device exists.
    async fn update_device(
        &self,
        device: &DeviceRecord,
        agent_ids: Option<&[AgentId]>,
    ) -> Result<bool, StorageError>;

    /// Deletes a device and its agent links; `false` when none existed.
    async fn delete_device(&self, id: DeviceId) -> Result<bool, StorageError>;

    /// A device and its agents, for a wake.
    async fn device_wake_target(&self, id: DeviceId) -> Result<Option<WakeTarget>, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> DeviceStore for SqlStore<DB> {
    async fn list_device_views(&self, page: Page) -> Result<(Vec<DeviceView>, u64), StorageError> {
        let (limit, skip) = page.binds();
        let mut tx = self.snapshot().await?;
        let views =
            device_views_of::<DB>(&mut tx, &DEVICE_PAGE, |sql| sql.bind(limit).bind(skip)).await?;
        let (count,): (i64,) = Sql::<DB>::new(COUNT_DEVICES).fetch_one(&mut tx).await?;
        tx.commit().await?;
        Ok((views, count.try_into().unwrap_or_default()))
    }

    async fn find_device_views(
        &self,
        filter: &DeviceMatch,
        page: Page,
    ) -> Result<(Vec<DeviceView>, u64), StorageError> {
        let (limit, skip) = page.binds();
        let bind_filter = |sql: Sql<'static, DB>| {
            sql.bind(filter.text.clone())
                .bind(filter.bare_mac.clone())
                .bind(filter.os.map(OsType::as_str))
                .bind(filter.cluster)
                .bind(filter.tag_key.clone())
                .bind(filter.presence.map(|state| state.as_str()))
                .bind(filter.presence_cutoff)
        };
        // One snapshot: the count is that of the devices the page shows.
        let mut tx = self.snapshot().await?;
        let views = device_views_of::<DB>(&mut tx, &MATCHING_DEVICE_PAGE, |sql| {
            bind_filter(sql).bind(limit).bind(skip)
        })
        .await?;
        let (count,): (i64,) = bind_filter(Sql::<DB>::new(COUNT_MATCHING_DEVICES))
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        Ok((views, count.try_into().unwrap_or_default()))
    }

    async fn count_devices(&self) -> Result<u64, StorageError> {
        let (count,): (i64,) = Sql::<DB>::new(COUNT_DEVICES)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(count.try_into().unwrap_or_default())
    }

    async fn device_tags(&self) -> Result<Vec<String>, StorageError> {
        let keys: Vec<(String,)> = Sql::<DB>::new(SELECT_DEVICE_TAG_KEYS)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        let mut tags: Vec<String> = keys
            .iter()
            .flat_map(|(keys,)| device_search::tags_of_keys(keys))
            .map(str::to_string)
            .collect();
        tags.sort_by(|a, b| (a.to_lowercase(), a).cmp(&(b.to_lowercase(), b)));
        tags.dedup();
        Ok(tags)
    }

    async fn fill_device_search(&self) -> Result<u64, StorageError> {
        self.fill_search_columns().await
    }

    async fn device_view(&self, id: DeviceId) -> Result<Option<DeviceView>, StorageError> {
        // One snapshot: the device, its links and what is concluded of it.
        let mut tx = self.snapshot().await?;
        let rows = Sql::<DB>::new(SELECT_DEVICE_VIEW)
            .bind(id)
            .fetch_all(&mut tx)
            .await?;
        let Some(mut view) = device_views(rows).pop() else {
            return Ok(None);
        };
        view.presence = super::presence::device_presence_in::<DB>(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(view))
    }

    async fn insert_device(
        &self,
        device: &DeviceRecord,
        agent_ids: &[AgentId],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        Sql::<DB>::new(INSERT_DEVICE)
            .bind(device.id)
            .bind(&device.name)
            .bind(device.mac_address.to_string())
            .bind(device.ip_address.map(|ip| ip.to_string()))
            .bind(device.os_type.as_str())
            .bind(device.is_active)
            .bind(&device.description)
            .bind(sqlx::types::Json(&device.tags))
            .bind(device.cluster_id)
            .bind(device.owner_id)
            .bind(device.created_at)
            .bind(device.updated_at)
            .bind(device.search_text())
            .bind(device.tag_keys())
            .bind(device.probe_method.as_str())
            .bind(sqlx::types::Json(&device.probe_ports))
            .bind(device.probe_interval_s)
            .bind(device.probe_adopt_address)
            .bind(device.boot_timeout_s)
            .execute(&mut tx)
            .await?;
        link_agents::<DB>(&mut tx, device.id, agent_ids).await?;
        self.commit_with_events(tx, &[device_event(device, Change::Created)])
            .await
    }

    async fn update_device(
        &self,
        device: &DeviceRecord,
        agent_ids: Option<&[AgentId]>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = Sql::<DB>::new(UPDATE_DEVICE)
            .bind(device.id)
            .bind(&device.name)
            .bind(device.mac_address.to_string())
            .bind(device.ip_address.map(|ip| ip.to_string()))
            .bind(device.os_type.as_str())
            .bind(device.is_active)
            .bind(&device.description)
            .bind(sqlx::types::Json(&device.tags))
            .bind(device.cluster_id)
            .bind(device.updated_at)
            .bind(device.search_text())
            .bind(device.tag_keys())
            .bind(device.probe_method.as_str())
            .bind(sqlx::types::Json(&device.probe_ports))
            .bind(device.probe_interval_s)
            .bind(device.probe_adopt_address)
            .bind(device.boot_timeout_s)
            .execute(&mut tx)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        if let Some(agent_ids) = agent_ids {
            link_agents::<DB>(&mut tx, device.id, agent_ids).await?;
        }
        self.commit_with_events(tx, &[device_event(device, Change::Updated)])
            .await?;
        Ok(true)
    }

    async fn delete_device(&self, id: DeviceId) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let deleted: Option<(String, Option<ClusterId>)> = Sql::<DB>::new(DELETE_DEVICE)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        let Some((name, cluster_id)) = deleted else {
            return Ok(false);
        };
        let event = LiveEvent::Device(DeviceEvent {
            device_id: id,
            cluster_id,
            name,
            change: Change::Deleted,
        });
        self.commit_with_events(tx, &[NewEvent::live(&event)])
            .await?;
        Ok(true)
    }

    async fn device_wake_target(&self, id: DeviceId) -> Result<Option<WakeTarget>, StorageError> {
        // One snapshot: the device and the links it had at that moment.
        let mut tx = self.snapshot().await?;
        let devices = Sql::<DB>::new(SELECT_WAKE_DEVICE)
            .bind(id)
            .fetch_all::<WakeDeviceRow>(&mut tx)
            .await?;
        if devices.is_empty() {
            return Ok(None);
        }
        let links = Sql::<DB>::new(SELECT_WAKE_AGENTS_OF_DEVICE)
            .bind(id)
            .fetch_all::<WakeLinkRow>(&mut tx)
            .await?;
        let presence = super::presence::device_presence_in::<DB>(&mut tx, id).await?;
        tx.commit().await?;
        let presence = presence.map(|p| (id, p)).into_iter().collect();
        Ok(wake_targets(devices, links, presence).pop())
    }
}

impl<DB: SqlEngine> SqlStore<DB> {
    /// The body of [`DeviceStore::fill_device_search`].
    async fn fill_search_columns(&self) -> Result<u64, StorageError> {
        let mut filled = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let devices: Vec<DeviceRecord> = Sql::<DB>::new(SELECT_DEVICES_TO_INDEX)
                .fetch_all(&mut tx)
                .await?;
            if devices.is_empty() {
                return Ok(filled);
            }
            for device in &devices {
                filled += Sql::<DB>::new(UPDATE_DEVICE_SEARCH)
                    .bind(device.id)
                    .bind(device.search_text())
                    .bind(device.tag_keys())
                    .execute(&mut tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }
}

/// Fills in the search columns at start-up; a device that cannot be read
/// stops the fill, not the server (its search columns stay empty).
pub(super) async fn fill_device_search_or_warn(store: &dyn Store) {
    if let Err(error) = store.fill_device_search().await {
        tracing::warn!(%error, "could not fill in the search columns of older devices");
    }
}

/// Replaces a device's agent links.
async fn link_agents<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device_id: DeviceId,
    agent_ids: &[AgentId],
) -> Result<(), StorageError> {
    Sql::<DB>::new(DELETE_DEVICE_AGENTS)
        .bind(device_id)
        .execute(conn)
        .await?;
    for agent_id in agent_ids {
        Sql::<DB>::new(INSERT_DEVICE_AGENT)
            .bind(device_id)
            .bind(*agent_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A device's columns and those of one of its agents (all NULL when it has
/// none; see `sql::device_view_columns`).
#[derive(sqlx::FromRow)]
pub(super) struct DeviceViewRow {
    #[sqlx(flatten)]
    view: DeviceView,
    agent_id: Option<AgentId>,
    agent_hostname: Option<String>,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    agent_ip: Option<IpAddr>,
    agent_cluster_id: Option<ClusterId>,
    agent_approved: Option<bool>,
    agent_last_seen: Option<chrono::DateTime<chrono::Utc>>,
}

/// Folds rows of one device and one agent each into device views, in row order.
pub(super) fn device_views(rows: Vec<DeviceViewRow>) -> Vec<DeviceView> {
    let mut views: Vec<DeviceView> = Vec::new();
    for row in rows {
        if views
            .last()
            .is_none_or(|view| view.device.id != row.view.device.id)
        {
            views.push(row.view);
        }
        if let (Some(id), Some(hostname), Some(ip), Some(approved)) = (
            row.agent_id,
            row.agent_hostname,
            row.agent_ip,
            row.agent_approved,
        ) {
            let view = views.last_mut().expect("pushed above");
            view.agents.push(AgentRef {
                id,
                hostname,
                ip,
                cluster_id: row.agent_cluster_id,
                approved,
                last_seen: row.agent_last_seen,
            });
        }
    }
    views
}

/// A listed device, with its agents' ids as the database aggregated them
/// ([`device_agent_ids`]).
#[derive(sqlx::FromRow)]
struct ListedDeviceRow {
    #[sqlx(flatten)]
    view: DeviceView,
    agent_ids: Option<String>,
}

/// The statements of one list of devices (see [`device_views_of`]), each
/// taking the same parameters.
pub(super) struct DeviceListSql {
    /// The devices, a row each, with owner, cluster and agent ids
    /// ([`ListedDeviceRow`]).
    pub rows: &'static str,
    /// The same rows packed into one JSON text (`packed_device_list!`),
    /// which SQLite reads instead. Built by `device_list_sql!`.
    pub packed: &'static str,
    /// The agents those devices link to, once each, in agent order.
    pub agents: &'static str,
    /// What is concluded about whether those devices are up
    /// (`presence.rs`, `PresenceRow`).
    pub presence: &'static str,
}

/// Reads a list of devices with their agents in two statements on one
/// snapshot: the devices with owner, cluster and agent ids, and the agents
/// they link to. A fleet whose devices share a few agents so reads one row
/// per device and each agent once (a join of devices and agents repeated
/// every device's columns for each of its agents); on SQLite the devices
/// come packed in a single row. Each device lists its agents in agent order.
pub(super) async fn device_views_of<DB: SqlEngine>(
    conn: &mut DB::Connection,
    sql: &DeviceListSql,
    bind: impl Fn(Sql<'static, DB>) -> Sql<'static, DB>,
) -> Result<Vec<DeviceView>, StorageError> {
    let rows: Vec<ListedDeviceRow> = match DB::ENGINE {
        Engine::Sqlite => {
            let (packed,): (String,) = bind(Sql::new(sql.packed)).fetch_one(&mut *conn).await?;
            unpack_devices(&packed)?
        }
        Engine::Postgres => bind(Sql::new(sql.rows)).fetch_all(&mut *conn).await?,
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let agents: Vec<AgentRef> = bind(Sql::new(sql.agents)).fetch_all(&mut *conn).await?;
    let mut presence = super::presence::presence_by_device(
        bind(Sql::new(sql.presence)).fetch_all(&mut *conn).await?,
    )?;
    let rank: HashMap<AgentId, usize> = agents
        .iter()
        .enumerate()
        .map(|(rank, agent)| (agent.id, rank))
        .collect();
    rows.into_iter()
        .map(|row| {
            let mut view = row.view;
            view.presence = presence.remove(&view.device.id);
            let ids = row.agent_ids.unwrap_or_default();
            let mut ranks = Vec::new();
            for id in ids.split(',').filter(|id| !id.is_empty()) {
                let id: AgentId = id.parse().map_err(|_| {
                    StorageError::Corrupt(format!("agent id {id:?} of device {}", view.device.id))
                })?;
                // An agent the other statement did not see cannot be: both
                // read one snapshot, and links point at existing agents.
                if let Some(&rank) = rank.get(&id) {
                    ranks.push(rank);
                }
            }
            ranks.sort_unstable();
            view.agents = ranks.into_iter().map(|rank| agents[rank].clone()).collect();
            Ok(view)
        })
        .collect()
}

/// One device of a [`DeviceListSql::packed`] text: the columns of
/// `packed_device_list!`, in its order, as SQLite's JSON holds them (a
/// boolean is 0 or 1; the canonical texts, which hold no escapes, borrowed).
#[derive(serde::Deserialize)]
struct PackedDevice<'a>(
    DeviceId,
    String,
    &'a str,
    Option<&'a str>,
    &'a str,
    i64,
    Option<String>,
    Vec<String>,
    Option<ClusterId>,
    Option<UserId>,
    &'a str,
    &'a str,
    Option<String>,
    Option<String>,
    Option<String>,
    &'a str,
    Vec<u16>,
    Option<i32>,
    i64,
    Option<i32>,
);

/// The rows of a packed list, read as sqlx reads them column by column: a
/// value that does not parse is [`StorageError::Corrupt`].
fn unpack_devices(packed: &str) -> Result<Vec<ListedDeviceRow>, StorageError> {
    let corrupt = |what: &str, error: &dyn std::fmt::Display| {
        StorageError::Corrupt(format!("{what} of a listed device: {error}"))
    };
    let devices: Vec<PackedDevice> =
        serde_json::from_str(packed).map_err(|error| corrupt("the columns", &error))?;
    devices
        .into_iter()
        .map(|packed| {
            let PackedDevice(
                id,
                name,
                mac_address,
                ip_address,
                os_type,
                is_active,
                description,
                tags,
                cluster_id,
                owner_id,
                created_at,
                updated_at,
                owner_name,
                cluster_name,
                agent_ids,
                probe_method,
                probe_ports,
                probe_interval_s,
                probe_adopt_address,
                boot_timeout_s,
            ) = packed;
            let timestamp = |text: &str| {
                chrono::DateTime::parse_from_rfc3339(text)
                    .map(|at| at.with_timezone(&chrono::Utc))
                    .map_err(|error| corrupt("a timestamp", &error))
            };
            let device = DeviceRecord {
                id,
                name,
                mac_address: mac_address
                    .parse()
                    .map_err(|error| corrupt("the MAC address", &error))?,
                ip_address: ip_address
                    .map(str::parse)
                    .transpose()
                    .map_err(|error| corrupt("the IP address", &error))?,
                os_type: os_type.parse().map_err(|error| corrupt("the OS", &error))?,
                is_active: is_active != 0,
                description,
                tags,
                cluster_id,
                owner_id,
                created_at: timestamp(created_at)?,
                updated_at: timestamp(updated_at)?,
                probe_method: probe_method
                    .parse()
                    .map_err(|error| corrupt("the probe method", &error))?,
                probe_ports,
                probe_interval_s,
                probe_adopt_address: probe_adopt_address != 0,
                boot_timeout_s,
            };
            Ok(ListedDeviceRow {
                view: DeviceView {
                    device,
                    owner_name,
                    cluster_name,
                    agents: Vec::new(),
                    presence: None,
                },
                agent_ids,
            })
        })
        .collect()
}

/// A device to wake, without its agents.
#[derive(sqlx::FromRow)]
pub(super) struct WakeDeviceRow {
    id: DeviceId,
    name: String,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    mac_address: MacAddress,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    ip_address: Option<IpAddr>,
    owner_id: Option<UserId>,
    #[sqlx(try_from = "Parsed<ProbeMethod>")]
    probe_method: ProbeMethod,
    boot_timeout_s: Option<i32>,
}

/// An agent linked to the device `device_id`.
#[derive(sqlx::FromRow)]
pub(super) struct WakeLinkRow {
    device_id: DeviceId,
    #[sqlx(flatten)]
    agent: AgentRecord,
}

/// Attaches each link's agent and what is concluded about its presence to
/// its device, in row order.
pub(super) fn wake_targets(
    devices: Vec<WakeDeviceRow>,
    links: Vec<WakeLinkRow>,
    mut presence: HashMap<DeviceId, Presence>,
) -> Vec<WakeTarget> {
    let mut by_device: HashMap<DeviceId, Vec<AgentRecord>> = HashMap::new();
    for link in links {
        by_device
            .entry(link.device_id)
            .or_default()
            .push(link.agent);
    }
    devices
        .into_iter()
        .map(|device| WakeTarget {
            device_id: device.id,
            name: device.name,
            mac_address: device.mac_address,
            ip_address: device.ip_address,
            owner_id: device.owner_id,
            probe_method: device.probe_method,
            boot_timeout_s: device.boot_timeout_s,
            presence: presence.remove(&device.id),
            agents: by_device.remove(&device.id).unwrap_or_default(),
        })
        .collect()
}

/// The event that reports `change` to `device`.
pub(super) fn device_event(device: &DeviceRecord, change: Change) -> NewEvent {
    NewEvent::live(&LiveEvent::Device(DeviceEvent {
        device_id: device.id,
        cluster_id: device.cluster_id,
        name: device.name.clone(),
        change,
    }))
}

#[cfg(test)]
mod tests {
    use super::unpack_devices;
    use crate::storage::StorageError;

    const DEVICE: &str = r#"["6f1c1d1e-0000-4000-8000-000000000001","pc \"one\"","AA:BB:CC:DD:EE:01",null,"windows",0,null,["lab","rack-1"],null,null,"2026-12-05T08:00:00.123456+00:00","2026-12-05T09:00:00+00:00","Ada",null,"x,y","tcp",[22,3389],null,1,45]"#;

    #[test]
    fn a_packed_device_reads_as_its_columns_would() {
        let rows = unpack_devices(&format!("[{DEVICE}]")).unwrap();
        let [row] = rows.as_slice() else {
            panic!("one row")
        };
        let device = &row.view.device;
        assert_eq!(device.name, "pc \"one\"");
        assert_eq!(device.mac_address.to_string(), "AA:BB:CC:DD:EE:01");
        assert_eq!(device.ip_address, None);
        assert_eq!(device.os_type.as_str(), "windows");
        assert!(!device.is_active);
        assert_eq!(device.tags, ["lab", "rack-1"]);
        assert_eq!(
            device.created_at.to_rfc3339(),
            "2026-12-05T08:00:00.123456+00:00"
        );
        assert_eq!(row.view.owner_name.as_deref(), Some("Ada"));
        assert_eq!(row.view.cluster_name, None);
        assert_eq!(row.agent_ids.as_deref(), Some("x,y"));
        assert_eq!(device.probe_method.as_str(), "tcp");
        assert_eq!(device.probe_ports, [22, 3389]);
        assert_eq!(device.probe_interval_s, None);
        assert!(device.probe_adopt_address);
        assert_eq!(device.boot_timeout_s, Some(45));
        assert!(unpack_devices("[]").unwrap().is_empty());
    }

    #[test]
    fn a_value_that_does_not_parse_is_corrupt_never_a_default() {
        for broken in [
            DEVICE.replace("AA:BB:CC:DD:EE:01", "not a mac"),
            DEVICE.replace("\"windows\"", "\"beos\""),
            DEVICE.replace("2026-12-05T09:00:00+00:00", "yesterday"),
            DEVICE.replace("null,\"windows\"", "\"192.0.2.300\",\"windows\""),
            DEVICE.replace(",0,", ",\"no\","),
            DEVICE.replace("\"tcp\"", "\"sonar\""),
            DEVICE.replace("[22,3389]", "[70000]"),
        ] {
            assert!(
                matches!(
                    unpack_devices(&format!("[{broken}]")),
                    Err(StorageError::Corrupt(_))
                ),
                "{broken}"
            );
        }
    }
}
