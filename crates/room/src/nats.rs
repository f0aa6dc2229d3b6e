//! Rooms across nodes through NATS.
//!
//! Each room has a JetStream stream of its own (`DAIHUO_<database>_ROOM_<session>`, in memory, keeping
//! the last [`RING_EVENTS`] events). The stream's sequence numbers are the room's offsets and
//! its creation time is the epoch, so every node builds the same ring and a viewer may resume
//! on any node. A node that opens a room replays the retained events before it serves joins.
//! Presence and recorded totals go on core NATS (`daihuo.<database>.presence.<session>`): they are
//! last-value reports, repeated every second, and lose nothing by being dropped.

use crate::hub::{HubInner, RoomError};
use crate::limits::RING_EVENTS;
use crate::protocol::{RoomEvent, RoomSeed};
use crate::room::Room;
use async_nats::jetstream::{self, consumer, stream};
use daihuo_domain::LiveSessionId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How long a room's stream keeps events at most (a day: longer than any session).
const STREAM_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// How often an idle room's consumer checks whether its room is gone.
const CONSUMER_CHECK: Duration = Duration::from_secs(5);

/// A node's report about a room.
#[derive(Debug, Serialize, Deserialize)]
struct Presence {
    node: String,
    online: u64,
    likes: u64,
    comments: u64,
}

pub(crate) struct NatsBus {
    /// The database's name: every stream and subject carries it.
    namespace: String,
    client: async_nats::Client,
    jetstream: jetstream::Context,
    /// Rooms whose stream this node has made sure exists.
    streams: Mutex<HashSet<LiveSessionId>>,
}

fn unavailable(error: impl std::fmt::Display) -> RoomError {
    RoomError::Unavailable(format!("nats: {error}"))
}

impl NatsBus {
    pub(crate) fn new(client: async_nats::Client, namespace: &str) -> NatsBus {
        // Stream names and subject tokens allow letters, digits, '-' and '_'.
        let namespace = namespace
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        NatsBus {
            namespace,
            jetstream: jetstream::new(client.clone()),
            client,
            streams: Mutex::new(HashSet::new()),
        }
    }

    fn subject(&self, session_id: LiveSessionId) -> String {
        format!("daihuo.{}.room.{session_id}", self.namespace)
    }

    fn stream_name(&self, session_id: LiveSessionId) -> String {
        format!("DAIHUO_{}_ROOM_{session_id}", self.namespace)
    }

    fn presence_subject(&self, session: &str) -> String {
        format!("daihuo.{}.presence.{session}", self.namespace)
    }

    async fn stream(&self, session_id: LiveSessionId) -> Result<stream::Stream, RoomError> {
        let stream = self
            .jetstream
            .get_or_create_stream(stream::Config {
                name: self.stream_name(session_id),
                subjects: vec![self.subject(session_id)],
                storage: stream::StorageType::Memory,
                max_messages: RING_EVENTS as i64,
                discard: stream::DiscardPolicy::Old,
                max_age: STREAM_MAX_AGE,
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        if let Ok(mut streams) = self.streams.lock() {
            streams.insert(session_id);
        }
        Ok(stream)
    }

    /// Publishes `event` into the room's stream; the stream's sequence is its offset.
    pub(crate) async fn publish(
        &self,
        session_id: LiveSessionId,
        event: &RoomEvent,
    ) -> Result<u64, RoomError> {
        let known = self
            .streams
            .lock()
            .map(|streams| streams.contains(&session_id))
            .unwrap_or(false);
        if !known {
            self.stream(session_id).await?;
        }
        let payload = serde_json::to_vec(event).map_err(unavailable)?;
        let ack = self
            .jetstream
            .publish(self.subject(session_id), payload.into())
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        Ok(ack.sequence)
    }

    /// Opens a room on this node: finds its stream, replays what the stream retains, and
    /// returns once the room has caught up with the stream as it was when opened.
    pub(crate) async fn open(
        &self,
        session_id: LiveSessionId,
        seed: RoomSeed,
    ) -> Result<Arc<Room>, RoomError> {
        let mut stream = self.stream(session_id).await?;
        let info = stream.info().await.map_err(unavailable)?;
        // Microseconds: below 2^53, so the epoch survives JSON numbers in browsers.
        let epoch = (info.created.unix_timestamp_nanos() / 1000) as u64;
        let last = info.state.last_sequence;
        let first = info.state.first_sequence.max(1);
        let start = if last == 0 { 1 } else { first.min(last + 1) };
        let room = Arc::new(Room::new(session_id, seed, epoch, start));
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                },
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let messages = consumer.messages().await.map_err(unavailable)?;
        tokio::spawn(follow(Arc::downgrade(&room), messages));
        let mut changes = room.subscribe_changes();
        while room.read().head <= last {
            if changes.changed().await.is_err() {
                return Err(unavailable("room closed while catching up"));
            }
        }
        Ok(room)
    }

    /// Listens to other nodes' presence reports for the rooms open here.
    pub(crate) async fn listen_presence(&self, hub: Weak<HubInner>) -> Result<(), RoomError> {
        let mut reports = self
            .client
            .subscribe(self.presence_subject("*"))
            .await
            .map_err(unavailable)?;
        tokio::spawn(async move {
            while let Some(message) = reports.next().await {
                let Some(hub) = hub.upgrade() else {
                    return;
                };
                let session = message
                    .subject
                    .rsplit('.')
                    .next()
                    .and_then(|id| id.parse::<i64>().ok());
                let report = serde_json::from_slice::<Presence>(&message.payload);
                if let (Some(session), Ok(report)) = (session, report) {
                    hub.presence(
                        LiveSessionId(session),
                        &report.node,
                        report.online,
                        report.likes,
                        report.comments,
                    );
                }
            }
        });
        Ok(())
    }

    /// Tells other nodes this node's online count and the totals it knows.
    pub(crate) async fn report_presence(
        &self,
        session_id: LiveSessionId,
        node: &str,
        online: u64,
        likes: u64,
        comments: u64,
    ) {
        let report = Presence {
            node: node.to_owned(),
            online,
            likes,
            comments,
        };
        let Ok(payload) = serde_json::to_vec(&report) else {
            return;
        };
        let subject = self.presence_subject(&session_id.to_string());
        if let Err(error) = self.client.publish(subject, payload.into()).await {
            tracing::warn!(%error, "presence report not sent");
        }
    }
}

/// Feeds a room from its stream in order until the room is dropped.
async fn follow(room: Weak<Room>, mut messages: consumer::pull::Ordered) {
    loop {
        let next = tokio::time::timeout(CONSUMER_CHECK, messages.next()).await;
        let Some(room) = room.upgrade() else {
            return;
        };
        let message = match next {
            Err(_) => continue,
            Ok(None) => {
                tracing::warn!(session = %room.session_id, "room stream ended");
                return;
            }
            Ok(Some(Err(error))) => {
                tracing::warn!(session = %room.session_id, %error, "room stream error");
                continue;
            }
            Ok(Some(Ok(message))) => message,
        };
        let Ok(info) = message.info() else {
            continue;
        };
        let offset = info.stream_sequence;
        match serde_json::from_slice::<RoomEvent>(&message.payload) {
            Ok(event) => room.apply_sequenced(offset, &event),
            Err(error) => {
                tracing::warn!(session = %room.session_id, offset, %error, "unreadable room event")
            }
        }
    }
}
