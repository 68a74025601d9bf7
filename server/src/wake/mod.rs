//! Waking machines: the [`AgentClient`] speaks the agent protocol
//! (DESIGN.md §3) and the [`WakeDispatcher`] fans wake requests out over
//! agents concurrently (DESIGN.md §2).

mod client;
mod dispatcher;

pub use client::{AgentCallError, AgentClient};
pub use dispatcher::{DeviceOutcome, WakeDispatcher, fallback_broadcast};
