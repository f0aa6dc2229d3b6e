//! The live-room hub: every viewer connection of a node hangs off one [`Hub`].
//!
//! A room is the real-time face of a live session. Its events (pinned product, shelf,
//! flash-sale state, comments, the orders ticker, session ended) are *sequenced*: each gets
//! the room's next offset, and a viewer who reconnects with its last `(epoch, offset)` is
//! given exactly what it missed from a bounded ring, or a fresh snapshot flagged as not
//! recovered. Counters (online, likes, comments) are *coalesced*: they are last-value state,
//! refreshed at most four times a second per room however many likes arrive.
//!
//! One node works alone. With NATS, a room's events go through a JetStream stream of the
//! room's own, whose sequence numbers are the offsets, so every node holds the same ring and
//! a viewer may resume on any node; presence and counter totals cross nodes on core NATS.
//!
//! Architecture invariant: this crate knows nothing of HTTP or SQL. Transports (WebSocket,
//! SSE) take frames from a [`Subscription`]; the database is reached through [`RoomSource`].

mod hub;
pub mod limits;
mod nats;
pub mod protocol;
mod room;
mod subscription;

pub use hub::{Author, Hub, HubConfig, RoomError, RoomSource, SourceError, Viewer};
pub use protocol::{
    ClientMessage, CounterFlush, Counters, FlushedTotals, Position, RoomEvent, RoomSeed, RoomState,
};
pub use subscription::{Closed, Subscription};
