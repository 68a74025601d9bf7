//! The PowerBeacon agent library: what the agent and the server must agree on.
//!
//! - [`mac`]: the [`MacAddress`](mac::MacAddress) newtype, parsed once at the edge.
//! - [`magic`]: the Wake-on-LAN magic packet.
//! - [`net`]: subnet arithmetic, to pick the broadcast address that reaches a device.
//! - `send`, `interfaces`, `state` (feature `runtime`): sending packets to the
//!   right broadcast address, the host's interfaces, the identity file.
//! - `presence` (feature `runtime`): watching the devices the server lists
//!   and reporting which are up.
//! - [`wire`]: the JSON messages of the agent protocol (kept compatible with the
//!   original PowerBeacon Go agent).
//!
//! - `cli` (feature `runtime`): the `powerbeacon-agent` program itself.
//!
//! This crate has no web framework and no database so the agent binary stays small.

#[cfg(feature = "runtime")]
pub mod cli;
#[cfg(feature = "runtime")]
pub mod interfaces;
pub mod mac;
pub mod magic;
pub mod net;
#[cfg(feature = "runtime")]
pub mod presence;
#[cfg(feature = "runtime")]
pub mod send;
#[cfg(feature = "runtime")]
pub mod state;
pub mod wire;

pub use mac::MacAddress;
