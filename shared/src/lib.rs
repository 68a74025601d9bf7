//! What PowerBeacon's server and browser app share, so the two can never
//! disagree (docs/ARCHITECTURE.md, "Crates").
//!
//! - [`ids`]: the typed ids (`UserId`, `DeviceId`, …) of every record.
//! - [`types`]: the REST API's request and response shapes and the pages'
//!   read models.
//! - [`limits`]: the field limits, used by the server's validators and the
//!   forms' `maxlength` alike.
//! - [`access`]: the role and ownership rules, called by the server's
//!   services and by the pages to decide what to offer.
//! - [`routing`]: where sign-in sends people (safe `next` targets) and the
//!   sign-in errors' codes and messages.
//!
//! Features: `openapi` derives the OpenAPI schemas (the server's API docs);
//! `server-fn` lets [`types::ErrorBody`] travel as a server function's error
//! (the browser app); `ssr` adds what that error does on the server: it gives
//! the response its status ([`server_fn_status`]); `sqlx` makes the ids
//! database columns (the server's storage).

pub mod access;
pub mod ids;
pub mod limits;
pub mod routing;
#[cfg(feature = "ssr")]
pub mod server_fn_status;
pub mod types;
