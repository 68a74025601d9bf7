//! PowerBeacon's business rules and persistence, shared by the REST API
//! (the `powerbeacon` server crate) and the browser app's server functions
//! (the `app` crate under its `ssr` feature); docs/ARCHITECTURE.md.
//!
//! - [`domain`]: validated values, parsed once at the edge.
//! - [`events`]: live events, read once per process and streamed to clients.
//! - [`services`]: every business rule, behind [`services::Services`].
//! - [`storage`]: the [`Store`](storage::Store) interface with SQLite and
//!   PostgreSQL implementations.
//! - [`security`]: passwords, access tokens, client addresses, host names.
//! - [`sessions`]: browser sessions kept in the database.
//! - [`wake`]: sending wake requests to agents.

pub mod domain;
pub mod events;
pub mod security;
pub mod services;
pub mod sessions;
pub mod storage;
pub mod wake;
