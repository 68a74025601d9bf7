-- Presence (docs/ARCHITECTURE.md, "Presence"): how each device is probed,
-- what each agent last saw of it, what the server concludes from that, and
-- the history of its changes.
ALTER TABLE devices ADD COLUMN probe_method TEXT NOT NULL DEFAULT 'auto'
    CHECK (probe_method IN ('auto', 'neighbor', 'tcp', 'icmp', 'off'));
ALTER TABLE devices ADD COLUMN probe_ports TEXT NOT NULL DEFAULT '[]';
-- NULL: the server's default interval.
ALTER TABLE devices ADD COLUMN probe_interval_s INTEGER;
-- Whether an address the device is seen up at becomes its ip_address.
ALTER TABLE devices ADD COLUMN probe_adopt_address BOOLEAN NOT NULL DEFAULT FALSE;

-- An agent's watch list has a version: this revision, which the triggers
-- below move on whenever a list changes, whatever statement changed it.
ALTER TABLE agents ADD COLUMN watch_revision BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER device_agents_watch_insert AFTER INSERT ON device_agents BEGIN
    UPDATE agents SET watch_revision = watch_revision + 1 WHERE id = NEW.agent_id;
END;
CREATE TRIGGER device_agents_watch_delete AFTER DELETE ON device_agents BEGIN
    UPDATE agents SET watch_revision = watch_revision + 1 WHERE id = OLD.agent_id;
END;
CREATE TRIGGER devices_watch_update AFTER UPDATE ON devices
WHEN OLD.mac_address IS NOT NEW.mac_address OR OLD.ip_address IS NOT NEW.ip_address
    OR OLD.is_active IS NOT NEW.is_active OR OLD.probe_method IS NOT NEW.probe_method
    OR OLD.probe_ports IS NOT NEW.probe_ports OR OLD.probe_interval_s IS NOT NEW.probe_interval_s
BEGIN
    UPDATE agents SET watch_revision = watch_revision + 1
    WHERE id IN (SELECT agent_id FROM device_agents WHERE device_id = NEW.id);
END;

-- What each agent last reported of each device it watches.
CREATE TABLE presence_sightings (
    device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('up', 'down')),
    -- Since when this agent has seen it so.
    since       TEXT NOT NULL,
    -- The probe behind the latest report.
    observed_at TEXT NOT NULL,
    method      TEXT,
    address     TEXT,
    mac         TEXT,
    rtt_us      BIGINT,
    PRIMARY KEY (device_id, agent_id)
);
CREATE INDEX presence_sightings_agent_idx ON presence_sightings (agent_id);

-- What the server concludes (backend/src/domain/presence.rs). The agent is
-- not a foreign key: its hostname stays readable after it is deleted.
CREATE TABLE device_presence (
    device_id    TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('up', 'down', 'unknown')),
    since        TEXT NOT NULL,
    last_seen    TEXT,
    via_agent_id TEXT,
    via_hostname TEXT,
    method       TEXT,
    address      TEXT,
    rtt_us       BIGINT
);
CREATE INDEX device_presence_state_idx ON device_presence (state);

-- Every change of a device's presence, newest last.
CREATE TABLE presence_transitions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id    TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    at           TEXT NOT NULL,
    via_agent_id TEXT,
    via_hostname TEXT,
    method       TEXT,
    address      TEXT
);
CREATE INDEX presence_transitions_device_idx ON presence_transitions (device_id, id);
