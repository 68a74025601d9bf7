//! Presence (feature `runtime`): the agent watches the devices the server
//! lists for it and reports which are up (docs/API.md, "Presence").
//!
//! - [`tracker`]: per device, turns probe outcomes into the changes to
//!   report (up at once, down after `down_after` misses in a row);
//! - [`neighbors`]: the kernel's IPv4 neighbour table (`/proc/net/arp`);
//! - [`probe`]: one probe of one device (`auto`, `neighbor`, `tcp`, `icmp`);
//! - [`watcher`]: the schedule, the bounds and the reports.

pub mod neighbors;
pub mod probe;
pub mod tracker;
pub mod watcher;
