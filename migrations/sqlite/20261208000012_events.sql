-- Live events (docs/ARCHITECTURE.md, "Live events"): every change the
-- event stream reports, appended in the transaction of the change, in the
-- order the changes commit. AUTOINCREMENT never hands out an id twice, also
-- after the oldest events are pruned, so a client's Last-Event-ID always
-- means the same event.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    -- The type: presence, wake, agent, device, cluster; or access (a user's
    -- rights changed: their streams check them again; never sent).
    kind       TEXT NOT NULL,
    -- What it concerns, for the filters and for who may read it.
    device_id  TEXT,
    cluster_id TEXT,
    agent_id   TEXT,
    user_id    TEXT,
    -- The event's data, as sent.
    body       TEXT NOT NULL
);

-- Whether an agent's coming online was announced, so that going offline
-- (silence for the offline timeout) is announced once, by one replica.
ALTER TABLE agents ADD COLUMN online_announced BOOLEAN NOT NULL DEFAULT FALSE;
