//! The live sell-out nowcast and the C2M export, over real HTTP on both stores: real buyers
//! buy in a live session and pay through the sandbox gateway; the node's nowcast round
//! (`Services::evaluate_nowcasts`, what `daihuo serve` runs every 15 s) is run by the test
//! where the node would; the supplier pulls its events; the anchor reads the nowcast.
//!
//! Each `case_*` is one behaviour; `store_case!` runs it on SQLite and on PostgreSQL (when
//! `DAIHUO_TEST_DATABASE_URL` is set).

mod common;

use common::supplier::{buy_and_pay_at, ship_and_deliver, Shop};
use common::{now_ms, sku, test_config, with, TestApp};
use daihuo_service::nowcast::NowcastPolicy;
use daihuo_service::ServiceConfig;
use serde_json::{json, Value};
use std::time::Duration;

/// A minute, in milliseconds.
const MINUTE_MS: i64 = 60_000;

/// The tests' settings: a session's end is assessed as soon as it has ended.
fn assess_at_once() -> ServiceConfig {
    ServiceConfig {
        nowcast: NowcastPolicy {
            settle: Duration::ZERO,
            ..NowcastPolicy::default()
        },
        ..test_config()
    }
}

/// A supplier whose warehouse `HZ` (杭州) and `BJ` (北京) hold stock, and an anchor.
struct World {
    supplier: String,
    anchor: String,
    anchor_id: i64,
}

async fn world(app: &TestApp, name: &str) -> World {
    let supplier = app
        .supplier(&format!("{name}的供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&supplier, "HZ").await;
    app.put(
        "/api/supplier/warehouses",
        &supplier,
        &json!({"code": "BJ", "name": "北京仓", "county_code": "110105"}),
    )
    .await
    .expect(200);
    let anchor = app.account(&format!("{name}-anchor"), "anchor").await;
    let anchor_id = app.user_id(&anchor).await;
    World {
        supplier,
        anchor,
        anchor_id,
    }
}

/// Sets a SKU's stock in warehouse `HZ`.
async fn stock(app: &TestApp, supplier: &str, code: &str, quantity: i64, version: i64) {
    let results = app
        .post(
            "/api/supplier/stock",
            supplier,
            &json!({"updates": [{"sku_code": code, "warehouse_code": "HZ",
                "quantity": quantity, "version": version}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "{results}");
}

/// An approved SKU `code` of the world's supplier (priced as `sku`, with `changes`), on the
/// anchor's shelf, with `units` in `HZ`.
async fn shelved(app: &TestApp, world: &World, code: &str, units: i64, changes: Value) -> i64 {
    let id = app
        .create_sku(
            &world.supplier,
            with(sku(code, &format!("格力 空调 {code}")), changes),
        )
        .await;
    let operator = app.operator().await;
    app.approve(&operator, id).await;
    app.put(
        &format!("/api/anchor/shelf/{id}"),
        &world.anchor,
        &json!({}),
    )
    .await
    .expect(200);
    stock(app, &world.supplier, code, units, 1).await;
    id
}

/// A session of the world's anchor selling `skus` at ¥8,999.00, planned for `planned_min`
/// minutes (absent: not said), taken live; its id.
async fn live_session(app: &TestApp, world: &World, skus: &[i64], planned_min: Option<i64>) -> i64 {
    let items: Vec<Value> = skus
        .iter()
        .map(|id| json!({"sku_id": id, "live_price_fen": 899_900}))
        .collect();
    let session = app
        .post(
            "/api/live-sessions",
            &world.anchor,
            &json!({"title": "格力超级品牌日", "starts_at_ms": now_ms() + MINUTE_MS,
                "planned_length_min": planned_min, "items": items}),
        )
        .await
        .expect(201);
    assert_eq!(session["session"]["planned_length_min"], json!(planned_min));
    let id = session["session"]["id"].as_i64().expect("a session id");
    app.post_empty(&format!("/api/live-sessions/{id}/live"), &world.anchor)
        .await
        .expect(200);
    id
}

/// A viewer with a saved address in `county`: (token, address id).
async fn buyer(app: &TestApp, name: &str, county: &str) -> (String, i64) {
    let token = app.account(name, "viewer").await;
    let address = app
        .post(
            "/api/addresses",
            &token,
            &json!({"recipient": "张三", "phone": "138-1234-5678", "county_code": county,
                "detail": "文三路 90 号"}),
        )
        .await
        .expect(201);
    (token, address["id"].as_i64().expect("an address id"))
}

/// Buys `quantity` of `sku` in `session` at its live price and pays.
async fn buy_in_session(
    app: &TestApp,
    buyer: &(String, i64),
    session: i64,
    sku: i64,
    quantity: i64,
) -> i64 {
    let body = json!({"sku_id": sku, "quantity": quantity, "address_id": buyer.1,
        "session_id": session});
    buy_and_pay_at(app, buyer, "/api/orders", body).await
}

/// Every event of `kind` the supplier can pull, after the pull API's settling time.
async fn pulled(app: &TestApp, supplier: &str, kind: &str) -> Vec<Value> {
    // The pull API shows only events at least half a second old.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get_query(
                "/api/supplier/events",
                supplier,
                &[("after", &after.to_string()), ("limit", "100")],
            )
            .await
            .expect(200);
        let got = page["events"].as_array().expect("events").clone();
        if got.is_empty() {
            break;
        }
        after = page["next_after"].as_i64().expect("a cursor");
        events.extend(got.into_iter().filter(|e| e["kind"] == kind));
    }
    events
}

async fn nowcast(app: &TestApp, token: &str, session: i64) -> Value {
    app.get(&format!("/api/live-sessions/{session}/nowcast"), token)
        .await
        .expect(200)
}

fn item(nowcast: &Value, sku: i64) -> Value {
    nowcast["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["sku_id"] == sku)
        .unwrap_or_else(|| panic!("SKU {sku} in {nowcast}"))
        .clone()
}

/// A SKU selling fast enough to run out well before the planned end is projected to sell
/// out; the supplier gets exactly one `stock.sellout_projected` event however often the
/// nowcast runs and however much more sells (even to the last unit); the anchor sees the
/// alert. A slow SKU in the same session lasts and alerts nobody; a flash sale shows its own
/// units.
async fn case_fast_pace_alerts_once(app: &TestApp) {
    let world = world(app, "fast").await;
    let hot = shelved(app, &world, "fast-hot", 10, json!({})).await;
    let slow = shelved(app, &world, "fast-slow", 1_000, json!({})).await;
    let session = live_session(app, &world, &[hot, slow], Some(120)).await;
    let buyer = buyer(app, "fast-buyer", "330106").await;

    // Four orders in a few seconds: even counted over the five-minute warm-up, that is 48
    // units an hour, and the six left last about seven minutes of a two-hour session.
    for _ in 0..4 {
        buy_in_session(app, &buyer, session, hot, 1).await;
    }
    buy_in_session(app, &buyer, session, slow, 1).await;
    let sale = app
        .post(
            &format!("/api/live-sessions/{session}/flash-sales"),
            &world.anchor,
            &json!({"sku_id": slow, "price_fen": 860_000, "quantity": 5, "per_user_limit": 2,
                "starts_at_ms": now_ms() - 1_000, "ends_at_ms": now_ms() + 10 * MINUTE_MS}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("a sale id");
    buy_and_pay_at(
        app,
        &buyer,
        &format!("/api/flash-sales/{sale}/orders"),
        json!({"quantity": 1, "address_id": buyer.1}),
    )
    .await;

    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!((round.sessions, round.alerts), (1, 1), "{round:?}");
    let again = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(again.alerts, 0, "the same projection alerts once");

    let seen = nowcast(app, &world.anchor, session).await;
    assert_eq!(seen["status"], "live");
    assert_eq!(seen["length_source"], "planned");
    assert_eq!(seen["length_ms"], 120 * MINUTE_MS);
    let went_live = seen["went_live_at_ms"].as_i64().expect("live since");
    assert_eq!(seen["planned_end_at_ms"], went_live + 120 * MINUTE_MS);
    let hot_now = item(&seen, hot);
    assert_eq!(hot_now["stock_left"], 6, "{hot_now}");
    assert_eq!(
        (
            hot_now["sold_orders"].as_i64(),
            hot_now["sold_units"].as_i64()
        ),
        (Some(4), Some(4))
    );
    assert_eq!(
        hot_now["projection"]["outlook"], "sells_out_before_end",
        "{hot_now}"
    );
    let sellout = hot_now["projection"]["sellout_at_ms"]
        .as_i64()
        .expect("a sell-out time");
    assert!(sellout < went_live + 30 * MINUTE_MS, "{hot_now}");
    assert!(
        hot_now["projection"]["shortfall_units"].as_i64() > Some(50),
        "{hot_now}"
    );
    let pace = hot_now["stock_pace"]["units_per_hour"]
        .as_f64()
        .expect("a pace");
    // Four units over the five-minute warm-up, each weighted a little below one.
    assert!((40.0..=48.0).contains(&pace), "{hot_now}");
    assert_eq!(hot_now["stock_pace"]["window_orders"], 4);
    assert_eq!(
        hot_now["session_pace"], hot_now["stock_pace"],
        "one session sells it"
    );
    assert_eq!(hot_now["alert"]["count"], 1, "{hot_now}");
    let slow_now = item(&seen, slow);
    assert_eq!(slow_now["projection"]["outlook"], "lasts", "{slow_now}");
    assert_eq!(slow_now["alert"], Value::Null);
    assert_eq!(
        (
            slow_now["sold_orders"].as_i64(),
            slow_now["sold_units"].as_i64()
        ),
        (Some(2), Some(2))
    );
    let flash = &seen["flash_sales"][0];
    assert_eq!(
        (flash["sale_id"].as_i64(), flash["remaining"].as_i64()),
        (Some(sale), Some(4))
    );
    assert_eq!(flash["sold"], 1);
    assert!(
        flash["pace"]["units_per_hour"].as_f64() > Some(0.0),
        "{flash}"
    );
    assert_eq!(flash["projection"]["outlook"], "lasts", "{flash}");

    // Selling the rest, to the last unit, is no materially earlier news: still one event.
    for _ in 0..3 {
        buy_in_session(app, &buyer, session, hot, 2).await;
    }
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(round.alerts, 0, "{round:?}");
    let sold_out = item(&nowcast(app, &world.anchor, session).await, hot);
    assert_eq!(sold_out["stock_left"], 0);
    assert_eq!(sold_out["projection"]["outlook"], "sold_out");

    let events = pulled(app, &world.supplier, "stock.sellout_projected").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(
        event["event_id"],
        format!("stock.sellout_projected-{session}-{hot}-1")
    );
    let data = &event["data"];
    assert_eq!(data["session_id"], session);
    assert_eq!(data["anchor_id"], world.anchor_id);
    assert_eq!(data["sku_id"], hot);
    assert_eq!(data["sku_code"], "fast-hot");
    assert_eq!(data["stock_left"], 6);
    assert_eq!(
        data["projected_sellout_at_ms"],
        hot_now["alert"]["sellout_at_ms"]
    );
    assert_eq!(data["planned_end_at_ms"], went_live + 120 * MINUTE_MS);
    assert_eq!(data["length_source"], "planned");
}

store_case_with!(
    case_fast_pace_alerts_once,
    assess_at_once(),
    sqlite_fast_pace_alerts_once,
    postgres_fast_pace_alerts_once
);

/// A slow pace lasts to the end and alerts nobody. Without a planned length the session is
/// expected to run as long as the anchor's past sessions (their median), and with no past
/// at all as long as the default.
async fn case_slow_pace_no_alert(app: &TestApp) {
    let world = world(app, "slow").await;
    let calm = shelved(app, &world, "slow-calm", 1_000, json!({})).await;
    let first = live_session(app, &world, &[calm], None).await;
    let seen = nowcast(app, &world.anchor, first).await;
    assert_eq!(seen["length_source"], "default");
    assert_eq!(seen["length_ms"], 180 * MINUTE_MS);
    assert_eq!(item(&seen, calm)["projection"]["outlook"], "no_pace");
    app.post_empty(&format!("/api/live-sessions/{first}/end"), &world.anchor)
        .await
        .expect(200);
    // The past session ran 90 minutes (its going-live time set back: a test cannot wait).
    sqlx::query("UPDATE live_sessions SET went_live_at_ms = ended_at_ms - $2 WHERE id = $1")
        .bind(first)
        .bind(90 * MINUTE_MS)
        .execute(app.services.store.pool())
        .await
        .expect("set the past session's length");

    let session = live_session(app, &world, &[calm], None).await;
    let buyer = buyer(app, "slow-buyer", "330106").await;
    for _ in 0..3 {
        buy_in_session(app, &buyer, session, calm, 1).await;
    }
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!((round.sessions, round.alerts), (1, 0), "{round:?}");
    let seen = nowcast(app, &world.anchor, session).await;
    assert_eq!(seen["length_source"], "anchor_typical");
    assert_eq!(seen["length_ms"], 90 * MINUTE_MS);
    let calm_now = item(&seen, calm);
    assert_eq!(calm_now["projection"]["outlook"], "lasts", "{calm_now}");
    assert_eq!(calm_now["stock_left"], 997);
    // About 36 an hour for the 90 minutes: some 54 units, far from the 997 left.
    let until_end = calm_now["projection"]["units_until_end"]
        .as_i64()
        .expect("units");
    assert!((40..=60).contains(&until_end), "{calm_now}");
    assert_eq!(calm_now["projection"]["shortfall_units"], 0);
    assert_eq!(calm_now["alert"], Value::Null);
    assert!(pulled(app, &world.supplier, "stock.sellout_projected")
        .await
        .is_empty());
}

store_case_with!(
    case_slow_pace_no_alert,
    assess_at_once(),
    sqlite_slow_pace_no_alert,
    postgres_slow_pace_no_alert
);

/// After a session ends, a SKU whose stock left is many sessions' worth of what the session
/// sold is flagged as likely overstock (once, to its supplier); one that sold down is not.
async fn case_overstock_after_the_end(app: &TestApp) {
    let world = world(app, "over").await;
    let cold = shelved(app, &world, "over-cold", 100, json!({})).await;
    let sold = shelved(app, &world, "over-sold", 10, json!({})).await;
    let session = live_session(app, &world, &[cold, sold], Some(60)).await;
    let buyer = buyer(app, "over-buyer", "330106").await;
    buy_in_session(app, &buyer, session, cold, 2).await;
    buy_in_session(app, &buyer, session, sold, 5).await;

    let live = nowcast(app, &world.anchor, session).await;
    assert_eq!(
        item(&live, cold)["overstock"],
        Value::Null,
        "not while live"
    );
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(round.assessed, 0, "a live session is not assessed");
    app.post_empty(&format!("/api/live-sessions/{session}/end"), &world.anchor)
        .await
        .expect(200);
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!((round.assessed, round.overstock_flags), (1, 1), "{round:?}");
    let again = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(again.assessed, 0, "assessed once");

    let ended = nowcast(app, &world.anchor, session).await;
    assert_eq!(ended["status"], "ended");
    let cold_end = item(&ended, cold);
    assert_eq!(cold_end["projection"], Value::Null);
    let overstock = &cold_end["overstock"];
    assert_eq!(overstock["flagged"], true, "{cold_end}");
    assert_eq!(
        (
            overstock["stock_left"].as_i64(),
            overstock["sold_units"].as_i64()
        ),
        (Some(98), Some(2))
    );
    assert_eq!(overstock["sessions_of_cover"], 49.0);
    let sold_end = item(&ended, sold);
    assert_eq!(sold_end["overstock"]["flagged"], false, "{sold_end}");
    assert_eq!(sold_end["overstock"]["stock_left"], 5);

    let events = pulled(app, &world.supplier, "stock.overstock_flagged").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["event_id"],
        format!("stock.overstock_flagged-{session}-{cold}")
    );
    assert_eq!(events[0]["data"]["stock_left"], 98);
    assert_eq!(events[0]["data"]["sold_units"], 2);
    assert_eq!(events[0]["data"]["sku_code"], "over-cold");
}

store_case_with!(
    case_overstock_after_the_end,
    assess_at_once(),
    sqlite_overstock_after_the_end,
    postgres_overstock_after_the_end
);

/// The session's anchor and operators see every SKU; a supplier only its own, and none of a
/// session selling none of them; another anchor and viewers are refused. Planned lengths
/// outside 5 minutes to a day are refused when scheduling and editing.
async fn case_nowcast_authorisation(app: &TestApp) {
    let world = world(app, "auth").await;
    let ours = shelved(app, &world, "auth-ours", 10, json!({})).await;
    let other = app.supplier("别家供应商", "auth-other-supply").await;
    app.warehouse(&other, "HZ").await;
    let theirs = app
        .create_sku(&other, sku("auth-theirs", "别家 空调"))
        .await;
    let operator = app.operator().await;
    app.approve(&operator, theirs).await;
    app.put(
        &format!("/api/anchor/shelf/{theirs}"),
        &world.anchor,
        &json!({}),
    )
    .await
    .expect(200);
    let session = live_session(app, &world, &[ours, theirs], Some(60)).await;

    let skus = |nowcast: &Value| -> Vec<i64> {
        nowcast["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["sku_id"].as_i64())
            .collect()
    };
    assert_eq!(
        skus(&nowcast(app, &world.anchor, session).await),
        vec![ours, theirs]
    );
    assert_eq!(
        skus(&nowcast(app, &operator, session).await),
        vec![ours, theirs]
    );
    assert_eq!(
        skus(&nowcast(app, &world.supplier, session).await),
        vec![ours]
    );
    assert_eq!(skus(&nowcast(app, &other, session).await), vec![theirs]);

    let path = format!("/api/live-sessions/{session}/nowcast");
    let stranger = app.supplier("无关供应商", "auth-stranger-supply").await;
    app.get(&path, &stranger)
        .await
        .expect_error(403, "forbidden");
    let another_anchor = app.account("auth-other-anchor", "anchor").await;
    app.get(&path, &another_anchor)
        .await
        .expect_error(403, "forbidden");
    let viewer = app.account("auth-viewer", "viewer").await;
    app.get(&path, &viewer).await.expect_error(403, "forbidden");
    assert_eq!(app.get_anonymous(&path).await.status, 401);
    app.get("/api/live-sessions/999999/nowcast", &world.anchor)
        .await
        .expect_error(404, "not_found");

    for minutes in [4, 1_441] {
        app.post(
            "/api/live-sessions",
            &world.anchor,
            &json!({"title": "太短或太长", "starts_at_ms": now_ms() + MINUTE_MS,
                "planned_length_min": minutes,
                "items": [{"sku_id": ours, "live_price_fen": 899_900}]}),
        )
        .await
        .expect_error(422, "invalid_planned_length");
    }
    let scheduled = app.scheduled_session(&world.anchor, "明晚", &[ours]).await;
    let path = format!("/api/live-sessions/{scheduled}");
    app.patch(&path, &world.anchor, &json!({"planned_length_min": 0}))
        .await
        .expect_error(422, "invalid_planned_length");
    let edited = app
        .patch(&path, &world.anchor, &json!({"planned_length_min": 45}))
        .await
        .expect(200);
    assert_eq!(edited["session"]["planned_length_min"], 45);
    let cleared = app
        .patch(&path, &world.anchor, &json!({"planned_length_min": null}))
        .await
        .expect(200);
    assert_eq!(cleared["session"]["planned_length_min"], Value::Null);
}

store_case!(
    case_nowcast_authorisation,
    sqlite_nowcast_authorisation,
    postgres_nowcast_authorisation
);

/// The C2M export counts units paid in the period less the units refunded since (a whole
/// refund before shipment, one unit of two returned), by attribute, price band and the
/// buyers' province; every table adds up to the totals, as does the CSV. A supplier sees
/// its own SKUs, an operator everyone's or one supplier's; other roles are refused and a
/// bad period is refused with its code.
async fn case_c2m_adds_up(app: &TestApp) {
    let world = world(app, "c2m").await;
    let red = shelved(
        app,
        &world,
        "c2m-red",
        20,
        json!({"attributes": [{"name": "颜色", "value": "红"}, {"name": "尺码", "value": "M"}]}),
    )
    .await;
    let blue = shelved(
        app,
        &world,
        "c2m-blue",
        20,
        json!({"attributes": [{"name": "颜色", "value": "蓝"}],
            "supply_price_fen": 2_000, "pool_price_fen": 9_900, "floor_price_fen": 9_000,
            "retail_price_fen": 19_900, "commission_bps": 1_000}),
    )
    .await;
    let red_shop = Shop {
        supplier: world.supplier.clone(),
        anchor_id: world.anchor_id,
        sku: red,
        code: "c2m-red".to_owned(),
    };
    let hangzhou = buyer(app, "c2m-hz", "330106").await;
    let beijing = buyer(app, "c2m-bj", "110105").await;
    let shelf = |sku: i64, buyer: &(String, i64), quantity: i64| {
        json!({"sku_id": sku, "quantity": quantity, "address_id": buyer.1,
            "anchor_id": world.anchor_id})
    };
    let returned = buy_and_pay_at(app, &hangzhou, "/api/orders", shelf(red, &hangzhou, 2)).await;
    buy_and_pay_at(app, &beijing, "/api/orders", shelf(red, &beijing, 1)).await;
    let refunded = buy_and_pay_at(app, &hangzhou, "/api/orders", shelf(blue, &hangzhou, 3)).await;

    // The whole blue order refunded before shipment.
    let request = app
        .post(
            &format!("/api/orders/{refunded}/after-sales"),
            &hangzhou.0,
            &json!({"kind": "refund_only_not_shipped"}),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/supplier/after-sales/{}/decision", request["id"]),
        &world.supplier,
        &json!({"decision": "approve"}),
    )
    .await
    .expect(200);
    // One of the two red units returned after delivery.
    ship_and_deliver(app, &red_shop, returned, now_ms()).await;
    let request = app
        .post(
            &format!("/api/orders/{returned}/after-sales"),
            &hangzhou.0,
            &json!({"kind": "no_reason_return", "units": 1}),
        )
        .await
        .expect(201);
    let request = request["id"].as_i64().expect("a request id");
    app.post(
        &format!("/api/supplier/after-sales/{request}/decision"),
        &world.supplier,
        &json!({"decision": "approve"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/after-sales/{request}/return-shipment"),
        &hangzhou.0,
        &json!({"carrier": "sf", "waybill": "SF7654321098765"}),
    )
    .await
    .expect(200);
    app.post_empty(
        &format!("/api/supplier/after-sales/{request}/return-received"),
        &world.supplier,
    )
    .await
    .expect(200);

    let export = app
        .get("/api/supplier/c2m", &world.supplier)
        .await
        .expect(200);
    let figures = |row: &Value| -> [i64; 5] {
        ["orders", "paid_units", "refunded_units", "units", "gmv_fen"].map(|key| {
            row[key]
                .as_i64()
                .unwrap_or_else(|| panic!("{key} in {row}"))
        })
    };
    let totals = figures(&export["totals"]);
    assert_eq!(totals, [2, 6, 4, 2, 2 * 899_900], "{export}");
    let sum = |rows: &Value, keep: &dyn Fn(&Value) -> bool| -> [i64; 5] {
        let mut total = [0; 5];
        for row in rows.as_array().expect("rows").iter().filter(|r| keep(r)) {
            for (t, v) in total.iter_mut().zip(figures(row)) {
                *t += v;
            }
        }
        total
    };
    let all = |_: &Value| true;
    assert_eq!(sum(&export["by_price_band"], &all), totals);
    assert_eq!(sum(&export["by_province"], &all), totals);
    let colour = |row: &Value| row["attribute_name"] == "颜色";
    assert_eq!(sum(&export["by_attribute"], &colour), totals);
    assert_eq!(sum(&export["cells"], &colour), totals);
    let band = |code: &'static str| move |row: &Value| row["price_band"] == code;
    assert_eq!(
        sum(&export["by_price_band"], &band("5000+")),
        [2, 3, 1, 2, 2 * 899_900]
    );
    assert_eq!(
        sum(&export["by_price_band"], &band("50-100")),
        [0, 3, 3, 0, 0]
    );
    let province = |code: i64| move |row: &Value| row["province_code"] == code;
    assert_eq!(
        sum(&export["by_province"], &province(330_000)),
        [1, 5, 4, 1, 899_900]
    );
    assert_eq!(
        sum(&export["by_province"], &province(110_000)),
        [1, 1, 0, 1, 899_900]
    );
    let zhejiang = export["by_province"]
        .as_array()
        .expect("provinces")
        .iter()
        .find(|r| r["province_code"] == 330_000)
        .expect("浙江");
    assert_eq!(zhejiang["province_name"], "浙江省");
    let size_m = |row: &Value| row["attribute_name"] == "尺码" && row["attribute_value"] == "M";
    assert_eq!(
        sum(&export["by_attribute"], &size_m),
        [2, 3, 1, 2, 2 * 899_900]
    );
    let blue_rows = |row: &Value| row["attribute_value"] == "蓝";
    assert_eq!(sum(&export["by_attribute"], &blue_rows), [0, 3, 3, 0, 0]);

    // The CSV is the cells: its 颜色 rows add up to the totals too.
    let response = app
        .client
        .get(format!("{}/api/supplier/c2m?format=csv", app.base_url))
        .bearer_auth(&world.supplier)
        .send()
        .await
        .expect("the CSV");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let csv = response.text().await.expect("a body");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("attribute_name,attribute_value,price_band,province_code,province_name,orders,paid_units,refunded_units,units,gmv_fen")
    );
    let mut csv_units = 0;
    let mut csv_rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 10, "{line}");
        csv_rows += 1;
        if fields[0] == "颜色" {
            csv_units += fields[8].parse::<i64>().expect("units");
        }
    }
    assert_eq!(csv_rows, export["cells"].as_array().expect("cells").len());
    assert_eq!(csv_units, totals[3]);

    // The operator: everyone's, or one supplier's.
    let operator = app.operator().await;
    let platform = app.get("/api/operator/c2m", &operator).await.expect(200);
    assert_eq!(figures(&platform["totals"]), totals);
    assert_eq!(platform["supplier_id"], Value::Null);
    let other = app.supplier("别家供应商", "c2m-other-supply").await;
    let other_id = app.get("/api/me", &other).await.expect(200)["supplier_id"].clone();
    let filtered = app
        .get_query(
            "/api/operator/c2m",
            &operator,
            &[("supplier_id", &other_id.to_string())],
        )
        .await
        .expect(200);
    assert_eq!(figures(&filtered["totals"]), [0; 5]);
    // Another supplier sees only its own (nothing).
    let theirs = app.get("/api/supplier/c2m", &other).await.expect(200);
    assert_eq!(figures(&theirs["totals"]), [0; 5]);
    assert_eq!(theirs["cells"], json!([]));
    app.get("/api/supplier/c2m", &world.anchor)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/operator/c2m", &world.supplier)
        .await
        .expect_error(403, "forbidden");
    let viewer = app.account("c2m-viewer", "viewer").await;
    app.get("/api/supplier/c2m", &viewer)
        .await
        .expect_error(403, "forbidden");
    let now = now_ms();
    app.get_query(
        "/api/supplier/c2m",
        &world.supplier,
        &[
            ("from_ms", &now.to_string()),
            ("to_ms", &(now - 1).to_string()),
        ],
    )
    .await
    .expect_error(422, "invalid_period");
    app.get_query(
        "/api/supplier/c2m",
        &world.supplier,
        &[("from_ms", &(now - 93 * 24 * 60 * MINUTE_MS).to_string())],
    )
    .await
    .expect_error(422, "period_too_long");
    // A period before the orders has none of them.
    let before = app
        .get_query(
            "/api/supplier/c2m",
            &world.supplier,
            &[("to_ms", &(now - 60 * MINUTE_MS).to_string())],
        )
        .await
        .expect(200);
    assert_eq!(figures(&before["totals"]), [0; 5]);
}

store_case!(case_c2m_adds_up, sqlite_c2m_adds_up, postgres_c2m_adds_up);
