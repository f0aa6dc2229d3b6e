//! The forecast before a scheduled session and the replenishment advice, over real HTTP on
//! both stores. The history is made the way production makes it: sessions scheduled, taken
//! live, bought in and paid through the sandbox, ended (only the viewer counts, which the
//! room hub keeps, are credited directly).

mod common;

use common::forecast::*;
use common::supplier::{set_stock, wait_until, Mode, Simulator};
use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;

fn f(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"))
}

/// A warm anchor's SKU is forecast from its own sessions and the interval holds what such
/// sessions sold; a deeper discount forecasts more; a SKU new to the pool falls back to the
/// anchor's category; a new anchor falls back to the SKU across anchors (and the platform's
/// audience), a new anchor with a new SKU to the platform's category, and a SKU of a category
/// never sold to nothing; each says so. Who may see it: the anchor, operators and each
/// supplier for its own SKUs.
async fn case_forecasts_and_fallbacks(app: &TestApp) {
    let world = world(app, "fc").await;
    let deep = schedule(
        app,
        &world.anchor,
        24 * HOUR_MS,
        &[(world.sku, 7_000), (world.new_sku, 10_000)],
    )
    .await;
    let full = schedule(app, &world.anchor, 25 * HOUR_MS, &[(world.sku, 10_000)]).await;

    let forecast = app
        .get(
            &format!("/api/live-sessions/{deep}/forecast"),
            &world.anchor,
        )
        .await
        .expect(200);
    assert_eq!(forecast["audience_basis"], "anchor_sessions", "{forecast}");
    assert_eq!(f(&forecast["expected_viewers"]), PAST_VIEWERS as f64);
    let warm = item_of(&forecast, world.sku);
    assert_eq!(warm["basis"], "anchor_sku", "{warm}");
    assert_eq!(warm["basis_sessions"], 6);
    assert_eq!(warm["price_ratio"], 0.7);
    // The sessions at 30% off sold 28 to 31.
    let (lower, mean, upper) = (
        f(&warm["lower_units"]),
        f(&warm["mean_units"]),
        f(&warm["upper_units"]),
    );
    assert!(lower <= 30.0 && 30.0 <= upper, "{warm}");
    assert!(lower <= mean && mean <= upper, "{warm}");
    assert!((15.0..=45.0).contains(&mean), "{warm}");
    let new = item_of(&forecast, world.new_sku);
    assert_eq!(new["basis"], "anchor_category", "{new}");
    assert!(f(&new["mean_units"]) > 0.0, "{new}");

    // The same SKU at the pool price forecasts less than at 30% off.
    let at_full = app
        .get(
            &format!("/api/live-sessions/{full}/forecast"),
            &world.anchor,
        )
        .await
        .expect(200);
    let at_full = item_of(&at_full, world.sku);
    assert_eq!(at_full["basis"], "anchor_sku");
    assert!(f(&at_full["mean_units"]) < mean, "{at_full} vs {warm}");
    assert!(
        (5.0..=20.0).contains(&f(&at_full["mean_units"])),
        "{at_full}"
    );

    // A new anchor, without sessions or followers.
    let cold = app.account("fc-cold", "anchor").await;
    for sku in [world.sku, world.new_sku] {
        app.put(&format!("/api/anchor/shelf/{sku}"), &cold, &json!({}))
            .await
            .expect(200);
    }
    let shirt = shelved(
        app,
        &world.supplier,
        &cold,
        common::with(
            wide_sku("fc-SHIRT", "纯棉 衬衫"),
            json!({"category_id": 212, "attributes": [{"name": "尺码", "value": "L"}]}),
        ),
    )
    .await;
    let cold_session = schedule(
        app,
        &cold,
        24 * HOUR_MS,
        &[
            (world.sku, 10_000),
            (world.new_sku, 10_000),
            (shirt, 10_000),
        ],
    )
    .await;
    let forecast = app
        .get(
            &format!("/api/live-sessions/{cold_session}/forecast"),
            &cold,
        )
        .await
        .expect(200);
    assert_eq!(forecast["audience_basis"], "platform", "{forecast}");
    assert_eq!(item_of(&forecast, world.sku)["basis"], "sku_across_anchors");
    assert_eq!(
        item_of(&forecast, world.new_sku)["basis"],
        "platform_category"
    );
    let nothing = item_of(&forecast, shirt);
    assert_eq!(nothing["basis"], "no_history", "{nothing}");
    assert_eq!(f(&nothing["upper_units"]), 0.0);
    // Who may see it.
    let operator = app.operator().await;
    let seen = app
        .get(&format!("/api/live-sessions/{deep}/forecast"), &operator)
        .await
        .expect(200);
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(2));
    let other_supplier = south_supplier(app, "fc-other").await;
    let other_anchor = app.account("fc-other-anchor", "anchor").await;
    let theirs = shelved(
        app,
        &other_supplier,
        &world.anchor,
        wide_sku("fc-OTHER", "美的 空调"),
    )
    .await;
    let mixed = schedule(
        app,
        &world.anchor,
        26 * HOUR_MS,
        &[(world.sku, 9_000), (theirs, 9_000)],
    )
    .await;
    let mine = app
        .get(
            &format!("/api/live-sessions/{mixed}/forecast"),
            &world.supplier,
        )
        .await
        .expect(200);
    let skus: Vec<i64> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sku_id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(skus, vec![world.sku]);
    let all = app
        .get(
            &format!("/api/live-sessions/{mixed}/forecast"),
            &world.anchor,
        )
        .await
        .expect(200);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    app.get(
        &format!("/api/live-sessions/{deep}/forecast"),
        &other_supplier,
    )
    .await
    .expect_error(403, "forbidden");
    app.get(
        &format!("/api/live-sessions/{deep}/forecast"),
        &other_anchor,
    )
    .await
    .expect_error(403, "forbidden");
    let viewer = app.account("fc-viewer", "viewer").await;
    app.get(&format!("/api/live-sessions/{deep}/forecast"), &viewer)
        .await
        .expect_error(403, "forbidden");
    app.get_anonymous(&format!("/api/live-sessions/{deep}/forecast"))
        .await
        .expect_error(401, "unauthenticated");
    app.get("/api/live-sessions/999999/forecast", &world.anchor)
        .await
        .expect_error(404, "not_found");
    // Advice is the supplier's own business.
    app.get(
        &format!("/api/live-sessions/{deep}/replenishment"),
        &world.anchor,
    )
    .await
    .expect_error(403, "forbidden");
    app.get(
        &format!("/api/live-sessions/{deep}/replenishment"),
        &other_supplier,
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/supplier/replenishment", &viewer)
        .await
        .expect_error(403, "forbidden");
}

store_case!(
    case_forecasts_and_fallbacks,
    sqlite_forecasts_and_fallbacks,
    postgres_forecasts_and_fallbacks
);

/// The anchor's buyers are in 广州 and the stock in 上海: the advice moves the planned units
/// (the forecast's upper end, rounded up) south before the session starts; when the stock
/// left cannot cover the plan, the rest is a top-up at 广州. Across the supplier's upcoming
/// sessions, a later session is planned from what the earlier one leaves.
async fn case_replenishment_moves_and_tops_up(app: &TestApp) {
    let world = world(app, "rp").await;
    let first = schedule(app, &world.anchor, 24 * HOUR_MS, &[(world.sku, 7_000)]).await;
    let advice = app
        .get(
            &format!("/api/live-sessions/{first}/replenishment"),
            &world.supplier,
        )
        .await
        .expect(200);
    assert_eq!(advice["geography_basis"], "anchor_buyers", "{advice}");
    assert_eq!(advice["buyer_regions"][0]["name"], "广东省");
    assert_eq!(advice["buyer_regions"][0]["share"], 1.0);
    let starts = advice["starts_at_ms"].as_i64().expect("a start");
    assert_eq!(advice["act_by_ms"], starts);
    let item = &advice["items"][0];
    let planned = item["planned_units"].as_i64().expect("planned units");
    assert_eq!(planned as f64, f(&item["forecast"]["upper_units"]).ceil());
    assert!(planned >= 30, "{item}");
    let moves = item["moves"].as_array().expect("moves");
    assert_eq!(moves.len(), 1, "{item}");
    assert_eq!(moves[0]["from_code"], "SH");
    assert_eq!(moves[0]["to_code"], "GZ");
    assert_eq!(moves[0]["units"], planned);
    assert!(
        (1_100..1_300).contains(&moves[0]["distance_km"].as_i64().unwrap_or(0)),
        "{item}"
    );
    assert_eq!(item["top_ups"], json!([]));
    // 1,000 on hand less the 120 units the past orders claimed.
    let sh = item["warehouses"]
        .as_array()
        .expect("warehouses")
        .iter()
        .find(|w| w["code"] == "SH")
        .expect("SH")
        .clone();
    assert_eq!(sh["free_units"], 880, "{item}");
    assert_eq!(sh["need_units"], 0);

    // A second session of the same SKU: the list plans it from what the first leaves.
    let second = schedule(app, &world.anchor, 48 * HOUR_MS, &[(world.sku, 7_000)]).await;
    let all = app
        .get("/api/supplier/replenishment", &world.supplier)
        .await
        .expect(200);
    let sessions = all["sessions"].as_array().expect("sessions");
    let ids: Vec<i64> = sessions
        .iter()
        .map(|s| s["session_id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(ids, vec![first, second]);
    let later = &sessions[1]["items"][0];
    let later_planned = later["planned_units"].as_i64().expect("planned");
    let sh_later = later["warehouses"]
        .as_array()
        .expect("warehouses")
        .iter()
        .find(|w| w["code"] == "SH")
        .expect("SH")
        .clone();
    assert_eq!(
        sh_later["free_units"].as_i64(),
        Some(880 - planned),
        "{later}"
    );
    assert_eq!(later["moves"][0]["units"], later_planned);
    let alone = app
        .get(
            &format!("/api/live-sessions/{second}/replenishment"),
            &world.supplier,
        )
        .await
        .expect(200);
    assert_eq!(alone["items"][0]["warehouses"], later["warehouses"]);

    // Stock runs short: 5 free units at 上海 (120 are claimed), none at 广州.
    set_stock(app, &world.supplier, &world.code, "SH", 125, 2).await;
    let advice = app
        .get(
            &format!("/api/live-sessions/{first}/replenishment"),
            &world.supplier,
        )
        .await
        .expect(200);
    let item = &advice["items"][0];
    assert_eq!(item["moves"][0]["units"], 5, "{item}");
    assert_eq!(item["top_ups"].as_array().map(Vec::len), Some(1), "{item}");
    assert_eq!(item["top_ups"][0]["code"], "GZ");
    assert_eq!(item["top_ups"][0]["units"].as_i64(), Some(planned - 5));

    // Once the session is live, the advice is over.
    app.post_empty(&format!("/api/live-sessions/{first}/live"), &world.anchor)
        .await
        .expect(200);
    app.get(
        &format!("/api/live-sessions/{first}/replenishment"),
        &world.supplier,
    )
    .await
    .expect_error(409, "session_not_scheduled");
}

store_case!(
    case_replenishment_moves_and_tops_up,
    sqlite_replenishment_moves_and_tops_up,
    postgres_replenishment_moves_and_tops_up
);

/// Every replenishment event of `session` the supplier can pull, oldest first.
async fn advice_events(app: &TestApp, supplier: &str, session: i64) -> Vec<Value> {
    // The pull API shows events once they are half a second old.
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
            return events;
        }
        after = page["next_after"].as_i64().expect("a cursor");
        events.extend(got.into_iter().filter(|e| {
            e["kind"] == "replenishment.advised" && e["data"]["session_id"] == session
        }));
    }
}

/// Scheduling a session that sells the supplier's SKUs writes one `replenishment.advised`
/// event with the advice, delivered by signed webhook and pulled by cursor; putting the same
/// shelf again writes nothing new; a new price writes one more; a flash sale planned before
/// the start writes one more and forecasts more.
async fn case_advice_events_once_per_change(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let world = world(app, "ev").await;
    sim.register(app, &world.supplier).await;
    let session = schedule(app, &world.anchor, 24 * HOUR_MS, &[(world.sku, 10_000)]).await;
    let events = advice_events(app, &world.supplier, session).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event_id = events[0]["event_id"]
        .as_str()
        .expect("an event id")
        .to_owned();
    assert!(
        event_id.starts_with(&format!("replenishment.advised-{session}-")),
        "{event_id}"
    );
    let data = &events[0]["data"];
    assert_eq!(data["items"][0]["forecast"]["sku_id"], world.sku);
    assert_eq!(data["items"][0]["moves"][0]["to_code"], "GZ", "{data}");
    // The same advice, asked for by API.
    let asked = app
        .get(
            &format!("/api/live-sessions/{session}/replenishment"),
            &world.supplier,
        )
        .await
        .expect(200);
    assert_eq!(&asked, data);
    let delivered = event_id.clone();
    wait_until("the webhook delivers the advice", || {
        let delivered = delivered.clone();
        async move { sim.unique().contains(&delivered) }
    })
    .await;

    // The same shelf again: the same advice, no new event.
    let same = json!({"items": [{"sku_id": world.sku, "live_price_fen": 10_000}]});
    app.put(
        &format!("/api/live-sessions/{session}/items"),
        &world.anchor,
        &same,
    )
    .await
    .expect(200);
    assert_eq!(advice_events(app, &world.supplier, session).await.len(), 1);
    // A deeper discount: new advice.
    let deeper = json!({"items": [{"sku_id": world.sku, "live_price_fen": 7_000}]});
    app.put(
        &format!("/api/live-sessions/{session}/items"),
        &world.anchor,
        &deeper,
    )
    .await
    .expect(200);
    let events = advice_events(app, &world.supplier, session).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let before = f(&events[0]["data"]["items"][0]["forecast"]["mean_units"]);
    let after = f(&events[1]["data"]["items"][0]["forecast"]["mean_units"]);
    assert!(after > before, "{before} then {after}");

    // A flash sale before the start: one more event, with the flash price in it.
    let starts = asked["starts_at_ms"].as_i64().expect("a start");
    app.call(
        Method::POST,
        &format!("/api/live-sessions/{session}/flash-sales"),
        Some(&world.anchor),
        Some(
            &json!({"sku_id": world.sku, "price_fen": 6_500, "quantity": 20,
            "per_user_limit": 2, "starts_at_ms": starts + 600_000,
            "ends_at_ms": starts + 1_200_000}),
        ),
    )
    .await
    .expect(201);
    let events = advice_events(app, &world.supplier, session).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let flash = &events[2]["data"]["items"][0]["forecast"];
    assert_eq!(flash["flash_price_fen"], 6_500, "{flash}");
    assert_eq!(flash["promotion"], 1.0);

    // Other suppliers hear nothing of it.
    let stranger = south_supplier(app, "ev-stranger").await;
    assert!(advice_events(app, &stranger, session).await.is_empty());
}

store_case!(
    case_advice_events_once_per_change,
    sqlite_advice_events_once_per_change,
    postgres_advice_events_once_per_change
);
