-- Names sort the same way as on SQLite (byte order, with lower() touching
-- ASCII only), whatever locale the database was created with. The queries
-- order by lower(name), name.
ALTER TABLE devices ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE clusters ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE agents ALTER COLUMN hostname TYPE TEXT COLLATE "C";
