//! Integration tests: the real router on 127.0.0.1 with a real database.
//!
//! Every test in a module that uses [`on_both_engines!`] runs twice: once on a
//! fresh SQLite file and once on a fresh PostgreSQL database (when
//! `PB_TEST_POSTGRES_URL` is set; CI sets it and `PB_REQUIRE_POSTGRES=1`).

mod fake_agent;
mod fake_issuer;
mod helpers;

mod api_agents;
mod api_auth;
mod api_clusters;
mod api_config;
mod api_devices;
mod api_docs;
mod api_enrollment_keys;
mod api_errors;
mod api_health;
mod api_install;
mod api_original_rules;
mod api_setup;
mod api_users;
mod api_wake;
mod auth_hardening;
mod cluster_links;
mod dashboard;
mod events;
mod http_hardening;
mod list_bytes;
mod on_the_wire;
mod presence;
mod sso;
mod startup;
mod wakes;
mod web;
mod web_manage;
mod web_safety;
