//! Live-session data (docs/METRICS.md) driven through the real thing on both stores: viewers
//! join over the room's WebSocket, like and comment, buyers order in the session and pay
//! through the sandbox gateway, a refund is decided in after-sales, and the session ends.
//! Then the minute rows must add up to the session's totals, conversion and average order
//! value must be what the figures say, regions must follow the addresses, each party must
//! see only what it may, and the report's JSON and CSV must agree.

mod common;

use common::session_sales::{buy_in_session, stage, watch, Stage, PRICE};
use common::supplier::{buyer, wait_until};
use common::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// A minute, in milliseconds.
const MINUTE_MS: i64 = 60_000;

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("a number, got {value}"))
}

/// The sum of `field` over a JSON array of objects.
fn sum(items: &Value, field: &str) -> i64 {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item[field].as_i64().unwrap_or(0))
        .sum()
}

async fn data(app: &TestApp, token: &str, session: i64) -> Value {
    app.get(&format!("/api/data/sessions/{session}"), token)
        .await
        .expect(200)
}

/// Waits until the session's data satisfies `check`, and returns it.
async fn data_when(
    app: &TestApp,
    token: &str,
    session: i64,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let check = &check;
    wait_until(
        what,
        || async move { check(&data(app, token, session).await) },
    )
    .await;
    data(app, token, session).await
}

/// A session watched, liked, commented on and bought in; the report's totals, minute rows,
/// SKUs, regions and CSV agree with what happened and with each other.
async fn case_minutes_add_up_to_the_report(app: &TestApp) {
    let Stage {
        anchor,
        a,
        b_supplier,
        b_sku,
        session,
    } = stage(app, "mins").await;
    // Zhejiang and Beijing buyers, a viewer who never buys, an anonymous visitor.
    let zj = buyer(app, "mins-zj", "330106").await;
    let bj = buyer(app, "mins-bj", "110105").await;
    let watcher = app.account("mins-watcher", "viewer").await;
    let _s1 = watch(app, session, Some(&zj.0), None).await;
    let _s2 = watch(app, session, Some(&bj.0), None).await;
    let _s3 = watch(app, session, Some(&watcher), None).await;
    let _s4 = watch(app, session, None, Some("visitor-0001")).await;
    // The same buyer on a second device: online twice, one unique viewer.
    let _s5 = watch(app, session, Some(&zj.0), None).await;
    let likes = [(&zj.0, 30), (&watcher, 12)];
    for (token, count) in likes {
        app.post(
            &format!("/api/live-sessions/{session}/likes"),
            token,
            &json!({ "count": count }),
        )
        .await
        .expect(204);
    }
    for (token, text) in [(&zj.0, "好看"), (&bj.0, "多少钱")] {
        app.post(
            &format!("/api/live-sessions/{session}/comments"),
            token,
            &json!({ "text": text }),
        )
        .await
        .expect(201);
    }
    let seen = data_when(
        app,
        &anchor,
        session,
        "the room's counters are written",
        |d| {
            let t = &d["totals"];
            t["unique_viewers"] == 4
                && t["likes"] == 42
                && t["comments"] == 2
                && t["peak_online"] == 5
        },
    )
    .await;
    assert_eq!(seen["scope"], "session");
    assert_eq!(seen["totals"]["online_now"], 5, "{seen}");

    // Nobody does anything for a minute: the room still writes the new minute's online.
    let quiet_minute = (int(&seen["as_of_ms"]) / MINUTE_MS + 1) * MINUTE_MS;
    let wait = quiet_minute + 2_500 - common::now_ms();
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(wait.max(0)).unwrap_or(0),
    ))
    .await;
    let quiet = data_when(app, &anchor, session, "a row for the quiet minute", |d| {
        d["series"]
            .as_array()
            .expect("a series")
            .iter()
            .any(|p| p["minute_ms"] == quiet_minute && p["online"] == 5)
    })
    .await;
    let point = quiet["series"]
        .as_array()
        .expect("a series")
        .iter()
        .find(|p| p["minute_ms"] == quiet_minute)
        .cloned()
        .expect("the quiet minute");
    assert_eq!(
        (int(&point["new_viewers"]), int(&point["likes"])),
        (0, 0),
        "{point}"
    );

    // Three orders from two buyers: A ×2 and B ×1 to Zhejiang, A ×1 to Beijing.
    let mut orders = vec![
        buy_in_session(app, session, a.sku, &zj, 2).await,
        buy_in_session(app, session, b_sku, &zj, 1).await,
        buy_in_session(app, session, a.sku, &bj, 1).await,
    ];

    // While live: no report yet; the supplier and the operator see the room selling.
    app.get(&format!("/api/data/sessions/{session}/report"), &anchor)
        .await
        .expect_error(409, "session_not_ended");
    let supplier_view = app.get("/api/supplier/data", &a.supplier).await.expect(200);
    assert_eq!(
        supplier_view["live"][0]["session"]["id"], session,
        "{supplier_view}"
    );
    assert_eq!(supplier_view["live"][0]["scope"], "supplier");
    assert_eq!(supplier_view["live"][0]["totals"]["units"], 3);
    assert_eq!(supplier_view["skus"][0]["id"], a.sku);
    assert_eq!(supplier_view["skus"][0]["units"], 3);
    assert_eq!(supplier_view["sessions"][0]["id"], session);
    assert_eq!(supplier_view["anchors"][0]["id"], a.anchor_id);
    assert_eq!(supplier_view["units"], 3);
    assert_eq!(supplier_view["gmv_fen"], 3 * PRICE);
    let operator = app.operator().await;
    let platform = app.get("/api/operator/data", &operator).await.expect(200);
    assert_eq!(platform["live_sessions"], 1, "{platform}");
    assert_eq!(platform["online_total"], 5, "{platform}");
    assert_eq!(platform["live"][0]["session"]["id"], session);
    assert_eq!(platform["live"][0]["totals"]["orders"], 3);
    let hour = int(&platform["hour_starts_at_ms"]);
    let this_hour = orders
        .iter()
        .filter(|o| int(&o["paid_at_ms"]) >= hour)
        .count() as i64;
    assert_eq!(sum(&platform["minutes"], "orders"), this_hour);
    assert_eq!(platform["hour_orders"], this_hour);
    assert!(
        platform["minutes"]
            .as_array()
            .expect("minutes")
            .windows(2)
            .all(|w| int(&w[1]["minute_ms"]) - int(&w[0]["minute_ms"]) == MINUTE_MS),
        "every minute of the hour is there: {platform}"
    );

    // The Beijing buyer asks for its money back before shipment; the supplier agrees.
    let refunded = int(&orders[2]["id"]);
    let request = app
        .post(
            &format!("/api/orders/{refunded}/after-sales"),
            &bj.0,
            &json!({"kind": "refund_only_not_shipped"}),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/supplier/after-sales/{}/decision", int(&request["id"])),
        &a.supplier,
        &json!({"decision": "approve"}),
    )
    .await
    .expect(200);

    app.post_empty(&format!("/api/live-sessions/{session}/end"), &anchor)
        .await
        .expect(200);
    for order in &mut orders {
        let id = int(&order["id"]);
        *order = app
            .get(
                &format!("/api/orders/{id}"),
                if id == refunded { &bj.0 } else { &zj.0 },
            )
            .await
            .expect(200);
    }

    let report = app
        .get(&format!("/api/data/sessions/{session}/report"), &anchor)
        .await
        .expect(200);
    let totals = &report["totals"];
    let series = &report["series"];
    assert_eq!(report["point_minutes"], 1);
    assert_eq!(totals["online_now"], Value::Null, "ended: {report}");
    let went_live = int(&report["session"]["went_live_at_ms"]);
    assert_eq!(
        int(&totals["duration_ms"]),
        int(&report["session"]["ended_at_ms"]) - went_live
    );
    assert!(
        went_live < quiet_minute,
        "it was live through the quiet minute"
    );

    // The audience's minute rows add up to the session's counters.
    let counters = &report["session"]["counters"];
    assert_eq!(sum(series, "new_viewers"), 4);
    assert_eq!(totals["unique_viewers"], 4);
    assert_eq!(counters["unique_viewers"], 4);
    assert_eq!(sum(series, "likes"), 42);
    assert_eq!(totals["likes"], 42);
    assert_eq!(sum(series, "comments"), 2);
    assert_eq!(totals["comments"], 2);
    let peak = series
        .as_array()
        .expect("a series")
        .iter()
        .map(|p| int(&p["online_peak"]))
        .max();
    assert_eq!(peak, Some(5));
    assert_eq!(totals["peak_online"], 5);
    assert_eq!(
        series
            .as_array()
            .and_then(|s| s.last())
            .map(|p| &p["viewers"]),
        Some(&json!(4))
    );

    // Sales: every order in its paid minute; a refund does not take GMV back.
    assert_eq!(totals["orders"], 3);
    assert_eq!(totals["units"], 4);
    assert_eq!(totals["gmv_fen"], 4 * PRICE);
    assert_eq!(sum(series, "orders"), 3);
    assert_eq!(sum(series, "units"), 4);
    assert_eq!(sum(series, "gmv_fen"), 4 * PRICE);
    let mut by_minute: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for order in &orders {
        let minute = int(&order["paid_at_ms"]).div_euclid(MINUTE_MS) * MINUTE_MS;
        let entry = by_minute.entry(minute).or_default();
        entry.0 += 1;
        entry.1 += int(&order["quantity"]);
    }
    for (minute, (count, units)) in &by_minute {
        let point = series
            .as_array()
            .expect("a series")
            .iter()
            .find(|p| p["minute_ms"] == *minute)
            .unwrap_or_else(|| panic!("no point for minute {minute}: {series}"));
        assert_eq!(
            (int(&point["orders"]), int(&point["units"])),
            (*count, *units)
        );
    }

    // Two buyers of four viewers: 50%; average order value 4 × price ÷ 3, rounded half up.
    assert_eq!(totals["buyers"], 2);
    assert_eq!(totals["conversion_bps"], 5_000);
    assert_eq!(totals["average_order_fen"], (4 * PRICE * 2 + 3) / 6);
    let last = series
        .as_array()
        .and_then(|s| s.last())
        .cloned()
        .expect("a point");
    assert_eq!(
        (last["buyers"].clone(), last["conversion_bps"].clone()),
        (json!(2), json!(5_000))
    );

    // Per SKU, from the orders themselves, the same as the minutes.
    let skus = &report["skus"];
    assert_eq!(sum(skus, "orders"), 3);
    assert_eq!(sum(skus, "units"), 4);
    assert_eq!(sum(skus, "gmv_fen"), 4 * PRICE);
    let sku_a = skus
        .as_array()
        .expect("skus")
        .iter()
        .find(|s| s["sku_id"] == a.sku)
        .cloned()
        .expect("SKU A");
    assert_eq!((int(&sku_a["units"]), int(&sku_a["buyers"])), (3, 2));
    assert_eq!(sum(&sku_a["series"], "units"), 3, "{sku_a}");
    // The refund: one unit, the price back; the refunded unit went back into stock.
    assert_eq!(
        (
            int(&sku_a["refunded_orders"]),
            int(&sku_a["refunded_units"]),
            int(&sku_a["refunded_fen"])
        ),
        (1, 1, PRICE)
    );
    assert_eq!(
        report["refunds"],
        json!({"orders": 1, "units": 1, "fen": PRICE})
    );
    assert_eq!(sku_a["stock_left_at_end"], 10 - 2, "{sku_a}");
    let sku_b = skus
        .as_array()
        .expect("skus")
        .iter()
        .find(|s| s["sku_id"] == b_sku)
        .cloned()
        .expect("SKU B");
    assert_eq!((int(&sku_b["units"]), int(&sku_b["buyers"])), (1, 1));
    assert_eq!(sku_b["stock_left_at_end"], 4 - 1);

    // Regions by the province orders went to.
    let regions = &report["regions"];
    assert_eq!(regions[0]["province_code"], 330_000, "{regions}");
    assert_eq!(regions[0]["province"], "浙江省");
    assert_eq!(
        (
            int(&regions[0]["orders"]),
            int(&regions[0]["units"]),
            int(&regions[0]["buyers"])
        ),
        (2, 3, 1)
    );
    assert_eq!(regions[1]["province_code"], 110_000);
    assert_eq!(regions[1]["province"], "北京市");
    assert_eq!(
        (int(&regions[1]["orders"]), int(&regions[1]["gmv_fen"])),
        (1, PRICE)
    );

    // The CSV says what the JSON says.
    let csv = app
        .client
        .get(format!(
            "{}/api/data/sessions/{session}/report?format=csv",
            app.base_url
        ))
        .bearer_auth(&anchor)
        .send()
        .await
        .expect("the CSV");
    assert_eq!(csv.status().as_u16(), 200);
    let content_type = csv
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = csv.text().await.expect("CSV text");
    let rows = csv_rows(&text);
    let total = &rows
        .iter()
        .find(|r| r["section"] == "total")
        .expect("a total row");
    for field in [
        "orders",
        "units",
        "gmv_fen",
        "buyers",
        "conversion_bps",
        "average_order_fen",
        "peak_online",
        "likes",
        "comments",
    ] {
        let column = if field == "peak_online" {
            "online_peak"
        } else {
            field
        };
        assert_eq!(
            total[column],
            totals[field].to_string(),
            "{field} in {text}"
        );
    }
    assert_eq!(total["viewers"], "4");
    assert_eq!(total["refunded_fen"], PRICE.to_string());
    let section_sum = |section: &str, column: &str| -> i64 {
        rows.iter()
            .filter(|r| r["section"] == section)
            .map(|r| r[column].parse::<i64>().unwrap_or(0))
            .sum()
    };
    assert_eq!(section_sum("sku", "units"), 4);
    assert_eq!(section_sum("minute", "gmv_fen"), 4 * PRICE);
    assert_eq!(section_sum("minute", "likes"), 42);
    assert_eq!(section_sum("region", "orders"), 3);
    assert_eq!(
        rows.iter().filter(|r| r["section"] == "minute").count(),
        series.as_array().map_or(0, Vec::len)
    );
    let stock_b = rows
        .iter()
        .find(|r| r["section"] == "sku" && r["id"] == b_sku.to_string())
        .expect("SKU B's row");
    assert_eq!(stock_b["stock_left_at_end"], "3");

    // The anchor's list says the same in brief.
    let list = app
        .get("/api/anchor/data/sessions", &anchor)
        .await
        .expect(200);
    assert_eq!(list["items"][0]["session"]["id"], session);
    assert_eq!(list["items"][0]["totals"]["gmv_fen"], 4 * PRICE);
    assert_eq!(list["items"][0]["totals"]["conversion_bps"], 5_000);

    // Supplier B sees its own SKU's part of the report, beside the room's audience.
    let part = app
        .get(&format!("/api/data/sessions/{session}/report"), &b_supplier)
        .await
        .expect(200);
    assert_eq!(part["scope"], "supplier");
    let part_skus: Vec<i64> = part["skus"]
        .as_array()
        .expect("skus")
        .iter()
        .map(|s| int(&s["sku_id"]))
        .collect();
    assert_eq!(part_skus, [b_sku]);
    assert_eq!(
        (
            int(&part["totals"]["orders"]),
            int(&part["totals"]["units"]),
            int(&part["totals"]["gmv_fen"])
        ),
        (1, 1, PRICE)
    );
    assert_eq!(part["totals"]["buyers"], 1);
    assert_eq!(
        part["totals"]["conversion_bps"], 2_500,
        "one buyer of four viewers"
    );
    assert_eq!(part["totals"]["unique_viewers"], 4);
    assert_eq!(sum(&part["series"], "units"), 1);
    assert!(
        part["series"]
            .as_array()
            .expect("a series")
            .iter()
            .all(|p| p["buyers"].is_null() && p["new_buyers"].is_null()),
        "a supplier does not see the session's buyers minute by minute"
    );
    assert_eq!(part["regions"].as_array().map(Vec::len), Some(1));
    assert_eq!(part["refunds"]["units"], 0);
    let part_csv = app
        .get_query(
            &format!("/api/data/sessions/{session}/report"),
            &b_supplier,
            &[("format", "csv")],
        )
        .await;
    assert_eq!(part_csv.status, 200);
    let part_rows = csv_rows(&part_csv.text);
    assert_eq!(
        part_rows.iter().filter(|r| r["section"] == "sku").count(),
        1,
        "{}",
        part_csv.text
    );
    assert!(!part_csv.text.contains(&format!("sku,{},", a.sku)));

    // Supplier A sees its own: three units to two buyers.
    let part_a = app
        .get(&format!("/api/data/sessions/{session}"), &a.supplier)
        .await
        .expect(200);
    assert_eq!(
        (
            int(&part_a["totals"]["units"]),
            int(&part_a["totals"]["buyers"])
        ),
        (3, 2)
    );

    // The operator sees everything.
    let full = app
        .get(&format!("/api/data/sessions/{session}/report"), &operator)
        .await
        .expect(200);
    assert_eq!(full["scope"], "session");
    assert_eq!(full["totals"], report["totals"]);
}
store_case!(
    case_minutes_add_up_to_the_report,
    sqlite_minutes_add_up_to_the_report,
    postgres_minutes_add_up_to_the_report
);

/// CSV rows as maps from the header's names.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|line| {
            let fields = split_csv(line);
            assert_eq!(fields.len(), header.len(), "{line}");
            header.iter().cloned().zip(fields).collect()
        })
        .collect()
}

/// One CSV line's fields (quoted fields may hold commas and doubled quotes).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
}

/// Only the session's anchor, operators and the suppliers it sells for may see its data;
/// bad input gets a coded error.
async fn case_who_sees_what(app: &TestApp) {
    let Stage {
        anchor, a, session, ..
    } = stage(app, "who").await;
    let data_path = format!("/api/data/sessions/{session}");
    let report_path = format!("/api/data/sessions/{session}/report");
    let viewer = app.account("who-viewer", "viewer").await;
    let other_anchor = app.account("who-other-anchor", "anchor").await;
    let other_supplier = app.supplier("别家供应商", "who-other-supply").await;
    for token in [&viewer, &other_anchor, &other_supplier] {
        app.get(&data_path, token)
            .await
            .expect_error(403, "forbidden");
        app.get(&report_path, token)
            .await
            .expect_error(403, "forbidden");
    }
    app.get_anonymous(&data_path)
        .await
        .expect_error(401, "unauthenticated");
    app.get(&data_path, &anchor).await.expect(200);
    assert_eq!(
        app.get(&data_path, &a.supplier).await.expect(200)["scope"],
        "supplier"
    );
    app.get("/api/data/sessions/987654", &anchor)
        .await
        .expect_error(404, "not_found");
    // Each role's own views are its own.
    app.get("/api/anchor/data/sessions", &viewer)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/supplier/data", &anchor)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/operator/data", &a.supplier)
        .await
        .expect_error(403, "forbidden");
    app.get_query("/api/supplier/data", &a.supplier, &[("days", "0")])
        .await
        .expect_error(422, "invalid_days");
    app.get_query("/api/supplier/data", &a.supplier, &[("days", "91")])
        .await
        .expect_error(422, "invalid_days");
    app.get_query("/api/anchor/data/sessions", &anchor, &[("limit", "0")])
        .await
        .expect_error(422, "invalid_limit");
    app.get_query(&report_path, &anchor, &[("format", "xml")])
        .await
        .expect_error(400, "invalid_query");
    // The other supplier has nothing in live rooms and no session selling its SKUs.
    let empty = app
        .get("/api/supplier/data", &other_supplier)
        .await
        .expect(200);
    assert_eq!(empty["skus"], json!([]));
    assert_eq!(empty["live"], json!([]));
    // Another anchor's list holds none of this session.
    let other = app
        .get("/api/anchor/data/sessions", &other_anchor)
        .await
        .expect(200);
    assert_eq!(other["items"], json!([]));
}
store_case!(
    case_who_sees_what,
    sqlite_who_sees_what,
    postgres_who_sees_what
);
