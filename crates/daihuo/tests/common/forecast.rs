//! A world with a selling history, for the forecast and replenishment tests: a supplier with
//! warehouses in 上海 and 广州, an anchor who has sold one of its SKUs in six past sessions
//! (deeper discounts selling more) to buyers in 广州, and a second SKU of the same category
//! that has never sold. Every past session is real: scheduled, taken live, bought in and paid
//! through the sandbox, ended.

use super::supplier::{buy_and_pay_at, set_stock};
use super::{now_ms, with, TestApp};
use daihuo_domain::LiveSessionId;
use serde_json::{json, Value};

/// Viewers every past session is credited with (the room hub would count them).
pub const PAST_VIEWERS: i64 = 1_000;
/// The pool price of the world's SKUs, fen (¥100).
pub const POOL_FEN: i64 = 10_000;
/// Past sessions: (live price in fen, units sold). At the pool price about 10 sell; at 30%
/// off about 30.
pub const PAST_SALES: [(i64, i64); 6] = [
    (10_000, 10),
    (7_000, 30),
    (10_000, 12),
    (7_000, 28),
    (10_000, 9),
    (7_000, 31),
];

/// The world's parties and SKUs.
pub struct World {
    /// The supplier staff's session token.
    pub supplier: String,
    /// The anchor with the history.
    pub anchor: String,
    /// Its user id.
    pub anchor_id: i64,
    /// The SKU it sold, and its code.
    pub sku: i64,
    /// See [`World::sku`].
    pub code: String,
    /// A SKU of the same category that never sold (on the anchor's shelf).
    pub new_sku: i64,
    /// A buyer in 广州 天河区: (token, address id).
    pub buyer: (String, i64),
}

/// A SKU of the supplier's, an air conditioner priced so that live prices may go down to
/// 60% of the pool price.
pub fn wide_sku(code: &str, title: &str) -> Value {
    with(
        super::sku(code, title),
        json!({
            "supply_price_fen": 4_000,
            "pool_price_fen": POOL_FEN,
            "floor_price_fen": 6_000,
            "retail_price_fen": 15_000,
        }),
    )
}

/// Makes SKU `code` from `body`, approved and on `anchor`'s shelf; returns its id.
pub async fn shelved(app: &TestApp, supplier: &str, anchor: &str, body: Value) -> i64 {
    let id = app.create_sku(supplier, body).await;
    let operator = app.operator().await;
    app.approve(&operator, id).await;
    app.put(&format!("/api/anchor/shelf/{id}"), anchor, &json!({}))
        .await
        .expect(200);
    id
}

/// The supplier `name` with warehouses SH (上海 黄浦区) and GZ (广州 天河区); returns its
/// staff's token.
pub async fn south_supplier(app: &TestApp, name: &str) -> String {
    let supplier = app
        .supplier(&format!("{name}供应商"), &format!("{name}-supply"))
        .await;
    for (code, warehouse, county) in [("SH", "上海仓", "310101"), ("GZ", "广州仓", "440106")]
    {
        app.put(
            "/api/supplier/warehouses",
            &supplier,
            &json!({"code": code, "name": warehouse, "county_code": county}),
        )
        .await
        .expect(200);
    }
    supplier
}

/// A viewer with an address in `county`.
pub async fn buyer_in(app: &TestApp, name: &str, county: &str) -> (String, i64) {
    super::supplier::buyer(app, name, county).await
}

/// Schedules a session of `anchor` starting `ahead_ms` from now, selling `items` as
/// (SKU id, live price fen); returns its id.
pub async fn schedule(app: &TestApp, anchor: &str, ahead_ms: i64, items: &[(i64, i64)]) -> i64 {
    let items: Vec<Value> = items
        .iter()
        .map(|(sku, price)| json!({"sku_id": sku, "live_price_fen": price}))
        .collect();
    app.post(
        "/api/live-sessions",
        anchor,
        &json!({"title": "今晚专场", "starts_at_ms": now_ms() + ahead_ms, "items": items}),
    )
    .await
    .expect(201)["session"]["id"]
        .as_i64()
        .expect("a session id")
}

/// Buys `quantity` of `sku` in live session `session` and pays; waits until the payment
/// is applied.
pub async fn buy_in_session(
    app: &TestApp,
    buyer: &(String, i64),
    session: i64,
    sku: i64,
    quantity: i64,
) {
    let body = json!({"sku_id": sku, "quantity": quantity, "address_id": buyer.1,
        "session_id": session});
    buy_and_pay_at(app, buyer, "/api/orders", body).await;
}

/// One past session of `anchor`: scheduled, live, `viewers` counted, `units` of `sku`
/// bought by `buyer` at `price`, ended.
pub async fn past_session(
    app: &TestApp,
    anchor: &str,
    buyer: &(String, i64),
    sku: i64,
    price: i64,
    units: i64,
    viewers: i64,
) {
    let id = schedule(app, anchor, 60_000, &[(sku, price)]).await;
    app.post_empty(&format!("/api/live-sessions/{id}/live"), anchor)
        .await
        .expect(200);
    // The room hub counts viewers as they join; a test credits them directly.
    app.services
        .add_session_counters(LiveSessionId(id), 0, 0, viewers, viewers / 3)
        .await
        .expect("count the viewers");
    if units > 0 {
        buy_in_session(app, buyer, id, sku, units).await;
    }
    app.post_empty(&format!("/api/live-sessions/{id}/end"), anchor)
        .await
        .expect(200);
}

/// The world `name`: see the module's description. SH holds 1,000 units of the sold SKU
/// and GZ none; the new SKU has 100 at SH.
pub async fn world(app: &TestApp, name: &str) -> World {
    let supplier = south_supplier(app, name).await;
    let anchor = app.account(&format!("{name}-anchor"), "anchor").await;
    let code = format!("{name}-AC");
    let sku = shelved(
        app,
        &supplier,
        &anchor,
        wide_sku(&code, "格力 变频空调 1.5匹"),
    )
    .await;
    let new_code = format!("{name}-AC2");
    let new_sku = shelved(
        app,
        &supplier,
        &anchor,
        wide_sku(&new_code, "格力 变频空调 2匹 新款"),
    )
    .await;
    set_stock(app, &supplier, &code, "SH", 1_000, 1).await;
    set_stock(app, &supplier, &new_code, "SH", 100, 1).await;
    let buyer = buyer_in(app, &format!("{name}-buyer"), "440106").await;
    for (price, units) in PAST_SALES {
        past_session(app, &anchor, &buyer, sku, price, units, PAST_VIEWERS).await;
    }
    World {
        anchor_id: app.user_id(&anchor).await,
        supplier,
        anchor,
        sku,
        code,
        new_sku,
        buyer,
    }
}

/// The forecast item of `sku` in a forecast body.
pub fn item_of(forecast: &Value, sku: i64) -> Value {
    forecast["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["sku_id"] == sku)
        .unwrap_or_else(|| panic!("SKU {sku} in {forecast}"))
        .clone()
}
