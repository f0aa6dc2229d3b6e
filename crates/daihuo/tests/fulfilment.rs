//! After the buy, over real HTTP on both stores: a paid order is routed to the supplier's
//! nearest warehouse with stock (split when one cannot serve, refunded when none can), the
//! supplier is told by signed webhook and by the pull API, ships with a checked waybill and
//! reports tracking events in any order and any number of times, and the buyer sees one
//! timeline.
//!
//! The supplier is a simulator: a real axum server on port 0 that checks every webhook's
//! signature and records what it got. One is down for a while and then gets everything; one
//! answers 500 after taking events in, then floods daihuo with duplicate reports.

mod common;

use common::supplier::*;
use common::{now_ms, TestApp};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// A paid order goes to the nearest warehouse with stock, the supplier's webhook gets a
/// signed `order.routed`, the pull API gives the same events by cursor, and the ledger
/// posts the payment.
async fn case_routed_to_the_nearest_warehouse(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "near", 5, 5).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "near-hz", "330106").await;
    let beijing = buyer(app, "near-bj", "110105").await;
    let first = buy_and_pay(app, &shop, &hangzhou, 1).await;
    let second = buy_and_pay(app, &shop, &beijing, 2).await;
    assert_eq!(order_status(app, &hangzhou.0, first).await, "routed");
    let tracking = app
        .get(&format!("/api/orders/{first}/tracking"), &hangzhou.0)
        .await
        .expect(200);
    assert_eq!(
        tracking["shipments"][0]["warehouse_code"], "HZ",
        "{tracking}"
    );
    assert_eq!(tracking["shipments"].as_array().map(Vec::len), Some(1));
    let tracking = app
        .get(&format!("/api/orders/{second}/tracking"), &beijing.0)
        .await
        .expect(200);
    assert_eq!(
        tracking["shipments"][0]["warehouse_code"], "BJ",
        "{tracking}"
    );
    assert_eq!(tracking["shipments"][0]["units"], 2);
    // Strangers learn nothing of the order.
    app.get(&format!("/api/orders/{first}/tracking"), &beijing.0)
        .await
        .expect_error(404, "not_found");

    wait_until("both events are acknowledged", || async move {
        sim.unique().len() == 2
    })
    .await;
    assert_eq!(sim.bad_signatures(), 0);
    let routed: Vec<Value> = sim.received();
    assert!(
        routed.iter().all(|e| e["kind"] == "order.routed"),
        "{routed:?}"
    );
    let event = routed
        .iter()
        .find(|e| e["data"]["order_id"] == first)
        .expect("the first order's event");
    assert_eq!(event["data"]["county_code"], "330106");
    assert_eq!(event["data"]["shipments"][0]["units"], 1);
    let ship_by = event["data"]["ship_by_ms"].as_i64().expect("a promise");
    let paid_at = event["data"]["paid_at_ms"].as_i64().expect("paid at");
    assert_eq!(ship_by - paid_at, 48 * 3_600_000);

    // The pull API gives the same events, one page at a time.
    let pulled = pull_all(app, &shop.supplier, 2, 1).await;
    let pulled_ids: HashSet<String> = pulled
        .iter()
        .map(|e| e["event_id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(pulled_ids, sim.unique());
    let other = app.supplier("别家供应商", "near-other").await;
    let page = app
        .get_query("/api/supplier/events", &other, &[("after", "0")])
        .await
        .expect(200);
    assert_eq!(page["events"], json!([]));
    app.get("/api/supplier/events", &hangzhou.0)
        .await
        .expect_error(403, "forbidden");

    // The ledger holds both payments, balanced.
    let rows = balances(app).await;
    assert_eq!(balance(&rows, "buyer_payments"), 3 * 899_900);
    assert_eq!(balance(&rows, "commission_pending"), -3 * 89_990);
    let supplier_pending = balance(&rows, "supplier_pending");
    let fee = balance(&rows, "platform_fee");
    assert_eq!(supplier_pending + fee, -3 * (899_900 - 89_990));
}

/// An order no single warehouse can serve is split nearest first; one the warehouses cannot
/// serve together is refunded, the supplier is told it is cancelled, and the ledger reverses
/// the sale.
async fn case_split_and_unroutable(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "split", 2, 2).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "split-hz", "330106").await;
    let order = buy_and_pay(app, &shop, &hangzhou, 3).await;
    assert_eq!(order_status(app, &hangzhou.0, order).await, "routed");
    let tracking = app
        .get(&format!("/api/orders/{order}/tracking"), &hangzhou.0)
        .await
        .expect(200);
    let parts: Vec<(String, i64)> = tracking["shipments"]
        .as_array()
        .expect("shipments")
        .iter()
        .map(|s| {
            (
                s["warehouse_code"].as_str().unwrap_or("").to_owned(),
                s["units"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(parts, vec![("HZ".to_owned(), 2), ("BJ".to_owned(), 1)]);

    // One unit is left for sale, but the supplier reports the Beijing warehouse empty before
    // the buyer pays: the paid order cannot be routed.
    let (supplier, code) = (&shop.supplier, &shop.code);
    let late = buy_and_pay_after(app, &shop, &hangzhou, 1, || async move {
        set_stock(app, supplier, code, "BJ", 0, 2).await;
    })
    .await;
    let token = &hangzhou.0;
    wait_until("the unroutable order is refunded", || async move {
        order_status(app, token, late).await == "refunded"
    })
    .await;
    wait_until("the cancellation reaches the supplier", || async move {
        sim.received()
            .iter()
            .any(|e| e["kind"] == "order.cancelled")
    })
    .await;
    let cancelled = sim
        .received()
        .into_iter()
        .find(|e| e["kind"] == "order.cancelled")
        .expect("a cancellation");
    assert_eq!(cancelled["data"]["order_id"], late);
    assert_eq!(cancelled["data"]["reason"], "unroutable");
    let rows = balances(app).await;
    // Both orders were paid; the second's sale is reversed.
    // The gateway confirmed the refund: nothing is owed any more, and the money is out.
    assert_eq!(balance(&rows, "refunds_owed"), 0);
    assert_eq!(balance(&rows, "buyer_payments"), 3 * 899_900);
    assert_eq!(balance(&rows, "commission_pending"), -3 * 89_990);
}

/// The supplier ships with a checked waybill and reports tracking events out of order and
/// twice; the buyer sees one sorted timeline and the order is delivered.
async fn case_ship_and_track(app: &TestApp) {
    let shop = shop(app, "ship", 3, 0).await;
    let hangzhou = buyer(app, "ship-hz", "330106").await;
    let order = buy_and_pay(app, &shop, &hangzhou, 1).await;
    let ship = format!("/api/supplier/orders/{order}/shipments");
    app.post(
        &ship,
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF12"}),
    )
    .await
    .expect_error(422, "waybill_format");
    app.post(
        &ship,
        &shop.supplier,
        &json!({"carrier": "dhl", "waybill": "SF1234567890123"}),
    )
    .await
    .expect_error(422, "unknown_carrier");
    let other = app.supplier("别家", "ship-other").await;
    app.post(
        &ship,
        &other,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &ship,
        &hangzhou.0,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect_error(403, "forbidden");

    // A delivery scan that arrives before the shipment is confirmed is kept.
    let track = format!("/api/supplier/orders/{order}/tracking");
    let t0 = now_ms() - 3_600_000;
    let delivered = json!({"event_id": "e5", "stage": "delivered", "at_ms": t0 + 5_000,
        "detail": "已签收"});
    let report = app
        .post(&track, &shop.supplier, &json!({"events": [delivered]}))
        .await
        .expect(200);
    assert_eq!(
        (report["added"].as_i64(), report["order_status"].as_str()),
        (Some(1), Some("routed"))
    );

    let shipped = app
        .post(
            &ship,
            &shop.supplier,
            &json!({"carrier": "SF", "waybill": " sf1234567890123 "}),
        )
        .await
        .expect(200);
    // The delivery already reported applies once the parcel has shipped.
    assert_eq!(shipped["status"], "delivered", "{shipped}");
    assert_eq!(shipped["shipments"][0]["waybill"], "SF1234567890123");
    assert_eq!(shipped["shipments"][0]["carrier"], "sf");
    // The same waybill again is a replay; another is refused.
    app.post(
        &ship,
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect(200);
    app.post(
        &ship,
        &shop.supplier,
        &json!({"carrier": "zto", "waybill": "123456789012"}),
    )
    .await
    .expect_error(409, "already_shipped");

    let events = json!({"events": [
        {"event_id": "e3", "stage": "in_transit", "at_ms": t0 + 3_000, "detail": "到达杭州转运中心"},
        {"event_id": "e1", "stage": "picked", "at_ms": t0 + 1_000},
        {"event_id": "e4", "stage": "out_for_delivery", "at_ms": t0 + 4_000},
        {"event_id": "e2", "stage": "shipped", "at_ms": t0 + 2_000}
    ]});
    let report = app.post(&track, &shop.supplier, &events).await.expect(200);
    assert_eq!(report["added"], 4);
    let again = app.post(&track, &shop.supplier, &events).await.expect(200);
    assert_eq!(
        (again["added"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(4))
    );
    app.post(
        &track,
        &shop.supplier,
        &json!({"events": [{"event_id": "x", "stage": "lost", "at_ms": t0}]}),
    )
    .await
    .expect_error(422, "unknown_tracking_stage");

    let view = app
        .get(&format!("/api/orders/{order}/tracking"), &hangzhou.0)
        .await
        .expect(200);
    let ids: Vec<&str> = view["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["e1", "e2", "e3", "e4", "e5"], "{view}");
    assert_eq!(view["reached"], "delivered");
    assert_eq!(view["delivered_at_ms"], t0 + 5_000);
    assert_eq!(order_status(app, &hangzhou.0, order).await, "delivered");
}

/// Orders while the supplier is unreachable: nothing is lost; events written before it set
/// its webhook wait for it, are retried while it is down, and all arrive, signed, when it
/// comes back.
async fn case_supplier_down_then_back(app: &TestApp) {
    let sim = &Simulator::start(Mode::Down).await;
    let shop = shop(app, "down", 10, 10).await;
    let hangzhou = buyer(app, "down-hz", "330106").await;
    let mut orders = Vec::new();
    for _ in 0..4 {
        orders.push(buy_and_pay(app, &shop, &hangzhou, 1).await);
    }
    // Events written before the supplier set its webhook wait for it in the outbox.
    sim.register(app, &shop.supplier).await;
    // Each event was tried and refused at least twice.
    wait_until("the down supplier is retried", || async move {
        sim.requests() >= 8
    })
    .await;
    assert!(sim.unique().is_empty());
    sim.set_mode(Mode::Up);
    wait_until("every event arrives after the outage", || async move {
        sim.unique().len() == 4
    })
    .await;
    assert_eq!(sim.bad_signatures(), 0);
    let got: HashSet<i64> = sim
        .received()
        .iter()
        .filter_map(|e| e["data"]["order_id"].as_i64())
        .collect();
    assert_eq!(got, orders.iter().copied().collect());
    let operator = app.operator().await;
    let dead = app
        .get("/api/operator/outbox/dead", &operator)
        .await
        .expect(200);
    assert_eq!(dead, json!([]));
}

/// A supplier down for good: its events die after the policy's attempts, an operator sees
/// them and replays them once the supplier is back.
async fn case_dead_letters_and_replay(app: &TestApp) {
    let sim = &Simulator::start(Mode::Down).await;
    let shop = shop(app, "dead", 5, 0).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "dead-hz", "330106").await;
    let order = buy_and_pay(app, &shop, &hangzhou, 1).await;
    let operator = app.operator().await;
    let deadline = std::time::Instant::now() + PATIENCE;
    let dead = loop {
        let dead = app
            .get("/api/operator/outbox/dead", &operator)
            .await
            .expect(200);
        if dead.as_array().is_some_and(|d| !d.is_empty()) {
            break dead;
        }
        assert!(std::time::Instant::now() < deadline, "the event never died");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let letter = &dead[0];
    assert_eq!(letter["event"]["data"]["order_id"], order);
    assert_eq!(letter["attempts"], 10, "{letter}");
    assert!(
        letter["last_error"].as_str().unwrap_or("").contains("503"),
        "{letter}"
    );
    let attempts = sim.requests();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sim.requests(), attempts, "a dead event is not sent again");
    app.get("/api/operator/outbox/dead", &shop.supplier)
        .await
        .expect_error(403, "forbidden");

    sim.set_mode(Mode::Up);
    let id = letter["id"].as_i64().expect("an outbox id");
    let replay = format!("/api/operator/outbox/{id}/replay");
    let reply = app.post_empty(&replay, &operator).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    wait_until("the replayed event arrives", || async move {
        sim.unique().len() == 1
    })
    .await;
    app.post_empty(&replay, &operator)
        .await
        .expect_error(409, "event_not_dead");
    let dead = app
        .get("/api/operator/outbox/dead", &operator)
        .await
        .expect(200);
    assert_eq!(dead, json!([]));
}

/// A supplier that takes events in but answers 500 gets them again (and counts each once by
/// event id); it then floods daihuo with duplicate shipments and tracking reports, which
/// are applied once.
async fn case_flaky_supplier_floods_duplicates(app: &TestApp) {
    let sim = &Simulator::start(Mode::FailFirst(4)).await;
    let shop = shop(app, "flood", 10, 0).await;
    sim.register(app, &shop.supplier).await;
    let hangzhou = buyer(app, "flood-hz", "330106").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(buy_and_pay(app, &shop, &hangzhou, 1).await);
    }
    wait_until("every event is acknowledged", || async move {
        sim.unique().len() == 3 && sim.requests() >= 4 + 3
    })
    .await;
    assert!(sim.received().len() > 3, "the supplier saw duplicates");
    assert_eq!(sim.bad_signatures(), 0);

    let t0 = now_ms() - 60_000;
    let events = json!({"events": [
        {"event_id": "p", "stage": "picked", "at_ms": t0},
        {"event_id": "s", "stage": "shipped", "at_ms": t0 + 1},
        {"event_id": "d", "stage": "delivered", "at_ms": t0 + 2}
    ]});
    let mut flood = Vec::new();
    for (n, order) in orders.iter().enumerate() {
        let waybill = format!("YT{:013}", 1_000 + n);
        for _ in 0..5 {
            let ship = format!("/api/supplier/orders/{order}/shipments");
            let track = format!("/api/supplier/orders/{order}/tracking");
            let body = json!({"carrier": "yto", "waybill": waybill});
            let events = events.clone();
            let supplier = shop.supplier.clone();
            flood.push(async move {
                let shipped = app.post(&ship, &supplier, &body).await;
                let tracked = app.post(&track, &supplier, &events).await;
                (shipped.status, tracked.status)
            });
        }
    }
    let answers = futures_util::future::join_all(flood).await;
    // Tracking that raced ahead of its shipment is accepted too; a busy answer may be retried.
    for (shipped, tracked) in &answers {
        assert!(matches!(shipped, 200 | 503), "{answers:?}");
        assert!(matches!(tracked, 200 | 503), "{answers:?}");
    }
    for (n, order) in orders.iter().enumerate() {
        let waybill = format!("YT{:013}", 1_000 + n);
        app.post(
            &format!("/api/supplier/orders/{order}/shipments"),
            &shop.supplier,
            &json!({"carrier": "yto", "waybill": waybill}),
        )
        .await
        .expect(200);
        app.post(
            &format!("/api/supplier/orders/{order}/tracking"),
            &shop.supplier,
            &events,
        )
        .await
        .expect(200);
        let view = app
            .get(&format!("/api/orders/{order}/tracking"), &hangzhou.0)
            .await
            .expect(200);
        assert_eq!(view["status"], "delivered", "{view}");
        assert_eq!(view["events"].as_array().map(Vec::len), Some(3), "{view}");
        assert_eq!(
            view["shipments"].as_array().map(Vec::len),
            Some(1),
            "{view}"
        );
    }
    // The units left the warehouse once per order.
    let stock = app
        .get(
            &format!("/api/supplier/skus/{}/stock", shop.sku),
            &shop.supplier,
        )
        .await
        .expect(200);
    let hz = stock
        .as_array()
        .expect("levels")
        .iter()
        .find(|level| level["warehouse_code"] == "HZ")
        .expect("the HZ level");
    assert_eq!(hz["quantity"], 10 - 3, "{stock}");
}

crate::store_case!(
    case_routed_to_the_nearest_warehouse,
    sqlite_routed_to_the_nearest_warehouse,
    postgres_routed_to_the_nearest_warehouse
);
crate::store_case!(
    case_split_and_unroutable,
    sqlite_split_and_unroutable,
    postgres_split_and_unroutable
);
crate::store_case!(
    case_ship_and_track,
    sqlite_ship_and_track,
    postgres_ship_and_track
);
crate::store_case!(
    case_supplier_down_then_back,
    sqlite_supplier_down_then_back,
    postgres_supplier_down_then_back
);
crate::store_case!(
    case_dead_letters_and_replay,
    sqlite_dead_letters_and_replay,
    postgres_dead_letters_and_replay
);
crate::store_case!(
    case_flaky_supplier_floods_duplicates,
    sqlite_flaky_supplier_floods_duplicates,
    postgres_flaky_supplier_floods_duplicates
);
