//! Wakes: every device wake and cluster wake, what each agent did and each
//! machine's verdict (docs/ARCHITECTURE.md, "Wakes").
//!
//! A verdict is written once: every statement that decides one changes only
//! a row still `pending`, and says whether it did, so of two replicas
//! deciding the same wake at once exactly one writes it.

use chrono::{DateTime, Utc};
use powerbeacon_agent::MacAddress;
use shared::ids::{ClusterId, DeviceId, UserId, WakeId};
use shared::types::{
    Elapsed, LiveEvent, PresenceState, WakeAgentResult, WakeEvent, WakeKind, WakeOutcome,
    WakeVerdict,
};

use crate::domain::wake::{self, PendingWake, Settled};

use super::engine::{Parsed, ParsedOpt, Sql, SqlEngine};
use super::events::NewEvent;
use super::store::SqlStore;
use super::{Page, StorageError};

const INSERT_WAKE: &str = "INSERT INTO wakes (id, kind, cluster_id, cluster_name, requested_via, \
    requested_by, requested_by_name, requested_at, forced) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const INSERT_WAKE_DEVICE: &str = "INSERT INTO wake_devices (wake_id, device_id, device_name, \
    mac_address, requested_at, verdict, deadline, decided_at, agents) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const SELECT_WAKE: &str = "SELECT id, kind, cluster_id, cluster_name, requested_via, \
    requested_by, requested_by_name, requested_at, forced FROM wakes WHERE id = $1";

const SELECT_WAKE_DEVICES: &str = "SELECT device_id, device_name, mac_address, verdict, deadline, \
    up_at, decided_at, agents FROM wake_devices WHERE wake_id = $1 \
    ORDER BY lower(device_name), device_name, device_id";

const SELECT_DEVICE_WAKES_PAGE: &str = "SELECT w.id, w.kind, w.cluster_id, w.cluster_name, \
    w.requested_via, w.requested_by, w.requested_by_name, w.requested_at, w.forced, \
    wd.device_id, wd.device_name, wd.mac_address, wd.verdict, wd.deadline, wd.up_at, \
    wd.decided_at, wd.agents FROM wake_devices wd JOIN wakes w ON w.id = wd.wake_id \
    WHERE wd.device_id = $1 ORDER BY wd.requested_at DESC, w.id LIMIT $2 OFFSET $3";

const COUNT_DEVICE_WAKES: &str = "SELECT COUNT(*) FROM wake_devices WHERE device_id = $1";

/// The pending verdicts of one device, with its presence.
const SELECT_PENDING_OF_DEVICE: &str = "SELECT w.wake_id, w.device_id, w.requested_at, \
    w.deadline, w.agents, wk.cluster_id, p.state, p.since FROM wake_devices w \
    JOIN wakes wk ON wk.id = w.wake_id \
    LEFT JOIN device_presence p ON p.device_id = w.device_id \
    WHERE w.device_id = $1 AND w.verdict = 'pending'";

/// How many pending verdicts one pass of [`WakeStore::settle_wakes`] takes.
const SETTLE_BATCH: usize = 500;

/// Pending verdicts that may be decided now: past their deadline, or of a
/// device that reads up since the wake (one up since before it waits for
/// its deadline: `domain::wake::settle`), so a pass never takes again what
/// it could not decide. A batch ([`SETTLE_BATCH`]) at a time. (Timestamps
/// compare as text on SQLite: canonical RFC 3339, each in one form.)
const SELECT_DUE: &str = "SELECT w.wake_id, w.device_id, w.requested_at, w.deadline, \
    w.agents, wk.cluster_id, p.state, p.since FROM wake_devices w \
    JOIN wakes wk ON wk.id = w.wake_id \
    LEFT JOIN device_presence p ON p.device_id = w.device_id \
    WHERE w.verdict = 'pending' \
    AND (w.deadline <= $1 OR (p.state = 'up' AND p.since >= w.requested_at)) \
    ORDER BY w.deadline LIMIT 500";

/// Decides a verdict, if it is still pending.
const DECIDE: &str = "UPDATE wake_devices SET verdict = $3, up_at = $4, decided_at = $5 \
    WHERE wake_id = $1 AND device_id = $2 AND verdict = 'pending'";

/// The wakes with a verdict decided since `$1`, and whether any of their
/// devices is still pending.
const SELECT_DECIDED_SINCE: &str = "SELECT wake_id, SUM(CASE WHEN verdict = 'pending' THEN 1 \
    ELSE 0 END) FROM wake_devices WHERE wake_id IN (SELECT wake_id FROM wake_devices \
    WHERE decided_at >= $1) GROUP BY wake_id";

/// Wakes asked before `$1` (their devices go with them).
const PRUNE_WAKES: &str = "DELETE FROM wakes WHERE requested_at < $1";

/// A wake to record: who asked, and each device's first verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWake {
    pub id: WakeId,
    pub kind: WakeKind,
    pub cluster: Option<(ClusterId, String)>,
    pub requested_by: Requester,
    pub requested_at: DateTime<Utc>,
    pub forced: bool,
    pub devices: Vec<NewWakeDevice>,
}

/// Who asked for a wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// `user` (later: API tokens, schedules).
    pub via: String,
    pub user_id: Option<UserId>,
    pub name: String,
}

/// One device of a wake to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWakeDevice {
    pub device_id: DeviceId,
    pub device_name: String,
    pub mac_address: MacAddress,
    pub verdict: WakeVerdict,
    pub deadline: DateTime<Utc>,
    pub agents: Vec<WakeAgentResult>,
}

/// A recorded wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeRecord {
    pub id: WakeId,
    pub kind: WakeKind,
    pub cluster_id: Option<ClusterId>,
    pub cluster_name: Option<String>,
    pub requested_by: Requester,
    pub requested_at: DateTime<Utc>,
    pub forced: bool,
    pub devices: Vec<WakeDeviceRecord>,
}

/// One device of a recorded wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeDeviceRecord {
    pub device_id: DeviceId,
    pub device_name: String,
    pub mac_address: MacAddress,
    pub verdict: WakeVerdict,
    pub deadline: DateTime<Utc>,
    pub up_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub agents: Vec<WakeAgentResult>,
}

/// Wakes and their verdicts.
#[async_trait::async_trait]
pub trait WakeStore: Send + Sync {
    /// Records a wake and its devices, in one transaction.
    async fn record_wake(&self, wake: &NewWake) -> Result<(), StorageError>;

    /// A wake with all its devices.
    async fn wake(&self, id: WakeId) -> Result<Option<WakeRecord>, StorageError>;

    /// A page of a device's wakes (each with that device only), newest
    /// first, and how many it has.
    async fn device_wakes(
        &self,
        device: DeviceId,
        page: Page,
    ) -> Result<(Vec<WakeRecord>, u64), StorageError>;

    /// Decides the pending verdicts that can be decided now (past their
    /// deadline, or of a device that reads up); the wakes it decided on.
    async fn settle_wakes(&self, now: DateTime<Utc>) -> Result<Vec<WakeId>, StorageError>;

    /// The wakes with a verdict decided since `since` (on any replica), and
    /// whether each still has a pending one.
    async fn wakes_decided_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(WakeId, bool)>, StorageError>;

    /// Forgets wakes asked before `before`; how many.
    async fn prune_wakes(&self, before: DateTime<Utc>) -> Result<u64, StorageError>;
}

#[async_trait::async_trait]
impl<DB: SqlEngine> WakeStore for SqlStore<DB> {
    async fn record_wake(&self, wake: &NewWake) -> Result<(), StorageError> {
        let (_turn, mut tx) = self.begin_write().await?;
        Sql::<DB>::new(INSERT_WAKE)
            .bind(wake.id)
            .bind(wake.kind.as_str())
            .bind(wake.cluster.as_ref().map(|(id, _)| *id))
            .bind(wake.cluster.as_ref().map(|(_, name)| name.as_str()))
            .bind(wake.requested_by.via.as_str())
            .bind(wake.requested_by.user_id)
            .bind(wake.requested_by.name.as_str())
            .bind(wake.requested_at)
            .bind(wake.forced)
            .execute(&mut tx)
            .await?;
        for device in &wake.devices {
            let decided = (device.verdict != WakeVerdict::Pending).then_some(wake.requested_at);
            Sql::<DB>::new(INSERT_WAKE_DEVICE)
                .bind(wake.id)
                .bind(device.device_id)
                .bind(device.device_name.as_str())
                .bind(device.mac_address.to_string())
                .bind(wake.requested_at)
                .bind(device.verdict.as_str())
                .bind(device.deadline)
                .bind(decided)
                .bind(sqlx::types::Json(&device.agents))
                .execute(&mut tx)
                .await?;
        }
        let events: Vec<NewEvent> = wake
            .devices
            .iter()
            .map(|device| {
                wake_event(
                    WakeEvent {
                        wake_id: wake.id,
                        device_id: device.device_id,
                        cluster_id: wake.cluster.as_ref().map(|(id, _)| *id),
                        verdict: device.verdict,
                        sent_by: 0,
                        agents: 0,
                        requested_at: wake.requested_at,
                        deadline: device.deadline,
                        seconds_to_up: None,
                    },
                    &device.agents,
                )
            })
            .collect();
        self.commit_with_events(tx, &events).await
    }

    async fn wake(&self, id: WakeId) -> Result<Option<WakeRecord>, StorageError> {
        let mut tx = self.snapshot().await?;
        let Some(head): Option<WakeRow> = Sql::<DB>::new(SELECT_WAKE)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        let devices: Vec<WakeDeviceRow> = Sql::<DB>::new(SELECT_WAKE_DEVICES)
            .bind(id)
            .fetch_all(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(
            head.into_record(
                devices
                    .into_iter()
                    .map(WakeDeviceRow::into_record)
                    .collect(),
            ),
        ))
    }

    async fn device_wakes(
        &self,
        device: DeviceId,
        page: Page,
    ) -> Result<(Vec<WakeRecord>, u64), StorageError> {
        let (rows, count): (Vec<DeviceWakeRow>, u64) = self
            .page_of_device(SELECT_DEVICE_WAKES_PAGE, COUNT_DEVICE_WAKES, device, page)
            .await?;
        Ok((
            rows.into_iter()
                .map(|row| row.wake.into_record(vec![row.device.into_record()]))
                .collect(),
            count,
        ))
    }

    async fn settle_wakes(&self, now: DateTime<Utc>) -> Result<Vec<WakeId>, StorageError> {
        let mut decided = Vec::new();
        loop {
            let (_turn, mut tx) = self.begin_write().await?;
            let due: Vec<PendingRow> = Sql::<DB>::new(SELECT_DUE)
                .bind(now)
                .fetch_all(&mut tx)
                .await?;
            let mut events = Vec::new();
            let batch = settle_rows::<DB>(&mut tx, &due, now, &mut events).await?;
            self.commit_with_events(tx, &events).await?;
            let changed = batch.len();
            decided.extend(batch);
            // A due verdict left pending (a device up since before its wake,
            // before its deadline) comes back in the next batch: stop when a
            // batch decided nothing.
            if due.len() < SETTLE_BATCH || changed == 0 {
                decided.sort_unstable();
                decided.dedup();
                return Ok(decided);
            }
        }
    }

    async fn wakes_decided_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(WakeId, bool)>, StorageError> {
        let rows: Vec<(WakeId, i64)> = Sql::<DB>::new(SELECT_DECIDED_SINCE)
            .bind(since)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, pending)| (id, pending != 0))
            .collect())
    }

    async fn prune_wakes(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        Ok(Sql::<DB>::new(PRUNE_WAKES)
            .bind(before)
            .execute(&mut *self.conn().await?)
            .await?)
    }
}

/// Decides the pending verdicts of `device` from its presence, inside the
/// transaction that just concluded it up (a presence report); the wakes it
/// decided on.
pub(super) async fn settle_device_wakes<DB: SqlEngine>(
    conn: &mut DB::Connection,
    device: DeviceId,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<Vec<WakeId>, StorageError> {
    let pending: Vec<PendingRow> = Sql::<DB>::new(SELECT_PENDING_OF_DEVICE)
        .bind(device)
        .fetch_all(&mut *conn)
        .await?;
    settle_rows::<DB>(conn, &pending, now, events).await
}

/// Decides what the rule decides of `rows` now and writes it; the wakes
/// whose verdict it wrote (one entry per device decided), with the events
/// that report them in `events`.
async fn settle_rows<DB: SqlEngine>(
    conn: &mut DB::Connection,
    rows: &[PendingRow],
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<Vec<WakeId>, StorageError> {
    let mut decided = Vec::new();
    for row in rows {
        if let Some(settled) = wake::settle(row.pending(), row.presence(), now)
            && decide::<DB>(&mut *conn, row, settled, now).await?
        {
            decided.push(row.wake_id);
            events.push(wake_event(
                WakeEvent {
                    wake_id: row.wake_id,
                    device_id: row.device_id,
                    cluster_id: row.cluster_id,
                    verdict: settled.verdict,
                    sent_by: 0,
                    agents: 0,
                    requested_at: row.requested_at,
                    deadline: row.deadline,
                    seconds_to_up: settled
                        .up_at
                        .map(|up| Elapsed::between(row.requested_at, up)),
                },
                &row.agents,
            ));
        }
    }
    Ok(decided)
}

/// The event of a device's part in a wake, its agents counted from
/// `agents`.
fn wake_event(mut event: WakeEvent, agents: &[WakeAgentResult]) -> NewEvent {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    event.agents = count(agents.len());
    event.sent_by = count(
        agents
            .iter()
            .filter(|agent| agent.outcome == WakeOutcome::Sent)
            .count(),
    );
    NewEvent::live(&LiveEvent::Wake(event))
}

/// Writes a verdict unless another statement decided it first; whether it
/// wrote it.
async fn decide<DB: SqlEngine>(
    conn: &mut DB::Connection,
    row: &PendingRow,
    settled: Settled,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let changed = Sql::<DB>::new(DECIDE)
        .bind(row.wake_id)
        .bind(row.device_id)
        .bind(settled.verdict.as_str())
        .bind(settled.up_at)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// A pending verdict, with its device's stored presence when read with it.
#[derive(sqlx::FromRow)]
struct PendingRow {
    wake_id: WakeId,
    device_id: DeviceId,
    requested_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    #[sqlx(json)]
    agents: Vec<WakeAgentResult>,
    /// The wake's cluster, for a cluster wake.
    cluster_id: Option<ClusterId>,
    #[sqlx(try_from = "ParsedOpt<PresenceState>")]
    state: Option<PresenceState>,
    since: Option<DateTime<Utc>>,
}

impl PendingRow {
    fn pending(&self) -> PendingWake {
        PendingWake {
            requested_at: self.requested_at,
            deadline: self.deadline,
        }
    }

    fn presence(&self) -> Option<(PresenceState, DateTime<Utc>)> {
        self.state.zip(self.since)
    }
}

#[derive(sqlx::FromRow)]
struct WakeRow {
    id: WakeId,
    #[sqlx(try_from = "Parsed<WakeKind>")]
    kind: WakeKind,
    cluster_id: Option<ClusterId>,
    cluster_name: Option<String>,
    requested_via: String,
    requested_by: Option<UserId>,
    requested_by_name: String,
    requested_at: DateTime<Utc>,
    forced: bool,
}

impl WakeRow {
    fn into_record(self, devices: Vec<WakeDeviceRecord>) -> WakeRecord {
        WakeRecord {
            id: self.id,
            kind: self.kind,
            cluster_id: self.cluster_id,
            cluster_name: self.cluster_name,
            requested_by: Requester {
                via: self.requested_via,
                user_id: self.requested_by,
                name: self.requested_by_name,
            },
            requested_at: self.requested_at,
            forced: self.forced,
            devices,
        }
    }
}

#[derive(sqlx::FromRow)]
struct WakeDeviceRow {
    device_id: DeviceId,
    device_name: String,
    #[sqlx(try_from = "Parsed<MacAddress>")]
    mac_address: MacAddress,
    #[sqlx(try_from = "Parsed<WakeVerdict>")]
    verdict: WakeVerdict,
    deadline: DateTime<Utc>,
    up_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    #[sqlx(json)]
    agents: Vec<WakeAgentResult>,
}

impl WakeDeviceRow {
    fn into_record(self) -> WakeDeviceRecord {
        WakeDeviceRecord {
            device_id: self.device_id,
            device_name: self.device_name,
            mac_address: self.mac_address,
            verdict: self.verdict,
            deadline: self.deadline,
            up_at: self.up_at,
            decided_at: self.decided_at,
            agents: self.agents,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeviceWakeRow {
    #[sqlx(flatten)]
    wake: WakeRow,
    #[sqlx(flatten)]
    device: WakeDeviceRow,
}
