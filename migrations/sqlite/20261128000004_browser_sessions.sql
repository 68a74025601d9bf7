-- Browser sessions (tower-sessions records): id, JSON data, expiry as Unix
-- seconds. In the database so they survive restarts and span replicas. The
-- same column types on both engines, so both run the same SQL; this replaces
-- the first schema's `sessions` table, which nothing ever wrote to.
DROP TABLE sessions;
CREATE TABLE browser_sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);
