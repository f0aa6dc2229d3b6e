//! The nowcast and the C2M export in the consoles, over real HTTP on both stores and driven as
//! a browser drives them: the anchor's schedule form takes a planned length, its live
//! control page shows each SKU's sell-out outlook with the supplier's alert (and the page
//! script's stats carry the same panel); after the session the page shows the overstock
//! assessment. The supplier's C2M page shows its demand by price band, province and attribute,
//! and downloads it as CSV. Set-up and checks go through the JSON API.

mod common;

use common::web::Browser;
use common::{now_ms, sku, test_config, with, TestApp, PASSWORD};
use daihuo_service::nowcast::NowcastPolicy;
use daihuo_service::ServiceConfig;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// An hour, in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// A session's end is assessed as soon as it has ended.
fn assess_at_once() -> ServiceConfig {
    ServiceConfig {
        nowcast: NowcastPolicy {
            settle: Duration::ZERO,
            ..NowcastPolicy::default()
        },
        ..test_config()
    }
}

/// A supplier (staff `{name}-supply`) with warehouse `HZ` holding `units` of an approved SKU
/// with `changes`; (token, SKU id).
async fn supplier_with_sku(app: &TestApp, name: &str, units: i64, changes: Value) -> (String, i64) {
    let supplier = app
        .supplier(&format!("{name} 供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&supplier, "HZ").await;
    let code = format!("{name}-1");
    let id = app
        .create_sku(&supplier, with(sku(&code, "格力 空调 一号"), changes))
        .await;
    let operator = app.operator().await;
    app.approve(&operator, id).await;
    let results = app
        .post(
            "/api/supplier/stock",
            &supplier,
            &json!({"updates": [{"sku_code": code, "warehouse_code": "HZ",
                "quantity": units, "version": 1}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "{results}");
    (supplier, id)
}

/// A viewer with an address in 杭州 西湖区: (token, address id).
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

/// Buys with `body` at `/api/orders` and pays on the sandbox; waits until it is paid.
async fn buy_and_pay(app: &TestApp, buyer: &(String, i64), key: &str, body: Value) {
    let response = app
        .client
        .request(Method::POST, format!("{}/api/orders", app.base_url))
        .bearer_auth(&buyer.0)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .expect("send the purchase");
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.expect("an order");
    let id = order["id"].as_i64().expect("an order id");
    let payment = app
        .post_empty(&format!("/api/orders/{id}/payments"), &buyer.0)
        .await
        .expect(200);
    let paid = app
        .client
        .post(payment["pay_url"].as_str().expect("a pay URL"))
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status().as_u16(), 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let order = app
            .get(&format!("/api/orders/{id}"), &buyer.0)
            .await
            .expect(200);
        if order["status"] != "reserved" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never paid: {order}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `<tr>` of the nowcast panel for `sku`.
fn nowcast_row(page: &str, sku: i64) -> &str {
    let start = page
        .find(&format!("data-nowcast-sku=\"{sku}\""))
        .unwrap_or_else(|| panic!("SKU {sku} in the nowcast panel: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// Scheduled through the form with a planned length, the session is expected to end that
/// long after going live; selling fast, its SKU shows as selling out before the end with
/// "Supplier alerted" on the live control page and in the page script's stats; after the
/// end the page shows the overstock assessment.
async fn case_live_control_shows_the_nowcast(app: &TestApp) {
    let (_, hot) = supplier_with_sku(app, "page", 8, json!({})).await;
    let anchor = app.account("page-anchor", "anchor").await;
    app.put(&format!("/api/anchor/shelf/{hot}"), &anchor, &json!({}))
        .await
        .expect(200);
    let mut browser = Browser::sign_in(&app.base_url, "page-anchor", PASSWORD).await;
    let form = browser.get("/anchor/sessions").await.expect(200).to_owned();
    assert!(form.contains("name=\"planned_length_min\""), "{form}");

    let starts = daihuo_web::page::when(now_ms() + 2 * HOUR_MS).replacen(' ', "T", 1);
    let bad = browser
        .post(
            "/anchor/sessions",
            &[
                ("title", "计划太长"),
                ("starts_at", &starts),
                ("planned_length_min", "100000"),
                ("sku", &hot.to_string()),
                (&format!("price_{hot}"), "8999"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("invalid_planned_length"));
    let scheduled = browser
        .post(
            "/anchor/sessions",
            &[
                ("title", "今晚八点 格力专场"),
                ("starts_at", &starts),
                ("planned_length_min", "90"),
                ("sku", &hot.to_string()),
                (&format!("price_{hot}"), "8999"),
            ],
        )
        .await;
    let to = scheduled.redirected().to_owned();
    let session: i64 = to
        .rsplit("#session-")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the redirect names the session: {to}"));
    let made = app
        .get_anonymous(&format!("/api/live-sessions/{session}"))
        .await
        .expect(200);
    assert_eq!(made["session"]["planned_length_min"], 90);
    let edit = browser
        .get(&format!("/anchor/sessions/{session}/edit"))
        .await
        .expect(200)
        .to_owned();
    assert!(edit.contains("name=\"planned_length_min\""), "{edit}");
    assert!(
        edit.contains("value=\"90\""),
        "the planned length is in the edit form"
    );
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);

    let control = format!("/anchor/sessions/{session}/live");
    let before = browser.get(&control).await.expect(200).to_owned();
    assert!(before.contains("id=\"nowcast\""), "{before}");
    assert!(nowcast_row(&before, hot).contains("data-outlook=\"no_pace\""));
    assert!(before.contains("按计划时长"), "the length's source is said");

    let buyer = buyer(app, "page-buyer").await;
    for n in 0..3 {
        buy_and_pay(
            app,
            &buyer,
            &format!("page-{n}"),
            json!({"sku_id": hot, "quantity": 1, "address_id": buyer.1, "session_id": session}),
        )
        .await;
    }
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(round.alerts, 1, "{round:?}");

    let page = browser.get(&control).await.expect(200).to_owned();
    let row = nowcast_row(&page, hot);
    assert!(
        row.contains("data-outlook=\"sells_out_before_end\""),
        "{row}"
    );
    assert!(row.contains("data-alerts=\"1\""), "{row}");
    assert!(row.contains("将在下播前售罄"), "{row}");
    assert!(row.contains("已提醒供应商"), "{row}");
    let stats = browser.get(&format!("{control}/stats")).await;
    let stats: Value = serde_json::from_str(stats.expect(200)).expect("JSON");
    let panel = stats["nowcast_html"].as_str().expect("the panel");
    assert!(panel.starts_with("<section"), "{panel}");
    assert!(
        nowcast_row(panel, hot).contains("data-alerts=\"1\""),
        "{panel}"
    );

    app.post_empty(&format!("/api/live-sessions/{session}/end"), &anchor)
        .await
        .expect(200);
    let pending = browser.get(&control).await.expect(200).to_owned();
    assert!(nowcast_row(&pending, hot).contains("data-overstock=\"pending\""));
    let round = app.services.evaluate_nowcasts().await.expect("a round");
    assert_eq!(
        (round.assessed, round.overstock_flags),
        (1, 0),
        "five left of eight: not a backlog"
    );
    let ended = browser.get(&control).await.expect(200).to_owned();
    let row = nowcast_row(&ended, hot);
    assert!(row.contains("data-overstock=\"false\""), "{row}");
    assert!(row.contains("库存合理"), "{row}");

    // Another anchor has no live control of this session.
    app.account("page-other", "anchor").await;
    let mut other = Browser::sign_in(&app.base_url, "page-other", PASSWORD).await;
    assert_eq!(other.get(&control).await.status, 403);
}

store_case_with!(
    case_live_control_shows_the_nowcast,
    assess_at_once(),
    sqlite_live_control_shows_the_nowcast,
    postgres_live_control_shows_the_nowcast
);

/// The supplier's C2M page shows what buyers kept by price band, province and attribute,
/// is linked from the console's header, and downloads the cells as CSV; other roles are
/// refused.
async fn case_supplier_c2m_page(app: &TestApp) {
    let (supplier, red) = supplier_with_sku(
        app,
        "c2mpage",
        10,
        json!({"attributes": [{"name": "颜色", "value": "红"}]}),
    )
    .await;
    let anchor = app.account("c2mpage-anchor", "anchor").await;
    let anchor_id = app.user_id(&anchor).await;
    app.put(&format!("/api/anchor/shelf/{red}"), &anchor, &json!({}))
        .await
        .expect(200);
    let buyer = buyer(app, "c2mpage-buyer").await;
    buy_and_pay(
        app,
        &buyer,
        "c2mpage-1",
        json!({"sku_id": red, "quantity": 2, "address_id": buyer.1, "anchor_id": anchor_id}),
    )
    .await;

    let mut browser = Browser::sign_in(&app.base_url, "c2mpage-supply", PASSWORD).await;
    let home = browser.get("/supplier").await.expect(200).to_owned();
    assert!(
        home.contains("href=\"/supplier/c2m\""),
        "the header links the page"
    );
    let page = browser.get("/supplier/c2m").await.expect(200).to_owned();
    assert!(page.contains("data-total=\"units\">2<"), "{page}");
    assert!(page.contains("data-total=\"gmv\">¥17,998.00<"), "{page}");
    assert!(page.contains("data-band=\"5000+\""), "{page}");
    assert!(page.contains("data-province=\"330000\""), "{page}");
    assert!(page.contains("浙江省"), "{page}");
    assert!(
        page.contains("data-attribute=\"颜色\" data-value=\"红\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"/supplier/c2m.csv?days=30\""),
        "{page}"
    );
    let week = browser
        .get("/supplier/c2m?days=7")
        .await
        .expect(200)
        .to_owned();
    assert!(week.contains("data-total=\"units\">2<"), "{week}");

    let csv = browser.get("/supplier/c2m.csv?days=30").await;
    assert_eq!(
        csv.headers.get("content-type").map(String::as_str),
        Some("text/csv; charset=utf-8")
    );
    let body = csv.expect(200);
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some(daihuo_service::c2m::C2M_CSV_HEADER));
    assert_eq!(
        lines.collect::<Vec<_>>(),
        vec!["颜色,红,5000+,330000,浙江省,1,2,0,2,1799800"]
    );
    // The page and the API agree.
    let api = app.get("/api/supplier/c2m", &supplier).await.expect(200);
    assert_eq!(api["totals"]["units"], 2);

    let mut viewer = Browser::sign_in(&app.base_url, "c2mpage-buyer", PASSWORD).await;
    assert_eq!(viewer.get("/supplier/c2m").await.status, 403);
    let mut anchor_browser = Browser::sign_in(&app.base_url, "c2mpage-anchor", PASSWORD).await;
    assert_eq!(anchor_browser.get("/supplier/c2m.csv").await.status, 403);
}

store_case!(
    case_supplier_c2m_page,
    sqlite_supplier_c2m_page,
    postgres_supplier_c2m_page
);
