-- Live events (docs/ARCHITECTURE.md, "Live events"): every change the
-- event stream reports, appended in the transaction of the change. Each
-- appending transaction holds an advisory lock from its append to its
-- commit, so ids commit in order on every replica and a reader that has
-- seen id N never later finds one below it.
CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    -- The type: presence, wake, agent, device, cluster; or access (a user's
    -- rights changed: their streams check them again; never sent).
    kind       TEXT NOT NULL,
    -- What it concerns, for the filters and for who may read it.
    device_id  UUID,
    cluster_id UUID,
    agent_id   UUID,
    user_id    UUID,
    -- The event's data, as sent.
    body       TEXT NOT NULL
);

-- Whether an agent's coming online was announced, so that going offline
-- (silence for the offline timeout) is announced once, by one replica.
ALTER TABLE agents ADD COLUMN online_announced BOOLEAN NOT NULL DEFAULT FALSE;
