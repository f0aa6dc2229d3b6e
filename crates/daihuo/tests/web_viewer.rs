//! The viewer's web pages over real HTTP on both stores, driven as a browser drives them
//! (cookies, CSRF tokens, forms and redirects; a page script's posts with the CSRF header),
//! with the JSON API and the supplier's calls for set-up: home lists sessions and follows;
//! the room shows the pinned product, the shelf and the flash sale; a buyer buys through the
//! buy sheet, is sent to the sandbox's pay page, pays and finds the order paid; a comment
//! posted through the page reaches viewers on the room's WebSocket; an order shows its
//! tracking once shipped; and after-sales requests go through the order page.

mod common;

use common::room_socket::{connect, is_event, until};
use common::supplier::{buy_and_pay, buyer, shop, Shop};
use common::web::{Browser, Shown};
use common::{now_ms, TestApp};
use serde_json::{json, Value};

const MINUTE_MS: i64 = 60_000;

/// An anchor selling `skus` new SKUs of its own supplier in a session that is live now (with
/// `playback_url` if given): (anchor token, session id, SKU ids).
async fn live_room(
    app: &TestApp,
    name: &str,
    skus: usize,
    playback_url: Option<&str>,
) -> (String, i64, Vec<i64>) {
    let supplier = app
        .supplier(&format!("{name}的供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&supplier, "HZ").await;
    let anchor = app.account(name, "anchor").await;
    let mut ids = Vec::new();
    for n in 0..skus {
        let code = format!("{name}-{n}");
        let id = app.shelved_sku(&supplier, &anchor, &code).await;
        common::supplier::set_stock(app, &supplier, &code, "HZ", 50, 1).await;
        ids.push(id);
    }
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"sku_id": id, "live_price_fen": 899_900}))
        .collect();
    let session = app
        .post(
            "/api/live-sessions",
            &anchor,
            &json!({"title": format!("{name}的直播间"), "starts_at_ms": now_ms() + MINUTE_MS,
                "playback_url": playback_url, "items": items}),
        )
        .await
        .expect(201)["session"]["id"]
        .as_i64()
        .expect("a session id");
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);
    (anchor, session, ids)
}

/// A flash sale of `sku` in `session`, open now; returns its id.
async fn open_sale(app: &TestApp, anchor: &str, session: i64, sku: i64) -> i64 {
    app.post(
        &format!("/api/live-sessions/{session}/flash-sales"),
        anchor,
        &json!({"sku_id": sku, "price_fen": 860_000, "quantity": 5, "per_user_limit": 1,
            "starts_at_ms": now_ms() - 1_000, "ends_at_ms": now_ms() + 10 * MINUTE_MS}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .expect("a sale id")
}

/// The `value` of the first `<input>` named `name` in a page.
fn input_value(body: &str, name: &str) -> String {
    let start = body
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no input {name} in {body}"))
        + format!("name=\"{name}\" value=\"").len();
    let end = body[start..].find('"').expect("a closing quote") + start;
    body[start..end].to_owned()
}

/// The element that opens with `<tag … id="id"` up to its end tag's start, roughly: enough
/// to look inside one part of a page.
fn part<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[start..];
    let end = rest.find("</section>").or_else(|| rest.find("</ol>"));
    &rest[..end.unwrap_or(rest.len())]
}

/// Follows a form's redirect and returns the page it lands on.
async fn landed(browser: &mut Browser, shown: &Shown) -> String {
    let to = shown.redirected().to_owned();
    browser.visit(&to).await.expect(200).to_owned()
}

/// Home lists what is live and what is coming for anyone; signed in, a viewer follows an
/// anchor from a card, sees that anchor's sessions under "following", is told when the
/// anchor goes live, and can unfollow again.
async fn case_home_lists_sessions_and_follows(app: &TestApp) {
    let (_, live, _) = live_room(app, "home-live", 1, None).await;
    let supplier = app.supplier("预告的供应商", "home-soon-supply").await;
    let soon_anchor = app.account("home-soon", "anchor").await;
    let sku = app
        .shelved_sku(&supplier, &soon_anchor, "home-soon-0")
        .await;
    let soon = app
        .scheduled_session(&soon_anchor, "明晚空调专场", &[sku])
        .await;
    let soon_anchor_id = app.user_id(&soon_anchor).await;

    let mut visitor = Browser::new(&app.base_url);
    let home = visitor.get("/").await.expect(200).to_owned();
    let live_now = part(&home, "live-now");
    assert!(
        live_now.contains(&format!("href=\"/live/{live}\"")),
        "{live_now}"
    );
    assert!(live_now.contains("home-live的直播间"));
    assert!(!live_now.contains(&format!("/live/{soon}\"")));
    let upcoming = part(&home, "upcoming");
    assert!(
        upcoming.contains(&format!("href=\"/live/{soon}\"")),
        "{upcoming}"
    );
    assert!(
        !home.contains("id=\"following\""),
        "a visitor follows no one"
    );

    let token = app.account("home-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "home-viewer", common::PASSWORD).await;
    let home = viewer.get("/").await.expect(200).to_owned();
    assert!(home.contains("home-viewer"), "the header names the viewer");
    assert!(!part(&home, "following").contains(&format!("/live/{soon}\"")));
    let followed = viewer
        .post(
            &format!("/anchors/{soon_anchor_id}/follow"),
            &[("follow", "1"), ("back", "/")],
        )
        .await;
    let home = landed(&mut viewer, &followed).await;
    assert!(
        part(&home, "following").contains(&format!("href=\"/live/{soon}\"")),
        "{home}"
    );
    let following = app.get("/api/me/following", &token).await.expect(200);
    assert_eq!(following[0]["anchor_id"], soon_anchor_id, "{following}");

    // The anchor goes live: the viewer is told on the home page, and can mark it read.
    app.post_empty(&format!("/api/live-sessions/{soon}/live"), &soon_anchor)
        .await
        .expect(200);
    let home = viewer.get("/").await.expect(200).to_owned();
    let notices = part(&home, "notices");
    assert!(
        notices.contains(&format!("href=\"/live/{soon}\"")),
        "{notices}"
    );
    assert!(notices.contains("明晚空调专场"));
    let up_to = input_value(notices, "up_to_id");
    let read = viewer
        .post("/notifications/read", &[("up_to_id", &up_to)])
        .await;
    assert!(!landed(&mut viewer, &read).await.contains("id=\"notices\""));

    let unfollowed = viewer
        .post(
            &format!("/anchors/{soon_anchor_id}/follow"),
            &[("follow", "0"), ("back", "/")],
        )
        .await;
    landed(&mut viewer, &unfollowed).await;
    let following = app.get("/api/me/following", &token).await.expect(200);
    assert_eq!(following.as_array().map(Vec::len), Some(0), "{following}");
}
store_case!(
    case_home_lists_sessions_and_follows,
    sqlite_home_lists_sessions_and_follows,
    postgres_home_lists_sessions_and_follows
);

/// The room page shows the session, the pinned product and every shelf item with its live
/// price and a buy button, the flash-sale panel once a sale runs, and a player or a
/// placeholder by the playback URL; an unknown room is 404.
async fn case_room_shows_pinned_shelf_and_sale(app: &TestApp) {
    let (anchor, session, skus) = live_room(
        app,
        "room",
        2,
        Some("https://media.example.com/live/room.m3u8"),
    )
    .await;
    app.put(
        &format!("/api/live-sessions/{session}/pin"),
        &anchor,
        &json!({"sku_id": skus[1]}),
    )
    .await
    .expect(200);

    let mut visitor = Browser::new(&app.base_url);
    let page = visitor
        .get(&format!("/live/{session}"))
        .await
        .expect(200)
        .to_owned();
    assert!(page.contains("room的直播间"));
    assert!(
        page.contains(&format!("id=\"pinned\" data-sku-id=\"{}\"", skus[1])),
        "{page}"
    );
    assert!(
        page.contains("格力 空调 room-1"),
        "the pinned card names its SKU"
    );
    let shelf = &page[page.find("id=\"shelf\"").expect("the shelf drawer")..];
    for sku in &skus {
        assert!(
            shelf.contains(&format!("<li data-sku-id=\"{sku}\"")),
            "SKU {sku} on the shelf: {shelf}"
        );
    }
    assert!(shelf.contains("¥8,999.00"), "live prices on the shelf");
    assert!(page.contains("id=\"shelf-open\""));
    assert!(page.contains("id=\"comment-form\""));
    assert!(page.contains("id=\"like\""));
    assert!(
        page.contains("HLS"),
        "an HLS stream is said to need a player"
    );
    assert!(page.contains("https://media.example.com/live/room.m3u8"));
    assert!(
        page.contains("id=\"flash-sale\" data-sale-id=\"\" hidden"),
        "no sale yet: {page}"
    );
    assert!(page.contains("src=\"/static/room.js\""));

    let sale = open_sale(app, &anchor, session, skus[0]).await;
    let page = visitor
        .get(&format!("/live/{session}"))
        .await
        .expect(200)
        .to_owned();
    let panel = part(&page, "flash-sale");
    assert!(
        panel.starts_with(&format!("id=\"flash-sale\" data-sale-id=\"{sale}\"")),
        "{panel}"
    );
    assert!(panel.contains("id=\"flash-countdown\""));
    assert!(panel.contains("¥8,600.00"), "the sale price: {panel}");
    assert!(
        !panel.contains("id=\"flash-buy\" type=\"submit\" disabled"),
        "an open sale can be bought: {panel}"
    );

    // Video that a browser plays itself gets a player.
    let (_, video, _) = live_room(
        app,
        "room-video",
        1,
        Some("https://media.example.com/v/room.mp4"),
    )
    .await;
    let page = visitor.get(&format!("/live/{video}")).await;
    assert!(page
        .expect(200)
        .contains("<video src=\"https://media.example.com/v/room.mp4\""));
    assert_eq!(visitor.get("/live/999999").await.status, 404);
}
store_case!(
    case_room_shows_pinned_shelf_and_sale,
    sqlite_room_shows_pinned_shelf_and_sale,
    postgres_room_shows_pinned_shelf_and_sale
);

/// A viewer saves an address through the address form, buys from the shelf through the buy
/// sheet, is sent to the sandbox's pay page with the way back to the order, pays there and
/// finds the order paid on "my orders"; a second submit of the same sheet makes no second
/// order; buying in the flash sale goes the same way.
async fn case_buy_through_the_sheet_and_pay(app: &TestApp) {
    let (anchor, session, skus) = live_room(app, "buy", 1, None).await;
    let token = app.account("buy-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "buy-viewer", common::PASSWORD).await;
    let room = format!("/live/{session}");

    // Without an address the sheet cannot be sent and says where to add one.
    let page = viewer.get(&room).await.expect(200).to_owned();
    assert!(page.contains("id=\"buy-sheet\""), "a buyer gets the sheet");
    assert!(page.contains("id=\"buy-submit\" type=\"submit\" disabled"));
    assert!(page.contains("href=\"/addresses?back=%2Flive%2F"));

    let addresses = viewer
        .get(&format!("/addresses?back={room}&q=西湖区"))
        .await;
    assert!(
        addresses.expect(200).contains("330106"),
        "the finder names the code"
    );
    let refused = viewer
        .post(
            "/addresses",
            &[
                ("recipient", "张三"),
                ("phone", "138-1234-5678"),
                ("county_code", "999999"),
                ("detail", "文三路 90 号"),
                ("back", &room),
            ],
        )
        .await;
    assert!(landed(&mut viewer, &refused)
        .await
        .contains("invalid_county"));
    let saved = viewer
        .post(
            "/addresses",
            &[
                ("recipient", "张三"),
                ("phone", "138-1234-5678"),
                ("county_code", "330106"),
                ("detail", "文三路 90 号"),
                ("back", &room),
            ],
        )
        .await;
    assert_eq!(saved.redirected(), room, "back to the room");
    let address = app.get("/api/addresses", &token).await.expect(200)[0]["id"]
        .as_i64()
        .expect("an address id");

    let page = viewer.get(&room).await.expect(200).to_owned();
    assert!(page.contains(&format!("<option value=\"{address}\"")));
    let key = input_value(&page, "key");
    let sheet = [
        ("key", key.as_str()),
        ("quantity", "1"),
        ("address_id", &address.to_string()),
        ("sku_id", &skus[0].to_string()),
        ("sale_id", ""),
    ];
    let sent = viewer.post(&format!("{room}/buy"), &sheet).await;
    let pay_at = sent.redirected().to_owned();
    assert!(pay_at.contains("/sandbox-pay/pay/"), "{pay_at}");
    let orders = app.get("/api/orders", &token).await.expect(200);
    let order = orders[0]["id"].as_i64().expect("an order id");
    assert!(
        pay_at.ends_with(&format!("?return=%2Forders%2F{order}")),
        "{pay_at}"
    );
    // The same sheet sent again is the same order and the same payment.
    let again = viewer.post(&format!("{room}/buy"), &sheet).await;
    assert_eq!(again.redirected(), pay_at);
    let orders = app.get("/api/orders", &token).await.expect(200);
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders}");

    // The gateway's page links back to the order once paid, and takes no other site.
    let pay_page = app.client.get(&pay_at).send().await.expect("the pay page");
    assert_eq!(pay_page.status().as_u16(), 200);
    let html = pay_page.text().await.expect("its body");
    assert!(
        html.contains(&format!("id=\"return\" href=\"/orders/{order}\" hidden")),
        "{html}"
    );
    let pay_url = pay_at.split('?').next().expect("the pay URL");
    let elsewhere = app
        .client
        .get(format!("{pay_url}?return=%2F%2Fevil.example"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(elsewhere.status().as_u16(), 400);
    let paid = app
        .client
        .post(pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status().as_u16(), 200);
    let html = app
        .client
        .get(&pay_at)
        .send()
        .await
        .expect("the pay page")
        .text()
        .await
        .expect("its body");
    assert!(
        html.contains(&format!("id=\"return\" href=\"/orders/{order}\">")),
        "shown once paid: {html}"
    );

    // The gateway's notification reaches daihuo a moment after the pay page answers.
    let row = format!("data-order-id=\"{order}\" data-status=\"routed\"");
    let mut list = String::new();
    for _ in 0..200 {
        list = viewer.get("/orders").await.expect(200).to_owned();
        if list.contains(&row) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(list.contains(&row), "paid and routed on my orders: {list}");
    let detail = viewer.get(&format!("/orders/{order}")).await;
    assert!(detail.expect(200).contains("已分仓"));

    // A flash sale goes through the same sheet with the sale's id.
    let sale = open_sale(app, &anchor, session, skus[0]).await;
    let page = viewer.get(&room).await.expect(200).to_owned();
    let key = input_value(&page, "key");
    let sent = viewer
        .post(
            &format!("{room}/buy"),
            &[
                ("key", key.as_str()),
                ("quantity", "1"),
                ("address_id", &address.to_string()),
                ("sku_id", ""),
                ("sale_id", &sale.to_string()),
            ],
        )
        .await;
    assert!(sent.redirected().contains("/sandbox-pay/pay/"));
    let orders = app.get("/api/orders", &token).await.expect(200);
    assert_eq!(orders[0]["flash_sale_id"], sale, "{orders}");
    assert_eq!(orders[0]["unit_price_fen"], 860_000);
    // Over the sale's limit of one: back to the room with the service's code.
    let page = viewer.get(&room).await.expect(200).to_owned();
    let key = input_value(&page, "key");
    let over = viewer
        .post(
            &format!("{room}/buy"),
            &[
                ("key", key.as_str()),
                ("quantity", "1"),
                ("address_id", &address.to_string()),
                ("sale_id", &sale.to_string()),
            ],
        )
        .await;
    assert!(landed(&mut viewer, &over).await.contains("limit_exceeded"));
}
store_case!(
    case_buy_through_the_sheet_and_pay,
    sqlite_buy_through_the_sheet_and_pay,
    postgres_buy_through_the_sheet_and_pay
);

/// A comment and likes posted the way the room's script posts them reach every viewer on
/// the room's WebSocket, under the commenter's name; a visitor who is not signed in is
/// refused, and a comment form sent without a script comes back to the room.
async fn case_comments_and_likes_reach_the_room(app: &TestApp) {
    let (_, session, _) = live_room(app, "talk", 1, None).await;
    let mut socket = connect(app, session, None, "?visitor=web-viewer-test").await;
    until(&mut socket, |f| f["type"] == "snapshot").await;

    app.account("talk-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "talk-viewer", common::PASSWORD).await;
    viewer.get(&format!("/live/{session}")).await.expect(200);
    let sent = viewer
        .post_script(
            &format!("/live/{session}/comment"),
            "application/x-www-form-urlencoded",
            b"text=%E5%A4%9A%E5%B0%91%E9%92%B1%EF%BC%9F".to_vec(),
        )
        .await;
    let answer: Value = serde_json::from_str(sent.expect(200)).expect("JSON");
    let offset = answer["offset"].as_u64().expect("the comment's offset");
    let comment = until(&mut socket, is_event("comment")).await;
    assert_eq!(comment["event"]["text"], "多少钱？");
    assert_eq!(comment["event"]["name"], "talk-viewer");
    assert_eq!(comment["offset"].as_u64(), Some(offset));

    let liked = viewer
        .post_script(
            &format!("/live/{session}/like"),
            "application/x-www-form-urlencoded",
            b"count=7".to_vec(),
        )
        .await;
    liked.expect(200);
    until(&mut socket, |f| {
        f["type"] == "counters" && f["likes"].as_u64() >= Some(7)
    })
    .await;

    // Without a script the form comes back to the room.
    let by_form = viewer
        .post(&format!("/live/{session}/comment"), &[("text", "好看")])
        .await;
    assert_eq!(by_form.redirected(), format!("/live/{session}"));
    let comment = until(&mut socket, is_event("comment")).await;
    assert_eq!(comment["event"]["text"], "好看");

    // A visitor may watch but not talk.
    let mut visitor = Browser::new(&app.base_url);
    visitor.get(&format!("/live/{session}")).await.expect(200);
    let refused = visitor
        .post_script(
            &format!("/live/{session}/comment"),
            "application/x-www-form-urlencoded",
            b"text=hello".to_vec(),
        )
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("unauthenticated"));
}
store_case!(
    case_comments_and_likes_reach_the_room,
    sqlite_comments_and_likes_reach_the_room,
    postgres_comments_and_likes_reach_the_room
);

/// Ships `order` with a waybill and reports `events` (id, stage, at) for it.
async fn ship(app: &TestApp, shop: &Shop, order: i64, events: &[(&str, &str, i64)]) {
    app.post(
        &format!("/api/supplier/orders/{order}/shipments"),
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect(200);
    if events.is_empty() {
        return;
    }
    let events: Vec<Value> = events
        .iter()
        .map(|(id, stage, at)| json!({"event_id": id, "stage": stage, "at_ms": at, "detail": "杭州转运中心"}))
        .collect();
    app.post(
        &format!("/api/supplier/orders/{order}/tracking"),
        &shop.supplier,
        &json!({ "events": events }),
    )
    .await
    .expect(200);
}

/// After the supplier ships, the order page shows the handover and the carrier's events,
/// newest first, as the tracking view has them; once delivered the buyer confirms receipt.
async fn case_order_shows_tracking(app: &TestApp) {
    let shop = shop(app, "track", 3, 0).await;
    let hangzhou = buyer(app, "track-viewer", "330106").await;
    let order = buy_and_pay(app, &shop, &hangzhou, 1).await;
    let mut viewer = Browser::sign_in(&app.base_url, "track-viewer", common::PASSWORD).await;
    let page = viewer
        .get(&format!("/orders/{order}"))
        .await
        .expect(200)
        .to_owned();
    assert_eq!(part(&page, "timeline").matches("<li").count(), 0, "{page}");
    assert!(page.contains("暂无物流信息"));

    let t0 = now_ms() - 3_600_000;
    ship(
        app,
        &shop,
        order,
        &[
            ("e2", "in_transit", t0 + 2_000),
            ("e1", "picked", t0 + 1_000),
        ],
    )
    .await;
    let page = viewer
        .get(&format!("/orders/{order}"))
        .await
        .expect(200)
        .to_owned();
    assert!(page.contains("data-status=\"shipped\""), "{page}");
    let timeline = part(&page, "timeline");
    let tracking = app
        .get(&format!("/api/orders/{order}/tracking"), &hangzhou.0)
        .await
        .expect(200);
    let events = tracking["events"].as_array().expect("events").len();
    assert_eq!(events, 2, "{tracking}");
    // One line per carrier event and one for the handover, which happened last.
    assert_eq!(timeline.matches("<li").count(), events + 1, "{timeline}");
    let handover = timeline.find("data-shipment=\"SF1234567890123\"");
    let transit = timeline.find("data-event-id=\"e2\"");
    let picked = timeline.find("data-event-id=\"e1\"");
    assert!(
        handover < transit && transit < picked && picked.is_some(),
        "newest first: {timeline}"
    );
    assert!(timeline.contains("运输中"));

    // Delivered: the buyer confirms receipt on the page.
    app.post(
        &format!("/api/supplier/orders/{order}/tracking"),
        &shop.supplier,
        &json!({"events": [{"event_id": "e3", "stage": "delivered", "at_ms": now_ms()}]}),
    )
    .await
    .expect(200);
    let page = viewer
        .get(&format!("/orders/{order}"))
        .await
        .expect(200)
        .to_owned();
    let timeline = part(&page, "timeline");
    let delivered = timeline.find("data-event-id=\"e3\"").expect("the delivery");
    assert!(
        timeline
            .find("data-shipment")
            .is_some_and(|h| delivered < h),
        "the delivery is the newest line: {timeline}"
    );
    assert!(page.contains("id=\"confirm-receipt\""));
    let confirmed = viewer.post(&format!("/orders/{order}/receipt"), &[]).await;
    assert!(landed(&mut viewer, &confirmed)
        .await
        .contains("data-status=\"completed\""));
}
store_case!(
    case_order_shows_tracking,
    sqlite_order_shows_tracking,
    postgres_order_shows_tracking
);

/// The status of the order's only after-sales request, through the API.
async fn request_status(app: &TestApp, token: &str, order: i64) -> (i64, String) {
    let list = app
        .get(&format!("/api/orders/{order}/after-sales"), token)
        .await
        .expect(200);
    let last = list.as_array().and_then(|l| l.last()).expect("a request");
    (
        last["id"].as_i64().expect("an id"),
        last["status"].as_str().unwrap_or("").to_owned(),
    )
}

/// After-sales through the order page: a refund before shipping is asked for and withdrawn;
/// a complaint is refused before delivery with the service's code; after delivery a return
/// the supplier rejects is disputed, and a return it approves is sent back with a waybill.
async fn case_after_sales_through_the_order_page(app: &TestApp) {
    let shop = shop(app, "care", 5, 0).await;
    let buyer = buyer(app, "care-viewer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    let mut viewer = Browser::sign_in(&app.base_url, "care-viewer", common::PASSWORD).await;
    let path = format!("/orders/{order}");
    let page = viewer.get(&path).await.expect(200).to_owned();
    assert!(page.contains("id=\"after-sales-form\""));

    let complaint = viewer
        .post(
            &format!("{path}/after-sales"),
            &[
                ("kind", "quality_complaint"),
                ("units", ""),
                ("image_urls", "https://img.example.com/broken.jpg"),
                ("evidence_text", "外壳裂了"),
            ],
        )
        .await;
    assert!(landed(&mut viewer, &complaint)
        .await
        .contains("after_sales_not_eligible"));

    let asked = viewer
        .post(
            &format!("{path}/after-sales"),
            &[
                ("kind", "refund_only_not_shipped"),
                ("units", ""),
                ("image_urls", ""),
                ("evidence_text", ""),
            ],
        )
        .await;
    let page = landed(&mut viewer, &asked).await;
    let (id, status) = request_status(app, token, order).await;
    assert_eq!(status, "requested");
    assert!(
        page.contains(&format!(
            "data-after-sales-id=\"{id}\" data-status=\"requested\""
        )),
        "{page}"
    );
    assert!(
        !page.contains("id=\"after-sales-form\""),
        "one open request"
    );
    let withdrawn = viewer
        .post(
            &format!("/after-sales/{id}/withdraw"),
            &[("order_id", &order.to_string())],
        )
        .await;
    assert_eq!(withdrawn.redirected(), path);
    assert_eq!(request_status(app, token, order).await.1, "withdrawn");

    // Delivered an hour ago: a no-reason return, which the supplier rejects.
    ship(
        app,
        &shop,
        order,
        &[("d1", "delivered", now_ms() - 3_600_000)],
    )
    .await;
    let asked = viewer
        .post(
            &format!("{path}/after-sales"),
            &[("kind", "no_reason_return"), ("units", "1")],
        )
        .await;
    landed(&mut viewer, &asked).await;
    let (id, status) = request_status(app, token, order).await;
    assert_eq!(status, "requested");
    app.post(
        &format!("/api/supplier/after-sales/{id}/decision"),
        &shop.supplier,
        &json!({"decision": "reject", "reason": "商品已拆封使用"}),
    )
    .await
    .expect(200);
    let page = viewer.get(&path).await.expect(200).to_owned();
    assert!(page.contains("商品已拆封使用"), "the reason is shown");
    let disputed = viewer
        .post(
            &format!("/after-sales/{id}/dispute"),
            &[
                ("order_id", &order.to_string()),
                ("reason", "包装完好，未使用"),
            ],
        )
        .await;
    landed(&mut viewer, &disputed).await;
    assert_eq!(request_status(app, token, order).await.1, "disputed");
    let operator = app.operator().await;
    app.post(
        &format!("/api/operator/after-sales/{id}/arbitration"),
        &operator,
        &json!({"decision": "overturn", "note": "买家有理"}),
    )
    .await
    .expect(200);

    // Overturned: the buyer sends the goods back with a waybill from the page.
    let page = viewer.get(&path).await.expect(200).to_owned();
    assert!(page.contains("买家有理"));
    assert!(page.contains("class=\"return-form\""), "{page}");
    let shipped = viewer
        .post(
            &format!("/after-sales/{id}/return"),
            &[
                ("order_id", &order.to_string()),
                ("carrier", "sf"),
                ("waybill", "SF9876543210123"),
            ],
        )
        .await;
    let page = landed(&mut viewer, &shipped).await;
    assert_eq!(request_status(app, token, order).await.1, "return_shipped");
    assert!(page.contains("SF9876543210123"), "{page}");
}
store_case!(
    case_after_sales_through_the_order_page,
    sqlite_after_sales_through_the_order_page,
    postgres_after_sales_through_the_order_page
);
