//! What travels in a room: the events viewers receive, the frames they arrive in, and the
//! messages a viewer may send. Frames are JSON text; every sequenced event carries its
//! room's `(epoch, offset)`.

use daihuo_domain::{LiveSessionId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A sequenced room event. Each gets the next offset of its room, on every node alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomEvent {
    /// The session's record changed: it went live, was edited, or ended.
    Session {
        /// `scheduled`, `live` or `ended`.
        status: String,
        /// The session as the API shows it.
        session: Value,
    },
    /// The product being presented (讲解) changed; `null` when nothing is pinned.
    Pinned {
        /// The product card, or `null`.
        product: Value,
    },
    /// The shelf (小黄车) changed: the whole list with live prices and stock left.
    Shelf {
        /// The shelf items.
        items: Value,
    },
    /// Flash-sale state (announced, counting down, started, sold out): last value wins.
    FlashSale {
        /// The sale as the API shows it.
        sale: Value,
    },
    /// A viewer's comment. Its offset is its id.
    Comment {
        /// Who wrote it.
        user_id: UserId,
        /// The name shown.
        name: String,
        /// The checked text.
        text: String,
    },
    /// A moderator removed a comment.
    CommentDeleted {
        /// The comment's own offset.
        offset: u64,
    },
    /// Someone bought: the orders ticker ("someone in 杭州 bought …").
    Order {
        /// The buyer's city, never more precise.
        city: String,
        /// The product's title.
        title: String,
    },
    /// A viewer was muted in this room until `until_ms` (Unix milliseconds).
    Muted {
        /// The muted viewer.
        user_id: UserId,
        /// When the mute ends.
        until_ms: i64,
    },
    /// A mute was lifted.
    Unmuted {
        /// The viewer.
        user_id: UserId,
    },
    /// An operator's notice to the room; `sent_at_us` is the sender's clock, which lets a
    /// load client measure publish-to-receive latency.
    Notice {
        /// The text shown.
        text: String,
        /// Sender's wall clock, Unix microseconds.
        sent_at_us: u64,
    },
}

impl RoomEvent {
    /// Low-priority events are the first a lagging viewer loses, and are capped per viewer.
    pub fn is_low_priority(&self) -> bool {
        matches!(self, RoomEvent::Comment { .. } | RoomEvent::Order { .. })
    }
}

/// A room's last-value state, as a snapshot shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomState {
    /// The session.
    pub session: Value,
    /// The pinned product, or `null`.
    pub pinned: Value,
    /// The shelf items.
    pub shelf: Value,
    /// The flash sale, or `null`.
    pub flash_sale: Value,
}

/// Coalesced counters of a room, over every node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Viewers connected now.
    pub online: u64,
    /// Likes since the session was created.
    pub likes: u64,
    /// Comments since the session was created.
    pub comments: u64,
}

/// Where a viewer is in a room's sequence: the last offset it received, in an epoch. The
/// epoch changes when a room's sequence starts again (a new stream, a restarted node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The sequence's epoch.
    pub epoch: u64,
    /// The last offset received.
    pub offset: u64,
}

/// A frame sent to a viewer.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Frame<'a> {
    /// The room as it is: sent on join, and on a resume that could not be honoured.
    Snapshot {
        epoch: u64,
        /// The last offset the snapshot includes.
        offset: u64,
        /// Present on a resume: `false` means events were missed and this snapshot replaces
        /// them.
        #[serde(skip_serializing_if = "Option::is_none")]
        recovered: Option<bool>,
        state: &'a RoomState,
        counters: &'a Counters,
    },
    /// A resume was honoured: the events after `offset` follow.
    Resumed { epoch: u64, offset: u64 },
    /// A sequenced event.
    Event {
        epoch: u64,
        offset: u64,
        event: &'a RoomEvent,
    },
    /// Offsets `from..=to` were deliberately not delivered: `count` low-priority events
    /// dropped for this viewer. A gap not covered by such a frame is a real loss.
    Skipped { from: u64, to: u64, count: u64 },
    /// The coalesced counters.
    Counters(&'a Counters),
    /// A request of this viewer was refused.
    Error { code: &'a str, message: &'a str },
}

impl Frame<'_> {
    /// The frame as JSON text.
    pub(crate) fn to_bytes(&self) -> bytes::Bytes {
        // Serialising these types cannot fail: every map key is a string.
        bytes::Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// An error frame for a refused viewer message, as JSON text.
pub fn error_frame(code: &str, message: &str) -> bytes::Bytes {
    Frame::Error { code, message }.to_bytes()
}

/// A message a viewer sends on its connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// A comment.
    Comment {
        /// The text, checked by the moderation rules.
        text: String,
    },
    /// Likes (a batch of taps).
    Like {
        /// How many, 1..=100.
        count: u32,
    },
    /// Keep-alive; answered with nothing.
    Ping {},
}

/// What a node knows of a session when it opens its room.
#[derive(Debug, Clone)]
pub struct RoomSeed {
    /// The session's anchor, who may moderate.
    pub anchor_id: UserId,
    /// Whether the session has ended.
    pub ended: bool,
    /// The state to show.
    pub state: RoomState,
    /// Active mutes: user and end, Unix milliseconds.
    pub mutes: Vec<(UserId, i64)>,
    /// Likes recorded so far.
    pub likes: u64,
    /// Comments recorded so far.
    pub comments: u64,
}

/// Counter changes of one room on one node, written to the database about once a second:
/// whenever a delta is not zero, the online count changed or a new minute began with viewers
/// online (so every minute with anyone watching has its row in the minute series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterFlush {
    /// The session.
    pub session_id: LiveSessionId,
    /// Likes since the last flush.
    pub likes_delta: u64,
    /// Comments since the last flush.
    pub comments_delta: u64,
    /// The highest online count over all nodes since the last flush, for the session's peak.
    pub online_now: u64,
    /// The online count over all nodes when the flush was gathered, for the minute series.
    pub online_current: u64,
    /// When the flush was gathered, Unix ms: the minute its deltas belong to.
    pub at_ms: i64,
    /// Viewer keys that joined since the last flush (user or visitor ids), for the count of
    /// unique viewers.
    pub viewer_keys: Vec<String>,
}

/// The totals a flush returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushedTotals {
    /// The session.
    pub session_id: LiveSessionId,
    /// All likes recorded.
    pub likes: u64,
    /// All comments recorded.
    pub comments: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_their_kind() {
        let event = RoomEvent::Comment {
            user_id: UserId(7),
            name: "小王".into(),
            text: "好看".into(),
        };
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(json["kind"], "comment");
        assert_eq!(json["user_id"], 7);
        let back: RoomEvent =
            serde_json::from_value(json).unwrap_or(RoomEvent::Unmuted { user_id: UserId(0) });
        assert_eq!(back, event);
        assert!(event.is_low_priority());
        assert!(!RoomEvent::Pinned {
            product: Value::Null
        }
        .is_low_priority());
    }

    #[test]
    fn client_messages_are_strict() {
        let like: Result<ClientMessage, _> = serde_json::from_str(r#"{"type":"like","count":3}"#);
        assert_eq!(like.ok(), Some(ClientMessage::Like { count: 3 }));
        let extra: Result<ClientMessage, _> = serde_json::from_str(r#"{"type":"ping","sneaky":1}"#);
        assert!(extra.is_err());
        let unknown: Result<ClientMessage, _> = serde_json::from_str(r#"{"type":"buy"}"#);
        assert!(unknown.is_err());
    }
}
