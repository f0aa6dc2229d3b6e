//! Viewers in rooms: a fixed number of WebSocket connections ([`super::Pace::connections`]),
//! each one a viewer who joins a live room (the popular anchors' rooms draw more), reads
//! what the room sends, comments and likes now and then, and leaves after a while; then
//! another viewer takes the place. Online counts rise and fall as they would.

use super::traffic::{between, Shared};
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// What viewers say in a live room: short, the way people type on a phone. None of it is on
/// the banned-words list (a test checks).
pub const COMMENTS: [&str; 40] = [
    "主播好！",
    "来了来了",
    "第一次来，已关注",
    "这个多少钱？",
    "上链接！",
    "求讲解一下3号链接",
    "包邮吗？",
    "什么时候发货呀",
    "已下单，期待",
    "买了买了",
    "质量怎么样？",
    "有没有优惠券",
    "还有货吗",
    "尺码怎么选？",
    "颜色好看",
    "这个价格太香了",
    "比超市便宜多了",
    "支持七天无理由吗",
    "是正品吗",
    "发什么快递？",
    "上次买的很好用，回购",
    "秒杀什么时候开始",
    "抢到了！开心",
    "没抢到，呜呜",
    "再来一波秒杀吧",
    "主播声音好好听",
    "666",
    "家人们冲",
    "拍了两件",
    "适合送人吗",
    "能开发票吗",
    "保质期多久？",
    "有赠品吗",
    "主播辛苦了",
    "明天还播吗",
    "等了好久了",
    "可以试一下吗",
    "老粉来支持",
    "价格能再低点吗",
    "好评好评",
];

/// Pause before a viewer whose connection failed tries again.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Pause between one viewer leaving and the next joining on the same connection slot,
/// milliseconds.
const NEXT_VIEWER_MS: (u64, u64) = (500, 4_000);
/// Spread of the first joins after the start, so the rooms fill within seconds rather
/// than all at once, milliseconds.
const FIRST_JOIN_SPREAD_MS: u64 = 5_000;
/// The most likes in one message (the room's own limit is 100).
const LIKES_PER_MESSAGE_MAX: u32 = 20;
/// How often a viewer checks that its room is still live.
const STILL_LIVE_EVERY: Duration = Duration::from_secs(5);

/// Starts the connection slots.
pub fn start(shared: Arc<Shared>, seed: u64) -> Vec<JoinHandle<()>> {
    (0..shared.pace.connections)
        .map(|slot| {
            let shared = shared.clone();
            let mut rng = StdRng::seed_from_u64(seed ^ (0x700_0000 + slot as u64));
            tokio::spawn(async move {
                let first = Duration::from_millis(rng.gen_range(0..=FIRST_JOIN_SPREAD_MS));
                if !shared.sleep(first).await {
                    return;
                }
                loop {
                    let pause = match watch(&shared, &mut rng).await {
                        Ok(true) => between(&mut rng, NEXT_VIEWER_MS),
                        Ok(false) => Duration::from_secs(1),
                        Err(error) => {
                            tracing::info!(%error, "demo viewer: connection failed");
                            RETRY_AFTER
                        }
                    };
                    if !shared.sleep(pause).await {
                        return;
                    }
                }
            })
        })
        .collect()
}

/// One viewer watches one room for a while. Returns whether a room was watched.
async fn watch(shared: &Shared, rng: &mut StdRng) -> anyhow::Result<bool> {
    let Some(room) = shared.pick_room(rng) else {
        return Ok(false);
    };
    let viewer = rng.gen_range(0..shared.viewers.len());
    let url = format!(
        "{}/api/live-sessions/{}/room",
        shared.api.base.replacen("http://", "ws://", 1),
        room.id
    );
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", shared.viewers[viewer].token).parse()?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    shared.stats.joins.fetch_add(1, Ordering::Relaxed);
    let pace = shared.pace;
    let leave = tokio::time::sleep(between(rng, pace.watch_ms));
    tokio::pin!(leave);
    let mut comment = Box::pin(tokio::time::sleep(between(rng, pace.comment_every_ms)));
    let mut like = Box::pin(tokio::time::sleep(between(rng, pace.like_every_ms)));
    let mut still_live = tokio::time::interval(STILL_LIVE_EVERY);
    let mut stop = shared.stop.clone();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            () = &mut leave => break,
            _ = still_live.tick() => {
                if !shared.is_live(room.id) {
                    break;
                }
            }
            frame = socket.next() => match frame {
                // What the room says is read and let go: the viewer's screen.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(true),
                Some(Ok(_)) => {}
            },
            () = &mut comment => {
                let text = COMMENTS.choose(rng).copied().unwrap_or("主播好！");
                let message = json!({"type": "comment", "text": text}).to_string();
                socket.send(Message::Text(message.into())).await?;
                shared.stats.comments.fetch_add(1, Ordering::Relaxed);
                comment.set(tokio::time::sleep(between(rng, pace.comment_every_ms)));
            }
            () = &mut like => {
                let count = rng.gen_range(1..=LIKES_PER_MESSAGE_MAX);
                let message = json!({"type": "like", "count": count}).to_string();
                socket.send(Message::Text(message.into())).await?;
                shared.stats.likes.fetch_add(u64::from(count), Ordering::Relaxed);
                like.set(tokio::time::sleep(between(rng, pace.like_every_ms)));
            }
        }
    }
    // Leaving politely; a viewer who is gone anyway needs no answer.
    let _ = socket.close(None).await;
    Ok(true)
}
