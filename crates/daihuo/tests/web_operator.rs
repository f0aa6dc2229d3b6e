//! The operator's console over real HTTP on both stores, driven as a browser drives it:
//! signed in with the session cookie, forms posted with the page's CSRF token. The review
//! queue puts an approved SKU into the pool and refuses a rejection without a reason;
//! campaigns and budgets are made through their forms; a disputed after-sales request is
//! decided; a dead letter is replayed to a supplier that came back; a settlement run settles
//! a due order, a payout is made and refused once the supplier owes the platform; the
//! dashboard shows a paid order's GMV; and no other role sees any of it.

mod common;

use common::supplier::*;
use common::web::{Browser, Shown};
use common::{now_ms, sku, test_config, TestApp, OPERATOR_PASSWORD, OPERATOR_USERNAME};
use daihuo_service::settlement::SettlementPolicy;
use daihuo_service::ServiceConfig;
use serde_json::{json, Value};
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The operator, signed in through the sign-in form.
async fn operator(app: &TestApp) -> Browser {
    Browser::sign_in(&app.base_url, OPERATOR_USERNAME, OPERATOR_PASSWORD).await
}

/// Follows a form's redirect and returns the page it lands on.
async fn landed(browser: &mut Browser, shown: Shown) -> String {
    let to = shown.redirected().to_owned();
    browser.get(&to).await.expect(200).to_owned()
}

/// The numbers after each `attribute="` in `html`, in order.
fn attribute_ids(html: &str, attribute: &str) -> Vec<i64> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

/// The text inside the element carrying `attribute="value"`.
fn text_of<'a>(html: &'a str, attribute: &str, value: &str) -> Option<&'a str> {
    let needle = format!("{attribute}=\"{value}\">");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('<')? + start;
    Some(&html[start..end])
}

/// The table row that starts with the element carrying `marker`, up to its end.
fn row_of<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"));
    let end = html[start..]
        .find("</tr>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// Unix ms as a `datetime-local` value in China time (UTC+8), `2026-11-23T20:00`.
fn china_local(ms: i64) -> String {
    let local_s = ms.div_euclid(1000) + 8 * 3600;
    let days = local_s.div_euclid(86_400);
    let second_of_day = local_s.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        second_of_day / 3600,
        (second_of_day % 3600) / 60
    )
}

/// Midnight in China of today, Unix ms.
fn china_midnight(ms: i64) -> i64 {
    let local = ms + 8 * HOUR_MS;
    local - local.rem_euclid(DAY_MS) - 8 * HOUR_MS
}

/// The supplier's organisation id, from its staff's account.
async fn supplier_id(app: &TestApp, supplier: &str) -> i64 {
    app.get("/api/me", supplier).await.expect(200)["supplier_id"]
        .as_i64()
        .expect("a supplier id")
}

/// The review queue lists pending SKUs with their content and prices, pages 20 at a time,
/// approves one into the pool, and refuses a rejection without a reason with its code.
async fn case_review_queue(app: &TestApp) {
    let supplier = app.supplier("审核供应商", "review-supply").await;
    let items: Vec<Value> = (0..21)
        .map(|i| sku(&format!("RV-{i:02}"), &format!("格力 空调 审核{i:02}")))
        .collect();
    let report = app.upsert(&supplier, items).await;
    assert_eq!(report["rejected"], 0, "{report}");
    let ids: Vec<i64> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["sku_id"].as_i64().expect("a sku id"))
        .collect();
    let anchor = app.account("review-anchor", "anchor").await;
    assert!(app
        .pool_titles(&anchor, &[("q", "审核00")])
        .await
        .is_empty());

    let mut operator = operator(app).await;
    let first = operator
        .get("/operator/review")
        .await
        .expect(200)
        .to_owned();
    let listed = attribute_ids(&first, "data-approve");
    assert_eq!(listed, ids[..20].to_vec(), "the first page, oldest first");
    assert!(first.contains("格力 空调 审核00"));
    assert!(first.contains("¥8,999.00"), "the pool price");
    assert!(
        first.contains("¥5,000.00"),
        "the supply price, for operators"
    );
    assert!(first.contains("10%"), "the commission rate");
    assert!(first.contains("https://img.example.com/1.jpg"), "the image");
    assert!(first.contains("审核供应商"), "the supplier");
    let next = format!("/operator/review?after={}", ids[19]);
    assert!(first.contains(&next), "a link to the next page");
    let second = operator.get(&next).await.expect(200).to_owned();
    assert_eq!(attribute_ids(&second, "data-approve"), vec![ids[20]]);

    // Approving through the page puts the SKU in the pool.
    let approved = operator
        .post(
            &format!("/operator/review/{}", ids[0]),
            &[("decision", "approve"), ("after", "0")],
        )
        .await;
    let page = landed(&mut operator, approved).await;
    assert!(page.contains("flash ok"), "{page}");
    assert!(!attribute_ids(&page, "data-approve").contains(&ids[0]));
    assert_eq!(
        app.pool_titles(&anchor, &[("q", "审核00")]).await,
        vec!["格力 空调 审核00".to_owned()]
    );

    // A rejection without a reason is refused with the service's code and changes nothing.
    let refused = operator
        .post(
            &format!("/operator/review/{}", ids[1]),
            &[("decision", "reject"), ("reason", "  ")],
        )
        .await;
    let page = landed(&mut operator, refused).await;
    assert!(page.contains("<code>reason_required</code>"), "{page}");
    let still = app.get(&format!("/api/skus/{}", ids[1]), &supplier).await;
    assert_eq!(still.expect(200)["status"], "pending_review");

    let rejected = operator
        .post(
            &format!("/operator/review/{}", ids[1]),
            &[("decision", "reject"), ("reason", "图片与标题不符")],
        )
        .await;
    let page = landed(&mut operator, rejected).await;
    assert!(!attribute_ids(&page, "data-reject").contains(&ids[1]));
    let sku = app
        .get(&format!("/api/skus/{}", ids[1]), &supplier)
        .await
        .expect(200);
    assert_eq!(sku["status"], "rejected", "{sku}");
    assert_eq!(sku["reject_reason"], "图片与标题不符");
}
store_case!(
    case_review_queue,
    sqlite_review_queue,
    postgres_review_queue
);

/// A supplier organisation and its first staff account are made through the page; its staff
/// can sign in; a second one with the same name is refused with the service's code.
async fn case_suppliers(app: &TestApp) {
    let mut operator = operator(app).await;
    let empty = operator
        .get("/operator/suppliers")
        .await
        .expect(200)
        .to_owned();
    assert!(attribute_ids(&empty, "data-supplier").is_empty());
    let fields = [
        ("name", "京东自营（测试）"),
        ("admin_username", "jd-staff"),
        ("admin_password", common::PASSWORD),
    ];
    let created = operator.post("/operator/suppliers", &fields).await;
    let page = landed(&mut operator, created).await;
    assert!(page.contains("flash ok"), "{page}");
    assert!(page.contains("京东自营（测试）"));
    assert!(
        page.contains("jd-staff"),
        "the first staff account is named"
    );
    assert_eq!(attribute_ids(&page, "data-supplier").len(), 1);
    let staff = app.sign_in("jd-staff", common::PASSWORD).await;
    assert!(app.get("/api/me", &staff).await.expect(200)["supplier_id"].is_i64());

    let again = operator.post("/operator/suppliers", &fields).await;
    let page = landed(&mut operator, again).await;
    assert!(page.contains("<code>supplier_name_taken</code>"), "{page}");
    assert_eq!(attribute_ids(&page, "data-supplier").len(), 1);
}
store_case!(case_suppliers, sqlite_suppliers, postgres_suppliers);

/// The campaign's subsidy budget as stored, fen.
async fn stored_budget(app: &TestApp, campaign: i64) -> (i64, Option<i64>) {
    let row = sqlx::query("SELECT subsidy_budget_fen, ship_window_ms FROM campaigns WHERE id = $1")
        .bind(campaign)
        .fetch_one(app.services.store.pool())
        .await
        .expect("read the campaign");
    (
        sqlx::Row::try_get(&row, "subsidy_budget_fen").expect("a budget"),
        sqlx::Row::try_get(&row, "ship_window_ms").expect("a window"),
    )
}

/// A Super Brand Day is created through the page with its budget and shipping window; the
/// budget is raised through its card; bad amounts and a budget below what is committed are
/// refused with codes.
async fn case_campaigns_and_budgets(app: &TestApp) {
    let mut operator = operator(app).await;
    operator.get("/operator/campaigns").await.expect(200);
    let starts = now_ms() + HOUR_MS;
    let created = operator
        .post(
            "/operator/campaigns",
            &[
                ("name", "超级品牌日"),
                ("starts_at", &china_local(starts)),
                ("ends_at", &china_local(starts + DAY_MS)),
                ("budget", "100,000.00"),
                ("ship_within_hours", "24"),
            ],
        )
        .await;
    let page = landed(&mut operator, created).await;
    assert!(page.contains("flash ok"), "{page}");
    let campaigns = attribute_ids(&page, "data-campaign");
    assert_eq!(campaigns.len(), 1, "{page}");
    let id = campaigns[0];
    assert!(page.contains("超级品牌日"));
    assert!(
        page.contains("<td class=\"num\" data-budget>¥100,000.00</td>"),
        "{page}"
    );
    assert!(page.contains("24 小时"), "the campaign's shipping window");
    assert_eq!(
        stored_budget(app, id).await,
        (10_000_000, Some(24 * HOUR_MS))
    );

    // The campaign is what anchors choose from, through the API.
    let anchor = app.account("campaign-anchor", "anchor").await;
    let listed = app.get("/api/campaigns", &anchor).await.expect(200);
    assert_eq!(listed[0]["name"], "超级品牌日", "{listed}");

    let raised = operator
        .post(
            &format!("/operator/campaigns/{id}/budget"),
            &[("budget", "250000")],
        )
        .await;
    let page = landed(&mut operator, raised).await;
    assert!(page.contains("data-budget>¥250,000.00<"), "{page}");
    assert_eq!(stored_budget(app, id).await.0, 25_000_000);

    let bad = operator
        .post(
            &format!("/operator/campaigns/{id}/budget"),
            &[("budget", "一百元")],
        )
        .await;
    assert!(landed(&mut operator, bad)
        .await
        .contains("<code>invalid_amount</code>"));

    // A window shorter than the floor the tests allow (100 ms) cannot be typed in hours, but
    // one beyond 15 days is refused by the service.
    let long = operator
        .post(
            &format!("/operator/campaigns/{id}/ship-window"),
            &[("ship_within_hours", "400")],
        )
        .await;
    assert!(landed(&mut operator, long)
        .await
        .contains("<code>invalid_ship_window</code>"));
    let cleared = operator
        .post(
            &format!("/operator/campaigns/{id}/ship-window"),
            &[("ship_within_hours", "")],
        )
        .await;
    landed(&mut operator, cleared).await;
    assert_eq!(stored_budget(app, id).await.1, None);

    // An end before the start is the service's refusal.
    let backwards = operator
        .post(
            "/operator/campaigns",
            &[
                ("name", "倒着的活动"),
                ("starts_at", &china_local(starts + DAY_MS)),
                ("ends_at", &china_local(starts)),
            ],
        )
        .await;
    let page = landed(&mut operator, backwards).await;
    assert!(page.contains("flash error"), "{page}");
    assert_eq!(attribute_ids(&page, "data-campaign").len(), 1);
}
store_case!(
    case_campaigns_and_budgets,
    sqlite_campaigns_and_budgets,
    postgres_campaigns_and_budgets
);

/// A quality complaint the supplier rejected and the buyer disputed appears with both sides
/// and the evidence; a ruling without a note is refused; overturning it through the page
/// decides it for the buyer.
async fn case_disputes(app: &TestApp) {
    let shop = shop(app, "dispute", 3, 0).await;
    let buyer = buyer(app, "dispute-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    ship_and_deliver(app, &shop, order, now_ms() - 1_000).await;
    let request = app
        .post(
            &format!("/api/orders/{order}/after-sales"),
            &buyer.0,
            &json!({"kind": "quality_complaint", "evidence": {
                "image_urls": ["https://img.example.com/crack-1.jpg"],
                "text": "外机外壳有裂纹"}}),
        )
        .await
        .expect(201);
    let id = request["id"].as_i64().expect("a request id");
    app.post(
        &format!("/api/supplier/after-sales/{id}/decision"),
        &shop.supplier,
        &json!({"decision": "reject", "reason": "人为损坏"}),
    )
    .await
    .expect(200);

    let mut operator = operator(app).await;
    let before = operator
        .get("/operator/disputes")
        .await
        .expect(200)
        .to_owned();
    assert!(
        attribute_ids(&before, "data-after-sales").is_empty(),
        "rejected but not disputed yet"
    );
    app.post(
        &format!("/api/after-sales/{id}/dispute"),
        &buyer.0,
        &json!({"reason": "收到时就有裂纹，有开箱视频"}),
    )
    .await
    .expect(200);
    let page = operator
        .get("/operator/disputes")
        .await
        .expect(200)
        .to_owned();
    assert_eq!(attribute_ids(&page, "data-after-sales"), vec![id]);
    assert!(page.contains("外机外壳有裂纹"), "the evidence");
    assert!(page.contains("https://img.example.com/crack-1.jpg"));
    assert!(
        page.contains("收到时就有裂纹，有开箱视频"),
        "the buyer's reason"
    );
    assert!(page.contains("人为损坏"), "the supplier's reason");
    assert!(page.contains("dispute的供应商"), "the supplier's name");
    assert!(page.contains("¥8,999.00"), "what the buyer paid");

    let noteless = operator
        .post(
            &format!("/operator/disputes/{id}"),
            &[("decision", "overturn"), ("note", "")],
        )
        .await;
    assert!(landed(&mut operator, noteless)
        .await
        .contains("<code>invalid_reason</code>"));

    let ruled = operator
        .post(
            &format!("/operator/disputes/{id}"),
            &[("decision", "overturn"), ("note", "开箱视频显示到货即损")],
        )
        .await;
    let page = landed(&mut operator, ruled).await;
    assert!(page.contains("flash ok"), "{page}");
    assert!(attribute_ids(&page, "data-after-sales").is_empty());
    let requests = app
        .get(&format!("/api/orders/{order}/after-sales"), &buyer.0)
        .await
        .expect(200);
    assert_eq!(requests[0]["status"], "overturned", "{requests}");
    assert_eq!(requests[0]["arbitration_note"], "开箱视频显示到货即损");
    let decided = operator
        .get("/operator/disputes?status=overturned")
        .await
        .expect(200)
        .to_owned();
    assert_eq!(attribute_ids(&decided, "data-after-sales"), vec![id]);
    assert!(decided.contains("开箱视频显示到货即损"));

    // A second ruling finds nothing to rule on.
    let again = operator
        .post(
            &format!("/operator/disputes/{id}"),
            &[("decision", "uphold"), ("note", "再判一次")],
        )
        .await;
    assert!(landed(&mut operator, again)
        .await
        .contains("<code>after_sales_state</code>"));
}
store_case!(case_disputes, sqlite_disputes, postgres_disputes);

/// A supplier down for good: its event dies, the page shows it with the supplier, kind,
/// attempts and last error, and replaying it through the page delivers it once the
/// supplier is back.
async fn case_dead_letters(app: &TestApp) {
    let sim = &Simulator::start(Mode::Down).await;
    let shop = shop(app, "deadweb", 5, 0).await;
    sim.register(app, &shop.supplier).await;
    let buyer = buyer(app, "deadweb-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;

    let mut operator = operator(app).await;
    let deadline = std::time::Instant::now() + PATIENCE;
    let (page, id) = loop {
        let page = operator
            .get("/operator/dead-letters")
            .await
            .expect(200)
            .to_owned();
        if let Some(id) = attribute_ids(&page, "data-replay").first().copied() {
            break (page, id);
        }
        assert!(std::time::Instant::now() < deadline, "the event never died");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(page.contains(&format!("order.routed-{order}")), "{page}");
    assert!(page.contains("deadweb的供应商"), "the supplier's name");
    assert!(page.contains("503"), "the last error");
    assert!(page.contains("<td class=\"num\">10</td>"), "the attempts");

    sim.set_mode(Mode::Up);
    let replayed = operator
        .post(&format!("/operator/dead-letters/{id}/replay"), &[])
        .await;
    let page = landed(&mut operator, replayed).await;
    assert!(page.contains("flash ok"), "{page}");
    wait_until("the replayed event arrives", || async move {
        sim.unique().len() == 1
    })
    .await;
    assert!(attribute_ids(&page, "data-replay").is_empty());
    let again = operator
        .post(&format!("/operator/dead-letters/{id}/replay"), &[])
        .await;
    assert!(landed(&mut operator, again)
        .await
        .contains("<code>event_not_dead</code>"));
}
store_case!(
    case_dead_letters,
    sqlite_dead_letters,
    postgres_dead_letters
);

/// Orders settle at completion and only operators start runs.
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

/// A run started through the page settles a completed order and shows what it moved; a
/// payout through the page comes out of the payable balance; once a return after
/// settlement leaves the supplier owing the platform, a payout is refused with
/// `party_owes_platform` and the balance is marked; the statement, its CSV and the
/// reconciliation pages show the books.
async fn case_settlement(app: &TestApp) {
    let shop = shop(app, "settleweb", 3, 0).await;
    let buyer = buyer(app, "settleweb-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    ship_and_deliver(app, &shop, order, now_ms() - 1_000).await;
    let split = app
        .get(&format!("/api/orders/{order}"), &buyer.0)
        .await
        .expect(200)["split"]
        .clone();
    let supplier_share = split["supplier"].as_i64().expect("the supplier's share");
    let supplier = supplier_id(app, &shop.supplier).await;

    let mut operator = operator(app).await;
    operator.get("/operator/settlement").await.expect(200);
    // Delivered but not completed: nothing is due.
    let early = operator.post("/operator/settlement/runs", &[]).await;
    let run_page = landed(&mut operator, early).await;
    assert!(run_page.contains("data-run-orders>0<"), "{run_page}");

    app.post_empty(&format!("/api/orders/{order}/receipt"), &buyer.0)
        .await
        .expect(200);
    let started = operator.post("/operator/settlement/runs", &[]).await;
    let to = started.redirected().to_owned();
    assert!(to.starts_with("/operator/settlement/runs/"), "{to}");
    let run_page = operator.get(&to).await.expect(200).to_owned();
    assert!(run_page.contains("flash ok"), "{run_page}");
    assert!(run_page.contains("data-run-orders>1<"), "{run_page}");
    assert!(run_page.contains("settleweb的供应商"));
    assert!(
        run_page.contains(&common_yuan(supplier_share)),
        "{run_page}"
    );
    let run_id: i64 = to
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a run id");
    let run = app
        .get(
            &format!("/api/operator/settlement/runs/{run_id}"),
            &app.operator().await,
        )
        .await
        .expect(200);
    assert_eq!(run["orders"], 1, "{run}");
    assert_eq!(run["supplier_fen"], supplier_share);

    // The supplier's payable balance is listed with a payout form; paying part of it works,
    // more than is left is refused.
    let party = format!("supplier-{supplier}");
    let page = operator
        .get("/operator/settlement")
        .await
        .expect(200)
        .to_owned();
    assert!(
        page.contains(&format!("data-payout=\"{party}\"")),
        "a payout form for the supplier"
    );
    let supplier_text = supplier.to_string();
    let pay = |amount: String, reference: &'static str| {
        [
            ("kind".to_owned(), "supplier".to_owned()),
            ("id".to_owned(), supplier_text.clone()),
            ("amount".to_owned(), amount),
            ("reference".to_owned(), reference.to_owned()),
        ]
    };
    let half = supplier_share / 2;
    let fields = pay(yuan_text(half), "BANK-0001");
    let paid = operator
        .post("/operator/settlement/payouts", &borrowed(&fields))
        .await;
    assert!(landed(&mut operator, paid).await.contains("flash ok"));
    let fields = pay(yuan_text(supplier_share), "BANK-0002");
    let too_much = operator
        .post("/operator/settlement/payouts", &borrowed(&fields))
        .await;
    assert!(landed(&mut operator, too_much)
        .await
        .contains("<code>payout_exceeds_payable</code>"));
    let fields = pay(yuan_text(supplier_share - half), "BANK-0003");
    let rest = operator
        .post("/operator/settlement/payouts", &borrowed(&fields))
        .await;
    assert!(landed(&mut operator, rest).await.contains("flash ok"));

    // A no-reason return after settlement takes the refund from the paid-out payable: the
    // supplier now owes the platform and a payout is refused with that code.
    let request = app
        .post(
            &format!("/api/orders/{order}/after-sales"),
            &buyer.0,
            &json!({"kind": "no_reason_return"}),
        )
        .await
        .expect(201);
    let id = request["id"].as_i64().expect("a request id");
    app.post(
        &format!("/api/supplier/after-sales/{id}/decision"),
        &shop.supplier,
        &json!({"decision": "approve"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/after-sales/{id}/return-shipment"),
        &buyer.0,
        &json!({"carrier": "sf", "waybill": "SF9876543210123"}),
    )
    .await
    .expect(200);
    app.post_empty(
        &format!("/api/supplier/after-sales/{id}/return-received"),
        &shop.supplier,
    )
    .await
    .expect(200);
    let page = operator
        .get("/operator/settlement")
        .await
        .expect(200)
        .to_owned();
    let row = row_of(&page, &format!("data-party=\"{party}\""));
    assert!(row.contains("data-payable>-¥"), "a negative payable: {row}");
    assert!(
        row.contains("title=\"party_owes_platform\""),
        "marked as owing: {row}"
    );
    let fields = pay("1.00".to_owned(), "BANK-0004");
    let refused = operator
        .post("/operator/settlement/payouts", &borrowed(&fields))
        .await;
    assert!(landed(&mut operator, refused)
        .await
        .contains("<code>party_owes_platform</code>"));

    // The statement shows the lines down to a negative payable, and its CSV agrees.
    let statement = operator
        .get(&format!(
            "/operator/settlement/statement?kind=supplier&id={supplier}&from=&to="
        ))
        .await
        .expect(200)
        .to_owned();
    assert!(statement.contains("BANK-0001"), "the payouts are listed");
    assert!(statement.contains("data-closing-payable>-¥"), "{statement}");
    let csv = operator
        .get(&format!(
            "/operator/settlement/statement.csv?kind=supplier&id={supplier}"
        ))
        .await;
    assert_eq!(
        csv.headers.get("content-type").map(String::as_str),
        Some("text/csv; charset=utf-8")
    );
    let body = csv.expect(200);
    assert!(body.starts_with(daihuo_service::settlement::STATEMENT_CSV_HEADER));
    let closing_row = body.lines().last().expect("a closing row");
    let payable: i64 = closing_row
        .rsplit(',')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a closing payable");
    assert!(payable < 0, "{closing_row}");

    // Reconciliation over all time: the payment is matched at the gateway.
    let report = operator
        .get("/operator/settlement/reconciliation?from=&to=")
        .await
        .expect(200)
        .to_owned();
    assert!(report.contains("data-clean="), "{report}");
    assert!(!report.contains("flash error"), "{report}");
}
store_case_with!(
    case_settlement,
    operator_runs_only(),
    sqlite_settlement,
    postgres_settlement
);

/// `¥8,099.10`, as the pages write fen.
fn common_yuan(fen: i64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("¥{grouped}.{:02}", fen % 100)
}

/// `8099.10`, as a form takes yuan.
fn yuan_text(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Form fields as the browser takes them.
fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The dashboard: empty at first; after a paid order its GMV, the order and the parties who
/// sold it; a live session; and a campaign's subsidy budget.
async fn case_dashboard(app: &TestApp) {
    let mut operator = operator(app).await;
    let empty = operator.get("/operator").await.expect(200).to_owned();
    assert_eq!(text_of(&empty, "data-kpi", "gmv-24h"), Some("¥0.00"));
    assert_eq!(text_of(&empty, "data-kpi", "live-sessions"), Some("0"));

    let shop = shop(app, "board", 3, 0).await;
    let buyer = buyer(app, "board-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &buyer, 1).await;
    let paid_at = app
        .get(&format!("/api/orders/{order}"), &buyer.0)
        .await
        .expect(200)["paid_at_ms"]
        .as_i64()
        .expect("paid");
    let operator_token = app.operator().await;
    let campaign = app
        .post(
            "/api/campaigns",
            &operator_token,
            &json!({"name": "超级品牌日", "starts_at_ms": now_ms() - HOUR_MS,
                "ends_at_ms": now_ms() + DAY_MS}),
        )
        .await
        .expect(201);
    let campaign_id = campaign["id"].as_i64().expect("a campaign id");
    app.put(
        &format!("/api/campaigns/{campaign_id}/subsidy-budget"),
        &operator_token,
        &json!({"subsidy_budget_fen": 5_000_000}),
    )
    .await
    .expect(204);
    let anchor = app.account("board-live", "anchor").await;
    let live_sku = app.shelved_sku(&shop.supplier, &anchor, "board-live").await;
    let session = app
        .scheduled_session(&anchor, "直播中的场次", &[live_sku])
        .await;
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);

    let board = operator.get("/operator").await.expect(200).to_owned();
    assert_eq!(text_of(&board, "data-kpi", "gmv-24h"), Some("¥8,999.00"));
    if paid_at >= china_midnight(now_ms()) {
        assert_eq!(text_of(&board, "data-kpi", "gmv-today"), Some("¥8,999.00"));
        assert_eq!(text_of(&board, "data-kpi", "orders-today"), Some("1"));
        assert_eq!(
            text_of(&board, "data-kpi", "conversion-today"),
            Some("100%")
        );
    }
    assert_eq!(text_of(&board, "data-kpi", "live-sessions"), Some("1"));
    assert!(board.contains("直播中的场次"));
    // The rankings name who sold it, and the chart says how much (in yuan).
    let suppliers = &board[board.find("data-ranking=\"suppliers\"").expect("suppliers")..];
    assert!(suppliers.contains("board的供应商"), "{board}");
    assert!(suppliers.contains(">8999<"), "{board}");
    let anchors = &board[board.find("data-ranking=\"anchors\"").expect("anchors")..];
    assert!(anchors.contains("board-anchor"), "{board}");
    assert!(board.contains("待发货"), "orders by status: routed");
    assert!(board.contains(&format!("data-campaign=\"{campaign_id}\"")));
    assert!(board.contains("¥50,000.00"), "the campaign's budget");
}
store_case!(case_dashboard, sqlite_dashboard, postgres_dashboard);

/// Every console page and form refuses a viewer, an anchor and a supplier's staff, and asks
/// a signed-out visitor to sign in; nothing changes.
async fn case_other_roles_are_refused(app: &TestApp) {
    app.account("nosy-viewer", "viewer").await;
    app.account("nosy-anchor", "anchor").await;
    app.supplier("好奇的供应商", "nosy-supply").await;
    let pages = [
        "/operator",
        "/operator/suppliers",
        "/operator/review",
        "/operator/campaigns",
        "/operator/disputes",
        "/operator/dead-letters",
        "/operator/settlement",
        "/operator/settlement/runs/1",
        "/operator/settlement/statement?kind=supplier&id=1",
        "/operator/settlement/statement.csv?kind=supplier&id=1",
        "/operator/settlement/reconciliation?from=&to=",
    ];
    let starts = china_local(now_ms() + HOUR_MS);
    let ends = china_local(now_ms() + DAY_MS);
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/operator/suppliers",
            vec![
                ("name", "偷偷建的供应商"),
                ("admin_username", "sneaky"),
                ("admin_password", common::PASSWORD),
            ],
        ),
        ("/operator/review/1", vec![("decision", "approve")]),
        (
            "/operator/campaigns",
            vec![
                ("name", "偷偷建的活动"),
                ("starts_at", &starts),
                ("ends_at", &ends),
            ],
        ),
        ("/operator/campaigns/1/budget", vec![("budget", "1")]),
        (
            "/operator/campaigns/1/ship-window",
            vec![("ship_within_hours", "24")],
        ),
        (
            "/operator/disputes/1",
            vec![("decision", "overturn"), ("note", "x")],
        ),
        ("/operator/dead-letters/1/replay", vec![]),
        ("/operator/settlement/runs", vec![]),
        (
            "/operator/settlement/payouts",
            vec![
                ("kind", "supplier"),
                ("id", "1"),
                ("amount", "1"),
                ("reference", "X"),
            ],
        ),
    ];
    for username in ["nosy-viewer", "nosy-anchor", "nosy-supply"] {
        let mut browser = Browser::sign_in(&app.base_url, username, common::PASSWORD).await;
        // A page in the layout gives the browser its session's CSRF token, so the forms
        // below are refused for the role, not for a missing token.
        browser.get("/login").await.expect(200);
        for path in pages {
            let shown = browser.get(path).await;
            assert_eq!(shown.status, 403, "{username} at {path}: {}", shown.body);
            assert!(shown.body.contains("forbidden"), "{username} at {path}");
        }
        for (path, fields) in &forms {
            let shown = browser.post(path, fields).await;
            assert_eq!(
                shown.status, 403,
                "{username} posting {path}: {}",
                shown.body
            );
        }
    }
    let mut visitor = Browser::new(&app.base_url);
    for path in pages {
        let to = visitor.get(path).await.redirected().to_owned();
        assert!(
            to.starts_with("/login?next="),
            "{path} sent a visitor to {to}"
        );
    }
    // Nothing the forms asked for happened.
    let operator_token = app.operator().await;
    let campaigns = app.get("/api/campaigns", &operator_token).await.expect(200);
    assert_eq!(campaigns, json!([]));
    let runs = app
        .get("/api/operator/settlement/runs", &operator_token)
        .await
        .expect(200);
    assert_eq!(runs, json!([]), "no run was started");
    let sneaky = app
        .call(
            reqwest::Method::POST,
            "/api/sessions",
            None,
            Some(&json!({"username": "sneaky", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(sneaky.status, 401, "no supplier account was made");
}
store_case!(
    case_other_roles_are_refused,
    sqlite_other_roles_are_refused,
    postgres_other_roles_are_refused
);
