//! One module per page.

pub mod agents;
pub mod clusters;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod routes;
pub mod settings;
pub mod setup;
pub mod users;
