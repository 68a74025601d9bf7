-- Pages of devices are newest first, ties broken by id: an index in that
-- order lets a page walk it without sorting (docs/ARCHITECTURE.md, "Lists at
-- fleet scale").
DROP INDEX devices_created_idx;
CREATE INDEX devices_created_id_idx ON devices (created_at DESC, id DESC);
