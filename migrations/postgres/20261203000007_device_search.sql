-- What the dashboard's search and tag filter look in, written with each
-- device (backend/src/domain/device_search.rs), so the database filters a
-- fleet of any size. Devices from before are filled in at start-up.
ALTER TABLE devices ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN tag_keys TEXT NOT NULL DEFAULT '';
