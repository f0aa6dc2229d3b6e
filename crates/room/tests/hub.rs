//! The hub's own behaviour on one node and across two nodes joined by the real NATS:
//! snapshot then events, coalesced counters, resume without gaps, slow consumers, lanes and
//! moderation. The database side is an in-memory [`RoomSource`]: these tests are about the
//! hub; the HTTP suite in the binary crate drives the same hub over a real database.

use async_trait::async_trait;
use daihuo_domain::{LiveSessionId, UserId};
use daihuo_room::{
    Author, Closed, CounterFlush, FlushedTotals, Hub, HubConfig, Position, RoomError, RoomEvent,
    RoomSeed, RoomSource, RoomState, SourceError, Subscription, Viewer,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct MemorySource {
    totals: Mutex<HashMap<LiveSessionId, (u64, u64)>>,
    viewers: Mutex<HashMap<LiveSessionId, std::collections::HashSet<String>>>,
    peak: Mutex<HashMap<LiveSessionId, u64>>,
    /// Every flush's (online count when gathered, minute), in order.
    online: Mutex<HashMap<LiveSessionId, Vec<(u64, i64)>>>,
}

#[async_trait]
impl RoomSource for MemorySource {
    async fn load(&self, session_id: LiveSessionId) -> Result<Option<RoomSeed>, SourceError> {
        if session_id.0 < 0 {
            return Ok(None);
        }
        let (likes, comments) = self
            .totals
            .lock()
            .map(|t| t.get(&session_id).copied().unwrap_or_default())
            .unwrap_or_default();
        Ok(Some(RoomSeed {
            anchor_id: UserId(1),
            ended: false,
            state: RoomState {
                session: json!({"id": session_id.0, "status": "live"}),
                pinned: Value::Null,
                shelf: json!([]),
                flash_sale: Value::Null,
            },
            mutes: vec![(UserId(666), i64::MAX)],
            likes,
            comments,
        }))
    }

    async fn flush(&self, batch: Vec<CounterFlush>) -> Result<Vec<FlushedTotals>, SourceError> {
        let mut totals = self.totals.lock().map_err(|_| "poisoned")?;
        let mut viewers = self.viewers.lock().map_err(|_| "poisoned")?;
        let mut peak = self.peak.lock().map_err(|_| "poisoned")?;
        let mut out = Vec::new();
        for flush in batch {
            let entry = totals.entry(flush.session_id).or_default();
            entry.0 += flush.likes_delta;
            entry.1 += flush.comments_delta;
            viewers
                .entry(flush.session_id)
                .or_default()
                .extend(flush.viewer_keys);
            let top = peak.entry(flush.session_id).or_default();
            *top = (*top).max(flush.online_now);
            self.online
                .lock()
                .map_err(|_| "poisoned")?
                .entry(flush.session_id)
                .or_default()
                .push((flush.online_current, flush.at_ms / 60_000));
            out.push(FlushedTotals {
                session_id: flush.session_id,
                likes: entry.0,
                comments: entry.1,
            });
        }
        Ok(out)
    }
}

fn local_hub() -> (Hub, Arc<MemorySource>) {
    let source = Arc::new(MemorySource::default());
    (Hub::local(HubConfig::default(), source.clone()), source)
}

/// A session id no earlier run used (NATS keeps room streams between runs).
fn fresh_session() -> LiveSessionId {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    LiveSessionId(micros % 1_000_000_000_000)
}

async fn next_json(subscription: &mut Subscription) -> Vec<Value> {
    let frames = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("frames within 5 s")
        .expect("subscription open");
    frames
        .iter()
        .map(|frame| serde_json::from_slice(frame).expect("frames are JSON"))
        .collect()
}

/// Reads frames until `want` event frames arrived; returns their offsets and every frame.
async fn read_events(subscription: &mut Subscription, want: usize) -> (Vec<u64>, Vec<Value>) {
    let mut offsets = Vec::new();
    let mut frames = Vec::new();
    while offsets.len() < want {
        for frame in next_json(subscription).await {
            if frame["type"] == "event" {
                offsets.push(frame["offset"].as_u64().expect("offset"));
            }
            frames.push(frame);
        }
    }
    (offsets, frames)
}

fn notice(n: u64) -> RoomEvent {
    RoomEvent::Notice {
        text: format!("notice {n}"),
        sent_at_us: n,
    }
}

#[tokio::test]
async fn a_viewer_gets_a_snapshot_then_events_in_order() {
    let (hub, _) = local_hub();
    let session = LiveSessionId(1);
    let mut viewer = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    let first = next_json(&mut viewer).await;
    assert_eq!(first[0]["type"], "snapshot");
    assert_eq!(first[0]["offset"], 0);
    assert_eq!(first[0]["state"]["session"]["status"], "live");
    assert!(first[0].get("recovered").is_none());

    let product = json!({"sku_id": 42, "title": "空调"});
    let offset = hub
        .publish(
            session,
            RoomEvent::Pinned {
                product: product.clone(),
            },
        )
        .await
        .expect("publish");
    assert_eq!(offset, 1);
    for n in 0..5 {
        hub.publish(session, notice(n)).await.expect("publish");
    }
    let (offsets, frames) = read_events(&mut viewer, 6).await;
    assert_eq!(offsets, vec![1, 2, 3, 4, 5, 6]);
    let pinned = frames.iter().find(|f| f["type"] == "event").expect("event");
    assert_eq!(pinned["event"]["kind"], "pinned");
    assert_eq!(pinned["event"]["product"], product);

    // A later viewer's snapshot already holds the pinned product.
    let mut late = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    let snapshot = &next_json(&mut late).await[0];
    assert_eq!(snapshot["offset"], 6);
    assert_eq!(snapshot["state"]["pinned"], product);
    assert!(matches!(
        hub.join(LiveSessionId(-5), Viewer::Anonymous, None).await,
        Err(RoomError::NotFound)
    ));
}

#[tokio::test]
async fn a_burst_of_likes_becomes_a_few_counter_updates() {
    let (hub, source) = local_hub();
    let session = LiveSessionId(2);
    let mut viewer = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    next_json(&mut viewer).await;
    // 100,000 likes from 1,000 users, all at once.
    for user in 0..1000 {
        hub.like(session, UserId(10_000 + user), 100)
            .await
            .expect("like");
    }
    let started = tokio::time::Instant::now();
    let mut updates = 0;
    let mut last_likes = 0;
    while started.elapsed() < Duration::from_millis(1600) {
        let Ok(Ok(frames)) = tokio::time::timeout(Duration::from_millis(300), viewer.next()).await
        else {
            continue;
        };
        for frame in frames {
            let frame: Value = serde_json::from_slice(&frame).expect("json");
            if frame["type"] == "counters" {
                updates += 1;
                last_likes = frame["likes"].as_u64().expect("likes");
            }
        }
    }
    assert_eq!(last_likes, 100_000);
    // Four ticks a second at most; the burst changed the counters once or twice.
    assert!(
        (1..=7).contains(&updates),
        "{updates} counter updates in 1.6 s"
    );
    // The likes reached the database side within the flush interval.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let recorded = source.totals.lock().map(|t| t[&session].0).unwrap_or(0);
    assert_eq!(recorded, 100_000);
    assert!(matches!(
        hub.like(session, UserId(1), 101).await,
        Err(RoomError::BadLikeCount)
    ));
}

/// The minute series needs the online count as it is: a change (a viewer leaving, too) is
/// written within a second, and an unchanged room is not written again within its minute.
#[tokio::test]
async fn the_online_count_is_written_when_it_changes() {
    let (hub, source) = local_hub();
    let session = LiveSessionId(20);
    let flushes = || {
        source
            .online
            .lock()
            .map(|o| o.get(&session).cloned().unwrap_or_default())
            .unwrap_or_default()
    };
    let mut first = hub
        .join(session, Viewer::Visitor("visitor-a".into()), None)
        .await
        .expect("join");
    next_json(&mut first).await;
    let mut second = hub
        .join(session, Viewer::Visitor("visitor-b".into()), None)
        .await
        .expect("join");
    next_json(&mut second).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let written = flushes();
    assert_eq!(
        written.last().map(|(online, _)| *online),
        Some(2),
        "{written:?}"
    );
    drop(second);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let after_leaving = flushes();
    assert_eq!(
        after_leaving.last().map(|(online, _)| *online),
        Some(1),
        "{after_leaving:?}"
    );
    // Nothing changes: at most one more write, when a new minute begins.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let quiet = flushes();
    let extra = &quiet[after_leaving.len()..];
    assert!(
        extra.len() <= 1
            && extra.iter().all(|(online, minute)| {
                *online == 1 && Some(*minute) != after_leaving.last().map(|(_, m)| *m)
            }),
        "an unchanged room wrote {extra:?} after {after_leaving:?}"
    );
    drop(first);
}

#[tokio::test]
async fn a_viewer_resumes_without_gaps_or_is_told_it_was_not_recovered() {
    let (hub, _) = local_hub();
    let session = LiveSessionId(3);
    let mut viewer = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    let epoch = next_json(&mut viewer).await[0]["epoch"]
        .as_u64()
        .expect("epoch");
    for n in 0..5 {
        hub.publish(session, notice(n)).await.expect("publish");
    }
    let (offsets, _) = read_events(&mut viewer, 5).await;
    assert_eq!(offsets, vec![1, 2, 3, 4, 5]);
    drop(viewer);
    for n in 5..15 {
        hub.publish(session, notice(n)).await.expect("publish");
    }
    let resume = Position { epoch, offset: 5 };
    let mut back = hub
        .join(session, Viewer::Anonymous, Some(resume))
        .await
        .expect("join");
    let (offsets, frames) = read_events(&mut back, 10).await;
    assert_eq!(frames[0]["type"], "resumed");
    assert_eq!(frames[0]["offset"], 5);
    assert_eq!(offsets, (6..=15).collect::<Vec<_>>());

    // Too far back: a snapshot that says so.
    for n in 0..1100 {
        hub.publish(session, notice(n)).await.expect("publish");
    }
    let mut stale = hub
        .join(session, Viewer::Anonymous, Some(resume))
        .await
        .expect("join");
    let first = &next_json(&mut stale).await[0];
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["recovered"], false);
    assert_eq!(first["offset"], 1115);
    // Another epoch (a restarted node): the same.
    let mut other = hub
        .join(
            session,
            Viewer::Anonymous,
            Some(Position {
                epoch: epoch + 1,
                offset: 3,
            }),
        )
        .await
        .expect("join");
    assert_eq!(next_json(&mut other).await[0]["recovered"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_viewer_loses_comments_first_and_is_let_go_without_slowing_the_room() {
    let (hub, _) = local_hub();
    let session = LiveSessionId(4);
    let mut slow = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    let mut fast = hub
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join");
    next_json(&mut slow).await;
    next_json(&mut fast).await;
    // The fast viewer reads along the whole time, and says how far it got, so the publisher
    // below never runs further ahead of it than a fast viewer would be (on two busy cores a
    // tight publishing loop can outrun any reader).
    let fast_notices = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let fast_seen = fast_notices.clone();
    let fast_reader = tokio::spawn(async move {
        let (mut comments, mut skipped, mut notices) = (0u64, 0u64, 0u64);
        while notices < 303 {
            for frame in next_json(&mut fast).await {
                match frame["type"].as_str() {
                    Some("event") if frame["event"]["kind"] == "comment" => comments += 1,
                    Some("event") => {
                        notices += 1;
                        fast_seen.store(notices, std::sync::atomic::Ordering::Relaxed);
                    }
                    Some("skipped") => skipped += frame["count"].as_u64().expect("count"),
                    _ => {}
                }
            }
        }
        (comments, skipped)
    });

    // 100 comments then 3 notices while the slow viewer reads nothing.
    for n in 0..100u64 {
        let author = Author {
            user_id: UserId(1000 + n as i64),
            name: format!("viewer{n}"),
        };
        hub.comment(session, author, "好看").await.expect("comment");
        tokio::task::yield_now().await;
    }
    for n in 0..3 {
        hub.publish(session, notice(n)).await.expect("publish");
    }
    // Behind by 103: every comment is skipped, the notices arrive, and the skip is said.
    let mut skipped = 0;
    let mut notices = Vec::new();
    while notices.len() < 3 {
        for frame in next_json(&mut slow).await {
            match frame["type"].as_str() {
                Some("skipped") => skipped += frame["count"].as_u64().expect("count"),
                Some("event") => {
                    assert_eq!(frame["event"]["kind"], "notice");
                    notices.push(frame["offset"].as_u64().expect("offset"));
                }
                _ => {}
            }
        }
    }
    assert_eq!(skipped, 100);
    assert_eq!(notices, vec![101, 102, 103]);

    // More high-priority events than a viewer may hold: the slow viewer is let go ...
    for n in 0..300 {
        hub.publish(session, notice(n)).await.expect("publish");
        tokio::task::yield_now().await;
        while n + 3 > fast_notices.load(std::sync::atomic::Ordering::Relaxed) + 64 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let verdict = tokio::time::timeout(Duration::from_secs(5), slow.next()).await;
    assert!(matches!(verdict, Ok(Err(Closed::SlowConsumer))));
    // ... while the fast one got every notice, at most the lane's 20 comments of the
    // burst (plus what refilled meanwhile), and was told which comments it skipped.
    let (comments, skipped) = tokio::time::timeout(Duration::from_secs(10), fast_reader)
        .await
        .expect("fast viewer finished")
        .expect("fast reader");
    assert!(
        comments <= 21,
        "{comments} comments delivered from one burst"
    );
    assert_eq!(comments + skipped, 100);
}

#[tokio::test]
async fn comments_obey_mutes_banned_words_and_rate() {
    let (hub, _) = local_hub();
    let session = LiveSessionId(5);
    let author = |id: i64| Author {
        user_id: UserId(id),
        name: format!("u{id}"),
    };
    assert!(matches!(
        hub.comment(session, author(666), "hello").await,
        Err(RoomError::Muted { .. })
    ));
    let banned = hub.comment(session, author(7), "便宜的加微信").await;
    assert_eq!(banned.map_err(|e| e.code()), Err("comment_banned_word"));
    hub.publish(
        session,
        RoomEvent::Muted {
            user_id: UserId(8),
            until_ms: i64::MAX,
        },
    )
    .await
    .expect("mute");
    assert!(matches!(
        hub.comment(session, author(8), "hi").await,
        Err(RoomError::Muted { .. })
    ));
    hub.publish(session, RoomEvent::Unmuted { user_id: UserId(8) })
        .await
        .expect("unmute");
    hub.comment(session, author(8), "hi again")
        .await
        .expect("unmuted");
    // The burst allowance, then the rate limit.
    let mut accepted = 0;
    for _ in 0..10 {
        match hub.comment(session, author(9), "多少钱").await {
            Ok(_) => accepted += 1,
            Err(RoomError::RateLimited) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, daihuo_room::limits::COMMENT_BURST);
}

/// Two nodes on the real NATS share a room: the same offsets on both, presence summed, and
/// a viewer of a killed node resumes on the other without a gap. Needs `DAIHUO_TEST_NATS_URL`
/// (CI sets it; the project machines run nats-server on 127.0.0.1:4222).
#[tokio::test]
async fn two_nodes_share_a_room_through_nats() {
    let Ok(url) = std::env::var("DAIHUO_TEST_NATS_URL") else {
        eprintln!("DAIHUO_TEST_NATS_URL not set: skipping the NATS case");
        return;
    };
    let source = Arc::new(MemorySource::default());
    let node = |name: &str| HubConfig {
        node_id: name.to_owned(),
        ..HubConfig::default()
    };
    let client_a = async_nats::connect(&url).await.expect("nats");
    let client_b = async_nats::connect(&url).await.expect("nats");
    let hub_a = Hub::connect(node("a"), source.clone(), client_a)
        .await
        .expect("hub a");
    let hub_b = Hub::connect(node("b"), source.clone(), client_b)
        .await
        .expect("hub b");
    let session = fresh_session();

    let mut on_a = hub_a
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join a");
    let mut on_b = hub_b
        .join(session, Viewer::Anonymous, None)
        .await
        .expect("join b");
    let snap_a = next_json(&mut on_a).await.remove(0);
    let snap_b = next_json(&mut on_b).await.remove(0);
    assert_eq!(snap_a["epoch"], snap_b["epoch"]);
    let epoch = snap_a["epoch"].as_u64().expect("epoch");

    // Events published on either node reach both with the same offsets.
    for n in 0..5 {
        let hub = if n % 2 == 0 { &hub_a } else { &hub_b };
        hub.publish(session, notice(n)).await.expect("publish");
    }
    let (offsets_a, _) = read_events(&mut on_a, 5).await;
    let (offsets_b, _) = read_events(&mut on_b, 5).await;
    assert_eq!(offsets_a, offsets_b);
    let last = *offsets_b.last().expect("offsets");

    // Presence crosses nodes: each node counts both viewers within a few seconds.
    let mut both = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let a = hub_a.counters(session).map(|c| c.online);
        let b = hub_b.counters(session).map(|c| c.online);
        if a == Some(2) && b == Some(2) {
            both = true;
            break;
        }
    }
    assert!(both, "online counts did not converge to 2 on both nodes");

    // Node b dies with its viewer at `last`; events go on; the viewer resumes on node a.
    drop(on_b);
    drop(hub_b);
    for n in 5..10 {
        hub_a.publish(session, notice(n)).await.expect("publish");
    }
    let mut moved = hub_a
        .join(
            session,
            Viewer::Anonymous,
            Some(Position {
                epoch,
                offset: last,
            }),
        )
        .await
        .expect("resume on a");
    let (offsets, frames) = read_events(&mut moved, 5).await;
    assert_eq!(frames[0]["type"], "resumed");
    assert_eq!(offsets, ((last + 1)..=(last + 5)).collect::<Vec<_>>());

    // A third node opening the room later replays the ring: it can resume the same viewer.
    let client_c = async_nats::connect(&url).await.expect("nats");
    let hub_c = Hub::connect(node("c"), source.clone(), client_c)
        .await
        .expect("hub c");
    let mut on_c = hub_c
        .join(
            session,
            Viewer::Anonymous,
            Some(Position {
                epoch,
                offset: last,
            }),
        )
        .await
        .expect("resume on c");
    let (offsets, frames) = read_events(&mut on_c, 5).await;
    assert_eq!(frames[0]["type"], "resumed");
    assert_eq!(offsets, ((last + 1)..=(last + 5)).collect::<Vec<_>>());
}
