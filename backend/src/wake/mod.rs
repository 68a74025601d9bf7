//! Waking machines: the [`AgentClient`] speaks the agent protocol
//! (docs/API.md, "Agents") and the [`WakeDispatcher`] fans wake requests out over
//! agents concurrently (docs/ARCHITECTURE.md, "The life of a wake"); the
//! [`VerdictWaiters`] are the requests waiting for a wake's verdict.

mod client;
mod dispatcher;
mod verdicts;

pub use client::{AgentCallError, AgentClient, AgentSent};
pub use dispatcher::{DeviceOutcome, WakeDispatcher, fallback_broadcast};
pub use verdicts::{VerdictWaiters, VerdictWatch};
