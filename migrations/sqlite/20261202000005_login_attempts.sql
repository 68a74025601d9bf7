-- The sign-in throttle's counters (see server/src/services/throttle.rs), in
-- the database so every replica counts the same attempts. Times are Unix
-- milliseconds, the same column types on both engines.
CREATE TABLE login_attempts (
    key        TEXT PRIMARY KEY,
    attempts   BIGINT NOT NULL,
    last_at_ms BIGINT NOT NULL
);
CREATE INDEX login_attempts_last_at_ms ON login_attempts (last_at_ms);
