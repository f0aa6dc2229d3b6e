//! Every limit of the room hub, each with the reason for its value.

use std::time::Duration;

/// Events a room keeps for resume: about a minute of a busy room's comments at 20/s.
pub const RING_EVENTS: usize = 1024;

/// Bytes a room keeps for resume, whatever the event count: bounds memory per room.
pub const RING_BYTES: usize = 1024 * 1024;

/// How often counters are refreshed: four updates per second per room at most.
pub const COUNTERS_TICK: Duration = Duration::from_millis(250);

/// Counter deltas and new viewers go to the database every this many ticks (one second).
pub const FLUSH_EVERY_TICKS: u32 = 4;

/// Another node's online count is forgotten when it has not reported for this long
/// (it reports every second), so a killed node's viewers stop being counted.
pub const PRESENCE_STALE: Duration = Duration::from_secs(3);

/// A room with no viewer on this node is dropped after this long (its ring with it).
pub const ROOM_IDLE: Duration = Duration::from_secs(60);

/// A viewer this many events behind loses low-priority events (comments, orders ticker)
/// first, so it catches up on what matters.
pub const BEHIND_SKIP_LOW: u64 = 32;

/// A viewer with more than this many undelivered high-priority events is disconnected: it
/// resumes or gets a fresh snapshot, and never slows the room.
pub const BEHIND_HIGH_MAX: u64 = 256;

/// Frames handed to a transport at once, so one connection's catch-up stays short.
pub const BATCH_FRAMES: usize = 64;

/// Low-priority events a viewer receives per second (comments, orders ticker).
pub const LANE_PER_SECOND: u32 = 20;

/// A message from a viewer may be at most this long: a comment plus its envelope.
pub const CLIENT_MESSAGE_BYTES: usize = 4096;

/// Comments per user per second on a node, with a burst of [`COMMENT_BURST`].
pub const COMMENTS_PER_SECOND: u32 = 1;

/// Comments a user may send in a burst before the rate applies.
pub const COMMENT_BURST: u32 = 5;

/// Like messages per user per second on a node (each may carry [`LIKES_PER_MESSAGE`]).
pub const LIKE_MESSAGES_PER_SECOND: u32 = 10;

/// Likes one message may carry: a burst of taps batched by the client.
pub const LIKES_PER_MESSAGE: u32 = 100;

/// How long a join waits for a room to load and catch up with its stream.
pub const ROOM_LOAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Viewer connections per node by default: under the 20,000 open files one process may hold.
pub const DEFAULT_NODE_CONNECTIONS: usize = 18_000;

/// Viewer connections per room per node by default.
pub const DEFAULT_ROOM_CONNECTIONS: usize = 18_000;
