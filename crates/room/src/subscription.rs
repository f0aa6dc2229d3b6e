//! One viewer's connection to a room: a cursor into the room's ring, read at the viewer's
//! own pace. Nothing is queued per viewer beyond the cursor, so a slow viewer costs the room
//! nothing; it loses low-priority events first and is let go if it falls too far behind.

use crate::hub::HubInner;
use crate::limits::{BATCH_FRAMES, BEHIND_HIGH_MAX, BEHIND_SKIP_LOW, LANE_PER_SECOND};
use crate::protocol::{Frame, Position};
use crate::room::Room;
use bytes::Bytes;
use daihuo_domain::LiveSessionId;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;

/// Why a subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The viewer fell behind the ring or held too many undelivered events. It may resume
    /// with its last position.
    SlowConsumer,
    /// The session ended; its last event has been delivered.
    SessionEnded,
    /// The node is shutting the room down.
    RoomClosed,
}

impl Closed {
    /// Stable code, sent to the viewer before the connection closes.
    pub fn code(self) -> &'static str {
        match self {
            Closed::SlowConsumer => "slow_consumer",
            Closed::SessionEnded => "session_ended",
            Closed::RoomClosed => "room_closed",
        }
    }
}

/// A viewer's place in a room. Dropping it leaves the room.
pub struct Subscription {
    /// Counts this connection on the node.
    pub(crate) hub: Arc<HubInner>,
    /// The room.
    pub(crate) room: Arc<Room>,
    /// The next offset to deliver.
    pub(crate) cursor: u64,
    /// Wakes when the room changes.
    pub(crate) changes: watch::Receiver<u64>,
    /// Counters version last sent.
    pub(crate) counters_sent: u64,
    /// Low-priority events this viewer may still receive now (token bucket).
    pub(crate) lane_tokens: f64,
    /// When `lane_tokens` was last refilled.
    pub(crate) lane_refilled: Instant,
    /// Frames to send before anything else (the snapshot or the resume notice).
    pub(crate) first: Option<Bytes>,
    /// Set once the session-ended event was delivered.
    pub(crate) ended: bool,
}

impl Subscription {
    /// The session this subscription watches.
    pub fn session_id(&self) -> LiveSessionId {
        self.room.session_id
    }

    /// The position of the last delivered event.
    pub fn position(&self) -> Position {
        Position {
            epoch: self.room.read().epoch,
            offset: self.cursor.saturating_sub(1),
        }
    }

    /// The next frames for this viewer, waiting until there are some.
    pub async fn next(&mut self) -> Result<Vec<Bytes>, Closed> {
        if let Some(first) = self.first.take() {
            let mut frames = vec![first];
            frames.extend(self.collect()?);
            return Ok(frames);
        }
        loop {
            if self.ended {
                return Err(Closed::SessionEnded);
            }
            self.changes.borrow_and_update();
            let frames = self.collect()?;
            if !frames.is_empty() {
                return Ok(frames);
            }
            if self.changes.changed().await.is_err() {
                return Err(Closed::RoomClosed);
            }
        }
    }

    /// What is due now: events from the cursor (skipping low-priority ones when behind or
    /// over the lane cap) and the counters if they changed.
    fn collect(&mut self) -> Result<Vec<Bytes>, Closed> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.lane_refilled).as_secs_f64();
        self.lane_tokens = (self.lane_tokens + elapsed * f64::from(LANE_PER_SECOND))
            .min(f64::from(LANE_PER_SECOND));
        self.lane_refilled = now;

        let inner = self.room.read();
        let mut frames = Vec::new();
        if self.cursor < inner.first_offset() {
            return Err(Closed::SlowConsumer);
        }
        // A viewer that resumed ahead of this node skips nothing and waits.
        let start = self.cursor.saturating_sub(inner.first_offset()) as usize;
        let high_backlog = inner
            .ring
            .iter()
            .skip(start)
            .filter(|entry| !entry.low_priority)
            .count() as u64;
        if high_backlog > BEHIND_HIGH_MAX {
            return Err(Closed::SlowConsumer);
        }
        let behind = inner.head.saturating_sub(self.cursor);
        let skip_low = behind > BEHIND_SKIP_LOW;
        let mut skipped: Option<(u64, u64, u64)> = None;
        for entry in inner.ring.iter().skip(start) {
            if frames.len() >= BATCH_FRAMES {
                break;
            }
            let deliver = if !entry.low_priority {
                true
            } else if !skip_low && self.lane_tokens >= 1.0 {
                self.lane_tokens -= 1.0;
                true
            } else {
                false
            };
            if deliver {
                if let Some((from, to, count)) = skipped.take() {
                    frames.push(Frame::Skipped { from, to, count }.to_bytes());
                }
                frames.push(entry.frame.clone());
            } else {
                skipped = Some(match skipped {
                    Some((from, _, count)) => (from, entry.offset, count + 1),
                    None => (entry.offset, entry.offset, 1),
                });
            }
            self.cursor = entry.offset + 1;
        }
        if let Some((from, to, count)) = skipped {
            frames.push(Frame::Skipped { from, to, count }.to_bytes());
        }
        if inner.counters_version != self.counters_sent {
            self.counters_sent = inner.counters_version;
            frames.push(inner.counters_frame.clone());
        }
        if inner.ended && self.cursor >= inner.head {
            self.ended = true;
        }
        Ok(frames)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.room.online_local.fetch_sub(1, Ordering::Relaxed) == 1 {
            if let Ok(mut idle) = self.room.idle_since.lock() {
                *idle = Some(Instant::now());
            }
        }
        self.hub.connections.fetch_sub(1, Ordering::Relaxed);
    }
}
