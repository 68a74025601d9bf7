//! The storage layer on both engines, one module per area as in
//! `backend/src/storage`: every method of every area's trait, run on a
//! fresh SQLite file and on a fresh PostgreSQL database (when
//! `PB_TEST_POSTGRES_URL` is set; CI sets it and `PB_REQUIRE_POSTGRES=1`).

#[path = "../support/test_db.rs"]
mod test_db;

mod fixtures;

mod agents;
mod clusters;
mod devices;
mod enrollment_keys;
mod events;
mod presence;
mod schema;
mod sessions;
mod settings;
mod throttle;
mod users;
mod wakes;
