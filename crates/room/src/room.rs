//! One room on one node: its sequence (epoch, head, ring), its last-value state and its
//! coalesced counters. Events are applied in offset order by whoever sequences them (this
//! node alone, or the room's JetStream stream); viewers read the ring at their own pace.

use crate::limits::{PRESENCE_STALE, RING_BYTES, RING_EVENTS};
use crate::protocol::{Counters, Frame, Position, RoomEvent, RoomSeed, RoomState};
use bytes::Bytes;
use daihuo_domain::{LiveSessionId, UserId};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::watch;
use tokio::time::Instant;

/// One sequenced event as it is kept for viewers.
pub(crate) struct Entry {
    /// Its offset.
    pub(crate) offset: u64,
    /// Whether a lagging or capped viewer may skip it.
    pub(crate) low_priority: bool,
    /// The event frame, serialised once for every viewer.
    pub(crate) frame: Bytes,
}

/// The part of a room behind its lock.
pub(crate) struct RoomInner {
    /// The sequence's epoch.
    pub(crate) epoch: u64,
    /// The offset the next event gets; the last applied is `head - 1`.
    pub(crate) head: u64,
    /// Recent events for resume, oldest first, offsets contiguous up to `head - 1`.
    pub(crate) ring: VecDeque<Entry>,
    /// Bytes held by `ring`.
    ring_bytes: usize,
    /// Last-value state.
    pub(crate) state: RoomState,
    /// Whether the session has ended.
    pub(crate) ended: bool,
    /// Active mutes: user → end, Unix milliseconds.
    mutes: HashMap<UserId, i64>,
    /// Counters as last published to viewers.
    pub(crate) counters: Counters,
    /// `counters` as a frame.
    pub(crate) counters_frame: Bytes,
    /// Bumped whenever `counters` change.
    pub(crate) counters_version: u64,
    /// Likes recorded in the database, as far as any node has told.
    pub(crate) likes_recorded: u64,
    /// Comments recorded in the database, as far as any node has told.
    pub(crate) comments_recorded: u64,
    /// Other nodes' online counts with when they reported.
    remote_online: HashMap<String, (u64, Instant)>,
}

impl RoomInner {
    /// The first offset still in the ring (`head` when it is empty).
    pub(crate) fn first_offset(&self) -> u64 {
        self.ring.front().map_or(self.head, |entry| entry.offset)
    }

    /// Whether a viewer at `position` can be given exactly what it missed. A viewer may be
    /// ahead of this node (it came from a node whose stream consumer was further along): in
    /// the same epoch and within a ring's length, the events it lacks are on their way here,
    /// so it resumes and waits for them.
    pub(crate) fn can_resume(&self, position: Position) -> bool {
        position.epoch == self.epoch
            && position.offset.saturating_add(1) >= self.first_offset()
            && position.offset < self.head.saturating_add(RING_EVENTS as u64)
    }

    /// The snapshot frame as of now.
    pub(crate) fn snapshot_frame(&self, recovered: Option<bool>) -> Bytes {
        Frame::Snapshot {
            epoch: self.epoch,
            offset: self.head.saturating_sub(1),
            recovered,
            state: &self.state,
            counters: &self.counters,
        }
        .to_bytes()
    }

    /// The mute of `user` in force at `now_ms`, if any.
    pub(crate) fn muted_until(&self, user: UserId, now_ms: i64) -> Option<i64> {
        self.mutes
            .get(&user)
            .copied()
            .filter(|until| *until > now_ms)
    }
}

/// A room on this node.
pub(crate) struct Room {
    /// The session it shows.
    pub(crate) session_id: LiveSessionId,
    /// The session's anchor.
    pub(crate) anchor_id: UserId,
    /// Sequence, state and counters.
    inner: RwLock<RoomInner>,
    /// Wakes this room's viewers; the value counts changes.
    changes: watch::Sender<u64>,
    /// Viewers connected to this node.
    pub(crate) online_local: AtomicU64,
    /// Likes taken on this node and not yet written to the database.
    pub(crate) likes_unflushed: AtomicU64,
    /// Comments taken on this node and not yet written to the database.
    pub(crate) comments_unflushed: AtomicU64,
    /// Viewer keys that joined on this node since the last flush.
    pub(crate) new_viewers: Mutex<Vec<String>>,
    /// When the last viewer on this node left (`None` while someone watches).
    pub(crate) idle_since: Mutex<Option<Instant>>,
    /// The highest online count written to the database by this node.
    pub(crate) peak_flushed: AtomicU64,
    /// The highest online count seen since the last flush, so a short peak between flushes
    /// still reaches the database.
    pub(crate) peak_since_flush: AtomicU64,
    /// The online count the last written flush carried: a change is written within a second,
    /// so the minute series' online figure is never more than a second stale.
    pub(crate) online_flushed: AtomicU64,
    /// The Unix minute (ms ÷ 60,000) of the last written flush: while viewers are online a
    /// room writes at least once a minute, so a minute without a row had nobody online.
    pub(crate) minute_flushed: AtomicI64,
    /// The last snapshot frame given to a join, with the `(head, counters_version,
    /// recovered)` it was made for: the viewers joining between two changes of the room (all
    /// of a killed node's viewers, at once) share one serialisation of the whole state.
    snapshot_cache: Mutex<Option<SnapshotCache>>,
}

/// A snapshot frame and what it was made for.
struct SnapshotCache {
    head: u64,
    counters_version: u64,
    recovered: Option<bool>,
    frame: Bytes,
}

impl Room {
    /// A room opened from `seed` with a sequence starting at `head` in `epoch`.
    pub(crate) fn new(session_id: LiveSessionId, seed: RoomSeed, epoch: u64, head: u64) -> Room {
        let mut mutes = HashMap::new();
        for (user, until) in seed.mutes {
            mutes.insert(user, until);
        }
        let counters = Counters {
            online: 0,
            likes: seed.likes,
            comments: seed.comments,
        };
        let inner = RoomInner {
            epoch,
            head,
            ring: VecDeque::new(),
            ring_bytes: 0,
            state: seed.state,
            ended: seed.ended,
            mutes,
            counters,
            counters_frame: Frame::Counters(&counters).to_bytes(),
            counters_version: 0,
            likes_recorded: seed.likes,
            comments_recorded: seed.comments,
            remote_online: HashMap::new(),
        };
        Room {
            session_id,
            anchor_id: seed.anchor_id,
            inner: RwLock::new(inner),
            changes: watch::Sender::new(0),
            online_local: AtomicU64::new(0),
            likes_unflushed: AtomicU64::new(0),
            comments_unflushed: AtomicU64::new(0),
            new_viewers: Mutex::new(Vec::new()),
            idle_since: Mutex::new(Some(Instant::now())),
            peak_flushed: AtomicU64::new(0),
            peak_since_flush: AtomicU64::new(0),
            online_flushed: AtomicU64::new(0),
            minute_flushed: AtomicI64::new(i64::MIN),
            snapshot_cache: Mutex::new(None),
        }
    }

    /// The snapshot frame of `inner` (this room's, read-locked by the caller), shared with
    /// every join since the room last changed.
    pub(crate) fn snapshot(&self, inner: &RoomInner, recovered: Option<bool>) -> Bytes {
        let Ok(mut cache) = self.snapshot_cache.lock() else {
            return inner.snapshot_frame(recovered);
        };
        if let Some(cached) = cache.as_ref() {
            if cached.head == inner.head
                && cached.counters_version == inner.counters_version
                && cached.recovered == recovered
            {
                return cached.frame.clone();
            }
        }
        let frame = inner.snapshot_frame(recovered);
        *cache = Some(SnapshotCache {
            head: inner.head,
            counters_version: inner.counters_version,
            recovered,
            frame: frame.clone(),
        });
        frame
    }

    /// Reads the room. A poisoned lock still holds consistent data: every writer finishes
    /// its update before anything can panic.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, RoomInner> {
        self.inner
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, RoomInner> {
        self.inner
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A receiver that wakes on every change of this room.
    pub(crate) fn subscribe_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn notify(&self) {
        self.changes
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// Sequences `event` as this room's next offset (the room is its own sequencer: a
    /// single node). Returns the offset.
    pub(crate) fn append(&self, event: RoomEvent) -> u64 {
        let offset = {
            let mut inner = self.write();
            let offset = inner.head;
            apply_locked(&mut inner, offset, &event);
            offset
        };
        self.notify();
        offset
    }

    /// Applies an event sequenced elsewhere (the room's stream) at `offset`. Duplicates are
    /// ignored. A jump forward cannot be filled: the ring is cleared, so a viewer behind the
    /// jump gets a fresh snapshot instead of a silent gap.
    pub(crate) fn apply_sequenced(&self, offset: u64, event: &RoomEvent) {
        {
            let mut inner = self.write();
            if offset < inner.head {
                return;
            }
            if offset > inner.head {
                if !inner.ring.is_empty() {
                    tracing::warn!(
                        session = %self.session_id,
                        expected = inner.head,
                        got = offset,
                        "room sequence jumped; resumes across the jump get a snapshot"
                    );
                }
                inner.ring.clear();
                inner.ring_bytes = 0;
                inner.head = offset;
            }
            apply_locked(&mut inner, offset, event);
        }
        self.notify();
    }

    /// Another node's report: its online count and the totals it knows.
    pub(crate) fn remote_presence(&self, node: &str, online: u64, likes: u64, comments: u64) {
        let mut inner = self.write();
        inner
            .remote_online
            .insert(node.to_owned(), (online, Instant::now()));
        inner.likes_recorded = inner.likes_recorded.max(likes);
        inner.comments_recorded = inner.comments_recorded.max(comments);
    }

    /// Totals written to the database by this node.
    pub(crate) fn recorded(&self, likes: u64, comments: u64) {
        let mut inner = self.write();
        inner.likes_recorded = inner.likes_recorded.max(likes);
        inner.comments_recorded = inner.comments_recorded.max(comments);
    }

    /// Recomputes the counters; if they changed, viewers are woken to send them. Called on
    /// the counters tick only, which is what coalesces them. A change of the online count
    /// alone is published only when `online_due` (once a second): when a node is lost, its
    /// viewers rejoining the others change the count on every tick for seconds, and four
    /// frames a second to every viewer of the room would then outweigh the room's events.
    /// Likes and comments still go out on every tick they change, with the online count as
    /// it is then.
    pub(crate) fn refresh_counters(&self, online_due: bool) -> Counters {
        let now = Instant::now();
        let changed = {
            let mut inner = self.write();
            inner
                .remote_online
                .retain(|_, (_, at)| now.duration_since(*at) < PRESENCE_STALE);
            let remote: u64 = inner.remote_online.values().map(|(count, _)| count).sum();
            let counters = Counters {
                online: self.online_local.load(Ordering::Relaxed) + remote,
                likes: inner.likes_recorded + self.likes_unflushed.load(Ordering::Relaxed),
                comments: inner.comments_recorded + self.comments_unflushed.load(Ordering::Relaxed),
            };
            self.peak_since_flush
                .fetch_max(counters.online, Ordering::Relaxed);
            let unchanged = counters == inner.counters
                || (!online_due
                    && counters.likes == inner.counters.likes
                    && counters.comments == inner.counters.comments);
            if unchanged {
                None
            } else {
                inner.counters = counters;
                inner.counters_frame = Frame::Counters(&counters).to_bytes();
                inner.counters_version += 1;
                Some(counters)
            }
        };
        match changed {
            Some(counters) => {
                self.notify();
                counters
            }
            None => self.read().counters,
        }
    }
}

/// Applies `event` at `offset == inner.head` and keeps the ring within its bounds.
fn apply_locked(inner: &mut RoomInner, offset: u64, event: &RoomEvent) {
    match event {
        RoomEvent::Session { status, session } => {
            inner.state.session = session.clone();
            inner.ended = status == "ended";
        }
        RoomEvent::Pinned { product } => inner.state.pinned = product.clone(),
        RoomEvent::Shelf { items } => inner.state.shelf = items.clone(),
        RoomEvent::FlashSale { sale } => inner.state.flash_sale = sale.clone(),
        RoomEvent::Muted { user_id, until_ms } => {
            inner.mutes.insert(*user_id, *until_ms);
        }
        RoomEvent::Unmuted { user_id } => {
            inner.mutes.remove(user_id);
        }
        RoomEvent::Comment { .. }
        | RoomEvent::CommentDeleted { .. }
        | RoomEvent::Order { .. }
        | RoomEvent::Notice { .. } => {}
    }
    let frame = Frame::Event {
        epoch: inner.epoch,
        offset,
        event,
    }
    .to_bytes();
    inner.ring_bytes += frame.len();
    inner.ring.push_back(Entry {
        offset,
        low_priority: event.is_low_priority(),
        frame,
    });
    inner.head = offset + 1;
    while inner.ring.len() > RING_EVENTS || inner.ring_bytes > RING_BYTES {
        match inner.ring.pop_front() {
            Some(old) => inner.ring_bytes -= old.frame.len(),
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed() -> RoomSeed {
        RoomSeed {
            anchor_id: UserId(1),
            ended: false,
            state: RoomState::default(),
            mutes: vec![(UserId(9), i64::MAX)],
            likes: 10,
            comments: 2,
        }
    }

    fn notice(n: u64) -> RoomEvent {
        RoomEvent::Notice {
            text: format!("n{n}"),
            sent_at_us: n,
        }
    }

    #[test]
    fn the_ring_keeps_contiguous_offsets_within_its_bounds() {
        let room = Room::new(LiveSessionId(1), seed(), 77, 1);
        for n in 0..(RING_EVENTS as u64 + 10) {
            room.append(notice(n));
        }
        let inner = room.read();
        assert_eq!(inner.ring.len(), RING_EVENTS);
        assert_eq!(inner.head, RING_EVENTS as u64 + 11);
        assert_eq!(inner.first_offset(), 11);
        let offsets: Vec<u64> = inner.ring.iter().map(|entry| entry.offset).collect();
        assert!(offsets.windows(2).all(|pair| pair[1] == pair[0] + 1));
        assert!(inner.can_resume(Position {
            epoch: 77,
            offset: 10
        }));
        assert!(!inner.can_resume(Position {
            epoch: 77,
            offset: 9
        }));
        assert!(!inner.can_resume(Position {
            epoch: 78,
            offset: 500
        }));
        // Ahead of this node, within a ring: it waits for the events on their way.
        assert!(inner.can_resume(Position {
            epoch: 77,
            offset: inner.head + 5
        }));
        assert!(!inner.can_resume(Position {
            epoch: 77,
            offset: inner.head + RING_EVENTS as u64
        }));
    }

    #[test]
    fn sequenced_events_ignore_duplicates_and_clear_on_a_jump() {
        let room = Room::new(LiveSessionId(1), seed(), 5, 1);
        room.apply_sequenced(1, &notice(1));
        room.apply_sequenced(2, &notice(2));
        room.apply_sequenced(2, &notice(2));
        assert_eq!(room.read().head, 3);
        room.apply_sequenced(9, &notice(9));
        let inner = room.read();
        assert_eq!(inner.head, 10);
        assert_eq!(inner.first_offset(), 9);
        assert!(!inner.can_resume(Position {
            epoch: 5,
            offset: 2
        }));
    }

    #[test]
    fn state_events_change_the_snapshot_and_mutes() {
        let room = Room::new(LiveSessionId(1), seed(), 5, 1);
        room.append(RoomEvent::Pinned {
            product: json!({"sku_id": 3}),
        });
        room.append(RoomEvent::Unmuted { user_id: UserId(9) });
        room.append(RoomEvent::Session {
            status: "ended".into(),
            session: json!({"status": "ended"}),
        });
        let inner = room.read();
        assert_eq!(inner.state.pinned["sku_id"], 3);
        assert_eq!(inner.muted_until(UserId(9), 0), None);
        assert!(inner.ended);
    }

    #[test]
    fn counters_change_only_when_refreshed() {
        let room = Room::new(LiveSessionId(1), seed(), 5, 1);
        room.likes_unflushed.fetch_add(1000, Ordering::Relaxed);
        assert_eq!(room.read().counters.likes, 10);
        let counters = room.refresh_counters(false);
        assert_eq!(counters.likes, 1010);
        assert_eq!(room.read().counters_version, 1);
        room.refresh_counters(true);
        assert_eq!(room.read().counters_version, 1);
        // The online count alone waits for its once-a-second turn.
        room.online_local.fetch_add(7, Ordering::Relaxed);
        assert_eq!(room.refresh_counters(false).online, 0);
        assert_eq!(room.refresh_counters(true).online, 7);
        assert_eq!(room.read().counters_version, 2);
        // With likes it goes out at once.
        room.remote_presence("other", 40, 2000, 2);
        assert_eq!(room.refresh_counters(false).online, 47);
        assert_eq!(room.read().counters.likes, 3000);
    }
}
