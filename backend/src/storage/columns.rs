//! Column lists several storage areas read (devices with their owner,
//! cluster and agents; agents), as macros so each area's SQL can
//! `concat!` them. Declared first in `mod.rs`, with `#[macro_use]`.

/// The columns of a device row (`DeviceRecord`) of devices `d`.
macro_rules! device_record_columns {
    () => {
        "d.id, d.name, d.mac_address, d.ip_address, d.os_type, d.is_active, d.description, d.tags, \
         d.cluster_id, d.owner_id, d.created_at, d.updated_at, d.probe_method, d.probe_ports, \
         d.probe_interval_s, d.probe_adopt_address, d.boot_timeout_s"
    };
}

/// A device row with its owner's and cluster's names ([`device_record_joins`]).
macro_rules! device_columns {
    () => {
        concat!(
            device_record_columns!(),
            ", COALESCE(NULLIF(u.full_name, ''), u.username) AS owner_name, c.name AS cluster_name"
        )
    };
}

/// A device's columns, then those of one of its agents (all NULL when it has
/// none): a device with several agents spans several rows, in agent order.
macro_rules! device_view_columns {
    () => {
        concat!(
            device_columns!(),
            ", a.id AS agent_id, a.hostname AS agent_hostname, a.ip AS agent_ip, \
             a.cluster_id AS agent_cluster_id, a.approved AS agent_approved, \
             a.last_seen AS agent_last_seen"
        )
    };
}

/// Joins owner and cluster onto devices `d` (a list reads their agents
/// apart: see `devices.rs`, `device_views_of`).
macro_rules! device_record_joins {
    () => {
        " LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN clusters c ON c.id = d.cluster_id"
    };
}

/// A listed device's agent ids, comma-separated (`agent_ids`), aggregated by
/// the database (`string_agg` is in SQLite since 3.44 and in PostgreSQL), so
/// a list reads one row per device, never one per link.
macro_rules! device_agent_ids {
    () => {
        ", (SELECT string_agg(CAST(da.agent_id AS TEXT), ',') FROM device_agents da \
         WHERE da.device_id = d.id) AS agent_ids"
    };
}

/// SQLite: the rows of a device list (`$list`, which selects
/// [`device_columns`] and [`device_agent_ids`]) packed by the database into
/// one JSON text, an array of one array per device, in the order `$order`
/// (the list's own, on its output columns). sqlx hands each row of a result
/// from SQLite's worker thread to the runtime on its own, a copy of every
/// value and a wake-up each; one row holding the page saves a thousand of
/// them (docs/ARCHITECTURE.md, "Lists at fleet scale"). Read by
/// `devices.rs`, `unpack_devices`, in this column order.
macro_rules! packed_device_list {
    ($list:expr, $order:expr) => {
        concat!(
            "SELECT json_group_array(json_array(id, name, mac_address, ip_address, os_type, \
             is_active, description, json(tags), cluster_id, owner_id, created_at, updated_at, \
             owner_name, cluster_name, agent_ids, probe_method, json(probe_ports), \
             probe_interval_s, probe_adopt_address, boot_timeout_s) ORDER BY ",
            $order,
            ") FROM (",
            $list,
            ")"
        )
    };
}

/// The statements of one device list (`devices.rs`, `DeviceListSql`): its
/// rows (`$rows`, which selects [`device_columns`] and [`device_agent_ids`]),
/// the same rows packed in the list's order (`$order`, spelled on the rows'
/// output columns), and the agents of, and the presence concluded about, the
/// devices whose ids `$ids` selects.
macro_rules! device_list_sql {
    ($rows:expr, $order:expr, $ids:expr) => {
        DeviceListSql {
            rows: $rows,
            packed: packed_device_list!($rows, $order),
            agents: concat!(agents_of_devices!(), $ids, "))", agent_order!()),
            presence: concat!(presence_of_devices!(), $ids, ")"),
        }
    };
}

/// The columns of a conclusion about a device (`device_presence p`), as
/// `presence.rs`, `PresenceRow`, reads them.
macro_rules! presence_columns {
    () => {
        "p.device_id, p.state, p.since, p.last_seen, p.via_agent_id, p.via_hostname, p.method, \
         p.address, p.rtt_us"
    };
}

/// The presence state the device whose id is `$id` reads as now (`up`,
/// `down` or `unknown`), `$cutoff` being the oldest heartbeat of an online
/// agent: the stored conclusion while the agent it rests on is approved,
/// online and still linked, else `unknown`, as the services show it
/// (`presence.rs`, `presence_public`).
macro_rules! effective_presence {
    ($id:expr, $cutoff:expr) => {
        concat!(
            "(CASE WHEN EXISTS (SELECT 1 FROM device_presence p JOIN device_agents da \
             ON da.device_id = p.device_id AND da.agent_id = p.via_agent_id \
             JOIN agents a ON a.id = p.via_agent_id WHERE p.device_id = ",
            $id,
            " AND p.state <> 'unknown' AND a.approved AND a.last_seen >= ",
            $cutoff,
            ") THEN (SELECT p.state FROM device_presence p WHERE p.device_id = ",
            $id,
            ") ELSE 'unknown' END)"
        )
    };
}

/// The conclusions about the devices whose ids a subquery gives (it
/// follows, then `)`).
macro_rules! presence_of_devices {
    () => {
        concat!(
            "SELECT ",
            presence_columns!(),
            " FROM device_presence p WHERE p.device_id IN ("
        )
    };
}

/// The agents linked to the devices whose ids a subquery gives (it follows,
/// then `))` and [`agent_order`]).
macro_rules! agents_of_devices {
    () => {
        concat!(
            "SELECT ",
            agent_ref_columns!(),
            " FROM agents a WHERE a.id IN (SELECT da.agent_id FROM device_agents da \
             WHERE da.device_id IN ("
        )
    };
}

/// How agents are listed everywhere: by hostname, ASCII case-insensitively,
/// then byte order, then id.
macro_rules! agent_order {
    () => {
        " ORDER BY lower(a.hostname), a.hostname, a.id"
    };
}

macro_rules! agent_ref_columns {
    () => {
        "a.id, a.hostname, a.ip, a.cluster_id, a.approved, a.last_seen"
    };
}

/// Joins owner, cluster and agents onto devices `d`.
macro_rules! device_joins {
    () => {
        " LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN clusters c ON c.id = d.cluster_id \
         LEFT JOIN device_agents da ON da.device_id = d.id LEFT JOIN agents a ON a.id = da.agent_id"
    };
}

macro_rules! agent_columns {
    () => {
        "a.id, a.hostname, a.ip, a.port, a.os, a.version, a.token, a.approved, a.interfaces, \
         a.features, a.cluster_id, a.owner_id, a.last_seen, a.created_at, a.updated_at"
    };
}

macro_rules! agent_view_columns {
    () => {
        concat!(
            agent_columns!(),
            ", c.name AS cluster_name, c.owner_id AS cluster_owner_id, \
             COALESCE(NULLIF(u.full_name, ''), u.username) AS cluster_owner_name, \
             (SELECT COUNT(*) FROM device_agents da WHERE da.agent_id = a.id) AS device_count \
             FROM agents a LEFT JOIN clusters c ON c.id = a.cluster_id \
             LEFT JOIN users u ON u.id = c.owner_id"
        )
    };
}
