//! Receipt, settlement, payouts, statements and reconciliation over real HTTP on both
//! stores. Orders are bought and paid through the sandbox gateway, shipped and delivered by
//! the supplier simulator (a real server that checks every signed webhook), then confirmed
//! by the buyer or automatically after a short configured window, settled by runs that race,
//! paid out, stated to the fen and reconciled against the sandbox's own records.

mod common;

use common::supplier::*;
use common::{test_config, TestApp};
use daihuo_payment::PaymentGateway;
use daihuo_service::settlement::SettlementPolicy;
use daihuo_service::ServiceConfig;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Ships a routed order and reports its delivery; returns when it is `delivered`.
async fn ship_and_deliver(app: &TestApp, shop: &Shop, order: i64) {
    app.post(
        &format!("/api/supplier/orders/{order}/shipments"),
        &shop.supplier,
        &json!({"carrier": "yto", "waybill": format!("YT{:013}", order)}),
    )
    .await
    .expect(200);
    let t0 = common::now_ms();
    let report = app
        .post(
            &format!("/api/supplier/orders/{order}/tracking"),
            &shop.supplier,
            &json!({"events": [
                {"event_id": format!("{order}-picked"), "stage": "picked", "at_ms": t0 - 2_000},
                {"event_id": format!("{order}-delivered"), "stage": "delivered", "at_ms": t0}
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(report["order_status"], "delivered", "{report}");
}

/// Buys one unit, pays, ships and delivers; returns the order id.
async fn delivered_order(app: &TestApp, shop: &Shop, buyer: &(String, i64)) -> i64 {
    let order = buy_and_pay(app, shop, buyer, 1).await;
    assert_eq!(order_status(app, &buyer.0, order).await, "routed");
    ship_and_deliver(app, shop, order).await;
    order
}

/// The order as its buyer sees it.
async fn order_json(app: &TestApp, buyer: &str, order: i64) -> Value {
    app.get(&format!("/api/orders/{order}"), buyer)
        .await
        .expect(200)
}

/// A supplier's id, from its staff's account.
async fn supplier_id(app: &TestApp, supplier: &str) -> i64 {
    app.get("/api/me", supplier).await.expect(200)["supplier_id"]
        .as_i64()
        .expect("a supplier id")
}

/// One ledger balance of one party (debits minus credits).
fn party_balance(rows: &[(String, Option<i64>, i64)], account: &str, party: i64) -> i64 {
    rows.iter()
        .filter(|(a, p, _)| a == account && *p == Some(party))
        .map(|(_, _, fen)| fen)
        .sum()
}

/// The buyer confirms receipt of a delivered order: it becomes `completed`, the time is
/// kept, the supplier gets a signed `order.completed` webhook, and only the buyer of a
/// delivered order may confirm.
async fn case_buyer_confirms_receipt(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "recv", 5, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "recv-buyer", "330106").await;
    let stranger = app.account("recv-stranger", "viewer").await;
    let order = delivered_order(app, &shop, &buyer).await;
    let routed = buy_and_pay(app, &shop, &buyer, 1).await;

    let receipt = format!("/api/orders/{order}/receipt");
    app.post_empty(&receipt, &stranger)
        .await
        .expect_error(404, "not_found");
    app.post_empty(&receipt, &shop.supplier)
        .await
        .expect_error(404, "not_found");
    app.post_empty(&format!("/api/orders/{routed}/receipt"), &buyer.0)
        .await
        .expect_error(409, "order_not_delivered");

    let before = common::now_ms();
    let confirmed = app.post_empty(&receipt, &buyer.0).await.expect(200);
    assert_eq!(confirmed["status"], "completed", "{confirmed}");
    let delivered_at = confirmed["delivered_at_ms"].as_i64().expect("delivered at");
    let completed_at = confirmed["completed_at_ms"].as_i64().expect("completed at");
    assert!(
        delivered_at <= completed_at && completed_at >= before,
        "{confirmed}"
    );
    // Confirming again answers the same and changes nothing.
    let again = app.post_empty(&receipt, &buyer.0).await.expect(200);
    assert_eq!(again["completed_at_ms"], completed_at);
    assert_eq!(order_status(app, &buyer.0, order).await, "completed");

    wait_until("the supplier hears of the completion", || async move {
        sim.received()
            .iter()
            .any(|e| e["kind"] == "order.completed" && e["data"]["order_id"] == order)
    })
    .await;
    let events: Vec<Value> = sim
        .received()
        .into_iter()
        .filter(|e| e["kind"] == "order.completed")
        .collect();
    assert_eq!(events[0]["data"]["confirmed_by"], "buyer");
    assert_eq!(events[0]["data"]["completed_at_ms"], completed_at);
    assert_eq!(events[0]["event_id"], format!("order.completed-{order}"));
    assert_eq!(sim.bad_signatures(), 0);
    // With the default 7-day window nothing was confirmed automatically.
    assert_eq!(order_status(app, &buyer.0, routed).await, "routed");
}

store_case!(
    case_buyer_confirms_receipt,
    sqlite_buyer_confirms_receipt,
    postgres_buyer_confirms_receipt
);

/// Receipt is confirmed 1 s after delivery and orders settle 1 s after completion, with
/// the sweeper starting a run every 100 ms.
fn short_windows() -> ServiceConfig {
    ServiceConfig {
        settlement: SettlementPolicy {
            receipt_after: Duration::from_millis(1_000),
            settle_after: Duration::from_millis(1_000),
            run_every: Some(Duration::from_millis(100)),
        },
        ..test_config()
    }
}

/// Without a word from the buyer, receipt is confirmed once the configured window after
/// delivery has passed, the supplier is told, and the sweeper's settlement run moves the
/// order's supplier and anchor shares to payable once the settlement window has passed.
async fn case_receipt_confirmed_automatically_then_settled(app: &TestApp) {
    let sim = &Simulator::start(Mode::Up).await;
    let shop = shop(app, "auto", 5, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "auto-buyer", "330106").await;
    let order = delivered_order(app, &shop, &buyer).await;
    let (token, id) = (&buyer.0, order);
    wait_until("receipt is confirmed automatically", || async move {
        order_status(app, token, id).await == "completed"
    })
    .await;
    let receipt = app
        .post_empty(&format!("/api/orders/{order}/receipt"), &buyer.0)
        .await
        .expect(200);
    let delivered_at = receipt["delivered_at_ms"].as_i64().expect("delivered at");
    let completed_at = receipt["completed_at_ms"].as_i64().expect("completed at");
    assert!(
        completed_at - delivered_at >= 1_000,
        "confirmed {} ms after delivery",
        completed_at - delivered_at
    );
    wait_until("the supplier hears of the completion", || async move {
        sim.received()
            .iter()
            .any(|e| e["kind"] == "order.completed" && e["data"]["confirmed_by"] == "automatic")
    })
    .await;

    let operator = app.operator().await;
    let operator = &operator;
    wait_until("a sweeper run settles the order", || async move {
        let runs = app
            .get("/api/operator/settlement/runs", operator)
            .await
            .expect(200);
        runs.as_array()
            .expect("runs")
            .iter()
            .any(|r| r["trigger"] == "sweeper" && r["orders"] == 1)
    })
    .await;
    let runs = app
        .get("/api/operator/settlement/runs", operator)
        .await
        .expect(200);
    let run = runs
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["orders"] == 1)
        .expect("the run")
        .clone();
    assert!(
        run["cutoff_ms"].as_i64().expect("cutoff") >= completed_at,
        "{run}"
    );
    assert!(run["started_at_ms"].as_i64().expect("start") - completed_at >= 1_000);
    let split = &order_json(app, &buyer.0, order).await["split"];
    assert_eq!(run["supplier_fen"], split["supplier"], "{run}");
    assert_eq!(run["commission_fen"], split["commission"], "{run}");
    let supplier = supplier_id(app, &shop.supplier).await;
    let rows = balances(app).await;
    assert_eq!(party_balance(&rows, "supplier_pending", supplier), 0);
    assert_eq!(
        -party_balance(&rows, "supplier_payable", supplier),
        split["supplier"].as_i64().expect("supplier share")
    );
    assert_eq!(
        -party_balance(&rows, "commission_payable", shop.anchor_id),
        split["commission"].as_i64().expect("commission")
    );
}

store_case_with!(
    case_receipt_confirmed_automatically_then_settled,
    short_windows(),
    sqlite_receipt_confirmed_automatically_then_settled,
    postgres_receipt_confirmed_automatically_then_settled
);

/// An open after-sales request holds the automatic receipt: the order stays delivered past
/// the window while the request is open, and is confirmed once the buyer withdraws it.
async fn case_open_after_sales_holds_receipt(app: &TestApp) {
    let shop = shop(app, "hold", 5, 0).await;
    let buyer = buyer(app, "hold-buyer", "330106").await;
    let order = delivered_order(app, &shop, &buyer).await;
    let token = &buyer.0;
    let request = app
        .post(
            &format!("/api/orders/{order}/after-sales"),
            token,
            &json!({"kind": "no_reason_return"}),
        )
        .await
        .expect(201);
    // Past the 1 s window and many 100 ms sweeps: a negative can only be waited for.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    app.services.sweep_checkout().await.expect("a sweep");
    assert_eq!(order_status(app, token, order).await, "delivered");
    let id = request["id"].as_i64().expect("a request id");
    app.post_empty(&format!("/api/after-sales/{id}/withdraw"), token)
        .await
        .expect(200);
    wait_until(
        "receipt is confirmed once the request is withdrawn",
        || async move { order_status(app, token, order).await == "completed" },
    )
    .await;
}

store_case_with!(
    case_open_after_sales_holds_receipt,
    short_windows(),
    sqlite_open_after_sales_holds_receipt,
    postgres_open_after_sales_holds_receipt
);

/// Orders settle at completion and only operators start runs, so runs can be raced by hand.
fn operator_runs_only() -> ServiceConfig {
    ServiceConfig {
        settlement: SettlementPolicy {
            settle_after: Duration::ZERO,
            run_every: None,
            ..SettlementPolicy::default()
        },
        ..test_config()
    }
}

/// Three completed orders of two suppliers and two anchors: two operator runs started at
/// once settle each order exactly once and move exactly the orders' shares to payable; a
/// delivered order that is not completed is not settled; a later run finds nothing.
async fn case_settlement_runs_race(app: &TestApp) {
    let first = shop(app, "race-a", 5, 0).await;
    let second = shop(app, "race-b", 5, 0).await;
    let buyer = buyer(app, "race-buyer", "330106").await;
    let mut orders = Vec::new();
    for shop in [&first, &first, &second] {
        orders.push(delivered_order(app, shop, &buyer).await);
    }
    let open = delivered_order(app, &first, &buyer).await;
    let operator = app.operator().await;
    // Nothing is completed yet: a run settles nothing.
    let empty = app
        .post_empty("/api/operator/settlement/runs", &operator)
        .await
        .expect(201);
    assert_eq!(empty["orders"], 0, "{empty}");
    for order in &orders {
        app.post_empty(&format!("/api/orders/{order}/receipt"), &buyer.0)
            .await
            .expect(200);
    }
    let (a, b) = tokio::join!(
        app.post_empty("/api/operator/settlement/runs", &operator),
        app.post_empty("/api/operator/settlement/runs", &operator),
    );
    let (a, b) = (a.expect(201), b.expect(201));
    assert_eq!(
        a["orders"].as_i64().unwrap_or(-1) + b["orders"].as_i64().unwrap_or(-1),
        3,
        "{a} {b}"
    );
    let later = app
        .post_empty("/api/operator/settlement/runs", &operator)
        .await
        .expect(201);
    assert_eq!(later["orders"], 0, "{later}");

    // What should have moved, per party.
    let mut expected: HashMap<(String, i64), i64> = HashMap::new();
    for (order, shop) in orders.iter().zip([&first, &first, &second]) {
        let split = order_json(app, &buyer.0, *order).await["split"].clone();
        let supplier = supplier_id(app, &shop.supplier).await;
        *expected.entry(("supplier".into(), supplier)).or_default() +=
            split["supplier"].as_i64().expect("supplier share");
        *expected
            .entry(("anchor".into(), shop.anchor_id))
            .or_default() += split["commission"].as_i64().expect("commission");
    }
    // The runs' totals together are exactly that.
    let mut totals: HashMap<(String, i64), i64> = HashMap::new();
    for run in [&a, &b] {
        for total in run["totals"].as_array().expect("totals") {
            *totals
                .entry((
                    total["party"]["kind"].as_str().unwrap_or("").to_owned(),
                    total["party"]["id"].as_i64().unwrap_or(0),
                ))
                .or_default() += total["fen"].as_i64().expect("fen");
        }
    }
    assert_eq!(totals, expected);
    // And so is the ledger: payable holds exactly the shares, pending only the open order's.
    let rows = balances(app).await;
    let open_split = order_json(app, &buyer.0, open).await["split"].clone();
    for ((kind, party), fen) in &expected {
        let (pending, payable) = match kind.as_str() {
            "supplier" => ("supplier_pending", "supplier_payable"),
            _ => ("commission_pending", "commission_payable"),
        };
        assert_eq!(
            -party_balance(&rows, payable, *party),
            *fen,
            "{kind} {party}"
        );
        let still_pending =
            if *party == supplier_id(app, &first.supplier).await && kind == "supplier" {
                open_split["supplier"].as_i64().unwrap_or(0)
            } else if *party == first.anchor_id && kind == "anchor" {
                open_split["commission"].as_i64().unwrap_or(0)
            } else {
                0
            };
        assert_eq!(
            -party_balance(&rows, pending, *party),
            still_pending,
            "{kind} {party}"
        );
    }
    // Each order was settled by exactly one posting.
    let statement = app
        .get("/api/supplier/statement", &first.supplier)
        .await
        .expect(200);
    let mut settlement_lines: HashMap<i64, usize> = HashMap::new();
    for line in statement["lines"].as_array().expect("lines") {
        if line["kind"] == "settlement" {
            *settlement_lines
                .entry(line["order_id"].as_i64().expect("an order"))
                .or_default() += 1;
        }
    }
    // Two lines (pending and payable) per settled order of the first supplier, none for the
    // open one.
    assert_eq!(
        settlement_lines,
        HashMap::from([(orders[0], 2), (orders[1], 2)])
    );
    // The runs are listed for operators, newest first, and for nobody else.
    let runs = app
        .get("/api/operator/settlement/runs", &operator)
        .await
        .expect(200);
    let ids: Vec<i64> = runs
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(ids.len(), 4, "{runs}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let one = app
        .get(
            &format!("/api/operator/settlement/runs/{}", a["id"]),
            &operator,
        )
        .await
        .expect(200);
    assert_eq!(one["totals"], a["totals"]);
    app.get("/api/operator/settlement/runs", &first.supplier)
        .await
        .expect_error(403, "forbidden");
    app.post_empty("/api/operator/settlement/runs", &buyer.0)
        .await
        .expect_error(403, "forbidden");
}

store_case_with!(
    case_settlement_runs_race,
    operator_runs_only(),
    sqlite_settlement_runs_race,
    postgres_settlement_runs_race
);

/// Checks a statement adds up: each line's running balances follow from the previous ones,
/// and the closing balances are the opening ones plus every line, to the fen.
fn assert_adds_up(statement: &Value) {
    let mut pending = statement["opening"]["pending_fen"]
        .as_i64()
        .expect("opening");
    let mut payable = statement["opening"]["payable_fen"]
        .as_i64()
        .expect("opening");
    for line in statement["lines"].as_array().expect("lines") {
        let amount = line["amount_fen"].as_i64().expect("amount");
        match line["account"].as_str() {
            Some("pending") => pending += amount,
            Some("payable") => payable += amount,
            other => panic!("account {other:?}"),
        }
        assert_eq!(line["pending_balance_fen"], pending, "{line}");
        assert_eq!(line["payable_balance_fen"], payable, "{line}");
    }
    assert_eq!(statement["closing"]["pending_fen"], pending, "{statement}");
    assert_eq!(statement["closing"]["payable_fen"], payable, "{statement}");
}

/// Reads a statement as CSV: checks the Content-Type and the header row, and returns the
/// rows as fields.
async fn statement_csv(
    app: &TestApp,
    path: &str,
    token: &str,
    query: &[(&str, &str)],
) -> Vec<Vec<String>> {
    let mut query = query.to_vec();
    query.push(("format", "csv"));
    let response = app
        .client
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .query(&query)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let text = response.text().await.expect("a body");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("posting_id,at_ms,order_id,kind,account,amount_fen,pending_balance_fen,payable_balance_fen")
    );
    lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn fen(field: &str) -> i64 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("a number: {field:?}"))
}

/// After settlement and a payout, the supplier's and the anchor's statements (JSON and CSV)
/// add up to the fen and end at the ledger's balances; a period split in two joins up; an
/// operator reads the same statement; nobody reads another party's.
async fn case_statements_add_up(app: &TestApp) {
    let shop = shop(app, "stmt", 5, 0).await;
    let other = shop_named(app, "stmt-other").await;
    let buyer = buyer(app, "stmt-buyer", "330106").await;
    let start = common::now_ms();
    let settled = delivered_order(app, &shop, &buyer).await;
    app.post_empty(&format!("/api/orders/{settled}/receipt"), &buyer.0)
        .await
        .expect(200);
    let operator = app.operator().await;
    let run = app
        .post_empty("/api/operator/settlement/runs", &operator)
        .await
        .expect(201);
    assert_eq!(run["orders"], 1);
    let middle = common::now_ms() + 1;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let pending = delivered_order(app, &shop, &buyer).await;
    let supplier = supplier_id(app, &shop.supplier).await;
    let split = order_json(app, &buyer.0, settled).await["split"].clone();
    let share = split["supplier"].as_i64().expect("supplier share");
    app.post(
        "/api/operator/payouts",
        &operator,
        &json!({"party": {"kind": "supplier", "id": supplier}, "amount_fen": share / 3,
            "reference": "BANK-stmt-1"}),
    )
    .await
    .expect(201);

    let own = app
        .get("/api/supplier/statement", &shop.supplier)
        .await
        .expect(200);
    assert_adds_up(&own);
    assert_eq!(own["party"], json!({"kind": "supplier", "id": supplier}));
    assert_eq!(own["opening"], json!({"pending_fen": 0, "payable_fen": 0}));
    let rows = balances(app).await;
    assert_eq!(
        own["closing"]["pending_fen"],
        -party_balance(&rows, "supplier_pending", supplier)
    );
    assert_eq!(
        own["closing"]["payable_fen"],
        -party_balance(&rows, "supplier_payable", supplier)
    );
    assert_eq!(own["closing"]["payable_fen"], share - share / 3);
    let kinds: Vec<&str> = own["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["payment", "settlement", "settlement", "payment", "payout"],
        "{own}"
    );
    let last_payment = own["lines"][3].clone();
    assert_eq!(last_payment["order_id"], pending);

    // The CSV holds the same lines, between an opening and a closing row.
    let csv = statement_csv(app, "/api/supplier/statement", &shop.supplier, &[]).await;
    assert_eq!(csv.len(), kinds.len() + 2);
    assert_eq!(csv[0][3], "opening");
    assert_eq!(csv[csv.len() - 1][3], "closing");
    let mut pending_fen = fen(&csv[0][6]);
    let mut payable_fen = fen(&csv[0][7]);
    for (row, line) in csv[1..csv.len() - 1]
        .iter()
        .zip(own["lines"].as_array().expect("lines"))
    {
        assert_eq!(row.len(), 8);
        assert_eq!(fen(&row[0]), line["posting_id"].as_i64().expect("posting"));
        assert_eq!(row[3], line["kind"].as_str().expect("kind"));
        match row[4].as_str() {
            "pending" => pending_fen += fen(&row[5]),
            _ => payable_fen += fen(&row[5]),
        }
        assert_eq!((fen(&row[6]), fen(&row[7])), (pending_fen, payable_fen));
    }
    let closing = &csv[csv.len() - 1];
    assert_eq!(
        (fen(&closing[6]), fen(&closing[7])),
        (pending_fen, payable_fen)
    );
    assert_eq!(own["closing"]["pending_fen"], pending_fen);
    assert_eq!(own["closing"]["payable_fen"], payable_fen);

    // Two halves of a period join up: the first's closing is the second's opening, and the
    // lines are the whole's.
    let (from, middle_text) = (start.to_string(), middle.to_string());
    let first_half = app
        .get_query(
            "/api/supplier/statement",
            &shop.supplier,
            &[("from_ms", &from), ("to_ms", &middle_text)],
        )
        .await
        .expect(200);
    let second_half = app
        .get_query(
            "/api/supplier/statement",
            &shop.supplier,
            &[("from_ms", &middle_text)],
        )
        .await
        .expect(200);
    assert_adds_up(&first_half);
    assert_adds_up(&second_half);
    assert_eq!(first_half["closing"], second_half["opening"]);
    assert_eq!(second_half["closing"], own["closing"]);
    assert_eq!(
        first_half["lines"].as_array().map(Vec::len).unwrap_or(0)
            + second_half["lines"].as_array().map(Vec::len).unwrap_or(0),
        kinds.len()
    );

    // The anchor's commission statement.
    let anchor = app.sign_in("stmt-anchor", common::PASSWORD).await;
    let commission = app.get("/api/anchor/statement", &anchor).await.expect(200);
    assert_adds_up(&commission);
    assert_eq!(
        commission["closing"]["payable_fen"],
        -party_balance(&rows, "commission_payable", shop.anchor_id)
    );
    assert_eq!(commission["closing"]["payable_fen"], split["commission"]);
    let anchor_csv = statement_csv(app, "/api/anchor/statement", &anchor, &[]).await;
    let anchor_closing = &anchor_csv[anchor_csv.len() - 1];
    assert_eq!(
        json!(fen(&anchor_closing[7])),
        commission["closing"]["payable_fen"]
    );

    // An operator reads the same; others cannot.
    let by_operator = app
        .get(
            &format!("/api/operator/statements/supplier/{supplier}"),
            &operator,
        )
        .await
        .expect(200);
    assert_eq!(by_operator["lines"], own["lines"]);
    assert_eq!(by_operator["closing"], own["closing"]);
    let _ = statement_csv(
        app,
        &format!("/api/operator/statements/anchor/{}", shop.anchor_id),
        &operator,
        &[],
    )
    .await;
    app.get(
        &format!("/api/operator/statements/supplier/{supplier}"),
        &other,
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/operator/statements/supplier/999999", &operator)
        .await
        .expect_error(404, "not_found");
    app.get("/api/anchor/statement", &shop.supplier)
        .await
        .expect_error(403, "forbidden");
    app.get_query(
        "/api/supplier/statement",
        &shop.supplier,
        &[("from_ms", "10"), ("to_ms", "5")],
    )
    .await
    .expect_error(422, "invalid_period");
}

store_case_with!(
    case_statements_add_up,
    operator_runs_only(),
    sqlite_statements_add_up,
    postgres_statements_add_up
);

/// A supplier's staff token, for a supplier with nothing.
async fn shop_named(app: &TestApp, name: &str) -> String {
    app.supplier(&format!("{name}的供应商"), &format!("{name}-supply"))
        .await
}

/// Payouts: only what is payable, recorded with a reference that makes a retry harmless; a
/// party that owes the platform is refused with its own code.
async fn case_payouts(app: &TestApp) {
    let shop = shop(app, "pay", 5, 0).await;
    let buyer = buyer(app, "pay-buyer", "330106").await;
    let order = delivered_order(app, &shop, &buyer).await;
    let operator = app.operator().await;
    let supplier = supplier_id(app, &shop.supplier).await;
    let party = json!({"kind": "supplier", "id": supplier});
    let pay = |amount: i64, reference: &str| json!({"party": party, "amount_fen": amount, "reference": reference});
    // Nothing is payable before settlement.
    app.post("/api/operator/payouts", &operator, &pay(1, "BANK-0"))
        .await
        .expect_error(409, "payout_exceeds_payable");
    app.post_empty(&format!("/api/orders/{order}/receipt"), &buyer.0)
        .await
        .expect(200);
    app.post_empty("/api/operator/settlement/runs", &operator)
        .await
        .expect(201);
    let share = order_json(app, &buyer.0, order).await["split"]["supplier"]
        .as_i64()
        .expect("supplier share");
    app.post(
        "/api/operator/payouts",
        &operator,
        &pay(share + 1, "BANK-1"),
    )
    .await
    .expect_error(409, "payout_exceeds_payable");
    app.post("/api/operator/payouts", &operator, &pay(0, "BANK-1"))
        .await
        .expect_error(422, "amount_not_positive");
    app.post("/api/operator/payouts", &operator, &pay(1, "  "))
        .await
        .expect_error(422, "invalid_payout_reference");
    app.post("/api/operator/payouts", &shop.supplier, &pay(1, "BANK-1"))
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/api/operator/payouts",
        &operator,
        &json!({"party": {"kind": "anchor", "id": supplier + 100_000}, "amount_fen": 1,
            "reference": "BANK-1"}),
    )
    .await
    .expect_error(404, "not_found");

    let first = app
        .post(
            "/api/operator/payouts",
            &operator,
            &pay(share - 100, "BANK-1"),
        )
        .await
        .expect(201);
    assert_eq!(first["amount_fen"], share - 100);
    // The same transfer again is the same payout; its reference with another amount is not.
    let replay = app
        .post(
            "/api/operator/payouts",
            &operator,
            &pay(share - 100, "BANK-1"),
        )
        .await
        .expect(201);
    assert_eq!(replay["id"], first["id"]);
    app.post("/api/operator/payouts", &operator, &pay(100, "BANK-1"))
        .await
        .expect_error(409, "payout_reference_used");
    app.post("/api/operator/payouts", &operator, &pay(101, "BANK-2"))
        .await
        .expect_error(409, "payout_exceeds_payable");
    app.post("/api/operator/payouts", &operator, &pay(100, "BANK-2"))
        .await
        .expect(201);
    let rows = balances(app).await;
    assert_eq!(party_balance(&rows, "supplier_payable", supplier), 0);
    assert_eq!(balance(&rows, "payouts"), -share);
    let listed = app
        .get_query(
            "/api/operator/payouts",
            &operator,
            &[("kind", "supplier"), ("id", &supplier.to_string())],
        )
        .await
        .expect(200);
    let references: Vec<&str> = listed
        .as_array()
        .expect("payouts")
        .iter()
        .map(|p| p["reference"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(references, ["BANK-2", "BANK-1"]);

    // A refund after settlement and payout takes the supplier's share back from payable:
    // the supplier then owes the platform. (After-sales refunds are not on this branch; the
    // domain's refund posting of the whole order, appended as the refund path appends it,
    // stands in for one.)
    let refund = {
        use daihuo_domain::ledger::{Account, Entry, Posting, PostingKind};
        use daihuo_domain::{Fen, OrderId, SupplierId};
        Posting::new(
            PostingKind::Refund,
            Some(OrderId(order)),
            vec![
                Entry::debit(Account::SupplierPayable(SupplierId(supplier)), Fen(share)),
                Entry::credit(Account::RefundsOwed, Fen(share)),
            ],
        )
        .expect("a balanced posting")
    };
    let entries: Vec<daihuo_store::fulfilment::EntryRow> = refund
        .entries()
        .iter()
        .map(|e| daihuo_store::fulfilment::EntryRow {
            account: e.account.name(),
            party_id: e.account.party().map(|_| supplier),
            side: if e.signed() > 0 { "debit" } else { "credit" },
            amount_fen: e.amount.0,
        })
        .collect();
    let mut tx = app.services.store.begin_write().await.expect("begin");
    daihuo_store::fulfilment::append_posting(
        tx.conn(),
        "refund",
        Some(daihuo_domain::OrderId(order)),
        &entries,
        common::now_ms(),
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");
    app.post("/api/operator/payouts", &operator, &pay(1, "BANK-3"))
        .await
        .expect_error(409, "party_owes_platform");
    let statement = app
        .get("/api/supplier/statement", &shop.supplier)
        .await
        .expect(200);
    assert_adds_up(&statement);
    assert_eq!(statement["closing"]["payable_fen"], -share);
}

store_case_with!(
    case_payouts,
    operator_runs_only(),
    sqlite_payouts,
    postgres_payouts
);

/// Reads the reconciliation report from `from` on.
async fn reconciliation(app: &TestApp, operator: &str, from: i64) -> Value {
    app.get_query(
        "/api/operator/reconciliation",
        operator,
        &[("from_ms", &from.to_string())],
    )
    .await
    .expect(200)
}

/// After real sandbox payments (and a refund of an order no warehouse could serve) the
/// gateway's records, daihuo's and the ledger's agree; a payment made directly on the
/// sandbox that daihuo never recorded, and a recorded amount that was altered, are flagged,
/// in JSON and in CSV.
async fn case_reconciliation(app: &TestApp) {
    let shop = shop(app, "recon", 2, 1).await;
    let buyer = buyer(app, "recon-buyer", "330106").await;
    let start = common::now_ms();
    let first = buy_and_pay(app, &shop, &buyer, 1).await;
    let second = buy_and_pay(app, &shop, &buyer, 1).await;
    // The last unit is for sale, but the supplier reports its warehouse empty before the
    // buyer pays: the paid order is refunded through the sandbox.
    let (supplier, code) = (&shop.supplier, &shop.code);
    let third = buy_and_pay_after(app, &shop, &buyer, 1, || async move {
        set_stock(app, supplier, code, "BJ", 0, 2).await;
    })
    .await;
    let (token, id) = (&buyer.0, third);
    wait_until("the unroutable order is refunded", || async move {
        order_status(app, token, id).await == "refunded"
    })
    .await;
    let amount = |order: i64| {
        let token = buyer.0.clone();
        async move {
            order_json(app, &token, order).await["split"]["buyer_pays"]
                .as_i64()
                .expect("buyer pays")
        }
    };
    let paid_total = amount(first).await + amount(second).await + amount(third).await;
    let operator = app.operator().await;
    let report = reconciliation(app, &operator, start).await;
    assert_eq!(report["clean"], true, "{report}");
    assert_eq!(report["payments"]["matched_count"], 3, "{report}");
    assert_eq!(report["payments"]["matched_fen"], paid_total);
    assert_eq!(report["refunds"]["matched_count"], 1, "{report}");
    assert_eq!(report["refunds"]["matched_fen"], amount(third).await);
    assert_eq!(report["ledger"]["orders_checked"], 3);
    assert_eq!(report["ledger"]["matched_orders"], 3);
    assert_eq!(
        report["ledger"]["matched_fen"],
        amount(first).await + amount(second).await
    );
    let rows = balances(app).await;
    assert_eq!(
        balance(&rows, "buyer_payments"),
        amount(first).await + amount(second).await
    );

    // A payment made directly on the sandbox, never daihuo's: its notification is refused as
    // an unknown payment, and the report shows it missing in daihuo.
    let stray = app
        .sandbox
        .create_payment(daihuo_payment::PaymentRequest {
            merchant_payment_id: "stray-1".into(),
            amount_fen: 4_321,
            description: "made on the gateway directly".into(),
            notify_url: format!("{}/api/payments/notify", app.base_url),
            expires_at_ms: common::now_ms() + 60_000,
        })
        .await
        .expect("a sandbox payment");
    app.sandbox
        .pay_now(
            &stray.gateway_payment_id,
            daihuo_payment::PayOutcome::Succeed,
        )
        .await
        .expect("paid");
    // A recorded amount altered behind daihuo's back.
    sqlx::query("UPDATE payments SET amount_fen = amount_fen + 1 WHERE order_id = $1")
        .bind(second)
        .execute(app.services.store.pool())
        .await
        .expect("alter a payment");
    let report = reconciliation(app, &operator, start).await;
    assert_eq!(report["clean"], false);
    let missing = report["payments"]["missing_in_daihuo"]
        .as_array()
        .expect("missing");
    assert_eq!(missing.len(), 1, "{report}");
    assert_eq!(missing[0]["key"], stray.gateway_payment_id);
    assert_eq!(missing[0]["amount_fen"], 4_321);
    let mismatches = report["payments"]["amount_mismatches"]
        .as_array()
        .expect("mismatches");
    assert_eq!(mismatches.len(), 1, "{report}");
    assert_eq!(mismatches[0]["order_id"], second);
    assert_eq!(mismatches[0]["gateway_fen"], amount(second).await);
    assert_eq!(mismatches[0]["daihuo_fen"], amount(second).await + 1);
    assert_eq!(report["payments"]["matched_count"], 2);
    assert_eq!(
        report["payments"]["missing_at_gateway"],
        json!([]),
        "{report}"
    );
    let ledger = report["ledger"]["mismatches"].as_array().expect("ledger");
    assert_eq!(ledger.len(), 1, "{report}");
    assert_eq!(ledger[0]["order_id"], second);
    assert_eq!(ledger[0]["ledger_fen"], amount(second).await);

    // The same as CSV.
    let response = app
        .client
        .get(format!("{}/api/operator/reconciliation", app.base_url))
        .bearer_auth(&operator)
        .query(&[("from_ms", start.to_string()), ("format", "csv".into())])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let text = response.text().await.expect("a body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "section,status,key,order_id,count,gateway_fen,daihuo_fen,ledger_fen"
    );
    assert!(
        lines.contains(
            &format!(
                "payments,missing_in_daihuo,{},,1,4321,,",
                stray.gateway_payment_id
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(
        lines.contains(
            &format!(
                "payments,amount_mismatch,{},{second},1,{},{},",
                mismatches[0]["key"].as_str().unwrap_or(""),
                amount(second).await,
                amount(second).await + 1
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\nrefunds,matched,,,1,{0},{0},\n",
            amount(third).await
        )),
        "{text}"
    );
    app.get("/api/operator/reconciliation", &shop.supplier)
        .await
        .expect_error(403, "forbidden");
}

store_case!(
    case_reconciliation,
    sqlite_reconciliation,
    postgres_reconciliation
);
