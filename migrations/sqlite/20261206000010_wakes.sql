-- Wakes (docs/ARCHITECTURE.md, "Wakes"): every device wake and cluster wake,
-- who asked, what each agent did, and whether each machine woke.
CREATE TABLE wakes (
    id                TEXT PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('device', 'cluster')),
    -- A cluster wake's cluster; its name stays readable after it is deleted.
    cluster_id        TEXT REFERENCES clusters (id) ON DELETE SET NULL,
    cluster_name      TEXT,
    -- How it was asked: 'user' (later: API tokens, schedules).
    requested_via     TEXT NOT NULL,
    requested_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    requested_by_name TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    forced            BOOLEAN NOT NULL
);
CREATE INDEX wakes_requested_at_idx ON wakes (requested_at);

-- Each device of a wake: what its agents did, and its verdict.
CREATE TABLE wake_devices (
    wake_id      TEXT NOT NULL REFERENCES wakes (id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    device_name  TEXT NOT NULL,
    mac_address  TEXT NOT NULL,
    -- The wake's, kept here for the device's history.
    requested_at TEXT NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('pending', 'up', 'no_sign_of_life',
                     'not_sent', 'already_up', 'unconfirmed')),
    -- Until when a pending verdict waits for the machine.
    deadline     TEXT NOT NULL,
    up_at        TEXT,
    decided_at   TEXT,
    -- Every agent's part: [{agent_id, hostname, outcome, message}].
    agents       TEXT NOT NULL,
    PRIMARY KEY (wake_id, device_id)
);
CREATE INDEX wake_devices_history_idx ON wake_devices (device_id, requested_at DESC);
CREATE INDEX wake_devices_pending_idx ON wake_devices (deadline) WHERE verdict = 'pending';
CREATE INDEX wake_devices_decided_idx ON wake_devices (decided_at);
