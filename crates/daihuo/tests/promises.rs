//! Shipping promises and late-shipment compensation, over real HTTP on both stores.
//!
//! A paid order is promised to ship within 48 hours unless its supplier, the campaign it was
//! bought in, or its pre-sale SKU says otherwise; the promise is on the order and in the
//! `order.routed` webhook. A supplier that ships after the promise, or has not shipped when
//! the sweeper comes by, costs itself 30% of what the buyer paid (at most ¥500): the ledger
//! charges the supplier, the sandbox gateway sends the money back as a partial refund, the
//! supplier is told by an `order.late` webhook and its record counts the late order. Once
//! per order, whatever happens twice.
//!
//! The test configuration lets a supplier promise to ship within a fraction of a second and
//! has the sweeper wait 3 s past a promise, so deadlines really pass.

mod common;

use common::supplier::*;
use common::{now_ms, TestApp};
use daihuo_payment::PaymentGateway;
use reqwest::Method;
use serde_json::{json, Value};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The sweeper's grace in the test configuration.
const SWEEP_GRACE_MS: i64 = 3_000;

/// An order bought and paid through the sandbox.
struct Paid {
    /// The order.
    id: i64,
    /// The gateway's id of its payment, to ask the gateway what was refunded.
    gateway_payment_id: String,
}

/// Buys with `body` (an `anchor_id` or a `session_id`, the SKU and quantity; the address is
/// added), pays on the sandbox's pay page and waits until the payment is applied.
async fn purchase(app: &TestApp, buyer: &(String, i64), mut body: Value) -> Paid {
    let (token, address) = buyer;
    body["address_id"] = json!(address);
    let response = app
        .client
        .request(Method::POST, format!("{}/api/orders", app.base_url))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("p-{}", rand_suffix()))
        .json(&body)
        .send()
        .await
        .expect("send the purchase");
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.expect("an order");
    let id = order["id"].as_i64().expect("an order id");
    let payment = app
        .post_empty(&format!("/api/orders/{id}/payments"), token)
        .await
        .expect(200);
    let pay_url = payment["pay_url"].as_str().expect("a pay URL").to_owned();
    let gateway_payment_id = pay_url
        .rsplit('/')
        .next()
        .expect("the pay URL ends with the payment id")
        .to_owned();
    let paid = app
        .client
        .post(&pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status().as_u16(), 200);
    wait_until("the order is routed", || async move {
        order_status(app, token, id).await == "routed"
    })
    .await;
    Paid {
        id,
        gateway_payment_id,
    }
}

/// Buys one unit from the shop's anchor's shelf.
async fn from_shelf(app: &TestApp, shop: &Shop, buyer: &(String, i64)) -> Paid {
    purchase(
        app,
        buyer,
        json!({"sku_id": shop.sku, "quantity": 1, "anchor_id": shop.anchor_id}),
    )
    .await
}

/// The order as its buyer sees it.
async fn order(app: &TestApp, buyer: &(String, i64), id: i64) -> Value {
    app.get(&format!("/api/orders/{id}"), &buyer.0)
        .await
        .expect(200)
}

/// How long after payment the order is promised to ship.
async fn promised_within(app: &TestApp, buyer: &(String, i64), id: i64) -> i64 {
    let order = order(app, buyer, id).await;
    let ship_by = order["ship_by_ms"].as_i64().expect("a promise");
    let paid_at = order["paid_at_ms"].as_i64().expect("paid");
    ship_by - paid_at
}

async fn set_supplier_window(app: &TestApp, shop: &Shop, window: Value) -> Value {
    app.put(
        "/api/supplier/ship-window",
        &shop.supplier,
        &json!({ "ship_within_ms": window }),
    )
    .await
    .expect(200)
}

async fn ship(app: &TestApp, shop: &Shop, id: i64) -> Value {
    app.post(
        &format!("/api/supplier/orders/{id}/shipments"),
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect(200)
}

/// What a late order owes: 30% of what the buyer paid, rounded half up, at most ¥500.
fn owed(order: &Value) -> i64 {
    let buyer_pays = order["split"]["buyer_pays"].as_i64().expect("buyer pays");
    ((buyer_pays * 3_000 + 5_000) / 10_000).min(50_000)
}

/// The `order.late` events the simulated supplier took in for `id`, duplicates included.
fn late_events(sim: &Simulator, id: i64) -> Vec<Value> {
    sim.received()
        .into_iter()
        .filter(|e| e["kind"] == "order.late" && e["data"]["order_id"] == id)
        .collect()
}

/// Waits until the gateway confirmed the compensation and the ledger posted it as sent.
async fn wait_compensation_sent(app: &TestApp) {
    wait_until("the compensation is confirmed sent", || async move {
        let rows = balances(app).await;
        balance(&rows, "compensation_owed") == 0 && balance(&rows, "buyer_payments") > 0
    })
    .await;
}

/// What the gateway has refunded of a payment.
async fn refunded_at_gateway(app: &TestApp, paid: &Paid) -> i64 {
    app.sandbox
        .payment(&paid.gateway_payment_id)
        .await
        .expect("the gateway knows the payment")
        .refunded_fen
}

/// With nothing set, an order is promised to ship within 48 hours of payment: on the order
/// for its buyer, and in the `order.routed` webhook.
async fn case_default_promise_is_48_hours(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "default", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "default-hz", "330106").await;
    let paid = from_shelf(app, &shop, &hangzhou).await;
    let view = order(app, &hangzhou, paid.id).await;
    assert_eq!(promised_within(app, &hangzhou, paid.id).await, 48 * HOUR_MS);
    assert!(view["late_at_ms"].is_null(), "{view}");
    let id = paid.id;
    wait_until("the routed event is delivered", || async move {
        sim.unique().contains(&format!("order.routed-{id}"))
    })
    .await;
    let routed = sim
        .received()
        .into_iter()
        .find(|e| e["kind"] == "order.routed")
        .expect("the routed event");
    assert_eq!(routed["data"]["ship_by_ms"], view["ship_by_ms"], "{routed}");
    let record = app
        .get("/api/supplier/late-shipments", &shop.supplier)
        .await
        .expect(200);
    assert_eq!(
        (&record["routed_orders"], &record["late_orders"]),
        (&json!(1), &json!(0)),
        "{record}"
    );
    assert!(record["ship_within_ms"].is_null(), "{record}");
}

/// The supplier's window, a campaign's window and a pre-sale date each change the promise.
/// A campaign wins over the supplier; a pre-sale date applies on top when it is later than
/// payment plus the window. Orders keep the promise they were routed with.
async fn case_windows_and_presale_dates(app: &TestApp) {
    let shop = shop(app, "windows", 20, 0).await;
    let hangzhou = buyer(app, "windows-hz", "330106").await;

    // The supplier's own window.
    let set = set_supplier_window(app, &shop, json!(DAY_MS)).await;
    assert_eq!(set["ship_within_ms"], DAY_MS, "{set}");
    assert_eq!(set["default_ms"], 48 * HOUR_MS, "{set}");
    let supplier_order = from_shelf(app, &shop, &hangzhou).await;
    assert_eq!(
        promised_within(app, &hangzhou, supplier_order.id).await,
        DAY_MS
    );

    // A campaign's window wins over the supplier's, for orders bought in its sessions.
    let operator = app.operator().await;
    let campaign = app
        .post(
            "/api/campaigns",
            &operator,
            &json!({"name": "超级品牌日", "starts_at_ms": now_ms(),
                "ends_at_ms": now_ms() + DAY_MS}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("a campaign id");
    let set = app
        .put(
            &format!("/api/campaigns/{campaign}/ship-window"),
            &operator,
            &json!({"ship_within_ms": 3 * DAY_MS}),
        )
        .await
        .expect(200);
    assert_eq!(set["ship_within_ms"], 3 * DAY_MS, "{set}");
    let anchor = app.sign_in("windows-anchor", common::PASSWORD).await;
    let session = app
        .post(
            "/api/live-sessions",
            &anchor,
            &json!({"title": "格力超级品牌日", "starts_at_ms": now_ms() + 60_000,
                "campaign_id": campaign,
                "items": [{"sku_id": shop.sku, "live_price_fen": 899_900}]}),
        )
        .await
        .expect(201)["session"]["id"]
        .as_i64()
        .expect("a session id");
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);
    let in_session = json!({"sku_id": shop.sku, "quantity": 1, "session_id": session});
    let campaign_order = purchase(app, &hangzhou, in_session.clone()).await;
    assert_eq!(
        promised_within(app, &hangzhou, campaign_order.id).await,
        3 * DAY_MS
    );

    // A pre-sale date later than payment plus the window is the promise, in or out of the
    // campaign.
    let presale_path = format!("/api/supplier/skus/{}/presale", shop.sku);
    let date = now_ms() + 10 * DAY_MS;
    let set = app
        .put(&presale_path, &shop.supplier, &json!({"ship_by_ms": date}))
        .await
        .expect(200);
    assert_eq!(set["ship_by_ms"], date, "{set}");
    let presale_order = from_shelf(app, &shop, &hangzhou).await;
    let view = order(app, &hangzhou, presale_order.id).await;
    assert_eq!(view["ship_by_ms"], date, "{view}");
    let presale_in_campaign = purchase(app, &hangzhou, in_session.clone()).await;
    let view = order(app, &hangzhou, presale_in_campaign.id).await;
    assert_eq!(view["ship_by_ms"], date, "{view}");

    // An earlier pre-sale date never shortens the window.
    app.put(
        &presale_path,
        &shop.supplier,
        &json!({"ship_by_ms": now_ms() + 2 * HOUR_MS}),
    )
    .await
    .expect(200);
    let early = from_shelf(app, &shop, &hangzhou).await;
    assert_eq!(promised_within(app, &hangzhou, early.id).await, DAY_MS);

    // Cleared, everything is back to 48 hours; routed orders keep their promise.
    app.put(&presale_path, &shop.supplier, &json!({"ship_by_ms": null}))
        .await
        .expect(200);
    let cleared = set_supplier_window(app, &shop, Value::Null).await;
    assert!(cleared["ship_within_ms"].is_null(), "{cleared}");
    let plain = from_shelf(app, &shop, &hangzhou).await;
    assert_eq!(
        promised_within(app, &hangzhou, plain.id).await,
        48 * HOUR_MS
    );
    assert_eq!(
        promised_within(app, &hangzhou, supplier_order.id).await,
        DAY_MS
    );
    let record = app
        .get("/api/supplier/late-shipments", &shop.supplier)
        .await
        .expect(200);
    assert_eq!(record["routed_orders"], 6, "{record}");
    assert_eq!(record["skus"][0]["routed_orders"], 6, "{record}");
    assert_eq!(record["skus"][0]["sku_code"], shop.code, "{record}");
}

/// Windows and pre-sale dates out of range are refused with their codes; only the right
/// people may set them.
async fn case_bad_settings_are_refused(app: &TestApp) {
    let shop = shop(app, "bad", 1, 0).await;
    let other = app.supplier("别家", "bad-other").await;
    let viewer = app.account("bad-viewer", "viewer").await;
    let operator = app.operator().await;
    for window in [json!(0), json!(-HOUR_MS), json!(16 * DAY_MS), json!(50)] {
        app.put(
            "/api/supplier/ship-window",
            &shop.supplier,
            &json!({ "ship_within_ms": window }),
        )
        .await
        .expect_error(422, "invalid_ship_window");
    }
    app.put(
        "/api/supplier/ship-window",
        &viewer,
        &json!({"ship_within_ms": DAY_MS}),
    )
    .await
    .expect_error(403, "forbidden");
    app.put(
        "/api/supplier/ship-window",
        &shop.supplier,
        &json!({"ship_within_ms": "soon"}),
    )
    .await
    .expect_error(422, "invalid_body");

    let campaign = app
        .post(
            "/api/campaigns",
            &operator,
            &json!({"name": "双十一", "starts_at_ms": now_ms(), "ends_at_ms": now_ms() + DAY_MS}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("a campaign id");
    let campaign_path = format!("/api/campaigns/{campaign}/ship-window");
    app.put(&campaign_path, &operator, &json!({"ship_within_ms": 0}))
        .await
        .expect_error(422, "invalid_ship_window");
    app.put(
        &campaign_path,
        &shop.supplier,
        &json!({"ship_within_ms": DAY_MS}),
    )
    .await
    .expect_error(403, "forbidden");
    app.put(
        "/api/campaigns/999999/ship-window",
        &operator,
        &json!({"ship_within_ms": DAY_MS}),
    )
    .await
    .expect_error(404, "not_found");

    let presale_path = format!("/api/supplier/skus/{}/presale", shop.sku);
    for date in [now_ms() - 1_000, now_ms() + 61 * DAY_MS] {
        app.put(
            &presale_path,
            &shop.supplier,
            &json!({ "ship_by_ms": date }),
        )
        .await
        .expect_error(422, "invalid_presale_date");
    }
    app.put(
        &presale_path,
        &other,
        &json!({"ship_by_ms": now_ms() + DAY_MS}),
    )
    .await
    .expect_error(404, "not_found");
    app.get("/api/supplier/late-shipments", &viewer)
        .await
        .expect_error(403, "forbidden");
}

/// A supplier that ships after its short promise compensates the buyer 30% (at most ¥500),
/// once: shipping again and sweeping twice change nothing. The gateway sends the money as a
/// partial refund, the ledger charges the supplier and ends with nothing owed, the supplier
/// is told, the order stays shipped and the record counts it.
async fn case_late_shipment_compensates_once(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "late", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    set_supplier_window(app, &shop, json!(300)).await;
    let hangzhou = buyer(app, "late-hz", "330106").await;
    let paid = from_shelf(app, &shop, &hangzhou).await;
    let view = order(app, &hangzhou, paid.id).await;
    let ship_by = view["ship_by_ms"].as_i64().expect("a promise");
    assert_eq!(ship_by - view["paid_at_ms"].as_i64().expect("paid"), 300);
    let buyer_pays = view["split"]["buyer_pays"].as_i64().expect("buyer pays");
    let supplier_share = view["split"]["supplier"].as_i64().expect("supplier share");
    let commission = view["split"]["commission"].as_i64().expect("commission");
    let compensation = owed(&view);
    assert_eq!(compensation, 50_000, "¥8,999 × 30% is capped at ¥500");

    wait_until(
        "the promise has passed",
        || async move { now_ms() > ship_by },
    )
    .await;
    let shipped = ship(app, &shop, paid.id).await;
    assert_eq!(shipped["status"], "shipped", "{shipped}");
    // Again: a replay of the same waybill. And two sweeps.
    ship(app, &shop, paid.id).await;
    app.services.sweep_checkout().await.expect("sweep");
    app.services.sweep_checkout().await.expect("sweep");

    let view = order(app, &hangzhou, paid.id).await;
    assert_eq!(view["status"], "shipped", "late does not cancel: {view}");
    assert_eq!(view["late_compensation_fen"], compensation, "{view}");
    let late_at = view["late_at_ms"].as_i64().expect("found late");
    assert!(late_at > ship_by, "{view}");

    wait_compensation_sent(app).await;
    assert_eq!(refunded_at_gateway(app, &paid).await, compensation);
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "compensation_owed"), 0, "{rows:?}");
    assert_eq!(balance(&rows, "refunds_owed"), 0, "{rows:?}");
    assert_eq!(
        balance(&rows, "buyer_payments"),
        buyer_pays - compensation,
        "{rows:?}"
    );
    // The supplier pays; the anchor's commission is untouched.
    assert_eq!(
        balance(&rows, "supplier_pending"),
        -(supplier_share - compensation),
        "{rows:?}"
    );
    assert_eq!(
        balance(&rows, "commission_pending"),
        -commission,
        "{rows:?}"
    );

    let id = paid.id;
    wait_until("the supplier is told", || async move {
        !late_events(sim, id).is_empty()
    })
    .await;
    let event = &late_events(sim, id)[0];
    assert_eq!(event["data"]["compensation_fen"], compensation, "{event}");
    assert_eq!(event["data"]["ship_by_ms"], ship_by, "{event}");
    assert!(event["data"]["shipped_at_ms"].is_i64(), "{event}");
    assert_eq!(sim.bad_signatures(), 0);

    // Sweeping again after all that still compensates once.
    app.services.sweep_checkout().await.expect("sweep");
    assert_eq!(refunded_at_gateway(app, &paid).await, compensation);
    let record = app
        .get("/api/supplier/late-shipments", &shop.supplier)
        .await
        .expect(200);
    assert_eq!(record["routed_orders"], 1, "{record}");
    assert_eq!(record["late_orders"], 1, "{record}");
    assert_eq!(record["compensation_fen"], compensation, "{record}");
    assert_eq!(record["skus"][0]["late_orders"], 1, "{record}");
    let store = app.services.store.pool();
    let sku = daihuo_store::promises::late_shipments(
        store,
        daihuo_store::promises::LateScope::Sku(daihuo_domain::SkuId(shop.sku)),
    )
    .await
    .expect("the SKU's record");
    assert_eq!((sku.routed_orders, sku.late_orders), (1, 1));
}

/// An order nobody ships is found by the sweeper once its promise (and the grace) passed:
/// compensated, still routed, and a shipment after that compensates nothing more.
async fn case_unshipped_order_is_compensated_by_the_sweeper(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "unshipped", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    set_supplier_window(app, &shop, json!(200)).await;
    let hangzhou = buyer(app, "unshipped-hz", "330106").await;
    let paid = from_shelf(app, &shop, &hangzhou).await;
    let view = order(app, &hangzhou, paid.id).await;
    let ship_by = view["ship_by_ms"].as_i64().expect("a promise");
    let compensation = owed(&view);
    let (id, buyer) = (paid.id, &hangzhou);
    wait_until("the sweeper finds the order late", || async move {
        order(app, buyer, id).await["late_at_ms"].is_i64()
    })
    .await;
    let view = order(app, &hangzhou, paid.id).await;
    assert_eq!(view["status"], "routed", "{view}");
    assert!(
        view["late_at_ms"].as_i64().expect("late") >= ship_by + SWEEP_GRACE_MS,
        "{view}"
    );
    assert_eq!(view["late_compensation_fen"], compensation, "{view}");
    wait_compensation_sent(app).await;
    assert_eq!(refunded_at_gateway(app, &paid).await, compensation);

    wait_until("the supplier is told", || async move {
        !late_events(sim, id).is_empty()
    })
    .await;
    assert!(late_events(sim, id)[0]["data"]["shipped_at_ms"].is_null());

    // Shipping it now is late too, but it was compensated already.
    ship(app, &shop, paid.id).await;
    app.services.sweep_checkout().await.expect("sweep");
    let after = order(app, &hangzhou, paid.id).await;
    assert_eq!(after["late_at_ms"], view["late_at_ms"], "{after}");
    assert_eq!(refunded_at_gateway(app, &paid).await, compensation);
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "compensation_owed"), 0, "{rows:?}");
    let record = app
        .get("/api/supplier/late-shipments", &shop.supplier)
        .await
        .expect(200);
    assert_eq!(record["late_orders"], 1, "{record}");
}

/// A shipment within the promise compensates nothing and counts as on time.
async fn case_on_time_shipment_compensates_nothing(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "ontime", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "ontime-hz", "330106").await;
    let paid = from_shelf(app, &shop, &hangzhou).await;
    ship(app, &shop, paid.id).await;
    app.services.sweep_checkout().await.expect("sweep");
    let view = order(app, &hangzhou, paid.id).await;
    assert_eq!(view["status"], "shipped", "{view}");
    assert!(view["late_at_ms"].is_null(), "{view}");
    assert!(view["late_compensation_fen"].is_null(), "{view}");
    assert_eq!(refunded_at_gateway(app, &paid).await, 0);
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "compensation_owed"), 0, "{rows:?}");
    let id = paid.id;
    wait_until("the routed event is delivered", || async move {
        sim.unique().contains(&format!("order.routed-{id}"))
    })
    .await;
    assert!(late_events(sim, id).is_empty());
    let record = app
        .get("/api/supplier/late-shipments", &shop.supplier)
        .await
        .expect(200);
    assert_eq!(
        (&record["routed_orders"], &record["late_orders"]),
        (&json!(1), &json!(0)),
        "{record}"
    );
}

store_case!(
    case_default_promise_is_48_hours,
    sqlite_default_promise_is_48_hours,
    postgres_default_promise_is_48_hours
);
store_case!(
    case_windows_and_presale_dates,
    sqlite_windows_and_presale_dates,
    postgres_windows_and_presale_dates
);
store_case!(
    case_bad_settings_are_refused,
    sqlite_bad_settings_are_refused,
    postgres_bad_settings_are_refused
);
store_case!(
    case_late_shipment_compensates_once,
    sqlite_late_shipment_compensates_once,
    postgres_late_shipment_compensates_once
);
store_case!(
    case_unshipped_order_is_compensated_by_the_sweeper,
    sqlite_unshipped_order_is_compensated_by_the_sweeper,
    postgres_unshipped_order_is_compensated_by_the_sweeper
);
store_case!(
    case_on_time_shipment_compensates_nothing,
    sqlite_on_time_shipment_compensates_nothing,
    postgres_on_time_shipment_compensates_nothing
);
