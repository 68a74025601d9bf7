//! Live events (docs/ARCHITECTURE.md, "Live events"; docs/API.md, "Live
//! events"): changes are appended to the event table in their own
//! transactions (`storage/events.rs`); each process reads the table once
//! ([`EventFeed`]) and hands every event to its clients' streams
//! ([`EventStream`]), each sending what its client asked for and may read
//! ([`EventFilter`]).

mod feed;
mod filter;
mod stream;

pub use feed::{EventFeed, FANOUT_CAPACITY, Subscription};
pub use filter::EventFilter;
pub use stream::{Credential, Delivery, EventStream, RECHECK_EVERY, Start};
