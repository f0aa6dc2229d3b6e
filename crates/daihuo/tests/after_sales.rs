//! After-sales (售后), over real HTTP on both stores, against a simulated supplier that checks
//! every webhook's signature: a no-reason return of some units refunds them pro rata with the
//! commission reversed to the fen; a refund before shipment gives the warehouse its units
//! back and tells the supplier not to ship; the supplier's silence approves after its
//! deadline; a rejection is disputed and overturned by an operator; bad evidence, closed
//! windows and a second open request are refused with their codes; and the supplier gets an
//! event for every step, once each after deduplication by event id.

mod common;

use common::supplier::*;
use common::{now_ms, StoreKind, TestApp};
use serde_json::{json, Value};
use std::collections::HashSet;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The pool price of the test SKU (common::sku), and its 10% commission and 5% fee.
const PRICE: i64 = 899_900;
const COMMISSION: i64 = 89_990;
const FEE: i64 = 44_995;

fn requests_of(order: i64) -> String {
    format!("/api/orders/{order}/after-sales")
}

fn request_id(view: &Value) -> i64 {
    view["id"].as_i64().expect("an after-sales id")
}

/// Waits until the buyer sees the request's refund confirmed by the gateway.
async fn wait_refund_sent(app: &TestApp, token: &str, order: i64, id: i64) {
    let path = requests_of(order);
    let path = &path;
    wait_until("the gateway confirms the refund", || async move {
        let list = app.get(path, token).await.expect(200);
        list.as_array()
            .expect("requests")
            .iter()
            .any(|r| r["id"] == id && r["refund_status"] == "succeeded")
    })
    .await;
}

/// Waits until the supplier has every one of `steps` of request `id` (and `others`), then
/// checks that it got no other step of it: deduplicated by event id, each step arrived
/// exactly once.
async fn expect_events(sim: &Simulator, id: i64, steps: &[&str], others: &[String]) {
    let mut wanted: HashSet<String> = steps
        .iter()
        .map(|step| format!("after_sales.{step}-{id}"))
        .collect();
    wanted.extend(others.iter().cloned());
    let wanted = &wanted;
    wait_until("the supplier has every after-sales event", || async move {
        wanted.is_subset(&sim.unique())
    })
    .await;
    assert_eq!(sim.bad_signatures(), 0);
    let of_request: HashSet<String> = sim
        .received()
        .iter()
        .filter(|e| {
            e["data"]["id"] == id
                && e["kind"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("after_sales."))
        })
        .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
        .collect();
    let expected: HashSet<String> = steps
        .iter()
        .map(|step| format!("after_sales.{step}-{id}"))
        .collect();
    assert_eq!(of_request, expected);
    for event in sim.received() {
        if event["data"]["id"] == id {
            let step = event["kind"].as_str().unwrap_or("");
            assert_eq!(event["event_id"], format!("{step}-{id}"), "{event}");
            assert!(event["data"]["order_no"].is_string(), "{event}");
        }
    }
}

/// The stock of `sku` the supplier's warehouses have promised to routed orders.
async fn reserved(app: &TestApp, sku: i64) -> i64 {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) AS reserved FROM stock \
         WHERE sku_id = $1",
    )
    .bind(sku)
    .fetch_one(app.services.store.pool())
    .await
    .expect("read the stock");
    sqlx::Row::try_get(&row, "reserved").expect("a sum")
}

/// A no-reason return of one of two units: approved, sent back with a checked waybill,
/// received, refunded half; the commission, fee and supplier's share are reversed pro rata
/// and the ledger balances to the fen.
async fn case_no_reason_return_of_one_unit(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "ret", 5, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "ret-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &buyer, 2).await;
    let token = &buyer.0;
    ship_and_deliver(app, &shop, order, now_ms() - HOUR_MS).await;

    let path = requests_of(order);
    app.post(
        &path,
        token,
        &json!({"kind": "no_reason_return", "units": 3}),
    )
    .await
    .expect_error(422, "invalid_units");
    let view = app
        .post(
            &path,
            token,
            &json!({"kind": "no_reason_return", "units": 1}),
        )
        .await
        .expect(201);
    let id = request_id(&view);
    assert_eq!(view["status"], "requested", "{view}");
    assert_eq!(view["units"], 1);
    assert_eq!(view["needs_return"], true);
    assert_eq!(view["return_postage_paid_by"], "buyer");
    let decide_by = view["decide_by_ms"].as_i64().expect("a deadline");
    let requested_at = view["requested_at_ms"].as_i64().expect("a time");
    assert_eq!(decide_by - requested_at, 48 * HOUR_MS);

    // Strangers learn nothing; the supplier sees it in its queue.
    let stranger = common::supplier::buyer(app, "ret-stranger", "330106").await;
    app.get(&path, &stranger.0)
        .await
        .expect_error(404, "not_found");
    let queue = app
        .get_query(
            "/api/supplier/after-sales",
            &shop.supplier,
            &[("status", "requested")],
        )
        .await
        .expect(200);
    assert_eq!(common::ids(&queue["items"]), vec![id], "{queue}");
    let other = app.supplier("别家供应商", "ret-other").await;
    let queue = app
        .get("/api/supplier/after-sales", &other)
        .await
        .expect(200);
    assert_eq!(queue["items"], json!([]));
    app.get("/api/supplier/after-sales", token)
        .await
        .expect_error(403, "forbidden");

    let decision = format!("/api/supplier/after-sales/{id}/decision");
    app.post(&decision, &other, &json!({"decision": "approve"}))
        .await
        .expect_error(404, "not_found");
    let approved = app
        .post(&decision, &shop.supplier, &json!({"decision": "approve"}))
        .await
        .expect(200);
    assert_eq!(approved["status"], "approved", "{approved}");
    assert_eq!(approved["approved_by_silence"], false);

    // The goods come back before the money: receiving nothing is refused.
    let received = format!("/api/supplier/after-sales/{id}/return-received");
    app.post_empty(&received, &shop.supplier)
        .await
        .expect_error(409, "after_sales_state");
    let shipment = format!("/api/after-sales/{id}/return-shipment");
    app.post(
        &shipment,
        token,
        &json!({"carrier": "sf", "waybill": "SF12"}),
    )
    .await
    .expect_error(422, "waybill_format");
    let parcel = json!({"carrier": "SF", "waybill": "sf9876543210123"});
    app.post(&shipment, &stranger.0, &parcel)
        .await
        .expect_error(404, "not_found");
    let shipped = app.post(&shipment, token, &parcel).await.expect(200);
    assert_eq!(shipped["status"], "return_shipped", "{shipped}");
    assert_eq!(shipped["return_carrier"], "sf");
    assert_eq!(shipped["return_waybill"], "SF9876543210123");

    let refunded = app.post_empty(&received, &shop.supplier).await.expect(200);
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    assert_eq!(refunded["refund_fen"], PRICE);
    wait_refund_sent(app, token, order, id).await;
    // One unit is still the buyer's: the order stays delivered.
    assert_eq!(order_status(app, token, order).await, "delivered");

    // Half the sale is reversed: the buyer has one unit's price back, the anchor's
    // commission, the platform's fee and the supplier's share are halved, to the fen.
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "buyer_payments"), 2 * PRICE - PRICE);
    assert_eq!(balance(&rows, "refunds_owed"), 0);
    assert_eq!(
        balance(&rows, "commission_pending"),
        -(2 * COMMISSION - COMMISSION)
    );
    assert_eq!(balance(&rows, "platform_fee"), -(2 * FEE - FEE));
    assert_eq!(
        balance(&rows, "supplier_pending"),
        -(PRICE - COMMISSION - FEE)
    );

    // The returned unit is no longer the buyer's to return.
    app.post(
        &path,
        token,
        &json!({"kind": "no_reason_return", "units": 2}),
    )
    .await
    .expect_error(422, "invalid_units");
    expect_events(
        sim,
        id,
        &[
            "requested",
            "approved",
            "return_shipped",
            "return_received",
            "refunded",
        ],
        &[format!("order.routed-{order}")],
    )
    .await;
    let refunded_event = sim
        .received()
        .into_iter()
        .find(|e| e["event_id"] == format!("after_sales.refunded-{id}"))
        .expect("the refund's event");
    assert_eq!(refunded_event["data"]["refund_fen"], PRICE);
    assert_eq!(refunded_event["data"]["return_postage_paid_by"], "buyer");
}

/// Refund-only before shipment: the warehouse's claim and the SKU's promise are given up,
/// the supplier is told not to ship (and cannot), the order ends refunded and its sale is
/// reversed whole.
async fn case_refund_before_shipment_releases_the_reservation(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "early", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "early-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 2).await;
    assert_eq!(order_status(app, token, order).await, "routed");
    assert_eq!(reserved(app, shop.sku).await, 2);

    let path = requests_of(order);
    app.post(&path, token, &json!({"kind": "no_reason_return"}))
        .await
        .expect_error(409, "after_sales_not_eligible");
    app.post(
        &path,
        token,
        &json!({"kind": "refund_only_not_shipped", "units": 1}),
    )
    .await
    .expect_error(422, "invalid_units");
    let view = app
        .post(&path, token, &json!({"kind": "refund_only_not_shipped"}))
        .await
        .expect(201);
    let id = request_id(&view);
    assert_eq!(view["units"], 2);
    assert_eq!(view["needs_return"], false);
    assert_eq!(view["return_postage_paid_by"], Value::Null);

    let decision = format!("/api/supplier/after-sales/{id}/decision");
    app.post(&decision, token, &json!({"decision": "approve"}))
        .await
        .expect_error(403, "forbidden");
    let refunded = app
        .post(&decision, &shop.supplier, &json!({"decision": "approve"}))
        .await
        .expect(200);
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    assert_eq!(refunded["refund_fen"], 2 * PRICE);
    let status = order_status(app, token, order).await;
    assert!(
        matches!(status.as_str(), "refund_pending" | "refunded"),
        "{status}"
    );
    assert_eq!(reserved(app, shop.sku).await, 0);
    wait_until("the order is refunded", || async move {
        order_status(app, token, order).await == "refunded"
    })
    .await;

    // Told not to ship, the supplier cannot.
    app.post(
        &format!("/api/supplier/orders/{order}/shipments"),
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect_error(409, "order_not_shippable");
    let cancelled = format!("order.cancelled-{order}");
    expect_events(
        sim,
        id,
        &["requested", "approved", "refunded"],
        &[format!("order.routed-{order}"), cancelled.clone()],
    )
    .await;
    let event = sim
        .received()
        .into_iter()
        .find(|e| e["event_id"] == cancelled)
        .expect("the cancellation");
    assert_eq!(event["data"]["reason"], "refunded_before_shipment");

    // Every unit is on sale again: another buyer takes all three from the same warehouse.
    let next = common::supplier::buyer(app, "early-next", "330106").await;
    let second = buy_and_pay(app, &shop, &next, 3).await;
    assert_eq!(order_status(app, &next.0, second).await, "routed");
    assert_eq!(reserved(app, shop.sku).await, 3);

    // The first order's sale is reversed whole; only the second's money is in the ledger.
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "buyer_payments"), 3 * PRICE);
    assert_eq!(balance(&rows, "refunds_owed"), 0);
    assert_eq!(balance(&rows, "commission_pending"), -3 * COMMISSION);
    assert_eq!(balance(&rows, "platform_fee"), -3 * FEE);
}

/// The supplier stays silent: after its (short, configured) deadline the sweeper approves,
/// and a refund-only request is refunded; a decision after that is refused.
async fn case_silence_approves(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "quiet", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "quiet-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    let view = app
        .post(
            &requests_of(order),
            token,
            &json!({"kind": "refund_only_not_shipped"}),
        )
        .await
        .expect(201);
    let id = request_id(&view);
    let window =
        view["decide_by_ms"].as_i64().unwrap_or(0) - view["requested_at_ms"].as_i64().unwrap_or(0);
    assert_eq!(window, QUICK_DECISION_MS);

    let path = requests_of(order);
    let path = &path;
    wait_until("silence approves and refunds", || async move {
        let list = app.get(path, token).await.expect(200);
        list[0]["status"] == "refunded"
    })
    .await;
    let list = app.get(path, token).await.expect(200);
    assert_eq!(list[0]["approved_by_silence"], true, "{list}");
    let decision = format!("/api/supplier/after-sales/{id}/decision");
    app.post(
        &decision,
        &shop.supplier,
        &json!({"decision": "reject", "reason": "已发货"}),
    )
    .await
    .expect_error(409, "after_sales_state");
    wait_until("the order is refunded", || async move {
        order_status(app, token, order).await == "refunded"
    })
    .await;
    expect_events(
        sim,
        id,
        &["requested", "approved", "refunded"],
        &[format!("order.cancelled-{order}")],
    )
    .await;
    let approved = sim
        .received()
        .into_iter()
        .find(|e| e["event_id"] == format!("after_sales.approved-{id}"))
        .expect("the approval");
    assert_eq!(approved["data"]["approved_by_silence"], true);
}

/// A quality complaint is rejected; the buyer disputes; an operator overturns the rejection;
/// the goods go back at the supplier's cost and the buyer is refunded in full. The supplier
/// fails its first webhooks and sees duplicates, yet each step once by event id.
async fn case_reject_dispute_overturn_refund(app: &TestApp) {
    let sim = &Simulator::start(Mode::FailFirst(3)).await;
    let shop = shop(app, "fault", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "fault-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    ship_and_deliver(app, &shop, order, now_ms() - 2 * DAY_MS).await;
    let view = app
        .post(
            &requests_of(order),
            token,
            &json!({"kind": "quality_complaint", "evidence": {
                "image_urls": ["https://img.example.com/crack-1.jpg", "https://img.example.com/crack-2.jpg"],
                "text": "  外机外壳有裂纹 "}}),
        )
        .await
        .expect(201);
    let id = request_id(&view);
    assert_eq!(view["return_postage_paid_by"], "supplier");
    assert_eq!(view["evidence"]["text"], "外机外壳有裂纹");
    assert_eq!(
        view["evidence"]["image_urls"][1],
        "https://img.example.com/crack-2.jpg"
    );

    let dispute = format!("/api/after-sales/{id}/dispute");
    app.post(&dispute, token, &json!({"reason": "还没处理"}))
        .await
        .expect_error(409, "after_sales_state");
    let decision = format!("/api/supplier/after-sales/{id}/decision");
    app.post(&decision, &shop.supplier, &json!({"decision": "reject"}))
        .await
        .expect_error(422, "invalid_reason");
    let rejected = app
        .post(
            &decision,
            &shop.supplier,
            &json!({"decision": "reject", "reason": "人为损坏"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(rejected["reject_reason"], "人为损坏");
    let shipment = format!("/api/after-sales/{id}/return-shipment");
    let parcel = json!({"carrier": "sf", "waybill": "SF9876543210123"});
    app.post(&shipment, token, &parcel)
        .await
        .expect_error(409, "after_sales_state");
    let disputed = app
        .post(
            &dispute,
            token,
            &json!({"reason": "收到时就有裂纹，有开箱视频"}),
        )
        .await
        .expect(200);
    assert_eq!(disputed["status"], "disputed");

    let operator = app.operator().await;
    let queue = app
        .get_query(
            "/api/operator/after-sales",
            &operator,
            &[("status", "disputed")],
        )
        .await
        .expect(200);
    assert_eq!(common::ids(&queue["items"]), vec![id], "{queue}");
    app.get("/api/operator/after-sales", &shop.supplier)
        .await
        .expect_error(403, "forbidden");
    app.get_query(
        "/api/operator/after-sales",
        &operator,
        &[("status", "lost")],
    )
    .await
    .expect_error(400, "invalid_query");
    let arbitration = format!("/api/operator/after-sales/{id}/arbitration");
    let ruling = json!({"decision": "overturn", "note": "开箱视频显示到货即损坏"});
    app.post(&arbitration, token, &ruling)
        .await
        .expect_error(403, "forbidden");
    let overturned = app.post(&arbitration, &operator, &ruling).await.expect(200);
    assert_eq!(overturned["status"], "overturned", "{overturned}");
    app.post(&arbitration, &operator, &ruling)
        .await
        .expect_error(409, "after_sales_state");

    app.post(&shipment, token, &parcel).await.expect(200);
    let refunded = app
        .post_empty(
            &format!("/api/supplier/after-sales/{id}/return-received"),
            &shop.supplier,
        )
        .await
        .expect(200);
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    assert_eq!(refunded["refund_fen"], PRICE);
    wait_until("the order is refunded", || async move {
        order_status(app, token, order).await == "refunded"
    })
    .await;
    // The whole sale is reversed and the money is back with the buyer: nothing is left.
    let rows = balances(app).await;
    assert!(rows.iter().all(|(_, _, fen)| *fen == 0), "{rows:?}");

    expect_events(
        sim,
        id,
        &[
            "requested",
            "rejected",
            "disputed",
            "overturned",
            "return_shipped",
            "return_received",
            "refunded",
        ],
        &[format!("order.routed-{order}")],
    )
    .await;
    // The events it answered 500 to come again: it sees duplicates, and deduplicates them.
    wait_until("the failed webhooks are sent again", || async move {
        sim.received().len() > sim.unique().len()
    })
    .await;
}

/// A quality complaint needs evidence within bounds; other kinds carry none. Nothing is
/// stored for a refused request.
async fn case_bad_evidence_is_refused(app: &TestApp) {
    let shop = shop(app, "proof", 3, 0).await;
    let buyer = buyer(app, "proof-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    ship_and_deliver(app, &shop, order, now_ms() - HOUR_MS).await;
    let path = requests_of(order);
    let complaint = |evidence: Value| json!({"kind": "quality_complaint", "evidence": evidence});
    let ten = vec!["https://img.example.com/1.jpg"; 10];
    for bad in [
        json!({"kind": "quality_complaint"}),
        complaint(json!({"image_urls": ["http://img.example.com/1.jpg"], "text": "坏了"})),
        complaint(json!({"image_urls": [], "text": "坏了"})),
        complaint(json!({"image_urls": ten, "text": "坏了"})),
        complaint(json!({"image_urls": ["https://img.example.com/1.jpg"], "text": "   "})),
        complaint(
            json!({"image_urls": ["https://img.example.com/1.jpg"], "text": "坏".repeat(501)}),
        ),
    ] {
        app.post(&path, token, &bad)
            .await
            .expect_error(422, "invalid_evidence");
    }
    app.post(
        &path,
        token,
        &json!({"kind": "no_reason_return",
            "evidence": {"image_urls": ["https://img.example.com/1.jpg"], "text": "不喜欢"}}),
    )
    .await
    .expect_error(422, "evidence_not_expected");
    app.post(&path, token, &json!({"kind": "exchange"}))
        .await
        .expect_error(422, "invalid_body");
    assert_eq!(app.get(&path, token).await.expect(200), json!([]));
}

/// Eight days after delivery the no-reason window (7 days) has closed, the quality window
/// (14 days) has not; nobody but the buyer may ask.
async fn case_outside_the_window_is_refused(app: &TestApp) {
    let shop = shop(app, "late", 3, 0).await;
    let buyer = buyer(app, "late-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    let path = requests_of(order);
    // Before delivery, only a refund before shipment would do.
    app.post(
        &path,
        token,
        &json!({"kind": "quality_complaint",
        "evidence": {"image_urls": ["https://img.example.com/1.jpg"], "text": "坏了"}}),
    )
    .await
    .expect_error(409, "after_sales_not_eligible");
    ship_and_deliver(app, &shop, order, now_ms() - 8 * DAY_MS).await;
    for kind in [
        "no_reason_return",
        "refund_only_not_shipped",
        "refund_only_never_received",
    ] {
        app.post(&path, token, &json!({ "kind": kind }))
            .await
            .expect_error(409, "after_sales_not_eligible");
    }
    let stranger = common::supplier::buyer(app, "late-stranger", "330106").await;
    let complaint = json!({"kind": "quality_complaint",
        "evidence": {"image_urls": ["https://img.example.com/1.jpg"], "text": "压缩机异响"}});
    app.post(&path, &stranger.0, &complaint)
        .await
        .expect_error(404, "not_found");
    app.post(&path, &shop.supplier, &complaint)
        .await
        .expect_error(404, "not_found");
    app.post("/api/orders/999999/after-sales", token, &complaint)
        .await
        .expect_error(404, "not_found");
    let view = app.post(&path, token, &complaint).await.expect(201);
    assert_eq!(view["kind"], "quality_complaint");
}

/// An order has one open request at a time, even when two are sent at once; once the open
/// one is withdrawn, the buyer may ask again.
async fn case_one_open_request_at_a_time(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "twice", 3, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "twice-buyer", "330106").await;
    let token = &buyer.0;
    let order = buy_and_pay(app, &shop, &buyer, 2).await;
    ship_and_deliver(app, &shop, order, now_ms() - HOUR_MS).await;
    let path = requests_of(order);
    let ask = json!({"kind": "no_reason_return", "units": 1});
    let (first, second) = tokio::join!(app.post(&path, token, &ask), app.post(&path, token, &ask));
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", first.text, second.text);
    let (open, refused) = if first.status == 201 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(refused.code(), "after_sales_open");
    let id = request_id(&open.body);
    app.post(&path, token, &json!({"kind": "refund_only_never_received"}))
        .await
        .expect_error(409, "after_sales_open");

    let withdraw = format!("/api/after-sales/{id}/withdraw");
    app.post_empty(&withdraw, &shop.supplier)
        .await
        .expect_error(404, "not_found");
    let withdrawn = app.post_empty(&withdraw, token).await.expect(200);
    assert_eq!(withdrawn["status"], "withdrawn");
    app.post_empty(&withdraw, token)
        .await
        .expect_error(409, "after_sales_state");
    let again = app.post(&path, token, &ask).await.expect(201);
    let list = app.get(&path, token).await.expect(200);
    assert_eq!(common::ids(&list), vec![id, request_id(&again)]);
    expect_events(sim, id, &["requested", "withdrawn"], &[]).await;
}

/// Supplier decisions within a second, so silence approves within a test.
const QUICK_DECISION_MS: i64 = 1_000;

fn quick_decisions() -> daihuo_service::ServiceConfig {
    let mut config = common::test_config();
    config.after_sales.supplier_decision_ms = QUICK_DECISION_MS;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_silence_approves() {
    common::run_case_with(StoreKind::Sqlite, quick_decisions(), |app| async move {
        case_silence_approves(&app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_silence_approves() {
    common::run_case_with(StoreKind::Postgres, quick_decisions(), |app| async move {
        case_silence_approves(&app).await
    })
    .await;
}

/// The quality record anchors see in the selection centre: after two delivered orders, one
/// returned (approved) and one with a quality complaint, the SKU in pool search and on the
/// shelf and its supplier's record show the counts and rates, flagged as too few orders to
/// tell much; only anchors, operators and the supplier itself may read a supplier's record.
async fn case_quality_record(app: &TestApp) {
    let shop = shop(app, "qr", 5, 0).await;
    let buyer = buyer(app, "qr-buyer", "330106").await;
    let token = &buyer.0;
    let first = buy_and_pay(app, &shop, &buyer, 1).await;
    let second = buy_and_pay(app, &shop, &buyer, 1).await;
    ship_and_deliver(app, &shop, first, now_ms() - HOUR_MS).await;
    ship_and_deliver(app, &shop, second, now_ms() - HOUR_MS).await;
    let returned = app
        .post(
            &requests_of(first),
            token,
            &json!({"kind": "no_reason_return"}),
        )
        .await
        .expect(201);
    app.post(
        &format!(
            "/api/supplier/after-sales/{}/decision",
            request_id(&returned)
        ),
        &shop.supplier,
        &json!({"decision": "approve"}),
    )
    .await
    .expect(200);
    app.post(
        &requests_of(second),
        token,
        &json!({"kind": "quality_complaint", "evidence": {
            "image_urls": ["https://img.example.com/dent.jpg"], "text": "外壳凹陷"}}),
    )
    .await
    .expect(201);

    let anchor = app.sign_in("qr-anchor", common::PASSWORD).await;
    let page = app
        .get_query("/api/pool", &anchor, &[("q", "qr-ac")])
        .await
        .expect(200);
    let item = page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == shop.sku))
        .cloned()
        .unwrap_or_else(|| panic!("the SKU in the pool: {page}"));
    let quality = &item["quality"];
    assert_eq!(
        quality["counts"],
        json!({"routed": 2, "delivered": 2, "late": 0, "returns": 1, "complaints": 1}),
        "{item}"
    );
    assert_eq!(quality["late_rate_bps"], 0);
    assert_eq!(quality["return_rate_bps"], 5_000);
    assert_eq!(quality["complaint_rate_bps"], 5_000);
    assert_eq!(quality["telling"], false);
    let shelf = app.get("/api/anchor/shelf", &anchor).await.expect(200);
    assert_eq!(shelf[0]["quality"], *quality, "{shelf}");

    let supplier_id = item["supplier_id"].as_i64().expect("a supplier id");
    let path = format!("/api/suppliers/{supplier_id}/quality");
    let record = app.get(&path, &anchor).await.expect(200);
    assert_eq!(record["record"], *quality);
    app.get(&path, &shop.supplier).await.expect(200);
    app.get(&path, &app.operator().await).await.expect(200);
    let other = app.supplier("别家质量", "qr-other").await;
    app.get(&path, &other).await.expect_error(403, "forbidden");
    app.get(&path, token).await.expect_error(403, "forbidden");
    app.get("/api/suppliers/999999/quality", &anchor)
        .await
        .expect_error(404, "not_found");
}

crate::store_case!(
    case_no_reason_return_of_one_unit,
    sqlite_no_reason_return_of_one_unit,
    postgres_no_reason_return_of_one_unit
);
crate::store_case!(
    case_refund_before_shipment_releases_the_reservation,
    sqlite_refund_before_shipment_releases_the_reservation,
    postgres_refund_before_shipment_releases_the_reservation
);
crate::store_case!(
    case_reject_dispute_overturn_refund,
    sqlite_reject_dispute_overturn_refund,
    postgres_reject_dispute_overturn_refund
);
crate::store_case!(
    case_bad_evidence_is_refused,
    sqlite_bad_evidence_is_refused,
    postgres_bad_evidence_is_refused
);
crate::store_case!(
    case_outside_the_window_is_refused,
    sqlite_outside_the_window_is_refused,
    postgres_outside_the_window_is_refused
);
crate::store_case!(
    case_one_open_request_at_a_time,
    sqlite_one_open_request_at_a_time,
    postgres_one_open_request_at_a_time
);
crate::store_case!(
    case_quality_record,
    sqlite_quality_record,
    postgres_quality_record
);
