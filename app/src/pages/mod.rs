//! One module per page.

pub mod agents;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod setup;
