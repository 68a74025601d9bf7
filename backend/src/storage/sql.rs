//! SQL text both engines accept as written (`$N` placeholders work in SQLite too).
//! What differs between the engines is in `engine.rs`; the statements run through `store.rs`.

pub const PING: &str = "SELECT 1";

pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

macro_rules! user_columns {
    () => {
        "id, username, email, full_name, password_hash, role, is_active, created_at, updated_at, \
         token_version"
    };
}

/// A user, with the (issuer, subject) pair a single sign-on provider knows
/// them by (both NULL for local accounts).
pub const INSERT_USER: &str = "INSERT INTO users (id, username, email, full_name, password_hash, \
    role, is_active, created_at, updated_at, oidc_issuer, oidc_subject) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The user a single sign-on provider knows by (issuer, subject).
pub const SELECT_USER_BY_IDENTITY: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2"
);

pub const SELECT_SETTING: &str = "SELECT value FROM settings WHERE key = $1";

/// Inserts a setting unless the key exists; affects 0 rows when it does.
pub const INSERT_SETTING_IF_ABSENT: &str = "INSERT INTO settings (key, value, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";

pub const SELECT_USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

pub const SELECT_USER_BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE lower(username) = lower($1)"
);

pub const SELECT_USERS_PAGE: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2"
);

/// Writes only the fields given (`$3`, `$5`: whether to set email, full
/// name; NULL elsewhere: keep), so concurrent changes never undo each other.
pub const UPDATE_USER: &str = concat!(
    "UPDATE users SET username = COALESCE($2, username), \
     email = CASE WHEN $3 THEN $4 ELSE email END, \
     full_name = CASE WHEN $5 THEN $6 ELSE full_name END, \
     password_hash = COALESCE($7, password_hash), role = COALESCE($8, role), \
     is_active = COALESCE($9, is_active), token_version = token_version + $10, \
     updated_at = $11 WHERE id = $1 RETURNING ",
    user_columns!()
);

pub const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";

pub const COUNT_ACTIVE_SUPERUSERS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'superuser' AND is_active = TRUE";

pub const UPSERT_SETTING: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

macro_rules! device_columns {
    () => {
        "d.id, d.name, d.mac_address, d.ip_address, d.os_type, d.is_active, d.description, d.tags, \
         d.cluster_id, d.owner_id, d.created_at, d.updated_at, \
         COALESCE(NULLIF(u.full_name, ''), u.username) AS owner_name, c.name AS cluster_name"
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

/// Joins owner, cluster and agents onto devices `d`.
macro_rules! device_joins {
    () => {
        " LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN clusters c ON c.id = d.cluster_id \
         LEFT JOIN device_agents da ON da.device_id = d.id LEFT JOIN agents a ON a.id = da.agent_id"
    };
}

/// Newest first, ties broken by id so pages never overlap; one statement, so
/// the devices and their agents are read from one snapshot.
pub const SELECT_DEVICE_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    device_view_columns!(),
    " FROM (SELECT * FROM devices ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2) d",
    device_joins!(),
    " ORDER BY d.created_at DESC, d.id DESC, lower(a.hostname), a.hostname, a.id"
);

pub const SELECT_DEVICE_VIEW: &str = concat!(
    "SELECT ",
    device_view_columns!(),
    " FROM devices d",
    device_joins!(),
    " WHERE d.id = $1 ORDER BY lower(a.hostname), a.hostname, a.id"
);

pub const COUNT_DEVICES: &str = "SELECT COUNT(*) FROM devices";

/// The devices a `DeviceMatch` (`domain::device_search`) accepts: $1 the
/// search text, $2 its bare MAC (matched against the MAC's letters and
/// digits only), $3 the OS, $4 the cluster, $5 the tag key; each NULL when
/// it does not narrow. "Contains" is written as
/// `length(replace(text, part, '')) < length(text)`, which both engines
/// spell the same way and which, unlike LIKE, has no wildcards to escape and
/// is case-sensitive on both.
macro_rules! device_match {
    () => {
        " WHERE ($1 IS NULL OR length(replace(search_text, $1, '')) < length(search_text) \
           OR ($2 IS NOT NULL AND length(replace(replace(lower(mac_address), ':', ''), $2, '')) \
               < length(replace(mac_address, ':', '')))) \
         AND ($3 IS NULL OR os_type = $3) AND ($4 IS NULL OR cluster_id = $4) \
         AND ($5 IS NULL OR length(replace(tag_keys, $5, '')) < length(tag_keys))"
    };
}

/// A page (`LIMIT $6 OFFSET $7`) of the matching devices, as
/// [`SELECT_DEVICE_VIEWS_PAGE`] orders them.
pub const SELECT_MATCHING_DEVICE_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    device_view_columns!(),
    " FROM (SELECT * FROM devices",
    device_match!(),
    " ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7) d",
    device_joins!(),
    " ORDER BY d.created_at DESC, d.id DESC, lower(a.hostname), a.hostname, a.id"
);

pub const COUNT_MATCHING_DEVICES: &str = concat!("SELECT COUNT(*) FROM devices", device_match!());

/// Each set of tags once.
pub const SELECT_DEVICE_TAG_KEYS: &str = "SELECT DISTINCT tag_keys FROM devices";

/// Devices whose search columns are not written yet (added before them).
pub const SELECT_DEVICES_TO_INDEX: &str = "SELECT id, name, mac_address, ip_address, os_type, \
    is_active, description, tags, cluster_id, owner_id, created_at, updated_at \
    FROM devices WHERE search_text = '' LIMIT 500";

/// Only while still unwritten: an edit on another replica in the meantime
/// wrote the device's own.
pub const UPDATE_DEVICE_SEARCH: &str =
    "UPDATE devices SET search_text = $2, tag_keys = $3 WHERE id = $1 AND search_text = ''";

macro_rules! agent_ref_columns {
    () => {
        "a.id, a.hostname, a.ip, a.cluster_id, a.approved, a.last_seen"
    };
}

pub const SELECT_AGENT_REF: &str = concat!(
    "SELECT ",
    agent_ref_columns!(),
    " FROM agents a WHERE a.id = $1"
);

pub const SELECT_CLUSTER_REF: &str = "SELECT id, name, owner_id FROM clusters WHERE id = $1";

pub const INSERT_DEVICE: &str = "INSERT INTO devices (id, name, mac_address, ip_address, os_type, \
    is_active, description, tags, cluster_id, owner_id, created_at, updated_at, search_text, \
    tag_keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

pub const UPDATE_DEVICE: &str = "UPDATE devices SET name = $2, mac_address = $3, ip_address = $4, \
    os_type = $5, is_active = $6, description = $7, tags = $8, cluster_id = $9, updated_at = $10, \
    search_text = $11, tag_keys = $12 WHERE id = $1";

pub const DELETE_DEVICE: &str = "DELETE FROM devices WHERE id = $1";

pub const INSERT_DEVICE_AGENT: &str =
    "INSERT INTO device_agents (device_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

pub const DELETE_DEVICE_AGENTS: &str = "DELETE FROM device_agents WHERE device_id = $1";

macro_rules! cluster_columns {
    () => {
        "c.id, c.name, c.description, c.tags, c.owner_id, c.created_at, c.updated_at, \
         COALESCE(NULLIF(u.full_name, ''), u.username) AS owner_name, \
         (SELECT COUNT(*) FROM devices d WHERE d.cluster_id = c.id) AS device_count, \
         (SELECT COUNT(*) FROM agents a WHERE a.cluster_id = c.id) AS agent_count \
         FROM clusters c LEFT JOIN users u ON u.id = c.owner_id"
    };
}

pub const SELECT_CLUSTER_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    cluster_columns!(),
    " ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2"
);

pub const SELECT_CLUSTER_VIEW: &str = concat!("SELECT ", cluster_columns!(), " WHERE c.id = $1");

pub const COUNT_CLUSTERS: &str = "SELECT COUNT(*) FROM clusters";

pub const INSERT_CLUSTER: &str = "INSERT INTO clusters (id, name, description, tags, owner_id, \
    created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const UPDATE_CLUSTER: &str = "UPDATE clusters SET name = $2, description = $3, tags = $4, \
    updated_at = $5 WHERE id = $1";

pub const DELETE_CLUSTER: &str = "DELETE FROM clusters WHERE id = $1";

pub const DETACH_CLUSTER_DEVICES: &str =
    "UPDATE devices SET cluster_id = NULL WHERE cluster_id = $1";

pub const DETACH_CLUSTER_AGENTS: &str = "UPDATE agents SET cluster_id = NULL WHERE cluster_id = $1";

pub const ATTACH_DEVICE: &str = "UPDATE devices SET cluster_id = $1 WHERE id = $2";

pub const ATTACH_AGENT: &str = "UPDATE agents SET cluster_id = $1 WHERE id = $2";

pub const SELECT_CLUSTER_AGENT_IDS: &str = "SELECT id FROM agents WHERE cluster_id = $1";

/// An agent dropped from cluster $1 (agent $2) no longer serves the
/// cluster's devices; every other link stays.
pub const UNLINK_AGENT_FROM_CLUSTER_DEVICES: &str = "DELETE FROM device_agents \
    WHERE agent_id = $2 AND device_id IN (SELECT id FROM devices WHERE cluster_id = $1)";

pub const SELECT_DEVICE_VIEWS_OF_CLUSTER: &str = concat!(
    "SELECT ",
    device_view_columns!(),
    " FROM devices d",
    device_joins!(),
    " WHERE d.cluster_id = $1 ORDER BY lower(d.name), d.name, d.id, lower(a.hostname), a.hostname, a.id"
);

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

pub const SELECT_AGENT_VIEWS_PAGE: &str = concat!(
    "SELECT ",
    agent_view_columns!(),
    " ORDER BY lower(a.hostname), a.hostname, a.id LIMIT $1 OFFSET $2"
);

pub const SELECT_AGENT_VIEW: &str = concat!("SELECT ", agent_view_columns!(), " WHERE a.id = $1");

pub const SELECT_AGENT_VIEWS_OF_CLUSTER: &str = concat!(
    "SELECT ",
    agent_view_columns!(),
    " WHERE a.cluster_id = $1 ORDER BY lower(a.hostname), a.hostname, a.id"
);

pub const COUNT_AGENTS: &str = "SELECT COUNT(*) FROM agents";

pub const SELECT_AGENT_BY_ID: &str = concat!(
    "SELECT ",
    agent_columns!(),
    " FROM agents a WHERE a.id = $1"
);

pub const SELECT_AGENT_BY_HOSTNAME: &str = concat!(
    "SELECT ",
    agent_columns!(),
    " FROM agents a WHERE a.hostname = $1"
);

pub const INSERT_AGENT: &str = "INSERT INTO agents (id, hostname, ip, port, os, version, token, \
    approved, interfaces, features, cluster_id, owner_id, last_seen, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// A re-registration: never touches `approved`, `cluster_id` or the token.
pub const RENEW_AGENT: &str = "UPDATE agents SET ip = $2, port = $3, os = $4, version = $5, \
    interfaces = COALESCE($6, interfaces), features = $7, last_seen = $8, updated_at = $8 \
    WHERE id = $1";

/// Approval by an enrollment key presented at re-registration: the key's
/// cluster and creator only where the agent has none.
pub const APPROVE_AGENT_WITH_KEY: &str = "UPDATE agents SET approved = TRUE, \
    cluster_id = COALESCE(cluster_id, $2), owner_id = COALESCE(owner_id, $3), updated_at = $4 \
    WHERE id = $1 AND NOT approved";

pub const APPROVE_AGENT: &str = "UPDATE agents SET approved = TRUE, updated_at = $2 WHERE id = $1";

pub const RECORD_HEARTBEAT: &str = "UPDATE agents SET last_seen = $2 WHERE id = $1";

pub const RECORD_HEARTBEAT_WITH_INTERFACES: &str =
    "UPDATE agents SET last_seen = $2, interfaces = $3 WHERE id = $1";

pub const DELETE_AGENT: &str = "DELETE FROM agents WHERE id = $1";

pub const SELECT_WAKE_DEVICE: &str =
    "SELECT id, name, mac_address, ip_address, owner_id FROM devices WHERE id = $1";

pub const SELECT_WAKE_DEVICES_OF_CLUSTER: &str = "SELECT id, name, mac_address, ip_address, owner_id \
    FROM devices WHERE cluster_id = $1 ORDER BY lower(name), name, id";

pub const SELECT_WAKE_AGENTS_OF_DEVICE: &str = concat!(
    "SELECT da.device_id, ",
    agent_columns!(),
    " FROM device_agents da JOIN agents a ON a.id = da.agent_id WHERE da.device_id = $1 \
     ORDER BY lower(a.hostname), a.hostname, a.id"
);

pub const SELECT_WAKE_AGENTS_OF_CLUSTER: &str = concat!(
    "SELECT da.device_id, ",
    agent_columns!(),
    " FROM device_agents da JOIN agents a ON a.id = da.agent_id \
     WHERE da.device_id IN (SELECT id FROM devices WHERE cluster_id = $1) \
     ORDER BY lower(a.hostname), a.hostname, a.id"
);

macro_rules! enrollment_key_columns {
    () => {
        "id, name, key_hash, key_prefix, cluster_id, created_by, created_at, expires_at, \
         revoked_at, last_used_at"
    };
}

pub const INSERT_ENROLLMENT_KEY: &str = "INSERT INTO enrollment_keys (id, name, key_hash, key_prefix, \
    cluster_id, created_by, created_at, expires_at, revoked_at, last_used_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub const SELECT_ENROLLMENT_KEYS_PAGE: &str = concat!(
    "SELECT ",
    enrollment_key_columns!(),
    " FROM enrollment_keys ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
);

pub const COUNT_ENROLLMENT_KEYS: &str = "SELECT COUNT(*) FROM enrollment_keys";

/// Revokes a key once; a second revoke keeps the first time.
pub const REVOKE_ENROLLMENT_KEY: &str =
    "UPDATE enrollment_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

pub const SELECT_ENROLLMENT_KEY_BY_HASH: &str = concat!(
    "SELECT ",
    enrollment_key_columns!(),
    " FROM enrollment_keys WHERE key_hash = $1"
);

pub const TOUCH_ENROLLMENT_KEY: &str = "UPDATE enrollment_keys SET last_used_at = $2 WHERE id = $1";

pub const INSERT_SESSION: &str = "INSERT INTO browser_sessions (id, data, expires_at) \
    VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";

pub const UPSERT_SESSION: &str = "INSERT INTO browser_sessions (id, data, expires_at) \
    VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
    expires_at = excluded.expires_at";

pub const SELECT_SESSION: &str =
    "SELECT data FROM browser_sessions WHERE id = $1 AND expires_at > $2";

pub const DELETE_SESSION: &str = "DELETE FROM browser_sessions WHERE id = $1";

pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM browser_sessions WHERE expires_at <= $1";

pub const SELECT_LOGIN_ATTEMPTS: &str =
    "SELECT attempts, last_at_ms FROM login_attempts WHERE key = $1";

pub const INSERT_LOGIN_ATTEMPTS: &str = "INSERT INTO login_attempts (key, attempts, last_at_ms) \
    VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";

/// Compare-and-set: changes the counter only if nobody changed it since it was read.
pub const UPDATE_LOGIN_ATTEMPTS: &str = "UPDATE login_attempts SET attempts = $2, last_at_ms = $3 \
    WHERE key = $1 AND attempts = $4 AND last_at_ms = $5";

pub const GIVE_BACK_LOGIN_ATTEMPT: &str =
    "UPDATE login_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";

pub const DELETE_LOGIN_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE key = $1";

pub const DELETE_STALE_LOGIN_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE last_at_ms < $1";

pub const COUNT_PENDING_AGENTS: &str = "SELECT COUNT(*) FROM agents WHERE approved = FALSE";
