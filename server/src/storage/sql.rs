//! SQL text both engines accept as written (`$N` placeholders work in SQLite too).
//! Only the binding of values differs between the two stores.

pub const PING: &str = "SELECT 1";

pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

macro_rules! user_columns {
    () => {
        "id, username, email, full_name, password_hash, role, is_active, created_at, updated_at"
    };
}

pub const INSERT_USER: &str = concat!(
    "INSERT INTO users (",
    user_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
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

pub const UPDATE_USER: &str = "UPDATE users SET username = $2, email = $3, full_name = $4, \
    password_hash = $5, role = $6, is_active = $7, updated_at = $8 WHERE id = $1";

pub const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";

pub const COUNT_ACTIVE_SUPERUSERS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'superuser' AND is_active = TRUE";

pub const UPSERT_SETTING: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
