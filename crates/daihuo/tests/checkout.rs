//! Buying in the room: addresses, flash sales, ordinary purchases, idempotency, limits,
//! subsidies, the release of unpaid reservations and paying through the sandbox gateway
//! (tampered, duplicated and late notifications), and what the room's viewers see of a sale,
//! driven over HTTP and WebSocket on both stores.
//!
//! Each `case_*` is one behaviour; `store_case!` runs it on SQLite and on PostgreSQL (when
//! `DAIHUO_TEST_DATABASE_URL` is set). The concurrency cases fire real parallel requests.

mod common;

use common::room_socket::{connect, frame, is_event, until};
use common::{now_ms, TestApp};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A minute, in milliseconds.
const MINUTE_MS: i64 = 60_000;

/// A supplier with stock, an anchor selling its SKU in a live session, and the ids.
struct Room {
    supplier: String,
    anchor: String,
    sku: i64,
    session: i64,
}

/// Sets a SKU's stock in the supplier's warehouse `HZ1`.
async fn set_stock(app: &TestApp, supplier: &str, code: &str, quantity: i64, version: i64) {
    let results = app
        .post(
            "/api/supplier/stock",
            supplier,
            &json!({"updates": [{"sku_code": code, "warehouse_code": "HZ1",
                "quantity": quantity, "version": version}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "stock update: {results}");
}

async fn room(app: &TestApp, name: &str, stock: i64, campaign: Option<i64>) -> Room {
    let supplier = app
        .supplier(&format!("{name}的供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&supplier, "HZ1").await;
    let anchor = app.account(name, "anchor").await;
    let code = format!("{name}-ac");
    let sku = app.shelved_sku(&supplier, &anchor, &code).await;
    set_stock(app, &supplier, &code, stock, 1).await;
    let session = app
        .post(
            "/api/live-sessions",
            &anchor,
            &json!({"title": "格力超级品牌日", "starts_at_ms": now_ms() + MINUTE_MS,
                "campaign_id": campaign,
                "items": [{"sku_id": sku, "live_price_fen": 899_900}]}),
        )
        .await
        .expect(201)["session"]["id"]
        .as_i64()
        .expect("a session id");
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);
    Room {
        supplier,
        anchor,
        sku,
        session,
    }
}

/// A flash sale in the room that is open now.
async fn open_sale(app: &TestApp, room: &Room, changes: Value) -> i64 {
    let mut body = json!({"sku_id": room.sku, "price_fen": 860_000, "quantity": 10,
        "per_user_limit": 1, "starts_at_ms": now_ms() - 1_000,
        "ends_at_ms": now_ms() + 10 * MINUTE_MS});
    for (key, value) in changes.as_object().expect("an object") {
        body[key] = value.clone();
    }
    app.post(
        &format!("/api/live-sessions/{}/flash-sales", room.session),
        &room.anchor,
        &body,
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .expect("a sale id")
}

/// A viewer with a saved address in 杭州 西湖区: (token, address id).
async fn buyer(app: &TestApp, name: &str) -> (String, i64) {
    let token = app.account(name, "viewer").await;
    let address = app
        .post(
            "/api/addresses",
            &token,
            &json!({"recipient": "张三", "phone": "138-1234-5678", "county_code": "330106",
                "detail": "文三路 90 号"}),
        )
        .await
        .expect(201);
    (token, address["id"].as_i64().expect("an address id"))
}

/// POSTs a purchase with an idempotency key; returns (status, body, replayed).
async fn purchase(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (u16, Value, bool) {
    let response = app
        .client
        .request(Method::POST, format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("send the purchase");
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let text = response.text().await.expect("read the body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        replayed,
    )
}

async fn buy_flash(
    app: &TestApp,
    sale: i64,
    token: &str,
    key: &str,
    quantity: i64,
    address: i64,
) -> (u16, Value, bool) {
    purchase(
        app,
        &format!("/api/flash-sales/{sale}/orders"),
        token,
        key,
        &json!({"quantity": quantity, "address_id": address}),
    )
    .await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// The anchor's sale terms are checked against the SKU's prices, the session and the stock;
/// only the session's anchor may start one.
async fn case_flash_sale_rules(app: &TestApp) {
    let room = room(app, "rules", 5, None).await;
    let path = format!("/api/live-sessions/{}/flash-sales", room.session);
    let body = |changes: Value| {
        let mut body = json!({"sku_id": room.sku, "price_fen": 860_000, "quantity": 5,
            "per_user_limit": 1, "starts_at_ms": now_ms() + MINUTE_MS,
            "ends_at_ms": now_ms() + 10 * MINUTE_MS});
        for (key, value) in changes.as_object().expect("an object") {
            body[key] = value.clone();
        }
        body
    };
    app.post(&path, &room.anchor, &body(json!({"price_fen": 800_000})))
        .await
        .expect_error(422, "flash_price_out_of_range");
    app.post(&path, &room.anchor, &body(json!({"subsidy_fen": 10_000})))
        .await
        .expect_error(422, "subsidy_needs_campaign");
    app.post(&path, &room.anchor, &body(json!({"quantity": 6})))
        .await
        .expect_error(409, "not_enough_stock");
    app.post(
        &path,
        &room.anchor,
        &body(json!({"ends_at_ms": now_ms() - 1})),
    )
    .await
    .expect_error(422, "invalid_sale_window");
    let viewer = app.account("rules-viewer", "viewer").await;
    app.post(&path, &viewer, &body(json!({})))
        .await
        .expect_error(403, "forbidden");
    let sale = app
        .post(&path, &room.anchor, &body(json!({})))
        .await
        .expect(201);
    assert_eq!(sale["phase"], "upcoming");
    assert_eq!(sale["remaining"], 5);
    // The sale's units are set aside: the SKU has nothing left for a second sale.
    app.post(&path, &room.anchor, &body(json!({"quantity": 1})))
        .await
        .expect_error(409, "not_enough_stock");
    let listed = app
        .get_anonymous(&format!("/api/live-sessions/{}/flash-sales", room.session))
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    // Buying before the countdown ends is refused.
    let (token, address) = buyer(app, "rules-early").await;
    let id = sale["id"].as_i64().expect("an id");
    let (status, body, _) = buy_flash(app, id, &token, "early-1", 1, address).await;
    assert_eq!((status, code(&body)), (409, "sale_not_started"));
}

/// A buyer's address must name a real county; a flash purchase reserves with the right
/// split, a retry with the same key returns the same order, another body under that key is
/// refused, and the per-user limit holds.
async fn case_flash_buy_and_idempotency(app: &TestApp) {
    let room = room(app, "idem", 10, None).await;
    let sale = open_sale(app, &room, json!({"per_user_limit": 2})).await;
    let (token, address) = buyer(app, "idem-buyer").await;
    app.post(
        "/api/addresses",
        &token,
        &json!({"recipient": "张三", "phone": "13812345678", "county_code": "330199",
            "detail": "文三路"}),
    )
    .await
    .expect_error(422, "invalid_county");
    app.post(
        "/api/addresses",
        &token,
        &json!({"recipient": "张三", "phone": "12345", "county_code": "330106",
            "detail": "文三路"}),
    )
    .await
    .expect_error(422, "invalid_phone");

    let (status, order, replayed) = buy_flash(app, sale, &token, "key-1", 1, address).await;
    assert_eq!(status, 201, "{order}");
    assert!(!replayed);
    assert_eq!(order["status"], "reserved");
    assert_eq!(order["split"]["gross"], 860_000);
    assert_eq!(order["split"]["buyer_pays"], 860_000);
    // 10% commission, 5% platform fee, the supplier the rest.
    assert_eq!(order["split"]["commission"], 86_000);
    assert_eq!(order["split"]["platform_fee"], 43_000);
    assert_eq!(order["split"]["supplier"], 731_000);
    assert_eq!(order["address"]["region"], "浙江省 杭州市 西湖区");
    assert_eq!(order["address"]["phone"], "13812345678");
    assert!(order["reserved_until_ms"].as_i64().unwrap_or(0) > now_ms());

    let (status, again, replayed) = buy_flash(app, sale, &token, "key-1", 1, address).await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(again["id"], order["id"]);
    let (status, body, _) = buy_flash(app, sale, &token, "key-1", 2, address).await;
    assert_eq!((status, code(&body)), (422, "idempotency_key_reused"));
    let (status, body, _) = buy_flash(app, sale, &token, "key-2", 2, address).await;
    assert_eq!((status, code(&body)), (409, "limit_exceeded"));
    let (status, _, _) = buy_flash(app, sale, &token, "key-3", 1, address).await;
    assert_eq!(status, 201);
    let (status, body, _) = buy_flash(app, sale, &token, "key-4", 1, address).await;
    assert_eq!((status, code(&body)), (409, "limit_exceeded"));

    // Someone else's address is not found; a missing key is refused.
    let (other, _) = buyer(app, "idem-other").await;
    let (status, body, _) = buy_flash(app, sale, &other, "o-1", 1, address).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    app.post(
        &format!("/api/flash-sales/{sale}/orders"),
        &token,
        &json!({"quantity": 1, "address_id": address}),
    )
    .await
    .expect_error(422, "invalid_idempotency_key");

    let mine = app.get("/api/orders", &token).await.expect(200);
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
    // The anchor sees the order with the phone masked; another viewer does not see it.
    let id = order["id"].as_i64().expect("an id");
    let seen = app
        .get(&format!("/api/orders/{id}"), &room.anchor)
        .await
        .expect(200);
    assert_eq!(seen["address"]["phone"], "138****5678");
    app.get(&format!("/api/orders/{id}"), &other)
        .await
        .expect_error(404, "not_found");
    let supplier_view = app
        .get(&format!("/api/orders/{id}"), &room.supplier)
        .await
        .expect(200);
    assert_eq!(supplier_view["address"]["phone"], "13812345678");
    let sale_view = app
        .get_anonymous(&format!("/api/flash-sales/{sale}"))
        .await
        .expect(200);
    assert_eq!(sale_view["remaining"], 8);
}

/// Many buyers at once, with retries and over-limit attempts: exactly the sale's quantity is
/// reserved, nobody holds more than the limit, every success is a distinct order, and the
/// rest are told sold out.
async fn case_no_oversell_under_a_burst(app: &TestApp) {
    const UNITS: i64 = 15;
    const BUYERS: usize = 40;
    let room = room(app, "burst", UNITS, None).await;
    let sale = open_sale(app, &room, json!({"quantity": UNITS, "per_user_limit": 1})).await;
    let mut buyers = Vec::new();
    for index in 0..BUYERS {
        buyers.push(buyer(app, &format!("burst-{index}")).await);
    }
    // Each buyer fires three attempts at once: the same key twice and a second key (over the
    // limit if the first wins).
    let attempts = buyers
        .iter()
        .enumerate()
        .flat_map(|(index, (token, address))| {
            let first = format!("b{index}-a");
            let second = format!("b{index}-b");
            [
                (index, token.clone(), first.clone(), *address),
                (index, token.clone(), first, *address),
                (index, token.clone(), second, *address),
            ]
        });
    let replies = join_all(attempts.map(|(index, token, key, address)| async move {
        let (status, body, _) = buy_flash(app, sale, &token, &key, 1, address).await;
        (index, key, status, body)
    }))
    .await;
    let mut orders_by_buyer: HashMap<usize, HashSet<i64>> = HashMap::new();
    let mut order_by_key: HashMap<String, i64> = HashMap::new();
    for (index, key, status, body) in &replies {
        match status {
            201 => {
                let id = body["id"].as_i64().expect("an order id");
                orders_by_buyer.entry(*index).or_default().insert(id);
                if let Some(previous) = order_by_key.insert(key.clone(), id) {
                    assert_eq!(previous, id, "one key, one order");
                }
            }
            409 => assert!(
                ["sold_out", "limit_exceeded", "idempotency_in_progress"].contains(&code(body)),
                "unexpected refusal {body}"
            ),
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    let orders: usize = orders_by_buyer.values().map(HashSet::len).sum();
    assert_eq!(
        orders, UNITS as usize,
        "every unit sold once, none oversold"
    );
    assert!(
        orders_by_buyer.values().all(|o| o.len() == 1),
        "limit 1 per buyer"
    );
    let view = app
        .get_anonymous(&format!("/api/flash-sales/{sale}"))
        .await
        .expect(200);
    assert_eq!(view["remaining"], 0);
    // After the burst, a retry of a winning key still gets its order back (from the
    // sold-out view), and a newcomer is told sold out.
    let (winner, key) = order_by_key
        .iter()
        .next()
        .map(|(key, id)| (*id, key.clone()))
        .expect("a winner");
    let index: usize = key[1..key.find('-').expect("a dash")]
        .parse()
        .expect("an index");
    let (token, address) = &buyers[index];
    let (status, body, replayed) = buy_flash(app, sale, token, &key, 1, *address).await;
    assert_eq!(
        (status, replayed, body["id"].as_i64()),
        (201, true, Some(winner))
    );
    let (late, late_address) = buyer(app, "burst-late").await;
    let (status, body, _) = buy_flash(app, sale, &late, "late-1", 1, late_address).await;
    assert_eq!((status, code(&body)), (409, "sold_out"));
}

/// The same key fired many times at once makes one order: every success names it, the rest
/// are told the key is in progress.
async fn case_concurrent_duplicates(app: &TestApp) {
    let room = room(app, "dupe", 10, None).await;
    let sale = open_sale(app, &room, json!({"per_user_limit": 5})).await;
    let (token, address) = buyer(app, "dupe-buyer").await;
    let replies = join_all((0..12).map(|_| buy_flash(app, sale, &token, "same", 1, address))).await;
    let ids: HashSet<i64> = replies
        .iter()
        .filter(|(status, _, _)| *status == 201)
        .filter_map(|(_, body, _)| body["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 1, "one order: {replies:?}");
    for (status, body, _) in &replies {
        assert!(
            *status == 201 || (*status == 409 && code(body) == "idempotency_in_progress"),
            "{status} {body}"
        );
    }
    let mine = app.get("/api/orders", &token).await.expect(200);
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
}

/// A reservation not paid in time is cancelled by the sweeper and its unit is sold again.
async fn case_unpaid_units_are_sold_again(app: &TestApp) {
    let room = room(app, "expiry", 1, None).await;
    let sale = open_sale(app, &room, json!({"quantity": 1, "pay_window_s": 1})).await;
    let (first, first_address) = buyer(app, "expiry-first").await;
    let (second, second_address) = buyer(app, "expiry-second").await;
    let (status, order, _) = buy_flash(app, sale, &first, "f-1", 1, first_address).await;
    assert_eq!(status, 201, "{order}");
    let (status, body, _) = buy_flash(app, sale, &second, "s-1", 1, second_address).await;
    assert_eq!((status, code(&body)), (409, "sold_out"));
    let id = order["id"].as_i64().expect("an id");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = app
            .get(&format!("/api/orders/{id}"), &first)
            .await
            .expect(200);
        if seen["status"] == "cancelled" {
            assert_eq!(seen["cancel_reason"], "unpaid");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never released: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut n = 2;
    loop {
        let (status, body, _) =
            buy_flash(app, sale, &second, &format!("s-{n}"), 1, second_address).await;
        if status == 201 {
            break;
        }
        assert_eq!(code(&body), "sold_out");
        assert!(
            std::time::Instant::now() < deadline,
            "the unit never came back"
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A subsidy is paid from the campaign's budget and never past it: the buyer pays less, the
/// supplier and anchor are paid on the price before subsidy, and when the budget cannot
/// cover another unit the purchase is refused.
async fn case_subsidy_budget_is_never_overspent(app: &TestApp) {
    let operator = app.operator().await;
    let campaign = app
        .post(
            "/api/campaigns",
            &operator,
            &json!({"name": "超级品牌日", "starts_at_ms": now_ms(),
                "ends_at_ms": now_ms() + 24 * 60 * MINUTE_MS}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("a campaign id");
    app.put(
        &format!("/api/campaigns/{campaign}/subsidy-budget"),
        &operator,
        &json!({"subsidy_budget_fen": 250_000}),
    )
    .await
    .expect(204);
    let room = room(app, "subsidy", 10, Some(campaign)).await;
    let sale = open_sale(app, &room, json!({"subsidy_fen": 100_000, "quantity": 10})).await;
    let mut outcomes = Vec::new();
    for index in 0..4 {
        let (token, address) = buyer(app, &format!("subsidy-{index}")).await;
        outcomes.push(buy_flash(app, sale, &token, "k", 1, address).await);
    }
    let paid: Vec<&Value> = outcomes
        .iter()
        .filter(|(s, _, _)| *s == 201)
        .map(|(_, b, _)| b)
        .collect();
    assert_eq!(paid.len(), 2, "the budget covers two units: {outcomes:?}");
    assert_eq!(paid[0]["split"]["buyer_pays"], 760_000);
    assert_eq!(paid[0]["split"]["commission"], 86_000);
    assert_eq!(paid[0]["split"]["supplier"], 731_000);
    let refused: Vec<&str> = outcomes
        .iter()
        .filter(|(s, _, _)| *s != 201)
        .map(|(_, b, _)| code(b))
        .collect();
    assert_eq!(refused, ["subsidy_exhausted", "subsidy_exhausted"]);
    // The budget may not be cut below what reservations hold.
    app.put(
        &format!("/api/campaigns/{campaign}/subsidy-budget"),
        &operator,
        &json!({"subsidy_budget_fen": 150_000}),
    )
    .await
    .expect_error(409, "budget_below_committed");
}

/// Ordinary purchases at the live price take units only while unpromised stock covers them,
/// and a shelf purchase without a session pays the pool price.
async fn case_ordinary_purchase(app: &TestApp) {
    let room = room(app, "plain", 3, None).await;
    let (token, address) = buyer(app, "plain-buyer").await;
    let body = |quantity: i64| {
        json!({"sku_id": room.sku, "quantity": quantity, "address_id": address,
            "session_id": room.session})
    };
    let (status, order, _) = purchase(app, "/api/orders", &token, "p-1", &body(2)).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["unit_price_fen"], 899_900);
    assert_eq!(order["session_id"], room.session);
    let (status, again, replayed) = purchase(app, "/api/orders", &token, "p-1", &body(2)).await;
    assert_eq!((status, replayed, &again["id"]), (201, true, &order["id"]));
    let (status, refused, _) = purchase(app, "/api/orders", &token, "p-2", &body(2)).await;
    assert_eq!((status, code(&refused)), (409, "sold_out"));
    let anchor_id = app.user_id(&room.anchor).await;
    let (status, shelf, _) = purchase(
        app,
        "/api/orders",
        &token,
        "p-3",
        &json!({"sku_id": room.sku, "quantity": 1, "address_id": address, "anchor_id": anchor_id}),
    )
    .await;
    assert_eq!(status, 201, "{shelf}");
    assert_eq!(shelf["unit_price_fen"], 899_900);
    assert_eq!(shelf["session_id"], Value::Null);
    let (status, refused, _) = purchase(
        app,
        "/api/orders",
        &token,
        "p-4",
        &json!({"sku_id": room.sku, "quantity": 1, "address_id": address}),
    )
    .await;
    assert_eq!((status, code(&refused)), (422, "seller_missing"));
}

/// Polls an order until it reaches `status` (the gateway's notifications are asynchronous).
async fn wait_for_order(app: &TestApp, token: &str, id: i64, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let order = app
            .get(&format!("/api/orders/{id}"), token)
            .await
            .expect(200);
        if order["status"] == status {
            return order;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the order never became {status}: {order}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the sandbox has no notification left to deliver.
async fn wait_for_deliveries(app: &TestApp) -> daihuo_payment::DeliveryStats {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let stats = app.sandbox.delivery_stats();
        if stats.in_flight == 0 && stats.held == 0 {
            return stats;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts paying an order: (payment id, pay URL, amount).
async fn start_payment(app: &TestApp, token: &str, order: i64) -> (i64, String, i64) {
    let payment = app
        .post_empty(&format!("/api/orders/{order}/payments"), token)
        .await
        .expect(200);
    (
        payment["payment_id"].as_i64().expect("a payment id"),
        payment["pay_url"].as_str().expect("a pay URL").to_owned(),
        payment["amount_fen"].as_i64().expect("an amount"),
    )
}

/// The buyer pays on the sandbox's pay page, as a browser would.
async fn pay(app: &TestApp, pay_url: &str) {
    let response = app
        .client
        .post(pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("post the pay page");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "pay page: {body}");
}

/// A sale's `sold` and `remaining`.
async fn sale_counts(app: &TestApp, sale: i64) -> (i64, i64) {
    let view = app
        .get_anonymous(&format!("/api/flash-sales/{sale}"))
        .await
        .expect(200);
    (
        view["sold"].as_i64().expect("sold"),
        view["remaining"].as_i64().expect("remaining"),
    )
}

/// A viewer buys in a flash sale and pays through the sandbox gateway: the payment asks for
/// what the buyer pays, asking again returns the same payment, and once the gateway's
/// notification is applied the order is paid (and, in the same transaction, routed to the
/// supplier's warehouse: docs/FULFILMENT.md) and the sale counts it sold.
async fn case_pay_through_sandbox(app: &TestApp) {
    let room = room(app, "pay", 5, None).await;
    let sale = open_sale(app, &room, json!({"quantity": 2})).await;
    let (token, address) = buyer(app, "pay-buyer").await;
    let (status, order, _) = buy_flash(app, sale, &token, "p-1", 1, address).await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("an id");
    let (payment, pay_url, amount) = start_payment(app, &token, id).await;
    assert_eq!(json!(amount), order["split"]["buyer_pays"]);
    assert!(pay_url.contains("/sandbox-pay/pay/"), "{pay_url}");
    assert_eq!(
        start_payment(app, &token, id).await,
        (payment, pay_url.clone(), amount),
        "asking again returns the pending payment"
    );
    let (stranger, _) = buyer(app, "pay-stranger").await;
    app.post_empty(&format!("/api/orders/{id}/payments"), &stranger)
        .await
        .expect_error(404, "not_found");
    assert_eq!(sale_counts(app, sale).await, (0, 1));
    pay(app, &pay_url).await;
    let paid = wait_for_order(app, &token, id, "routed").await;
    assert!(paid["paid_at_ms"].as_i64().is_some(), "{paid}");
    assert_eq!(sale_counts(app, sale).await, (1, 1));
    app.post_empty(&format!("/api/orders/{id}/payments"), &token)
        .await
        .expect_error(409, "order_not_payable");
}

/// Sends a notification body with the given signing secret and timestamp.
async fn notify(app: &TestApp, body: &[u8], secret: &[u8], timestamp_ms: i64) -> (u16, Value) {
    notify_signed(app, body, body, secret, timestamp_ms).await
}

/// Sends `sent` with the headers of `signed`: a body altered after it was signed.
async fn notify_signed(
    app: &TestApp,
    signed: &[u8],
    sent: &[u8],
    secret: &[u8],
    timestamp_ms: i64,
) -> (u16, Value) {
    let body = signed;
    let secret = daihuo_payment::SigningSecret::new(secret).expect("a long enough secret");
    let event_id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["event_id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let response = app
        .client
        .post(format!("{}/api/payments/notify", app.base_url))
        .header("content-type", "application/json")
        .header(daihuo_payment::EVENT_ID_HEADER, event_id)
        .header(daihuo_payment::TIMESTAMP_HEADER, timestamp_ms.to_string())
        .header(
            daihuo_payment::SIGNATURE_HEADER,
            secret.sign(timestamp_ms, body),
        )
        .body(sent.to_vec())
        .send()
        .await
        .expect("post a notification");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A notification altered after signing, signed with another secret or signed too long ago
/// is refused with 400, changes nothing and is listed for operators; a genuine one replayed
/// is acknowledged again and applied once.
async fn case_tampered_and_replayed_notifications(app: &TestApp) {
    let room = room(app, "forge", 5, None).await;
    let sale = open_sale(app, &room, json!({"quantity": 2})).await;
    let (token, address) = buyer(app, "forge-buyer").await;
    let (_, order, _) = buy_flash(app, sale, &token, "f-1", 1, address).await;
    let id = order["id"].as_i64().expect("an id");
    let (payment, pay_url, amount) = start_payment(app, &token, id).await;
    let gateway_payment_id = pay_url.rsplit('/').next().expect("an id in the URL");
    let body = serde_json::to_vec(&json!({
        "event_id": "evt_forged_1", "kind": "payment_succeeded",
        "gateway_payment_id": gateway_payment_id,
        "merchant_payment_id": format!("daihuo-pay-{payment}"),
        "gateway_refund_id": null, "merchant_refund_id": null,
        "amount_fen": amount, "occurred_at_ms": now_ms()}))
    .expect("a body");
    let secret = common::PAYMENT_SECRET;

    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    let (status, refused) = notify_signed(app, &body, &tampered, secret, now_ms()).await;
    assert_eq!((status, code(&refused)), (400, "signature_invalid"));
    let (status, refused) = notify(app, &body, b"not-the-gateway-secret-at-all", now_ms()).await;
    assert_eq!((status, code(&refused)), (400, "signature_invalid"));
    let (status, refused) = notify(app, &body, secret, now_ms() - 10 * MINUTE_MS).await;
    assert_eq!((status, code(&refused)), (400, "timestamp_out_of_window"));
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &token)
            .await
            .expect(200)["status"],
        "reserved",
        "a refused notification changes nothing"
    );

    let operator = app.operator().await;
    app.get("/api/operator/rejected-notifications", &token)
        .await
        .expect_error(403, "forbidden");
    let rejected = app
        .get("/api/operator/rejected-notifications", &operator)
        .await
        .expect(200);
    let codes: Vec<&str> = rejected
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        [
            "timestamp_out_of_window",
            "signature_invalid",
            "signature_invalid"
        ],
        "newest first: {rejected}"
    );
    assert_eq!(rejected[0]["event_id"], "evt_forged_1");

    // Signed with the right secret it is genuine; sent twice, it is applied once.
    for _ in 0..2 {
        let (status, ack) = notify(app, &body, secret, now_ms()).await;
        assert_eq!(status, 200, "{ack}");
    }
    wait_for_order(app, &token, id, "routed").await;
    assert_eq!(sale_counts(app, sale).await, (1, 1));
}

/// The sandbox sends every notification twice (`duplicate`): the order is paid and the
/// sale's sold count goes up once.
async fn case_duplicated_notification_applies_once(app: &TestApp) {
    let room = room(app, "dup", 5, None).await;
    let sale = open_sale(app, &room, json!({"quantity": 3})).await;
    let (token, address) = buyer(app, "dup-buyer").await;
    let (_, order, _) = buy_flash(app, sale, &token, "d-1", 1, address).await;
    let id = order["id"].as_i64().expect("an id");
    let (_, pay_url, _) = start_payment(app, &token, id).await;
    app.sandbox
        .set_faults(daihuo_payment::FaultConfig {
            duplicate: true,
            ..Default::default()
        })
        .expect("set the fault");
    pay(app, &pay_url).await;
    wait_for_order(app, &token, id, "routed").await;
    let stats = wait_for_deliveries(app).await;
    assert!(stats.acknowledged >= 2, "both copies answered: {stats:?}");
    assert_eq!(sale_counts(app, sale).await, (1, 2));
}

/// Buys the only unit of a one-second sale, starts paying and pays at once with the
/// notification delayed past the deadline; returns (sale, buyer token, order id) once the
/// sweeper has cancelled the order.
async fn pay_late(app: &TestApp, name: &str) -> (i64, String, i64) {
    let room = room(app, name, 5, None).await;
    let sale = open_sale(app, &room, json!({"quantity": 1, "pay_window_s": 1})).await;
    let (token, address) = buyer(app, &format!("{name}-buyer")).await;
    let (status, order, _) = buy_flash(app, sale, &token, "l-1", 1, address).await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("an id");
    let (_, pay_url, _) = start_payment(app, &token, id).await;
    app.sandbox
        .set_faults(daihuo_payment::FaultConfig {
            delay_ms: 4_000,
            ..Default::default()
        })
        .expect("set the fault");
    pay(app, &pay_url).await;
    // Only the payment's notification is late; a refund's comes at once.
    app.sandbox
        .set_faults(daihuo_payment::FaultConfig::default())
        .expect("clear the faults");
    wait_for_order(app, &token, id, "cancelled").await;
    (sale, token, id)
}

/// A payment arriving after the reservation was released re-claims the unit while nobody
/// else has it: the order is paid and the sale counts it sold.
async fn case_late_payment_reclaims_the_unit(app: &TestApp) {
    let (sale, token, id) = pay_late(app, "late").await;
    assert_eq!(sale_counts(app, sale).await, (0, 1), "released");
    wait_for_order(app, &token, id, "routed").await;
    assert_eq!(sale_counts(app, sale).await, (1, 0));
}

/// A payment arriving after the released unit was sold to someone else is refunded: the
/// order goes refund_pending, the gateway refunds, and the order ends refunded; the other
/// buyer keeps the unit.
async fn case_late_payment_without_a_unit_is_refunded(app: &TestApp) {
    let (second, second_address) = buyer(app, "refund-second").await;
    let (sale, token, id) = pay_late(app, "refund").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let mut n = 0;
    let other = loop {
        n += 1;
        let (status, body, _) =
            buy_flash(app, sale, &second, &format!("r-{n}"), 1, second_address).await;
        if status == 201 {
            break body["id"].as_i64().expect("an id");
        }
        assert_eq!(code(&body), "sold_out");
        assert!(
            std::time::Instant::now() < deadline,
            "the unit never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The second buyer pays at once (its reservation lasts a second too).
    let (_, pay_url, _) = start_payment(app, &second, other).await;
    pay(app, &pay_url).await;
    wait_for_order(app, &second, other, "routed").await;
    wait_for_order(app, &token, id, "refunded").await;
    assert_eq!(sale_counts(app, sale).await, (1, 0));
}

/// An ordinary purchase is paid the same way; a payment the gateway fails leaves the order
/// reserved, and asking again starts a new payment that can succeed.
async fn case_failed_payment_then_paid(app: &TestApp) {
    let room = room(app, "plainpay", 3, None).await;
    let (token, address) = buyer(app, "plainpay-buyer").await;
    let (status, order, _) = purchase(
        app,
        "/api/orders",
        &token,
        "pp-1",
        &json!({"sku_id": room.sku, "quantity": 1, "address_id": address,
            "session_id": room.session}),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("an id");
    let (first, pay_url, _) = start_payment(app, &token, id).await;
    app.sandbox
        .set_faults(daihuo_payment::FaultConfig {
            fail_next_payments: 1,
            ..Default::default()
        })
        .expect("set the fault");
    pay(app, &pay_url).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let (second, pay_url) = loop {
        let (payment, pay_url, _) = start_payment(app, &token, id).await;
        if payment != first {
            break (payment, pay_url);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the failure never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(second > first);
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &token)
            .await
            .expect(200)["status"],
        "reserved"
    );
    pay(app, &pay_url).await;
    wait_for_order(app, &token, id, "routed").await;
}

/// A viewer in the room sees the sale go from countdown to started, the stock left after a
/// buy (which the buyer then pays through the sandbox gateway), the orders ticker with the
/// buyer's city, and sold out; a viewer who joins later gets the sold-out sale in the
/// snapshot.
async fn case_room_sees_the_sale(app: &TestApp) {
    let room = room(app, "roomsale", 5, None).await;
    let mut viewer = connect(app, room.session, None, "").await;
    let snapshot = frame(&mut viewer).await;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
    assert_eq!(snapshot["state"]["flash_sale"], Value::Null);
    // Opens in two seconds: inside the countdown from the start.
    let sale = open_sale(
        app,
        &room,
        json!({"quantity": 2, "starts_at_ms": now_ms() + 2_000}),
    )
    .await;
    let is_sale = |stage: &'static str| {
        move |frame: &Value| {
            is_event("flash_sale")(frame) && frame["event"]["sale"]["stage"] == stage
        }
    };
    let counting = until(&mut viewer, is_sale("counting_down")).await;
    assert_eq!(counting["event"]["sale"]["id"], sale);
    assert_eq!(counting["event"]["sale"]["remaining"], 2);
    let started = until(&mut viewer, is_sale("started")).await;
    assert_eq!(started["event"]["sale"]["phase"], "running", "{started}");

    let (first, first_address) = buyer(app, "roomsale-first").await;
    let (status, order, _) = buy_flash(app, sale, &first, "rs-1", 1, first_address).await;
    assert_eq!(status, 201, "{order}");
    let stock = until(&mut viewer, is_sale("stock_left")).await;
    assert_eq!(stock["event"]["sale"]["remaining"], 1, "{stock}");
    let ticker = until(&mut viewer, is_event("order")).await;
    assert_eq!(ticker["event"]["city"], "杭州市", "the city only: {ticker}");
    assert_eq!(ticker["event"]["title"], "格力 空调 roomsale-ac");
    // The buyer pays on the sandbox gateway's page, as from the room's buy sheet.
    let id = order["id"].as_i64().expect("an order id");
    let (_, pay_url, _) = start_payment(app, &first, id).await;
    pay(app, &pay_url).await;
    wait_for_order(app, &first, id, "routed").await;

    let (second, second_address) = buyer(app, "roomsale-second").await;
    let (status, order, _) = buy_flash(app, sale, &second, "rs-2", 1, second_address).await;
    assert_eq!(status, 201, "{order}");
    let sold_out = until(&mut viewer, is_sale("sold_out")).await;
    assert_eq!(sold_out["event"]["sale"]["remaining"], 0, "{sold_out}");

    let mut late = connect(app, room.session, None, "").await;
    let snapshot = frame(&mut late).await;
    let shown = &snapshot["state"]["flash_sale"];
    assert_eq!(
        (
            shown["id"].as_i64(),
            shown["stage"].as_str(),
            shown["remaining"].as_i64()
        ),
        (Some(sale), Some("sold_out"), Some(0)),
        "{snapshot}"
    );
}

crate::store_case!(
    case_flash_sale_rules,
    sqlite_flash_sale_rules,
    postgres_flash_sale_rules
);
crate::store_case!(
    case_flash_buy_and_idempotency,
    sqlite_flash_buy_and_idempotency,
    postgres_flash_buy_and_idempotency
);
crate::store_case!(
    case_no_oversell_under_a_burst,
    sqlite_no_oversell_under_a_burst,
    postgres_no_oversell_under_a_burst
);
crate::store_case!(
    case_concurrent_duplicates,
    sqlite_concurrent_duplicates,
    postgres_concurrent_duplicates
);
crate::store_case!(
    case_unpaid_units_are_sold_again,
    sqlite_unpaid_units_are_sold_again,
    postgres_unpaid_units_are_sold_again
);
crate::store_case!(
    case_subsidy_budget_is_never_overspent,
    sqlite_subsidy_budget_is_never_overspent,
    postgres_subsidy_budget_is_never_overspent
);
crate::store_case!(
    case_ordinary_purchase,
    sqlite_ordinary_purchase,
    postgres_ordinary_purchase
);
crate::store_case!(
    case_pay_through_sandbox,
    sqlite_pay_through_sandbox,
    postgres_pay_through_sandbox
);
crate::store_case!(
    case_tampered_and_replayed_notifications,
    sqlite_tampered_and_replayed_notifications,
    postgres_tampered_and_replayed_notifications
);
crate::store_case!(
    case_duplicated_notification_applies_once,
    sqlite_duplicated_notification_applies_once,
    postgres_duplicated_notification_applies_once
);
crate::store_case!(
    case_late_payment_reclaims_the_unit,
    sqlite_late_payment_reclaims_the_unit,
    postgres_late_payment_reclaims_the_unit
);
crate::store_case!(
    case_late_payment_without_a_unit_is_refunded,
    sqlite_late_payment_without_a_unit_is_refunded,
    postgres_late_payment_without_a_unit_is_refunded
);
crate::store_case!(
    case_failed_payment_then_paid,
    sqlite_failed_payment_then_paid,
    postgres_failed_payment_then_paid
);
crate::store_case!(
    case_room_sees_the_sale,
    sqlite_room_sees_the_sale,
    postgres_room_sees_the_sale
);
