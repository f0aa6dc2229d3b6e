//! The hub: the rooms of a node, how viewers join them, how events are published into
//! them, and the tick that coalesces counters and writes them down.

use crate::limits::{
    COMMENTS_PER_SECOND, COMMENT_BURST, COUNTERS_TICK, DEFAULT_NODE_CONNECTIONS,
    DEFAULT_ROOM_CONNECTIONS, FLUSH_EVERY_TICKS, LANE_PER_SECOND, LIKES_PER_MESSAGE,
    LIKE_MESSAGES_PER_SECOND, ROOM_IDLE, ROOM_LOAD_TIMEOUT,
};
use crate::nats::NatsBus;
use crate::protocol::{
    CounterFlush, Counters, FlushedTotals, Frame, Position, RoomEvent, RoomSeed,
};
use crate::room::Room;
use crate::subscription::Subscription;
use async_trait::async_trait;
use daihuo_domain::metrics::MINUTE_MS;
use daihuo_domain::moderation::{BannedWords, CommentError, CommentText};
use daihuo_domain::{LiveSessionId, UserId};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// An error reaching the database behind the rooms.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Where rooms come from and where their counters go: the database, reached by the service
/// layer. Kept behind a trait so that this crate stays free of SQL.
#[async_trait]
pub trait RoomSource: Send + Sync + 'static {
    /// The session's seed, or `None` if there is no such session.
    async fn load(&self, session_id: LiveSessionId) -> Result<Option<RoomSeed>, SourceError>;

    /// Adds counter deltas and new viewers, returning the totals now recorded.
    async fn flush(&self, batch: Vec<CounterFlush>) -> Result<Vec<FlushedTotals>, SourceError>;
}

/// Settings of a node's hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// This node's name on the bus (unique among nodes).
    pub node_id: String,
    /// Names the database on the bus: room streams and subjects carry it, so nodes of
    /// different databases sharing one NATS never mix rooms whose session ids coincide.
    pub namespace: String,
    /// Viewer connections this node accepts.
    pub max_connections: usize,
    /// Viewer connections one room accepts on this node.
    pub max_room_connections: usize,
    /// The banned-words list for comments.
    pub banned_words: BannedWords,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            node_id: format!("node-{}", std::process::id()),
            namespace: "default".to_owned(),
            max_connections: DEFAULT_NODE_CONNECTIONS,
            max_room_connections: DEFAULT_ROOM_CONNECTIONS,
            banned_words: BannedWords::default_list(),
        }
    }
}

/// Who is watching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// A signed-in user.
    User(UserId),
    /// An anonymous visitor with the client's own stable id (counted once per id).
    Visitor(String),
    /// An anonymous connection without an id (counted once per connection).
    Anonymous,
}

impl Viewer {
    fn key(&self, connection: usize) -> String {
        match self {
            Viewer::User(user) => format!("u{user}"),
            Viewer::Visitor(id) => format!("v{id}"),
            Viewer::Anonymous => format!("c{}-{connection}", now_us()),
        }
    }
}

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The user.
    pub user_id: UserId,
    /// The name shown.
    pub name: String,
}

/// Why a room request was refused.
#[derive(Debug, Error)]
pub enum RoomError {
    /// No such session.
    #[error("no such live session")]
    NotFound,
    /// The session has ended.
    #[error("the live session has ended")]
    Ended,
    /// This node holds as many connections as it may.
    #[error("this node is full; try another")]
    NodeFull,
    /// This room holds as many connections on this node as it may.
    #[error("this room is full on this node")]
    RoomFull,
    /// The viewer is muted in this room.
    #[error("you are muted in this room until {until_ms}")]
    Muted {
        /// When the mute ends, Unix milliseconds.
        until_ms: i64,
    },
    /// Too many comments or likes.
    #[error("too many requests; slow down")]
    RateLimited,
    /// A like message carried a count out of range.
    #[error("a like message carries 1 to {LIKES_PER_MESSAGE} likes")]
    BadLikeCount,
    /// The comment broke a rule.
    #[error(transparent)]
    Comment(#[from] CommentError),
    /// The database or the bus failed.
    #[error("the room is unavailable: {0}")]
    Unavailable(String),
}

impl RoomError {
    /// Stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            RoomError::NotFound => "session_not_found",
            RoomError::Ended => "session_ended",
            RoomError::NodeFull => "node_full",
            RoomError::RoomFull => "room_full",
            RoomError::Muted { .. } => "muted",
            RoomError::RateLimited => "rate_limited",
            RoomError::BadLikeCount => "bad_like_count",
            RoomError::Comment(error) => error.code(),
            RoomError::Unavailable(_) => "room_unavailable",
        }
    }
}

/// A node's rooms. Cheap to clone; the tick stops when the last clone is dropped.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("node_id", &self.inner.config.node_id)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

/// A room slot: filled once when the room is first needed on this node.
type RoomSlot = Arc<OnceCell<Arc<Room>>>;

pub(crate) struct HubInner {
    /// Settings.
    config: HubConfig,
    /// The database side.
    source: Arc<dyn RoomSource>,
    /// The bus between nodes, if any.
    bus: Option<NatsBus>,
    /// Rooms open on this node.
    rooms: Mutex<HashMap<LiveSessionId, RoomSlot>>,
    /// Viewer connections on this node.
    pub(crate) connections: AtomicUsize,
    /// Comments per user.
    comment_limiter: DefaultKeyedRateLimiter<UserId>,
    /// Like messages per user.
    like_limiter: DefaultKeyedRateLimiter<UserId>,
}

impl Hub {
    /// A hub for a node alone: it sequences its rooms itself. Spawns the counters tick
    /// (so it must be called inside a Tokio runtime), which ends with the last clone.
    pub fn local(config: HubConfig, source: Arc<dyn RoomSource>) -> Hub {
        Hub::with_bus(config, source, None)
    }

    /// A hub joined to the other nodes through NATS: rooms are sequenced by their JetStream
    /// streams and presence crosses nodes.
    pub async fn connect(
        config: HubConfig,
        source: Arc<dyn RoomSource>,
        nats: async_nats::Client,
    ) -> Result<Hub, RoomError> {
        let bus = NatsBus::new(nats, &config.namespace);
        let hub = Hub::with_bus(config, source, Some(bus));
        if let Some(bus) = &hub.inner.bus {
            bus.listen_presence(Arc::downgrade(&hub.inner)).await?;
        }
        Ok(hub)
    }

    fn with_bus(config: HubConfig, source: Arc<dyn RoomSource>, bus: Option<NatsBus>) -> Hub {
        let comment_quota =
            Quota::per_second(nonzero(COMMENTS_PER_SECOND)).allow_burst(nonzero(COMMENT_BURST));
        let like_quota = Quota::per_second(nonzero(LIKE_MESSAGES_PER_SECOND));
        let inner = Arc::new(HubInner {
            config,
            source,
            bus,
            rooms: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            comment_limiter: RateLimiter::keyed(comment_quota),
            like_limiter: RateLimiter::keyed(like_quota),
        });
        tokio::spawn(tick(Arc::downgrade(&inner)));
        Hub { inner }
    }

    /// Viewer connections on this node.
    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// This node's name.
    pub fn node_id(&self) -> &str {
        &self.inner.config.node_id
    }

    /// Joins a room. Without `resume`, the first frame is a snapshot. With it, the first
    /// frame says `resumed` and the missed events follow, or it is a snapshot flagged
    /// `recovered: false` when they are no longer held.
    pub async fn join(
        &self,
        session_id: LiveSessionId,
        viewer: Viewer,
        resume: Option<Position>,
    ) -> Result<Subscription, RoomError> {
        let connection = self.inner.connections.fetch_add(1, Ordering::Relaxed) + 1;
        // From here the count is released by the subscription's drop, or below on error.
        let room = match self.admit(connection, session_id).await {
            Ok(room) => room,
            Err(error) => {
                self.inner.connections.fetch_sub(1, Ordering::Relaxed);
                return Err(error);
            }
        };
        if room.read().ended {
            self.inner.connections.fetch_sub(1, Ordering::Relaxed);
            return Err(RoomError::Ended);
        }
        if room.online_local.fetch_add(1, Ordering::Relaxed) == 0 {
            if let Ok(mut idle) = room.idle_since.lock() {
                *idle = None;
            }
        }
        let mut subscription = Subscription {
            hub: self.inner.clone(),
            room: room.clone(),
            cursor: 0,
            changes: room.subscribe_changes(),
            counters_sent: 0,
            lane_tokens: f64::from(LANE_PER_SECOND),
            lane_refilled: Instant::now(),
            first: None,
            ended: false,
        };
        if room.online_local.load(Ordering::Relaxed) as usize
            > self.inner.config.max_room_connections
        {
            return Err(RoomError::RoomFull);
        }
        if let Ok(mut keys) = room.new_viewers.lock() {
            keys.push(viewer.key(connection));
        }
        let inner = room.read();
        let first = match resume {
            Some(position) if inner.can_resume(position) => {
                subscription.cursor = position.offset + 1;
                Frame::Resumed {
                    epoch: inner.epoch,
                    offset: position.offset,
                }
                .to_bytes()
            }
            Some(_) => {
                subscription.cursor = inner.head;
                room.snapshot(&inner, Some(false))
            }
            None => {
                subscription.cursor = inner.head;
                room.snapshot(&inner, None)
            }
        };
        subscription.counters_sent = inner.counters_version;
        subscription.first = Some(first);
        drop(inner);
        Ok(subscription)
    }

    async fn admit(
        &self,
        connection: usize,
        session_id: LiveSessionId,
    ) -> Result<Arc<Room>, RoomError> {
        if connection > self.inner.config.max_connections {
            return Err(RoomError::NodeFull);
        }
        self.inner.room(session_id).await
    }

    /// Publishes a sequenced event to a session's room on every node. Returns its offset.
    pub async fn publish(
        &self,
        session_id: LiveSessionId,
        event: RoomEvent,
    ) -> Result<u64, RoomError> {
        self.inner.publish(session_id, event).await
    }

    /// A viewer's comment: checked against the rules, mutes and rate, then published.
    /// Returns its offset, which is its id.
    pub async fn comment(
        &self,
        session_id: LiveSessionId,
        author: Author,
        text: &str,
    ) -> Result<u64, RoomError> {
        let room = self.inner.room(session_id).await?;
        let text = CommentText::parse(text, &self.inner.config.banned_words)?;
        {
            let inner = room.read();
            if inner.ended {
                return Err(RoomError::Ended);
            }
            if let Some(until_ms) = inner.muted_until(author.user_id, now_ms()) {
                return Err(RoomError::Muted { until_ms });
            }
        }
        if self
            .inner
            .comment_limiter
            .check_key(&author.user_id)
            .is_err()
        {
            return Err(RoomError::RateLimited);
        }
        let event = RoomEvent::Comment {
            user_id: author.user_id,
            name: author.name,
            text: text.into_string(),
        };
        let offset = self.inner.publish(session_id, event).await?;
        room.comments_unflushed.fetch_add(1, Ordering::Relaxed);
        Ok(offset)
    }

    /// A viewer's likes: counted, never queued; viewers see the total on the next tick.
    pub async fn like(
        &self,
        session_id: LiveSessionId,
        user_id: UserId,
        count: u32,
    ) -> Result<(), RoomError> {
        if count == 0 || count > LIKES_PER_MESSAGE {
            return Err(RoomError::BadLikeCount);
        }
        let room = self.inner.room(session_id).await?;
        if room.read().ended {
            return Err(RoomError::Ended);
        }
        if self.inner.like_limiter.check_key(&user_id).is_err() {
            return Err(RoomError::RateLimited);
        }
        room.likes_unflushed
            .fetch_add(u64::from(count), Ordering::Relaxed);
        Ok(())
    }

    /// The anchor of a session's room (for moderation rights), opening the room if needed.
    pub async fn anchor_of(&self, session_id: LiveSessionId) -> Result<UserId, RoomError> {
        Ok(self.inner.room(session_id).await?.anchor_id)
    }

    /// The counters of a room open on this node, as viewers last saw them.
    pub fn counters(&self, session_id: LiveSessionId) -> Option<Counters> {
        let slot = self.inner.slot(session_id)?;
        slot.get().map(|room| room.read().counters)
    }
}

impl HubInner {
    fn slot(&self, session_id: LiveSessionId) -> Option<RoomSlot> {
        self.rooms.lock().ok()?.get(&session_id).cloned()
    }

    /// The room of a session on this node, opened (and caught up with its stream) if it is
    /// not open yet.
    pub(crate) async fn room(
        self: &Arc<Self>,
        session_id: LiveSessionId,
    ) -> Result<Arc<Room>, RoomError> {
        let slot = {
            let mut rooms = self
                .rooms
                .lock()
                .map_err(|_| RoomError::Unavailable("room table poisoned".into()))?;
            rooms.entry(session_id).or_default().clone()
        };
        let opened = tokio::time::timeout(
            ROOM_LOAD_TIMEOUT,
            slot.get_or_try_init(|| self.open(session_id)),
        )
        .await;
        match opened {
            Ok(Ok(room)) => Ok(room.clone()),
            Ok(Err(error)) => {
                self.forget_if_empty(session_id, &slot);
                Err(error)
            }
            Err(_) => {
                self.forget_if_empty(session_id, &slot);
                Err(RoomError::Unavailable(
                    "the room did not open in time".into(),
                ))
            }
        }
    }

    fn forget_if_empty(&self, session_id: LiveSessionId, slot: &RoomSlot) {
        if let Ok(mut rooms) = self.rooms.lock() {
            if slot.get().is_none() {
                if let Some(current) = rooms.get(&session_id) {
                    if Arc::ptr_eq(current, slot) {
                        rooms.remove(&session_id);
                    }
                }
            }
        }
    }

    async fn open(self: &Arc<Self>, session_id: LiveSessionId) -> Result<Arc<Room>, RoomError> {
        let seed = self
            .source
            .load(session_id)
            .await
            .map_err(|error| RoomError::Unavailable(error.to_string()))?
            .ok_or(RoomError::NotFound)?;
        match &self.bus {
            None => Ok(Arc::new(Room::new(session_id, seed, now_us(), 1))),
            Some(bus) => bus.open(session_id, seed).await,
        }
    }

    async fn publish(
        self: &Arc<Self>,
        session_id: LiveSessionId,
        event: RoomEvent,
    ) -> Result<u64, RoomError> {
        match &self.bus {
            Some(bus) => bus.publish(session_id, &event).await,
            None => {
                let room = self.room(session_id).await?;
                Ok(room.append(event))
            }
        }
    }

    fn open_rooms(&self) -> Vec<Arc<Room>> {
        match self.rooms.lock() {
            Ok(rooms) => rooms
                .values()
                .filter_map(|slot| slot.get().cloned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A report from another node about a room.
    pub(crate) fn presence(
        &self,
        session_id: LiveSessionId,
        node: &str,
        online: u64,
        likes: u64,
        comments: u64,
    ) {
        if node == self.config.node_id {
            return;
        }
        if let Some(room) = self.slot(session_id).and_then(|slot| slot.get().cloned()) {
            room.remote_presence(node, online, likes, comments);
        }
    }

    /// Writes counter deltas and new viewers of the rooms that have any, then tells other
    /// nodes what this node knows.
    async fn flush(&self, rooms: &[Arc<Room>]) {
        let mut batch: Vec<(Arc<Room>, CounterFlush)> = Vec::new();
        let at_ms = now_ms();
        let minute = at_ms.div_euclid(MINUTE_MS);
        for room in rooms {
            let viewer_keys = room
                .new_viewers
                .lock()
                .map(|mut keys| std::mem::take(&mut *keys))
                .unwrap_or_default();
            let (online_current, ended) = {
                let inner = room.read();
                (inner.counters.online, inner.ended)
            };
            let online_now = room
                .peak_since_flush
                .swap(0, Ordering::Relaxed)
                .max(online_current);
            let flush = CounterFlush {
                session_id: room.session_id,
                likes_delta: room.likes_unflushed.load(Ordering::Relaxed),
                comments_delta: room.comments_unflushed.load(Ordering::Relaxed),
                online_now,
                online_current,
                at_ms,
                viewer_keys,
            };
            let peak_rose = online_now > room.peak_flushed.load(Ordering::Relaxed);
            // A spike that came and went within the second counts as a change too, so the
            // minute's peak keeps it.
            let online_changed = online_current != room.online_flushed.load(Ordering::Relaxed)
                || online_now != online_current;
            let new_minute_watched = online_current > 0
                && !ended
                && minute != room.minute_flushed.load(Ordering::Relaxed);
            if flush.likes_delta > 0
                || flush.comments_delta > 0
                || !flush.viewer_keys.is_empty()
                || peak_rose
                || online_changed
                || new_minute_watched
            {
                batch.push((room.clone(), flush));
            }
        }
        if !batch.is_empty() {
            let flushes = batch.iter().map(|(_, flush)| flush.clone()).collect();
            match self.source.flush(flushes).await {
                Ok(totals) => {
                    let by_session: HashMap<LiveSessionId, FlushedTotals> =
                        totals.into_iter().map(|t| (t.session_id, t)).collect();
                    for (room, sent) in &batch {
                        room.likes_unflushed
                            .fetch_sub(sent.likes_delta, Ordering::Relaxed);
                        room.comments_unflushed
                            .fetch_sub(sent.comments_delta, Ordering::Relaxed);
                        room.peak_flushed
                            .fetch_max(sent.online_now, Ordering::Relaxed);
                        room.online_flushed
                            .store(sent.online_current, Ordering::Relaxed);
                        room.minute_flushed
                            .store(sent.at_ms.div_euclid(MINUTE_MS), Ordering::Relaxed);
                        if let Some(total) = by_session.get(&room.session_id) {
                            room.recorded(total.likes, total.comments);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "room counters were not written; kept for the next flush");
                    for (room, sent) in batch {
                        room.peak_since_flush
                            .fetch_max(sent.online_now, Ordering::Relaxed);
                        if let Ok(mut keys) = room.new_viewers.lock() {
                            keys.extend(sent.viewer_keys);
                        }
                    }
                }
            }
        }
        if let Some(bus) = &self.bus {
            for room in rooms {
                let (likes, comments) = {
                    let inner = room.read();
                    (inner.likes_recorded, inner.comments_recorded)
                };
                bus.report_presence(
                    room.session_id,
                    &self.config.node_id,
                    room.online_local.load(Ordering::Relaxed),
                    likes,
                    comments,
                )
                .await;
            }
        }
    }

    /// Drops rooms nobody on this node has watched for [`ROOM_IDLE`] and whose counters are
    /// written.
    fn evict_idle(&self, now: Instant) {
        let Ok(mut rooms) = self.rooms.lock() else {
            return;
        };
        rooms.retain(|_, slot| {
            let Some(room) = slot.get() else {
                return true;
            };
            let idle_long = room
                .idle_since
                .lock()
                .ok()
                .and_then(|idle| *idle)
                .is_some_and(|since| now.duration_since(since) >= ROOM_IDLE);
            let flushed = room.likes_unflushed.load(Ordering::Relaxed) == 0
                && room.comments_unflushed.load(Ordering::Relaxed) == 0
                && room
                    .new_viewers
                    .lock()
                    .map(|k| k.is_empty())
                    .unwrap_or(true);
            !(idle_long && flushed && room.online_local.load(Ordering::Relaxed) == 0)
        });
    }
}

/// The counters tick: coalesces counters four times a second, writes them down once a
/// second, and drops idle rooms.
async fn tick(hub: Weak<HubInner>) {
    let mut interval = tokio::time::interval(COUNTERS_TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u32 = 0;
    loop {
        interval.tick().await;
        let Some(hub) = hub.upgrade() else {
            return;
        };
        ticks = ticks.wrapping_add(1);
        let rooms = hub.open_rooms();
        let online_due = ticks.is_multiple_of(FLUSH_EVERY_TICKS);
        for room in &rooms {
            room.refresh_counters(online_due);
        }
        if ticks.is_multiple_of(FLUSH_EVERY_TICKS) {
            hub.flush(&rooms).await;
            hub.evict_idle(Instant::now());
            hub.comment_limiter.retain_recent();
            hub.like_limiter.retain_recent();
        }
    }
}

fn nonzero(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

/// Wall clock, Unix microseconds (an epoch for a room sequenced on this node: below 2^53, so
/// it survives JSON numbers in browsers).
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros() as u64)
        .unwrap_or(0)
}

fn now_ms() -> i64 {
    (now_us() / 1000) as i64
}
