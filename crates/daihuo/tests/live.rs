//! Live sessions, follows, notifications and room moderation, driven over HTTP on both
//! stores.
//!
//! Each `case_*` is one behaviour; `store_case!` runs it on SQLite and on PostgreSQL (when
//! `DAIHUO_TEST_DATABASE_URL` is set).

mod common;

use common::{ids, now_ms, titles, TestApp};
use daihuo_domain::LiveSessionId;
use serde_json::{json, Value};

/// Requests racing to take one session live in `case_racing_go_live`.
const GO_LIVE_RACERS: usize = 8;
/// An hour, in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// A supplier, an anchor with two shelved SKUs, and the anchor's token.
struct Shop {
    supplier: String,
    anchor: String,
    skus: [i64; 2],
}

async fn shop(app: &TestApp, anchor_name: &str) -> Shop {
    let supplier = app
        .supplier(
            &format!("{anchor_name}的供应商"),
            &format!("{anchor_name}-supply"),
        )
        .await;
    let anchor = app.account(anchor_name, "anchor").await;
    let first = app
        .shelved_sku(&supplier, &anchor, &format!("{anchor_name}-1"))
        .await;
    let second = app
        .shelved_sku(&supplier, &anchor, &format!("{anchor_name}-2"))
        .await;
    Shop {
        supplier,
        anchor,
        skus: [first, second],
    }
}

fn session_body(starts_at_ms: i64, items: Value) -> Value {
    json!({"title": "格力超级品牌日", "starts_at_ms": starts_at_ms, "items": items})
}

/// Scheduling checks every item against the anchor's own shelf and the live price rule,
/// names the first bad item, and only the session's anchor may change it.
async fn case_schedule_rules(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let [sku, other_sku] = shop.skus;
    let start = now_ms() + HOUR_MS;
    let post = |body: Value| {
        let anchor = shop.anchor.clone();
        async move { app.post("/api/live-sessions", &anchor, &body).await }
    };

    // Live prices outside floor..=pool are refused, naming the item.
    let reply = post(session_body(
        start,
        json!([{"sku_id": sku, "live_price_fen": 899_900},
               {"sku_id": other_sku, "live_price_fen": 849_999}]),
    ))
    .await;
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("item 1 (SKU {other_sku})")),
        "the error names the bad item: {}",
        reply.text
    );
    reply.expect_error(422, "live_price_below_floor");
    post(session_body(
        start,
        json!([{"sku_id": sku, "live_price_fen": 899_901}]),
    ))
    .await
    .expect_error(422, "live_price_above_pool");

    // A SKU in the pool but not on this anchor's shelf is refused.
    let elsewhere = app
        .create_sku(
            &shop.supplier,
            common::sku("NOT-SHELVED", "格力 空调 未上架"),
        )
        .await;
    let operator = app.operator().await;
    app.approve(&operator, elsewhere).await;
    post(session_body(
        start,
        json!([{"sku_id": elsewhere, "live_price_fen": 899_900}]),
    ))
    .await
    .expect_error(422, "sku_not_on_shelf");

    // A shelved SKU that left the pool is refused.
    app.post(
        &format!("/api/supplier/skus/{other_sku}/listing"),
        &shop.supplier,
        &json!({"listed": false}),
    )
    .await
    .expect(200);
    post(session_body(
        start,
        json!([{"sku_id": other_sku, "live_price_fen": 899_900}]),
    ))
    .await
    .expect_error(422, "sku_not_in_pool");

    // Shape rules.
    post(session_body(
        start,
        json!([{"sku_id": sku, "live_price_fen": 899_900},
               {"sku_id": sku, "live_price_fen": 880_000}]),
    ))
    .await
    .expect_error(422, "duplicate_sku");
    post(session_body(start, json!([])))
        .await
        .expect_error(422, "no_items");
    let one = json!([{"sku_id": sku, "live_price_fen": 860_000}]);
    post(session_body(now_ms() - 1, one.clone()))
        .await
        .expect_error(422, "start_in_past");
    post(session_body(now_ms() + 31 * 24 * HOUR_MS, one.clone()))
        .await
        .expect_error(422, "start_too_far");
    post(json!({"title": "  ", "starts_at_ms": start, "items": one}))
        .await
        .expect_error(422, "invalid_title");
    post(json!({"title": "t", "starts_at_ms": start, "items": one,
        "playback_url": "rtmp://media.example.com/live"}))
    .await
    .expect_error(422, "invalid_playback_url");
    post(json!({"title": "t", "starts_at_ms": start, "items": one, "campaign_id": 999}))
        .await
        .expect_error(422, "unknown_campaign");

    // Viewers do not schedule sessions; operators create campaigns, viewers do not.
    let viewer = app.account("kanke", "viewer").await;
    app.post(
        "/api/live-sessions",
        &viewer,
        &session_body(start, one.clone()),
    )
    .await
    .expect_error(403, "forbidden");
    let window =
        json!({"name": "超级品牌日", "starts_at_ms": start, "ends_at_ms": start + 24 * HOUR_MS});
    app.post("/api/campaigns", &viewer, &window)
        .await
        .expect_error(403, "forbidden");
    let campaign = app
        .post("/api/campaigns", &operator, &window)
        .await
        .expect(201);
    let campaign_id = campaign["id"].as_i64().expect("campaign id");
    let listed = app.get("/api/campaigns", &shop.anchor).await.expect(200);
    assert_eq!(ids(&listed), vec![campaign_id]);

    // A good session: live price between floor and pool, in a campaign, with playback.
    let created = post(
        json!({"title": " 格力超级品牌日 ", "starts_at_ms": start, "items": one,
        "campaign_id": campaign_id,
        "playback_url": "https://media.example.com/live/gree/index.m3u8"}),
    )
    .await
    .expect(201);
    let id = created["session"]["id"].as_i64().expect("session id");
    assert_eq!(created["session"]["title"], "格力超级品牌日");
    assert_eq!(created["session"]["status"], "scheduled");
    assert_eq!(created["session"]["campaign_id"], campaign_id);
    assert_eq!(created["session"]["anchor_name"], "xiaoli");
    assert_eq!(created["items"][0]["sku_id"], sku);
    assert_eq!(created["items"][0]["live_price_fen"], 860_000);
    assert_eq!(created["items"][0]["pool_price_fen"], 899_900);
    assert_eq!(
        created["items"][0]["image_url"],
        "https://img.example.com/1.jpg"
    );
    assert_eq!(created["pinned"], Value::Null);

    // Anyone, even without signing in, may read it.
    let public = app
        .get_anonymous(&format!("/api/live-sessions/{id}"))
        .await
        .expect(200);
    assert_eq!(public, created);
    app.get_anonymous("/api/live-sessions/999999")
        .await
        .expect_error(404, "not_found");

    // Only its anchor edits it: another anchor and an operator are refused.
    let rival = app.account("rival", "anchor").await;
    let path = format!("/api/live-sessions/{id}");
    app.patch(&path, &rival, &json!({"title": "抢来的"}))
        .await
        .expect_error(403, "forbidden");
    app.patch(&path, &operator, &json!({"title": "运营改的"}))
        .await
        .expect_error(403, "forbidden");
    app.post_empty(&format!("{path}/live"), &rival)
        .await
        .expect_error(403, "forbidden");
    app.put(&format!("{path}/items"), &rival, &json!({"items": one}))
        .await
        .expect_error(403, "forbidden");
    app.post_empty(&format!("{path}/end"), &rival)
        .await
        .expect_error(403, "forbidden");

    // The anchor edits title and campaign; a null playback URL removes it.
    let edited = app
        .patch(
            &path,
            &shop.anchor,
            &json!({"title": "改期的品牌日", "playback_url": null, "campaign_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(edited["session"]["title"], "改期的品牌日");
    assert_eq!(edited["session"]["playback_url"], Value::Null);
    assert_eq!(edited["session"]["campaign_id"], Value::Null);
    assert_eq!(edited["items"], created["items"], "absent items stay");
    app.patch(
        &path,
        &shop.anchor,
        &json!({"items": [{"sku_id": sku, "live_price_fen": 1}]}),
    )
    .await
    .expect_error(422, "live_price_below_floor");
}
crate::store_case!(
    case_schedule_rules,
    sqlite_schedule_rules,
    postgres_schedule_rules
);

/// scheduled → live → ended, and every step out of order is refused with its code.
async fn case_transitions(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let operator = app.operator().await;
    let id = app
        .scheduled_session(&shop.anchor, "第一场", &shop.skus)
        .await;
    let path = format!("/api/live-sessions/{id}");

    let live = app
        .post_empty(&format!("{path}/live"), &shop.anchor)
        .await
        .expect(200);
    assert_eq!(live["session"]["status"], "live");
    assert!(live["session"]["went_live_at_ms"].as_i64().is_some());
    app.post_empty(&format!("{path}/live"), &shop.anchor)
        .await
        .expect_error(409, "session_already_live");
    // A live session's details are fixed, but its SKUs may change ("shelf changed").
    app.patch(&path, &shop.anchor, &json!({"title": "改名"}))
        .await
        .expect_error(409, "session_already_live");
    let shelf_changed = app
        .put(
            &format!("{path}/items"),
            &shop.anchor,
            &json!({"items": [{"sku_id": shop.skus[1], "live_price_fen": 870_000}]}),
        )
        .await
        .expect(200);
    assert_eq!(shelf_changed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(shelf_changed["items"][0]["live_price_fen"], 870_000);

    // One live session per anchor.
    let second = app
        .scheduled_session(&shop.anchor, "第二场", &shop.skus)
        .await;
    app.post_empty(&format!("/api/live-sessions/{second}/live"), &shop.anchor)
        .await
        .expect_error(409, "anchor_already_live");

    // An operator may end any session; then nothing moves any more.
    let ended = app
        .post_empty(&format!("{path}/end"), &operator)
        .await
        .expect(200);
    assert_eq!(ended["session"]["status"], "ended");
    assert!(ended["session"]["ended_at_ms"].as_i64().is_some());
    app.post_empty(&format!("{path}/end"), &shop.anchor)
        .await
        .expect_error(409, "session_ended");
    app.post_empty(&format!("{path}/live"), &shop.anchor)
        .await
        .expect_error(409, "session_ended");
    app.put(
        &format!("{path}/items"),
        &shop.anchor,
        &json!({"items": [{"sku_id": shop.skus[0], "live_price_fen": 870_000}]}),
    )
    .await
    .expect_error(409, "session_ended");
    app.patch(&path, &shop.anchor, &json!({"title": "改名"}))
        .await
        .expect_error(409, "session_ended");

    // Now the second session may go live; a scheduled one can be called off.
    app.post_empty(&format!("/api/live-sessions/{second}/live"), &shop.anchor)
        .await
        .expect(200);
    let third = app
        .scheduled_session(&shop.anchor, "第三场", &shop.skus)
        .await;
    let called_off = app
        .post_empty(&format!("/api/live-sessions/{third}/end"), &shop.anchor)
        .await
        .expect(200);
    assert_eq!(called_off["session"]["status"], "ended");
    assert_eq!(called_off["session"]["went_live_at_ms"], Value::Null);
}
crate::store_case!(case_transitions, sqlite_transitions, postgres_transitions);

/// Followers are told in-app when the anchor goes live; others are not.
async fn case_follow_notifications(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let anchor_id = app.user_id(&shop.anchor).await;
    let fan = app.account("fan", "viewer").await;
    let stranger = app.account("stranger", "viewer").await;
    let fan_id = app.user_id(&fan).await;
    let follow = format!("/api/anchors/{anchor_id}/follow");

    app.put(&follow, &fan, &json!({})).await.expect(204);
    app.put(&follow, &fan, &json!({})).await.expect(204);
    app.put(&follow, &shop.anchor, &json!({}))
        .await
        .expect_error(422, "cannot_follow_self");
    app.put(
        &format!("/api/anchors/{fan_id}/follow"),
        &stranger,
        &json!({}),
    )
    .await
    .expect_error(422, "not_an_anchor");
    app.put("/api/anchors/999999/follow", &fan, &json!({}))
        .await
        .expect_error(404, "not_found");
    let following = app.get("/api/me/following", &fan).await.expect(200);
    assert_eq!(following.as_array().map(Vec::len), Some(1));
    assert_eq!(following[0]["anchor_id"], anchor_id);
    assert_eq!(following[0]["username"], "xiaoli");

    let id = app
        .scheduled_session(&shop.anchor, "今晚八点", &shop.skus)
        .await;
    assert_eq!(
        app.get("/api/me/notifications", &fan).await.expect(200),
        json!([]),
        "nothing before going live"
    );
    app.post_empty(&format!("/api/live-sessions/{id}/live"), &shop.anchor)
        .await
        .expect(200);

    let notes = app.get("/api/me/notifications", &fan).await.expect(200);
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");
    assert_eq!(notes[0]["kind"], "session_live");
    assert_eq!(notes[0]["session_id"], id);
    assert_eq!(notes[0]["body"]["title"], "今晚八点");
    assert_eq!(notes[0]["body"]["anchor_id"], anchor_id);
    assert_eq!(notes[0]["read_at_ms"], Value::Null);
    assert_eq!(
        app.get("/api/me/notifications", &stranger)
            .await
            .expect(200),
        json!([])
    );
    assert_eq!(
        app.get("/api/me/notifications", &shop.anchor)
            .await
            .expect(200),
        json!([])
    );

    let note_id = notes[0]["id"].as_i64().expect("notification id");
    let marked = app
        .post(
            "/api/me/notifications/read",
            &fan,
            &json!({"up_to_id": note_id}),
        )
        .await
        .expect(200);
    assert_eq!(marked["marked"], 1);
    let marked = app
        .post(
            "/api/me/notifications/read",
            &stranger,
            &json!({"up_to_id": note_id}),
        )
        .await
        .expect(200);
    assert_eq!(marked["marked"], 0, "nobody marks another's notifications");
    let notes = app.get("/api/me/notifications", &fan).await.expect(200);
    assert!(notes[0]["read_at_ms"].as_i64().is_some());

    // Unfollowing is idempotent, and an unfollowed anchor's next session tells nobody.
    app.delete(&follow, &fan).await.expect(204);
    app.delete(&follow, &fan).await.expect(204);
    assert_eq!(
        app.get("/api/me/following", &fan).await.expect(200),
        json!([])
    );
    app.post_empty(&format!("/api/live-sessions/{id}/end"), &shop.anchor)
        .await
        .expect(200);
    let next = app
        .scheduled_session(&shop.anchor, "明晚八点", &shop.skus)
        .await;
    app.post_empty(&format!("/api/live-sessions/{next}/live"), &shop.anchor)
        .await
        .expect(200);
    let notes = app.get("/api/me/notifications", &fan).await.expect(200);
    assert_eq!(notes.as_array().map(Vec::len), Some(1));
}
crate::store_case!(
    case_follow_notifications,
    sqlite_follow_notifications,
    postgres_follow_notifications
);

/// "Live now", "upcoming", "from anchors I follow" and an anchor's own sessions.
async fn case_lists(app: &TestApp) {
    let a = shop(app, "anchor-a").await;
    let b = shop(app, "anchor-b").await;
    let a_id = app.user_id(&a.anchor).await;
    let b_id = app.user_id(&b.anchor).await;

    let a_live = app.scheduled_session(&a.anchor, "A 直播中", &a.skus).await;
    app.post_empty(&format!("/api/live-sessions/{a_live}/live"), &a.anchor)
        .await
        .expect(200);
    let a_ended = app.scheduled_session(&a.anchor, "A 已结束", &a.skus).await;
    app.post_empty(&format!("/api/live-sessions/{a_ended}/end"), &a.anchor)
        .await
        .expect(200);
    let b_later = app
        .schedule(&b.anchor, "B 两小时后", 2 * HOUR_MS, &b.skus)
        .await
        .expect(201)["session"]["id"]
        .as_i64()
        .expect("id");
    let b_soon = app
        .schedule(&b.anchor, "B 一小时后", HOUR_MS, &b.skus)
        .await
        .expect(201)["session"]["id"]
        .as_i64()
        .expect("id");

    let live = app
        .get_anonymous("/api/live-sessions/live")
        .await
        .expect(200);
    assert_eq!(ids(&live["items"]), vec![a_live]);
    assert_eq!(live["has_more"], false);
    let upcoming = app
        .get_anonymous("/api/live-sessions/upcoming")
        .await
        .expect(200);
    assert_eq!(ids(&upcoming["items"]), vec![b_soon, b_later]);
    let first_page = app
        .get_anonymous("/api/live-sessions/upcoming?limit=1")
        .await
        .expect(200);
    assert_eq!(ids(&first_page["items"]), vec![b_soon]);
    assert_eq!(first_page["has_more"], true);
    assert_eq!(first_page["next_offset"], 1);
    let second_page = app
        .get_anonymous("/api/live-sessions/upcoming?limit=1&offset=1")
        .await
        .expect(200);
    assert_eq!(ids(&second_page["items"]), vec![b_later]);
    assert_eq!(second_page["has_more"], false);
    app.get_anonymous("/api/live-sessions/upcoming?limit=0")
        .await
        .expect_error(422, "invalid_limit");

    let mine = app
        .get_anonymous(&format!("/api/live-sessions?anchor_id={a_id}"))
        .await
        .expect(200);
    assert_eq!(ids(&mine["items"]), vec![a_ended, a_live]);

    // A viewer who follows both sees A's live session first, then B's in start order.
    let viewer = app.account("kanke", "viewer").await;
    app.get_anonymous("/api/me/following/sessions")
        .await
        .expect_error(401, "unauthenticated");
    assert_eq!(
        app.get("/api/me/following/sessions", &viewer)
            .await
            .expect(200)["items"],
        json!([])
    );
    app.put(&format!("/api/anchors/{b_id}/follow"), &viewer, &json!({}))
        .await
        .expect(204);
    let followed = app
        .get("/api/me/following/sessions", &viewer)
        .await
        .expect(200);
    assert_eq!(titles(&followed["items"]), vec!["B 一小时后", "B 两小时后"]);
    app.put(&format!("/api/anchors/{a_id}/follow"), &viewer, &json!({}))
        .await
        .expect(204);
    let followed = app
        .get("/api/me/following/sessions", &viewer)
        .await
        .expect(200);
    assert_eq!(ids(&followed["items"]), vec![a_live, b_soon, b_later]);
    assert_eq!(followed["items"][0]["status"], "live");
}
crate::store_case!(case_lists, sqlite_lists, postgres_lists);

/// Only a SKU sold in the session can be pinned; changing the SKUs unpins one that left.
async fn case_pin(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let [first, second] = shop.skus;
    let operator = app.operator().await;
    let viewer = app.account("kanke", "viewer").await;
    let id = app
        .scheduled_session(&shop.anchor, "讲解测试", &[first])
        .await;
    let pin = format!("/api/live-sessions/{id}/pin");

    app.put(&pin, &shop.anchor, &json!({"sku_id": second}))
        .await
        .expect_error(422, "sku_not_in_session");
    app.put(&pin, &viewer, &json!({"sku_id": first}))
        .await
        .expect_error(403, "forbidden");
    let pinned = app
        .put(&pin, &shop.anchor, &json!({"sku_id": first}))
        .await
        .expect(200);
    assert_eq!(pinned["session"]["pinned_sku_id"], first);
    assert_eq!(pinned["pinned"]["sku_id"], first);
    assert_eq!(pinned["pinned"]["live_price_fen"], 899_900);
    let unpinned = app
        .put(&pin, &operator, &json!({"sku_id": null}))
        .await
        .expect(200);
    assert_eq!(unpinned["pinned"], Value::Null);

    // Pinned SKU leaves the session's shelf: it is unpinned with it.
    app.post_empty(&format!("/api/live-sessions/{id}/live"), &shop.anchor)
        .await
        .expect(200);
    app.put(&pin, &operator, &json!({"sku_id": first}))
        .await
        .expect(200);
    let changed = app
        .put(
            &format!("/api/live-sessions/{id}/items"),
            &shop.anchor,
            &json!({"items": [{"sku_id": second, "live_price_fen": 899_900}]}),
        )
        .await
        .expect(200);
    assert_eq!(changed["session"]["pinned_sku_id"], Value::Null);
    let pinned = app
        .put(&pin, &shop.anchor, &json!({"sku_id": second}))
        .await
        .expect(200);
    assert_eq!(pinned["pinned"]["sku_id"], second);

    app.post_empty(&format!("/api/live-sessions/{id}/end"), &shop.anchor)
        .await
        .expect(200);
    app.put(&pin, &shop.anchor, &json!({"sku_id": second}))
        .await
        .expect_error(409, "session_ended");
}
crate::store_case!(case_pin, sqlite_pin, postgres_pin);

/// Only the session's anchor or an operator mutes, unmutes and sees the mutes.
async fn case_mutes(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let anchor_id = app.user_id(&shop.anchor).await;
    let operator = app.operator().await;
    let rival = app.account("rival", "anchor").await;
    let troll = app.account("troll", "viewer").await;
    let spammer = app.account("spammer", "viewer").await;
    let troll_id = app.user_id(&troll).await;
    let spammer_id = app.user_id(&spammer).await;
    let id = app
        .scheduled_session(&shop.anchor, "禁言测试", &shop.skus)
        .await;
    let mutes = format!("/api/live-sessions/{id}/mutes");

    app.post(
        &mutes,
        &troll,
        &json!({"user_id": spammer_id, "duration_s": 600}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &mutes,
        &rival,
        &json!({"user_id": troll_id, "duration_s": 600}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &mutes,
        &shop.anchor,
        &json!({"user_id": troll_id, "duration_s": 30}),
    )
    .await
    .expect_error(422, "invalid_mute_duration");
    app.post(&mutes, &operator, &json!({"user_id": anchor_id}))
        .await
        .expect_error(422, "cannot_mute_anchor");
    app.post(&mutes, &shop.anchor, &json!({"user_id": 999_999}))
        .await
        .expect_error(404, "not_found");

    let before = now_ms();
    let muted = app
        .post(
            &mutes,
            &shop.anchor,
            &json!({"user_id": troll_id, "duration_s": 600, "reason": " 刷屏 "}),
        )
        .await
        .expect(201);
    let until = muted["until_ms"].as_i64().expect("until");
    assert!(until >= before + 600_000 && until <= now_ms() + 600_000);
    assert_eq!(muted["reason"], "刷屏");
    let for_the_session = app
        .post(&mutes, &operator, &json!({"user_id": spammer_id}))
        .await
        .expect(201);
    assert_eq!(for_the_session["until_ms"], Value::Null);

    let listed = app.get(&mutes, &shop.anchor).await.expect(200);
    let muted_ids: Vec<i64> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(muted_ids, vec![troll_id, spammer_id]);
    app.get(&mutes, &troll).await.expect_error(403, "forbidden");
    assert_eq!(app.get(&mutes, &operator).await.expect(200), listed);

    let unmute = format!("{mutes}/{troll_id}");
    app.delete(&unmute, &rival)
        .await
        .expect_error(403, "forbidden");
    app.delete(&unmute, &shop.anchor).await.expect(204);
    app.delete(&unmute, &shop.anchor)
        .await
        .expect_error(404, "not_found");
    let listed = app.get(&mutes, &operator).await.expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["user_id"], spammer_id);

    // The room hub reads the same mutes without an actor.
    let active = app
        .services
        .active_mutes(LiveSessionId(id))
        .await
        .expect("active mutes");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].user_id.0, spammer_id);
}
crate::store_case!(case_mutes, sqlite_mutes, postgres_mutes);

/// Many requests race to take one session live: exactly one wins, and each follower is
/// notified exactly once.
async fn case_racing_go_live(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let anchor_id = app.user_id(&shop.anchor).await;
    let fan = app.account("fan", "viewer").await;
    app.put(
        &format!("/api/anchors/{anchor_id}/follow"),
        &fan,
        &json!({}),
    )
    .await
    .expect(204);
    let id = app
        .scheduled_session(&shop.anchor, "抢开播", &shop.skus)
        .await;

    let mut tasks = Vec::new();
    for _ in 0..GO_LIVE_RACERS {
        let client = app.client.clone();
        let url = format!("{}/api/live-sessions/{id}/live", app.base_url);
        let token = shop.anchor.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("send");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }));
    }
    let mut won = 0;
    for task in tasks {
        let (status, body) = task.await.expect("the request task");
        match status {
            200 => won += 1,
            409 => assert_eq!(body["error"]["code"], "session_already_live", "{body}"),
            other => panic!("unexpected HTTP {other}: {body}"),
        }
    }
    assert_eq!(won, 1, "exactly one go-live wins");
    let notes = app.get("/api/me/notifications", &fan).await.expect(200);
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");
}
crate::store_case!(
    case_racing_go_live,
    sqlite_racing_go_live,
    postgres_racing_go_live
);

/// The calls the room hub makes: unique viewers are recorded once, counters add up and the
/// peak only rises.
async fn case_room_hub_calls(app: &TestApp) {
    let shop = shop(app, "xiaoli").await;
    let id = LiveSessionId(
        app.scheduled_session(&shop.anchor, "计数", &shop.skus)
            .await,
    );
    let services = &app.services;
    assert!(services.record_viewer(id, "user:7").await.expect("record"));
    assert!(!services.record_viewer(id, "user:7").await.expect("record"));
    assert!(services.record_viewer(id, "anon:x1").await.expect("record"));
    assert!(services.record_viewer(id, "").await.is_err());
    let unknown = services
        .record_viewer(LiveSessionId(999_999), "user:7")
        .await
        .err()
        .map(|e| e.code());
    assert_eq!(
        unknown,
        Some("not_found"),
        "an unknown session is not found"
    );
    services
        .add_session_counters(id, 100, 3, 2, 40)
        .await
        .expect("add counters");
    services
        .add_session_counters(id, 50, 1, 0, 25)
        .await
        .expect("add counters");
    assert!(services
        .add_session_counters(id, -1, 0, 0, 0)
        .await
        .is_err());
    assert!(services
        .add_session_counters(LiveSessionId(999_999), 1, 0, 0, 0)
        .await
        .is_err());
    let snapshot = services.session_snapshot(id).await.expect("snapshot");
    let counters = snapshot.session.counters;
    assert_eq!(
        (
            counters.likes,
            counters.comments,
            counters.unique_viewers,
            counters.peak_online
        ),
        (150, 4, 2, 40)
    );
    assert_eq!(snapshot.items.len(), 2);
    assert_eq!(snapshot.items[0].sku_id.0, shop.skus[0]);
    let over_http = app
        .get_anonymous(&format!("/api/live-sessions/{}", id.0))
        .await
        .expect(200);
    assert_eq!(over_http["session"]["counters"]["likes"], 150);
}
crate::store_case!(
    case_room_hub_calls,
    sqlite_room_hub_calls,
    postgres_room_hub_calls
);
