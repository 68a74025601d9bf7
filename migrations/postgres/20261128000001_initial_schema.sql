-- PowerBeacon schema, PostgreSQL flavour. Tags are JSONB arrays.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT,
    full_name     TEXT,
    password_hash TEXT,
    role          TEXT NOT NULL CHECK (role IN ('superuser', 'admin', 'user', 'viewer')),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    oidc_issuer   TEXT,
    oidc_subject  TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_oidc_identity_key ON users (oidc_issuer, oidc_subject)
    WHERE oidc_subject IS NOT NULL;

CREATE TABLE clusters (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    tags        JSONB NOT NULL DEFAULT '[]',
    owner_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX clusters_owner_idx ON clusters (owner_id);

CREATE TABLE agents (
    id          UUID PRIMARY KEY,
    hostname    TEXT NOT NULL,
    ip          TEXT NOT NULL,
    port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    os          TEXT NOT NULL DEFAULT '',
    version     TEXT NOT NULL DEFAULT '',
    token       TEXT NOT NULL,
    approved    BOOLEAN NOT NULL DEFAULT TRUE,
    interfaces  JSONB NOT NULL DEFAULT '[]',
    cluster_id  UUID REFERENCES clusters (id) ON DELETE SET NULL,
    owner_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    last_seen   TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX agents_hostname_key ON agents (hostname);
CREATE INDEX agents_cluster_idx ON agents (cluster_id);

CREATE TABLE devices (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    mac_address TEXT NOT NULL,
    ip_address  TEXT,
    os_type     TEXT NOT NULL DEFAULT 'linux' CHECK (os_type IN ('linux', 'windows', 'macos')),
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT,
    tags        JSONB NOT NULL DEFAULT '[]',
    cluster_id  UUID REFERENCES clusters (id) ON DELETE SET NULL,
    owner_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX devices_mac_address_key ON devices (mac_address);
CREATE INDEX devices_cluster_idx ON devices (cluster_id);
CREATE INDEX devices_created_idx ON devices (created_at DESC);

CREATE TABLE device_agents (
    device_id UUID NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    agent_id  UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (device_id, agent_id)
);
CREATE INDEX device_agents_agent_idx ON device_agents (agent_id);

CREATE TABLE enrollment_keys (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    key_hash     TEXT NOT NULL,
    key_prefix   TEXT NOT NULL,
    cluster_id   UUID REFERENCES clusters (id) ON DELETE SET NULL,
    created_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX enrollment_keys_hash_key ON enrollment_keys (key_hash);

-- Instance settings (OIDC configuration, generated secrets, switches) as key/value.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Browser sessions (tower-sessions), shared by every replica.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry_date);
