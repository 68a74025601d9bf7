//! Presence: the agents' watch lists, what each agent last saw of each
//! device (sightings), what the server concludes from them
//! (`domain::presence`) and the history of its changes
//! (docs/ARCHITECTURE.md, "Presence").
//!
//! Reports are written a batch per transaction, and each transaction that
//! concludes runs alone among serialized ones (`SqlEngine::begin_serialized`),
//! so two replicas receiving reports on one device at once never both
//! record the same change.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use powerbeacon_agent::MacAddress;
use powerbeacon_agent::wire::{FEATURE_PRESENCE, ProbeKind, ProbeMethod, SeenState};
use shared::ids::{AgentId, DeviceId, WakeId};
use shared::types::{Change, LiveEvent, PresenceEvent, PresenceState};

use crate::domain::is_online;
use crate::domain::presence::{self, Presence, Sighting, Transition};

use super::engine::{Parsed, ParsedOpt, Sql, SqlEngine};
use super::events::NewEvent;
use super::store::SqlStore;
use super::wakes::settle_device_wakes;
use super::{DeviceRecord, Page, StorageError};

const SELECT_WATCH_REVISION: &str = "SELECT watch_revision FROM agents WHERE id = $1";

/// The devices an agent watches: active ones linked to it.
const SELECT_WATCHED_DEVICES: &str = "SELECT d.id, d.mac_address, d.ip_address, d.probe_method, \
    d.probe_ports, d.probe_interval_s FROM device_agents da JOIN devices d ON d.id = da.device_id \
    WHERE da.agent_id = $1 AND d.is_active ORDER BY d.id";

/// Every device linked to an agent, with its MAC.
const SELECT_SERVED_DEVICES: &str = "SELECT d.id, d.mac_address FROM device_agents da \
    JOIN devices d ON d.id = da.device_id WHERE da.agent_id = $1";

/// A newer sighting replaces an older one; its state's start moves only
/// when the state changes. A report that arrives late (a retry) changes
/// nothing.
const UPSERT_SIGHTING: &str = "INSERT INTO presence_sightings (device_id, agent_id, state, since, \
    observed_at, method, address, mac, rtt_us) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) \
    ON CONFLICT (device_id, agent_id) DO UPDATE SET \
    since = CASE WHEN presence_sightings.state = excluded.state THEN presence_sightings.since \
    ELSE excluded.since END, state = excluded.state, observed_at = excluded.observed_at, \
    method = excluded.method, address = excluded.address, mac = excluded.mac, \
    rtt_us = excluded.rtt_us WHERE excluded.observed_at >= presence_sightings.observed_at";

/// The sightings of a device, with whether their agents count.
const SELECT_SIGHTINGS_OF_DEVICE: &str = "SELECT s.agent_id, a.hostname, a.approved, a.last_seen, \
    a.features, da.agent_id AS linked_agent_id, s.state, s.since, s.observed_at, s.method, \
    s.address, s.rtt_us FROM presence_sightings s JOIN agents a ON a.id = s.agent_id \
    LEFT JOIN device_agents da ON da.device_id = s.device_id AND da.agent_id = s.agent_id \
    WHERE s.device_id = $1";

const SELECT_PRESENCE_OF_DEVICE: &str = concat!(presence_of_devices!(), "$1)");

const UPSERT_PRESENCE: &str = "INSERT INTO device_presence (device_id, state, since, last_seen, \
    via_agent_id, via_hostname, method, address, rtt_us) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (device_id) DO UPDATE SET \
    state = excluded.state, since = excluded.since, last_seen = excluded.last_seen, \
    via_agent_id = excluded.via_agent_id, via_hostname = excluded.via_hostname, \
    method = excluded.method, address = excluded.address, rtt_us = excluded.rtt_us";

/// A device, for adopting the address it is seen up at.
const SELECT_DEVICE_RECORD: &str = concat!(
    "SELECT ",
    device_record_columns!(),
    " FROM devices d WHERE d.id = $1"
);

/// A new address for a device, with the search text that holds it.
const ADOPT_ADDRESS: &str =
    "UPDATE devices SET ip_address = $2, search_text = $3, updated_at = $4 WHERE id = $1";

const INSERT_TRANSITION: &str = "INSERT INTO presence_transitions (device_id, from_state, \
    to_state, at, via_agent_id, via_hostname, method, address) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// How many stale conclusions one transaction of the background pass takes.
const STALE_BATCH: usize = 200;

/// Conclusions that rest on an agent that no longer counts (deleted,
/// pending, silent since `$1`, or unlinked), a batch ([`STALE_BATCH`]) at a
/// time.
const SELECT_STALE_PRESENCE: &str = "SELECT p.device_id FROM device_presence p \
    LEFT JOIN agents a ON a.id = p.via_agent_id WHERE p.state <> 'unknown' AND (a.id IS NULL \
    OR NOT a.approved OR a.last_seen IS NULL OR a.last_seen < $1 OR NOT EXISTS \
    (SELECT 1 FROM device_agents da WHERE da.device_id = p.device_id \
    AND da.agent_id = p.via_agent_id)) ORDER BY p.device_id LIMIT 200";

/// How many devices read as each state, as of the heartbeat cutoff $1.
const COUNT_BY_PRESENCE: &str = concat!(
    "SELECT state, COUNT(*) FROM (SELECT ",
    effective_presence!("d.id", "$1"),
    " AS state FROM devices d) s GROUP BY state"
);

const SELECT_TRANSITIONS_PAGE: &str = "SELECT from_state, to_state, at, via_agent_id, \
    via_hostname, method, address FROM presence_transitions WHERE device_id = $1 \
    ORDER BY id DESC LIMIT $2 OFFSET $3";

const COUNT_TRANSITIONS: &str = "SELECT COUNT(*) FROM presence_transitions WHERE device_id = $1";

/// Transitions older than `$1`.
const PRUNE_OLD_TRANSITIONS: &str = "DELETE FROM presence_transitions WHERE at < $1";

/// Transitions beyond the newest `$1` of their device.
const PRUNE_EXCESS_TRANSITIONS: &str = "DELETE FROM presence_transitions WHERE id IN (\
    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY id DESC) AS n \
    FROM presence_transitions) ranked WHERE n > $1)";

/// A device an agent watches, and how.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WatchedDevice {
    pub id: DeviceId,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    pub mac_address: MacAddress,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    pub ip_address: Option<IpAddr>,
    #[sqlx(try_from = "Parsed<ProbeMethod>")]
    pub probe_method: ProbeMethod,
    #[sqlx(json)]
    pub probe_ports: Vec<u16>,
    /// `None`: the server's default.
    pub probe_interval_s: Option<i32>,
}

/// What an agent reported of a device it serves, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingReport {
    pub device_id: DeviceId,
    pub state: SeenState,
    pub method: Option<ProbeKind>,
    pub address: Option<IpAddr>,
    pub mac: Option<MacAddress>,
    pub rtt_us: Option<u32>,
    pub observed_at: DateTime<Utc>,
}

/// How many devices read as each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresenceCounts {
    pub up: u64,
    pub down: u64,
    pub unknown: u64,
}

/// A recorded change of a device's presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceTransition {
    pub device_id: DeviceId,
    pub transition: Transition,
}

/// What recording a report changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The changes of presence it recorded.
    pub transitions: Vec<DeviceTransition>,
    /// The wakes whose verdict a device coming up decided.
    pub decided_wakes: Vec<WakeId>,
}

/// When an agent's sightings count: approved, heard from within
/// `offline_after`, announcing presence, and still linked to the device.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    pub offline_after: Duration,
}

/// Presence: watch lists, sightings, conclusions and their history.
#[async_trait::async_trait]
pub trait PresenceStore: Send + Sync {
    /// The revision of an agent's watch list; `None` for an unknown agent.
    async fn watch_revision(&self, agent: AgentId) -> Result<Option<i64>, StorageError>;

    /// An agent's watch list and its revision, read together.
    async fn watch_list(
        &self,
        agent: AgentId,
    ) -> Result<Option<(i64, Vec<WatchedDevice>)>, StorageError>;

    /// The devices linked to an agent, with their MACs.
    async fn served_devices(
        &self,
        agent: AgentId,
    ) -> Result<HashMap<DeviceId, MacAddress>, StorageError>;

    /// Records an agent's sightings and concludes anew on each device they
    /// name, in one transaction: the changes it recorded, and the wakes
    /// whose verdict a device coming up decided.
    async fn record_sightings(
        &self,
        agent: AgentId,
        sightings: &[SightingReport],
        now: DateTime<Utc>,
        liveness: Liveness,
    ) -> Result<Recorded, StorageError>;

    /// Concludes anew on devices whose conclusion rests on an agent that no
    /// longer counts (the background pass); the changes it recorded.
    async fn conclude_stale_presence(
        &self,
        now: DateTime<Utc>,
        liveness: Liveness,
    ) -> Result<Vec<DeviceTransition>, StorageError>;

    /// How many devices read as up, down and unknown, an agent counting as
    /// online when heard from since `cutoff`.
    async fn presence_counts(&self, cutoff: DateTime<Utc>) -> Result<PresenceCounts, StorageError>;

    /// What is concluded about one device.
    async fn device_presence(&self, device: DeviceId) -> Result<Option<Presence>, StorageError>;

    /// A page of a device's presence changes, newest first, and how many it has.
    async fn presence_history(
        &self,
        device: DeviceId,
        page: Page,
    ) -> Result<(Vec<Transition>, u64), StorageError>;

    /// Forgets changes older than `before`, and all but the newest
    /// `keep_per_device` of each device; how many it deleted.
    async fn prune_presence_history(
        &self,
        before: DateTime<Utc>,
        keep_per_device: u32,
    ) -> Result<u64, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> PresenceStore for SqlStore<DB> {
    async fn watch_revision(&self, agent: AgentId) -> Result<Option<i64>, StorageError> {
        let row: Option<(i64,)> = Sql::<DB>::new(SELECT_WATCH_REVISION)
            .bind(agent)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|(revision,)| revision))
    }

    async fn watch_list(
        &self,
        agent: AgentId,
    ) -> Result<Option<(i64, Vec<WatchedDevice>)>, StorageError> {
        let mut tx = self.snapshot().await?;
        let Some((revision,)): Option<(i64,)> = Sql::<DB>::new(SELECT_WATCH_REVISION)
            .bind(agent)
            .fetch_optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        let devices = Sql::<DB>::new(SELECT_WATCHED_DEVICES)
            .bind(agent)
            .fetch_all(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some((revision, devices)))
    }

    async fn served_devices(
        &self,
        agent: AgentId,
    ) -> Result<HashMap<DeviceId, MacAddress>, StorageError> {
        let rows: Vec<ServedRow> = Sql::<DB>::new(SELECT_SERVED_DEVICES)
            .bind(agent)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, row.mac_address))
            .collect())
    }

    async fn record_sightings(
        &self,
        agent: AgentId,
        sightings: &[SightingReport],
        now: DateTime<Utc>,
        liveness: Liveness,
    ) -> Result<Recorded, StorageError> {
        let mut tx = DB::begin_serialized(&self.pool).await?;
        let mut devices = Vec::with_capacity(sightings.len());
        for sighting in sightings {
            Sql::<DB>::new(UPSERT_SIGHTING)
                .bind(sighting.device_id)
                .bind(agent)
                .bind(sighting.state.as_str())
                .bind(sighting.observed_at)
                .bind(sighting.method.map(ProbeKind::as_str))
                .bind(sighting.address.map(|ip| ip.to_string()))
                .bind(sighting.mac.map(|mac| mac.to_string()))
                .bind(sighting.rtt_us.map(i64::from))
                .execute(&mut tx)
                .await?;
            devices.push(sighting.device_id);
        }
        devices.sort_unstable();
        devices.dedup();
        let mut recorded = Recorded::default();
        let mut events = Vec::new();
        for device in devices {
            let (_, transition) =
                conclude_on::<DB>(&mut tx, device, now, liveness, &mut events).await?;
            if let Some(transition) = transition {
                if transition.transition.to == PresenceState::Up {
                    recorded.decided_wakes.extend(
                        settle_device_wakes::<DB>(&mut tx, device, now, &mut events).await?,
                    );
                }
                recorded.transitions.push(transition);
            }
        }
        self.commit_with_events(tx, &events).await?;
        Ok(recorded)
    }

    async fn conclude_stale_presence(
        &self,
        now: DateTime<Utc>,
        liveness: Liveness,
    ) -> Result<Vec<DeviceTransition>, StorageError> {
        let cutoff = crate::domain::before(now, liveness.offline_after);
        let mut transitions = Vec::new();
        loop {
            let mut tx = DB::begin_serialized(&self.pool).await?;
            let stale: Vec<(DeviceId,)> = Sql::<DB>::new(SELECT_STALE_PRESENCE)
                .bind(cutoff)
                .fetch_all(&mut tx)
                .await?;
            let mut rewritten = 0;
            let mut events = Vec::new();
            for &(device,) in &stale {
                let (changed, transition) =
                    conclude_on::<DB>(&mut tx, device, now, liveness, &mut events).await?;
                rewritten += usize::from(changed);
                transitions.extend(transition);
            }
            self.commit_with_events(tx, &events).await?;
            // A conclusion rewritten rests on an agent that counts (or on
            // none), so it is not stale again; a batch that rewrote nothing
            // would come back the same.
            if stale.len() < STALE_BATCH || rewritten == 0 {
                return Ok(transitions);
            }
        }
    }

    async fn presence_counts(&self, cutoff: DateTime<Utc>) -> Result<PresenceCounts, StorageError> {
        let rows: Vec<(String, i64)> = Sql::<DB>::new(COUNT_BY_PRESENCE)
            .bind(cutoff)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        let mut counts = PresenceCounts::default();
        for (state, count) in rows {
            let count = u64::try_from(count).unwrap_or_default();
            match state.parse::<PresenceState>() {
                Ok(PresenceState::Up) => counts.up += count,
                Ok(PresenceState::Down) => counts.down += count,
                Ok(PresenceState::Unknown) => counts.unknown += count,
                Err(error) => return Err(StorageError::Corrupt(error.to_string())),
            }
        }
        Ok(counts)
    }

    async fn device_presence(&self, device: DeviceId) -> Result<Option<Presence>, StorageError> {
        device_presence_in::<DB>(&mut *self.conn().await?, device).await
    }

    async fn presence_history(
        &self,
        device: DeviceId,
        page: Page,
    ) -> Result<(Vec<Transition>, u64), StorageError> {
        let (rows, count): (Vec<TransitionRow>, u64) = self
            .page_of_device(SELECT_TRANSITIONS_PAGE, COUNT_TRANSITIONS, device, page)
            .await?;
        Ok((
            rows.into_iter()
                .map(TransitionRow::into_transition)
                .collect(),
            count,
        ))
    }

    async fn prune_presence_history(
        &self,
        before: DateTime<Utc>,
        keep_per_device: u32,
    ) -> Result<u64, StorageError> {
        let mut conn = self.conn().await?;
        let old = Sql::<DB>::new(PRUNE_OLD_TRANSITIONS)
            .bind(before)
            .execute(&mut conn)
            .await?;
        let excess = Sql::<DB>::new(PRUNE_EXCESS_TRANSITIONS)
            .bind(i64::from(keep_per_device))
            .execute(&mut conn)
            .await?;
        Ok(old + excess)
    }
}

/// Concludes anew on one device inside `conn`'s transaction, writes the
/// conclusion when it changed (and says so) and records the change of state,
/// with the events that report it in `events`.
async fn conclude_on<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device: DeviceId,
    now: DateTime<Utc>,
    liveness: Liveness,
    events: &mut Vec<NewEvent>,
) -> Result<(bool, Option<DeviceTransition>), StorageError> {
    let rows: Vec<SightingRow> = Sql::<DB>::new(SELECT_SIGHTINGS_OF_DEVICE)
        .bind(device)
        .fetch_all(&mut *conn)
        .await?;
    let sightings: Vec<Sighting> = rows
        .into_iter()
        .map(|row| row.into_sighting(liveness))
        .collect::<Result<_, _>>()?;
    let previous = device_presence_in::<DB>(&mut *conn, device).await?;
    let (presence, transition) = presence::conclude(&sightings, previous.as_ref(), now);
    // A device never concluded on that stays unknown needs no row.
    let changed =
        previous.as_ref() != Some(&presence) && !(previous.is_none() && transition.is_none());
    if changed {
        Sql::<DB>::new(UPSERT_PRESENCE)
            .bind(device)
            .bind(presence.state.as_str())
            .bind(presence.since)
            .bind(presence.last_seen)
            .bind(presence.via.as_ref().map(|(id, _)| *id))
            .bind(presence.via.as_ref().map(|(_, hostname)| hostname.as_str()))
            .bind(presence.method.map(ProbeKind::as_str))
            .bind(presence.address.map(|ip| ip.to_string()))
            .bind(presence.rtt_us.map(i64::from))
            .execute(&mut *conn)
            .await?;
    }
    if changed
        && presence.state == PresenceState::Up
        && let Some(address) = presence.address
    {
        events.extend(adopt_if_wanted::<DB>(&mut *conn, device, address, now).await?);
    }
    let Some(transition) = transition else {
        return Ok((changed, None));
    };
    Sql::<DB>::new(INSERT_TRANSITION)
        .bind(device)
        .bind(transition.from.as_str())
        .bind(transition.to.as_str())
        .bind(transition.at)
        .bind(transition.via.as_ref().map(|(id, _)| *id))
        .bind(
            transition
                .via
                .as_ref()
                .map(|(_, hostname)| hostname.as_str()),
        )
        .bind(transition.method.map(ProbeKind::as_str))
        .bind(transition.address.map(|ip| ip.to_string()))
        .execute(&mut *conn)
        .await?;
    events.push(NewEvent::live(&LiveEvent::Presence(PresenceEvent {
        device_id: device,
        state: transition.to,
        since: transition.at,
        via: transition
            .via
            .as_ref()
            .map(|(_, hostname)| hostname.clone()),
    })));
    Ok((
        changed,
        Some(DeviceTransition {
            device_id: device,
            transition,
        }),
    ))
}

/// Makes `address` the device's `ip_address` when the device asks for it
/// (`probe_adopt_address`) and has another: the event that reports it.
async fn adopt_if_wanted<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device: DeviceId,
    address: IpAddr,
    now: DateTime<Utc>,
) -> Result<Option<NewEvent>, StorageError> {
    let record: Option<DeviceRecord> = Sql::<DB>::new(SELECT_DEVICE_RECORD)
        .bind(device)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(mut record) = record else {
        return Ok(None);
    };
    if !record.probe_adopt_address || record.ip_address == Some(address) {
        return Ok(None);
    }
    record.ip_address = Some(address);
    Sql::<DB>::new(ADOPT_ADDRESS)
        .bind(device)
        .bind(address.to_string())
        .bind(record.search_text())
        .bind(now)
        .execute(conn)
        .await?;
    tracing::info!(%device, %address, "device address adopted from its presence");
    Ok(Some(super::devices::device_event(&record, Change::Updated)))
}

/// What is concluded about one device, read on `conn`.
pub(super) async fn device_presence_in<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device: DeviceId,
) -> Result<Option<Presence>, StorageError> {
    let row: Option<PresenceRow> = Sql::<DB>::new(SELECT_PRESENCE_OF_DEVICE)
        .bind(device)
        .fetch_optional(conn)
        .await?;
    row.map(PresenceRow::into_presence).transpose()
}

#[derive(sqlx::FromRow)]
struct ServedRow {
    id: DeviceId,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    mac_address: MacAddress,
}

/// A sighting with what decides whether its agent counts.
#[derive(sqlx::FromRow)]
struct SightingRow {
    agent_id: AgentId,
    hostname: String,
    approved: bool,
    last_seen: Option<DateTime<Utc>>,
    #[sqlx(json)]
    features: Vec<String>,
    linked_agent_id: Option<AgentId>,
    #[sqlx(try_from = "Parsed<SeenState>")]
    state: SeenState,
    since: DateTime<Utc>,
    observed_at: DateTime<Utc>,
    #[sqlx(try_from = "ParsedOpt<ProbeKind>")]
    method: Option<ProbeKind>,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    address: Option<IpAddr>,
    rtt_us: Option<i64>,
}

impl SightingRow {
    fn into_sighting(self, liveness: Liveness) -> Result<Sighting, StorageError> {
        let counts = self.linked_agent_id.is_some()
            && self.features.iter().any(|f| f == FEATURE_PRESENCE)
            && is_online(self.approved, self.last_seen, liveness.offline_after);
        Ok(Sighting {
            agent_id: self.agent_id,
            hostname: self.hostname,
            counts,
            state: self.state,
            since: self.since,
            observed_at: self.observed_at,
            method: self.method,
            address: self.address,
            rtt_us: rtt(self.rtt_us)?,
        })
    }
}

/// A conclusion as stored.
#[derive(sqlx::FromRow)]
pub(super) struct PresenceRow {
    pub(super) device_id: DeviceId,
    #[sqlx(try_from = "Parsed<PresenceState>")]
    state: PresenceState,
    since: DateTime<Utc>,
    last_seen: Option<DateTime<Utc>>,
    via_agent_id: Option<AgentId>,
    via_hostname: Option<String>,
    #[sqlx(try_from = "ParsedOpt<ProbeKind>")]
    method: Option<ProbeKind>,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    address: Option<IpAddr>,
    rtt_us: Option<i64>,
}

impl PresenceRow {
    pub(super) fn into_presence(self) -> Result<Presence, StorageError> {
        Ok(Presence {
            state: self.state,
            since: self.since,
            last_seen: self.last_seen,
            via: self.via_agent_id.zip(self.via_hostname),
            method: self.method,
            address: self.address,
            rtt_us: rtt(self.rtt_us)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TransitionRow {
    #[sqlx(try_from = "Parsed<PresenceState>")]
    from_state: PresenceState,
    #[sqlx(try_from = "Parsed<PresenceState>")]
    to_state: PresenceState,
    at: DateTime<Utc>,
    via_agent_id: Option<AgentId>,
    via_hostname: Option<String>,
    #[sqlx(try_from = "ParsedOpt<ProbeKind>")]
    method: Option<ProbeKind>,
    #[sqlx(try_from = "ParsedOpt<IpAddr>")]
    address: Option<IpAddr>,
}

impl TransitionRow {
    fn into_transition(self) -> Transition {
        Transition {
            from: self.from_state,
            to: self.to_state,
            at: self.at,
            via: self.via_agent_id.zip(self.via_hostname),
            method: self.method,
            address: self.address,
        }
    }
}

fn rtt(stored: Option<i64>) -> Result<Option<u32>, StorageError> {
    stored
        .map(|us| {
            u32::try_from(us).map_err(|_| StorageError::Corrupt(format!("round trip {us} µs")))
        })
        .transpose()
}

/// Attaches to each device view the conclusion about it, from the rows of
/// a `presence_of_devices!` statement.
pub(super) fn presence_by_device(
    rows: Vec<PresenceRow>,
) -> Result<HashMap<DeviceId, Presence>, StorageError> {
    rows.into_iter()
        .map(|row| Ok((row.device_id, row.into_presence()?)))
        .collect()
}
