//! The live room over real connections: a server on port 0 over a real store, real
//! WebSocket and SSE clients, and (for two nodes) the real NATS. Each `case_*` runs on SQLite
//! and on PostgreSQL through `store_case!`.

mod common;

use common::room_socket::{connect, connect_url, frame, is_event, room_url, send, until};
use common::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A live session with one SKU on its shelf: (anchor token, session id, SKU id).
async fn live_session(app: &TestApp) -> (String, i64, i64) {
    let supplier = app.supplier("格力", "gree-admin").await;
    let anchor = app.account("anchor-li", "anchor").await;
    let sku = app.shelved_sku(&supplier, &anchor, "GREE-1").await;
    let session = app.scheduled_session(&anchor, "格力空调专场", &[sku]).await;
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);
    (anchor, session, sku)
}

/// Snapshot first, then pinned product, comments, likes (coalesced), notices and the end of
/// the session, to an anonymous viewer and a signed-in one.
async fn case_snapshot_then_events(app: &TestApp) {
    let (anchor, session, sku) = live_session(app).await;
    let viewer = app.account("viewer-wang", "viewer").await;
    let mut anonymous = connect(app, session, None, "?visitor=visitor-0001").await;
    let mut signed_in = connect(app, session, Some(&viewer), "").await;

    let snapshot = frame(&mut anonymous).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["state"]["session"]["status"], "live");
    assert_eq!(snapshot["state"]["shelf"][0]["sku_id"], sku);
    assert_eq!(snapshot["state"]["shelf"][0]["live_price_fen"], 899_900);
    assert!(snapshot["state"]["pinned"].is_null());
    assert_eq!(frame(&mut signed_in).await["type"], "snapshot");

    // 讲解: the anchor pins the SKU; both viewers see the product card.
    app.put(
        &format!("/api/live-sessions/{session}/pin"),
        &anchor,
        &json!({"sku_id": sku}),
    )
    .await
    .expect(200);
    for socket in [&mut anonymous, &mut signed_in] {
        let pinned = until(socket, is_event("pinned")).await;
        assert_eq!(pinned["event"]["product"]["sku_id"], sku);
    }

    // A comment on the socket reaches everyone; anonymous viewers may not comment.
    send(
        &mut signed_in,
        json!({"type": "comment", "text": "  多少钱？ "}),
    )
    .await;
    let comment = until(&mut anonymous, is_event("comment")).await;
    assert_eq!(comment["event"]["text"], "多少钱？");
    assert_eq!(comment["event"]["name"], "viewer-wang");
    send(&mut anonymous, json!({"type": "comment", "text": "hi"})).await;
    let refused = until(&mut anonymous, |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "unauthenticated");
    send(&mut signed_in, json!({"type": "buy"})).await;
    let refused = until(&mut signed_in, |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "bad_message");

    // Likes arrive as a coalesced counter.
    for _ in 0..5 {
        send(&mut signed_in, json!({"type": "like", "count": 20})).await;
    }
    let counters = until(&mut anonymous, |f| {
        f["type"] == "counters" && f["likes"] == 100
    })
    .await;
    assert_eq!(counters["online"], 2);

    // An operator's notice, then the end of the session closes the room.
    let operator = app.operator().await;
    let notice = app
        .post(
            &format!("/api/live-sessions/{session}/notices"),
            &viewer,
            &json!({"text": "nope"}),
        )
        .await;
    notice.expect_error(403, "forbidden");
    app.post(
        &format!("/api/live-sessions/{session}/notices"),
        &operator,
        &json!({"text": "今晚8点超级品牌日"}),
    )
    .await
    .expect(201);
    assert_eq!(
        until(&mut anonymous, is_event("notice")).await["event"]["text"],
        "今晚8点超级品牌日"
    );
    app.post_empty(&format!("/api/live-sessions/{session}/end"), &anchor)
        .await
        .expect(200);
    let ended = until(&mut anonymous, is_event("session")).await;
    assert_eq!(ended["event"]["status"], "ended");
    let closed = until(&mut anonymous, |f| f["type"] == "closed").await;
    assert!(closed["close"]
        .as_str()
        .unwrap_or("")
        .contains("session_ended"));
    // Nobody joins an ended room.
    let late = tokio_tungstenite::connect_async(room_url(app, session, "")).await;
    assert!(late.is_err(), "joining an ended session must be refused");

    // The session's counters were written down for later data work.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stored = app
        .get_anonymous(&format!("/api/live-sessions/{session}"))
        .await
        .expect(200);
    let counters = &stored["session"]["counters"];
    assert_eq!(counters["likes"], 100);
    assert_eq!(counters["comments"], 1);
    assert_eq!(counters["unique_viewers"], 2);
    assert!(counters["peak_online"].as_i64().unwrap_or(0) >= 2);
}
store_case!(
    case_snapshot_then_events,
    sqlite_snapshot_then_events,
    postgres_snapshot_then_events
);

/// Many viewers joining within one second are written as unique viewers in one batch: each
/// visitor id once, however often it connects; the socket answers pings and closes.
async fn case_unique_viewers_and_socket(app: &TestApp) {
    let (_anchor, session, _sku) = live_session(app).await;
    let mut sockets = Vec::new();
    for n in 0..24 {
        let query = format!("?visitor=visitor-{:04}", n % 8);
        let mut socket = connect(app, session, None, &query).await;
        assert_eq!(frame(&mut socket).await["type"], "snapshot");
        sockets.push(socket);
    }
    // A ping is answered with a pong carrying its payload; text still flows after it.
    let socket = &mut sockets[0];
    socket
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("ping");
    let pong = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Pong(payload))) => return payload,
                Some(Ok(_)) => continue,
                other => panic!("no pong: {other:?}"),
            }
        }
    })
    .await
    .expect("a pong within 10 s");
    assert_eq!(&pong[..], b"are you there");
    send(socket, json!({"type": "comment", "text": "hi"})).await;
    let refused = until(socket, |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "unauthenticated");
    // A client that closes is answered with a close.
    let mut leaving = sockets.pop().expect("a socket");
    leaving.close(None).await.expect("close");
    let rest = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = leaving.next().await {}
    })
    .await;
    assert!(rest.is_ok(), "the server finishes the close");

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stored = app
        .get_anonymous(&format!("/api/live-sessions/{session}"))
        .await
        .expect(200);
    assert_eq!(stored["session"]["counters"]["unique_viewers"], 8);
    assert!(
        stored["session"]["counters"]["peak_online"]
            .as_i64()
            .unwrap_or(0)
            >= 24
    );
}
store_case!(
    case_unique_viewers_and_socket,
    sqlite_unique_viewers_and_socket,
    postgres_unique_viewers_and_socket
);

/// A viewer who reconnects with its last (epoch, offset) gets exactly what it missed; one
/// from another epoch gets a snapshot flagged as not recovered.
async fn case_resume(app: &TestApp) {
    let (_, session, _) = live_session(app).await;
    let operator = app.operator().await;
    let notice = |n: u32| {
        let path = format!("/api/live-sessions/{session}/notices");
        let operator = operator.clone();
        async move {
            app.post(&path, &operator, &json!({"text": format!("notice {n}")}))
                .await
                .expect(201)["offset"]
                .as_u64()
                .expect("offset")
        }
    };
    let mut socket = connect(app, session, None, "").await;
    let epoch = frame(&mut socket).await["epoch"].as_u64().expect("epoch");
    let mut last = 0;
    for n in 0..3 {
        last = notice(n).await;
    }
    let seen = until(&mut socket, |f| f["offset"] == last).await;
    assert_eq!(seen["event"]["text"], "notice 2");
    socket.close(None).await.expect("close");

    let mut missed = Vec::new();
    for n in 3..8 {
        missed.push(notice(n).await);
    }
    let mut back = connect(app, session, None, &format!("?epoch={epoch}&offset={last}")).await;
    let first = frame(&mut back).await;
    assert_eq!(first["type"], "resumed");
    assert_eq!(first["offset"], last);
    let mut got = Vec::new();
    while got.len() < missed.len() {
        let next = until(&mut back, |f| f["type"] == "event").await;
        got.push(next["offset"].as_u64().expect("offset"));
    }
    assert_eq!(got, missed);

    let mut other = connect(
        app,
        session,
        None,
        &format!("?epoch={}&offset=1", epoch + 1),
    )
    .await;
    let first = frame(&mut other).await;
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["recovered"], false);
    match tokio_tungstenite::connect_async(room_url(app, session, "?epoch=1")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            assert!(body.contains("bad_resume"), "{body}");
        }
        other => panic!("a half resume must be refused, got {other:?}"),
    }
}
store_case!(case_resume, sqlite_resume, postgres_resume);

/// The anchor mutes a viewer and deletes a comment; banned words are refused; other
/// viewers may not moderate.
async fn case_moderation(app: &TestApp) {
    let (anchor, session, _) = live_session(app).await;
    let viewer = app.account("viewer-zhao", "viewer").await;
    let other = app.account("viewer-qian", "viewer").await;
    let viewer_id = app.user_id(&viewer).await;
    let mut socket = connect(app, session, Some(&viewer), "").await;
    frame(&mut socket).await;

    send(
        &mut socket,
        json!({"type": "comment", "text": "要的私下交易便宜"}),
    )
    .await;
    let refused = until(&mut socket, |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "comment_banned_word");

    let posted = app
        .post(
            &format!("/api/live-sessions/{session}/comments"),
            &viewer,
            &json!({"text": "好看"}),
        )
        .await
        .expect(201);
    let offset = posted["offset"].as_u64().expect("offset");
    until(&mut socket, is_event("comment")).await;
    app.delete(
        &format!("/api/live-sessions/{session}/comments/{offset}"),
        &other,
    )
    .await
    .expect_error(403, "forbidden");
    app.delete(
        &format!("/api/live-sessions/{session}/comments/{offset}"),
        &anchor,
    )
    .await
    .expect(200);
    let deleted = until(&mut socket, is_event("comment_deleted")).await;
    assert_eq!(deleted["event"]["offset"], offset);

    app.post(
        &format!("/api/live-sessions/{session}/mutes"),
        &anchor,
        &json!({"user_id": viewer_id, "duration_s": 600, "reason": "spam"}),
    )
    .await
    .expect(201);
    let muted = until(&mut socket, is_event("muted")).await;
    assert_eq!(muted["event"]["user_id"], viewer_id);
    send(
        &mut socket,
        json!({"type": "comment", "text": "还能说话吗"}),
    )
    .await;
    let refused = until(&mut socket, |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "muted");
    app.post(
        &format!("/api/live-sessions/{session}/comments"),
        &viewer,
        &json!({"text": "x"}),
    )
    .await
    .expect_error(403, "muted");

    app.delete(
        &format!("/api/live-sessions/{session}/mutes/{viewer_id}"),
        &anchor,
    )
    .await
    .expect(204);
    until(&mut socket, is_event("unmuted")).await;
    app.post(
        &format!("/api/live-sessions/{session}/comments"),
        &viewer,
        &json!({"text": "谢谢主播"}),
    )
    .await
    .expect(201);
}
store_case!(case_moderation, sqlite_moderation, postgres_moderation);

/// The SSE fallback: the same frames, resumable through `Last-Event-ID`.
async fn case_sse_fallback(app: &TestApp) {
    let (_, session, _) = live_session(app).await;
    let viewer = app.account("viewer-sun", "viewer").await;
    let url = format!("{}/api/live-sessions/{session}/room/events", app.base_url);
    let mut response = app.client.get(&url).send().await.expect("SSE");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    app.post(
        &format!("/api/live-sessions/{session}/comments"),
        &viewer,
        &json!({"text": "SSE 好用"}),
    )
    .await
    .expect(201);
    while !text.contains("SSE 好用") {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("SSE data within 10 s")
            .expect("a readable stream")
            .expect("the stream is open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("\"type\":\"snapshot\""), "{text}");
    let id = text
        .lines()
        .rev()
        .find_map(|line| {
            line.strip_prefix("id: ")
                .or_else(|| line.strip_prefix("id:"))
        })
        .expect("an event id")
        .trim()
        .to_owned();
    assert!(id.contains(':'), "ids are epoch:offset, got {id}");

    // Reconnecting with Last-Event-ID resumes.
    let mut response = app
        .client
        .get(&url)
        .header("last-event-id", &id)
        .send()
        .await
        .expect("SSE again");
    let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
        .await
        .expect("data")
        .expect("readable")
        .expect("open");
    assert!(String::from_utf8_lossy(&chunk).contains("\"type\":\"resumed\""));
}
store_case!(
    case_sse_fallback,
    sqlite_sse_fallback,
    postgres_sse_fallback
);

/// A viewer that stops reading is disconnected with `slow_consumer` while a viewer reading
/// along receives every event: the room never waits for its slowest viewer.
async fn case_slow_consumer(app: &TestApp) {
    let (_, session, _) = live_session(app).await;
    // The slow viewer: a tiny receive buffer and no reads.
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let stream = socket
        .connect(address.parse().expect("address"))
        .await
        .expect("connect");
    let (slow, _) = tokio_tungstenite::client_async(room_url(app, session, ""), stream)
        .await
        .expect("handshake");

    let mut fast = connect(app, session, None, "").await;
    let total: u64 = 6000;
    let reader = tokio::spawn(async move {
        let mut notices = 0u64;
        while notices < total {
            let next = frame(&mut fast).await;
            assert_ne!(next["type"], "closed", "the fast viewer was closed: {next}");
            if next["type"] == "event" && next["event"]["kind"] == "notice" {
                notices += 1;
            }
        }
        notices
    });
    // 6,000 notices of ~600 bytes: far more than socket buffers hold, at a pace a reading
    // viewer keeps up with.
    let text = "超级品牌日".repeat(39);
    for n in 0..total {
        app.services
            .rooms
            .publish(
                daihuo_domain::LiveSessionId(session),
                daihuo_room::RoomEvent::Notice {
                    text: text.clone(),
                    sent_at_us: n,
                },
            )
            .await
            .expect("publish");
        if n % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let received = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the fast viewer kept up")
        .expect("reader");
    assert_eq!(received, total);

    // The slow viewer, read at last, ends with a slow_consumer close (or a dropped socket).
    let mut slow = slow;
    let verdict = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Close(close))) => return format!("{close:?}"),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return format!("error: {error}"),
                None => return "ended".to_owned(),
            }
        }
    })
    .await
    .expect("a verdict for the slow viewer");
    assert!(
        verdict.contains("slow_consumer") || verdict.starts_with("error") || verdict == "ended",
        "{verdict}"
    );
}
store_case!(
    case_slow_consumer,
    sqlite_slow_consumer,
    postgres_slow_consumer
);

/// Two server nodes over one store, joined by the real NATS, share a room: viewers on each
/// see the same events at the same offsets, counters add up over both, and a viewer of a
/// stopped node resumes on the other without a gap.
async fn two_nodes_share_a_room(kind: common::StoreKind) {
    let Some(app) = TestApp::spawn_with_nats(kind).await else {
        eprintln!(
            "skipped: needs {} (and, for PostgreSQL, {})",
            common::NATS_URL_ENV,
            common::DATABASE_URL_ENV
        );
        return;
    };
    let node = app.another_node().await;
    let (anchor, session, sku) = live_session(&app).await;
    let mut on_a = connect(&app, session, None, "").await;
    let node_url = node.base_url.replacen("http://", "ws://", 1);
    let mut on_b = connect_url(
        &format!("{node_url}/api/live-sessions/{session}/room"),
        None,
    )
    .await;
    let snapshot_a = frame(&mut on_a).await;
    let snapshot_b = frame(&mut on_b).await;
    assert_eq!(snapshot_a["epoch"], snapshot_b["epoch"]);
    let epoch = snapshot_a["epoch"].as_u64().expect("epoch");

    // A pin made through node b reaches both at the same offset.
    let reply = app
        .client
        .put(format!("{}/api/live-sessions/{session}/pin", node.base_url))
        .bearer_auth(&anchor)
        .json(&json!({"sku_id": sku}))
        .send()
        .await
        .expect("pin on node b");
    assert_eq!(reply.status(), 200);
    let pinned_a = until(&mut on_a, is_event("pinned")).await;
    let pinned_b = until(&mut on_b, is_event("pinned")).await;
    assert_eq!(pinned_a["offset"], pinned_b["offset"]);
    assert_eq!(pinned_b["event"]["product"]["sku_id"], sku);

    // Each node counts the other's viewer.
    let both = until(&mut on_b, |f| f["type"] == "counters" && f["online"] == 2).await;
    assert_eq!(both["online"], 2);

    // Node b goes away; events go on; its viewer resumes on node a.
    let last = pinned_b["offset"].as_u64().expect("offset");
    drop(on_b);
    drop(node);
    let operator = app.operator().await;
    let mut missed = Vec::new();
    for n in 0..3 {
        let published = app
            .post(
                &format!("/api/live-sessions/{session}/notices"),
                &operator,
                &json!({"text": format!("notice {n}")}),
            )
            .await
            .expect(201);
        missed.push(published["offset"].as_u64().expect("offset"));
    }
    let mut moved = connect(
        &app,
        session,
        None,
        &format!("?epoch={epoch}&offset={last}"),
    )
    .await;
    assert_eq!(frame(&mut moved).await["type"], "resumed");
    let mut got = Vec::new();
    while got.len() < missed.len() {
        let next = until(&mut moved, |f| f["type"] == "event").await;
        got.push(next["offset"].as_u64().expect("offset"));
    }
    assert_eq!(got, missed);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_nodes_share_a_room() {
    two_nodes_share_a_room(common::StoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_nodes_share_a_room() {
    two_nodes_share_a_room(common::StoreKind::Postgres).await;
}
