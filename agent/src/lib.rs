//! The PowerBeacon agent library: what the agent and the server must agree on.
//!
//! - [`mac`]: the [`MacAddress`](mac::MacAddress) newtype, parsed once at the edge.
//! - [`magic`]: the Wake-on-LAN magic packet.
//! - [`net`]: subnet arithmetic, to pick the broadcast address that reaches a device.
//! - [`wire`]: the JSON messages of the agent protocol (kept compatible with the
//!   original PowerBeacon Go agent).
//!
//! This crate has no web framework and no database so the agent binary stays small.

pub mod mac;
pub mod magic;
pub mod net;
pub mod wire;

pub use mac::MacAddress;
