//! The PowerBeacon server as a library, so tests start exactly what `main` starts.
//!
//! - [`config`]: every setting, from flags and environment.
//! - The business rules, storage and wake dispatch are the `backend` crate's;
//!   the browser app's pages and server functions are the `app` crate's.
//! - [`api`]: the REST API under `/api`, thin handlers over the services.
//! - [`web`]: the Leptos browser app and the start page.
//! - [`startup`]: wiring it all together and serving until a shutdown signal.

pub mod api;
pub mod config;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod write_timeout;

pub use config::Config;
pub use startup::{Application, StartupError};
