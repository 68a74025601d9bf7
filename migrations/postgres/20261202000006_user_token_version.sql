-- A user's sessions and access tokens carry the version they were issued
-- under; moving it on (password change, deactivation, a lower role) ends
-- them all at once, on every replica.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
