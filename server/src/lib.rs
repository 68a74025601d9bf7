//! The PowerBeacon server as a library, so tests start exactly what `main` starts.
//!
//! - [`config`]: every setting, from flags and environment.
//! - [`storage`]: the [`Store`](storage::Store) interface with SQLite and PostgreSQL implementations.
//! - [`services`]: every business rule, shared by the REST API and the browser app.
//! - [`api`]: the REST API under `/api`, thin handlers over the services.
//! - [`web`]: the Leptos browser app and the start page.
//! - [`startup`]: wiring it all together and serving until a shutdown signal.

pub mod api;
pub mod config;
pub mod domain;
pub mod security;
pub mod services;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod wake;
pub mod web;

pub use config::Config;
pub use startup::{Application, StartupError};
