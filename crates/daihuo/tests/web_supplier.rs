//! The supplier's console over real HTTP on both stores, driven as a browser drives it: the
//! session cookie, the page's CSRF token in every form, the CSV import posted as the page's
//! script posts it. Set-up and checks go through the JSON API, so each test sees what the
//! page did from the outside.

mod common;

use common::supplier::{buy_and_pay, buyer, order_status, ship_and_deliver, shop, wait_until};
use common::web::{Browser, Shown};
use common::{sku, with, TestApp, PASSWORD};
use serde_json::{json, Value};

/// The flash the page a form redirected to shows (the redirect is followed once).
async fn after(browser: &mut Browser, shown: Shown) -> String {
    let to = shown.redirected().to_owned();
    browser.get(&to).await.expect(200).to_owned()
}

/// The value of the `name` field of the form marked `marker` (a `data-…` attribute) in a
/// page: the first `name="…" value="…"` after the marker.
fn field_after(body: &str, marker: &str, name: &str) -> String {
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} on the page"));
    let rest = &body[start..];
    let field = format!("name=\"{name}\" value=\"");
    let at = rest
        .find(&field)
        .unwrap_or_else(|| panic!("{name} after {marker}"))
        + field.len();
    let end = rest[at..].find('"').expect("the value's end") + at;
    rest[at..end].to_owned()
}

/// `username` signed in and on the console's first page, whose CSRF token its forms carry.
async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let mut browser = Browser::sign_in(&app.base_url, username, PASSWORD).await;
    browser.get("/supplier").await.expect(200);
    browser
}

/// The staff member of a [`shop`] signed in to the console.
async fn console(app: &TestApp, shop_name: &str) -> Browser {
    signed_in(app, &format!("{shop_name}-supply")).await
}

/// The catalogue page lists the supplier's own SKUs, with status, prices in yuan and stock,
/// and nothing of another supplier's; another supplier's SKU page does not exist for it, and
/// other roles are refused.
async fn case_catalogue_lists_only_own_skus(app: &TestApp) {
    let ours = app.supplier("自家供应商", "cat-ours").await;
    let theirs = app.supplier("别家供应商", "cat-theirs").await;
    let operator = app.operator().await;
    let approved = app
        .create_sku(&ours, sku("OURS-1", "自家 变频空调 一号"))
        .await;
    app.approve(&operator, approved).await;
    app.create_sku(&ours, sku("OURS-2", "自家 电风扇 二号"))
        .await;
    let foreign = app
        .create_sku(&theirs, sku("THEIRS-1", "别家 冰箱 机密"))
        .await;
    app.approve(&operator, foreign).await;

    let mut browser = signed_in(app, "cat-ours").await;
    let page = browser.get("/supplier").await.expect(200).to_owned();
    assert!(page.contains("自家 变频空调 一号"), "{page}");
    assert!(page.contains("自家 电风扇 二号"));
    assert!(
        !page.contains("别家 冰箱 机密"),
        "another supplier's SKU shown"
    );
    assert!(page.contains("¥8,999.00"), "pool price in yuan");
    assert!(page.contains("data-status=\"approved\""));
    assert!(page.contains("data-status=\"pending_review\""));
    assert!(page.contains("id=\"feed-file\"") && page.contains("id=\"feed-upload\""));
    assert!(
        page.contains("<script src=\"/static/supplier.js\""),
        "the uploader"
    );
    let script = browser.get("/static/supplier.js").await;
    assert!(script.expect(200).contains("x-csrf-token"));

    // Search by code and by status narrows the list.
    let found = browser
        .get("/supplier?q=ours-2")
        .await
        .expect(200)
        .to_owned();
    assert!(found.contains("自家 电风扇 二号") && !found.contains("自家 变频空调 一号"));
    let approved_only = browser
        .get("/supplier?status=approved")
        .await
        .expect(200)
        .to_owned();
    assert!(approved_only.contains("自家 变频空调 一号") && !approved_only.contains("二号"));
    // A `%` is looked for as itself, not as a wildcard that matches everything.
    let none = browser.get("/supplier?q=%25").await.expect(200).to_owned();
    assert!(none.contains("没有符合条件的商品") && !none.contains("自家 变频空调"));

    browser
        .get(&format!("/supplier/skus/{approved}"))
        .await
        .expect(200);
    let hidden = browser.get(&format!("/supplier/skus/{foreign}")).await;
    assert_eq!(hidden.status, 404, "{}", hidden.body);

    app.account("cat-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "cat-viewer", PASSWORD).await;
    assert_eq!(viewer.get("/supplier").await.status, 403);
    let mut stranger = Browser::new(&app.base_url);
    assert!(stranger
        .get("/supplier/orders")
        .await
        .redirected()
        .starts_with("/login"));
}
store_case!(
    case_catalogue_lists_only_own_skus,
    sqlite_catalogue_lists_only_own_skus,
    postgres_catalogue_lists_only_own_skus
);

/// A feed row: a good SKU `code`, or one whose pool price is above its retail price.
fn feed_row(code: &str, good: bool) -> String {
    let (pool, retail) = if good {
        (899_900, 1_589_900)
    } else {
        (1_700_000, 1_589_900)
    };
    format!(
        "SPU-{code},{code},格力 变频空调 {code} 一级能效 新款 静音 节能 冷暖两用 挂机 卧室客厅适用,格力,605,,\
         https://img.example.com/{code}.jpg,匹数=1.5;颜色=白,500000,{pool},850000,{retail},1000,HZ,5,1\n"
    )
}

/// A CSV larger than the pages' 64 KiB form limit, uploaded through the console's route as
/// its script does, is imported: the good rows are written and the report names the bad
/// row's line and code. A file without a required column and a post without the page's
/// token are refused.
async fn case_feed_upload_reports_bad_rows(app: &TestApp) {
    let supplier = app.supplier("导入供应商", "feed-supply").await;
    app.warehouse(&supplier, "HZ").await;
    let mut csv = String::from(
        "spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,\
         pool_price_fen,floor_price_fen,retail_price_fen,commission_bps,warehouse_code,\
         stock_quantity,stock_version\n",
    );
    let good_rows: usize = 400;
    for i in 0..good_rows {
        if i == 2 {
            // Line 4: the header is line 1 and rows 0 and 1 are lines 2 and 3.
            csv.push_str(&feed_row("FEED-BAD", false));
        }
        csv.push_str(&feed_row(&format!("FEED-{i:03}"), true));
    }
    assert!(csv.len() > 64 * 1024, "the feed must exceed the form limit");

    let mut browser = signed_in(app, "feed-supply").await;
    let shown = browser
        .post_script("/supplier/feed", "text/csv", csv.into_bytes())
        .await;
    let report = shown.expect(200);
    assert_eq!(
        shown.headers.get("x-feed-report").map(String::as_str),
        Some("1")
    );
    assert!(
        report.contains(&format!("data-rows=\"{}\"", good_rows + 1)),
        "{report}"
    );
    assert!(report.contains("data-rejected=\"1\""), "{report}");
    assert!(report.contains("data-line=\"4\""), "{report}");
    assert!(report.contains("retail_below_pool"), "{report}");
    assert!(report.contains("FEED-BAD"));

    // Written: the good rows are in the catalogue with their stock; the bad one is not.
    let listed = app
        .get_query("/api/supplier/skus", &supplier, &[("limit", "500")])
        .await
        .expect(200);
    let items = listed.as_array().expect("a list of SKUs");
    assert_eq!(items.len(), good_rows, "{listed}");
    assert!(items.iter().all(|s| s["sku_code"] != "FEED-BAD"));
    assert!(items.iter().all(|s| s["stock_total"] == 5), "{listed}");
    // Sent again, every good row is unchanged and nothing is written twice.
    let mut again = String::from(
        "spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,\
         pool_price_fen,floor_price_fen,retail_price_fen,commission_bps\n",
    );
    again.push_str(
        feed_row("FEED-000", true)
            .trim_end()
            .trim_end_matches(",HZ,5,1"),
    );
    again.push('\n');
    let second = browser
        .post_script("/supplier/feed", "text/csv", again.into_bytes())
        .await;
    assert!(
        second.expect(200).contains("class=\"unchanged\">1<"),
        "{}",
        second.body
    );

    let missing = browser
        .post_script(
            "/supplier/feed",
            "text/csv",
            b"spu_code,sku_code\nA,B\n".to_vec(),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("invalid_feed"), "{}", missing.body);

    // Without the page's token the upload is refused before anything is read.
    let forged = browser
        .post_without_csrf("/supplier/feed", &[("spu_code", "x")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("csrf_failed"));
    assert!(!forged.headers.contains_key("x-feed-report"));
}
store_case!(
    case_feed_upload_reports_bad_rows,
    sqlite_feed_upload_reports_bad_rows,
    postgres_feed_upload_reports_bad_rows
);

/// The stock of a SKU in one warehouse, as the API shows it: (quantity, version).
async fn stock_of(app: &TestApp, supplier: &str, sku: i64, warehouse: &str) -> Option<(i64, i64)> {
    let levels = app
        .get(&format!("/api/supplier/skus/{sku}/stock"), supplier)
        .await
        .expect(200);
    levels
        .as_array()
        .expect("stock levels")
        .iter()
        .find(|level| level["warehouse_code"] == warehouse)
        .map(|level| {
            (
                level["quantity"].as_i64().unwrap_or(-1),
                level["version"].as_i64().unwrap_or(-1),
            )
        })
}

/// Setting a warehouse's stock on the SKU page writes it with the next version; a form shown
/// before someone else's change is refused as stale and changes nothing. A warehouse added
/// on the catalogue page appears there.
async fn case_stock_set_through_the_page(app: &TestApp) {
    let supplier = app.supplier("库存供应商", "stock-supply").await;
    app.warehouse(&supplier, "HZ").await;
    let id = app.create_sku(&supplier, sku("STOCK-1", "库存 空调")).await;
    let mut browser = signed_in(app, "stock-supply").await;

    let added = browser
        .post(
            "/supplier/warehouses",
            &[
                ("code", "BJ"),
                ("name", "北京仓"),
                ("county_code", "110105"),
            ],
        )
        .await;
    assert!(after(&mut browser, added).await.contains("北京仓"));
    let refused = browser
        .post(
            "/supplier/warehouses",
            &[
                ("code", "XX"),
                ("name", "无处仓"),
                ("county_code", "999999"),
            ],
        )
        .await;
    assert!(after(&mut browser, refused)
        .await
        .contains("unknown_county_code"));

    let page = browser
        .get(&format!("/supplier/skus/{id}"))
        .await
        .expect(200)
        .to_owned();
    assert_eq!(field_after(&page, "data-stock=\"HZ\"", "version"), "1");
    let stale_form_version = field_after(&page, "data-stock=\"BJ\"", "version");
    let path = format!("/supplier/skus/{id}/stock");
    let set = browser
        .post(
            &path,
            &[
                ("warehouse_code", "HZ"),
                ("quantity", "7"),
                ("version", "1"),
            ],
        )
        .await;
    assert!(after(&mut browser, set).await.contains("flash ok"));
    assert_eq!(stock_of(app, &supplier, id, "HZ").await, Some((7, 1)));
    let page = browser
        .get(&format!("/supplier/skus/{id}"))
        .await
        .expect(200)
        .to_owned();
    assert_eq!(field_after(&page, "data-stock=\"HZ\"", "version"), "2");

    // The supplier's system moves BJ on meanwhile; the form shown before is stale.
    common::supplier::set_stock(app, &supplier, "STOCK-1", "BJ", 3, 5).await;
    let stale = browser
        .post(
            &path,
            &[
                ("warehouse_code", "BJ"),
                ("quantity", "100"),
                ("version", &stale_form_version),
            ],
        )
        .await;
    assert!(after(&mut browser, stale).await.contains("stale"));
    assert_eq!(stock_of(app, &supplier, id, "BJ").await, Some((3, 5)));
    let bad = browser
        .post(
            &path,
            &[
                ("warehouse_code", "HZ"),
                ("quantity", "many"),
                ("version", "2"),
            ],
        )
        .await;
    assert!(after(&mut browser, bad).await.contains("invalid_number"));
    assert_eq!(stock_of(app, &supplier, id, "HZ").await, Some((7, 1)));
    let sku_view = app
        .get(&format!("/api/skus/{id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(sku_view["stock_total"], 10);
}
store_case!(
    case_stock_set_through_the_page,
    sqlite_stock_set_through_the_page,
    postgres_stock_set_through_the_page
);

/// Editing a SKU on its page goes through the upsert: a price that breaks a rule is refused
/// with that rule's code and changes nothing; a good price change keeps it approved and adds
/// to its price history; a content change sends it back to review.
async fn case_sku_edit_names_the_rule_broken(app: &TestApp) {
    let supplier = app.supplier("改价供应商", "edit-supply").await;
    let operator = app.operator().await;
    let item = with(
        sku("EDIT-1", "改价 空调"),
        json!({"images": ["https://img.example.com/a.jpg"]}),
    );
    let id = app.create_sku(&supplier, item).await;
    app.approve(&operator, id).await;
    let mut browser = signed_in(app, "edit-supply").await;
    browser
        .get(&format!("/supplier/skus/{id}"))
        .await
        .expect(200);
    let path = format!("/supplier/skus/{id}");
    let form = |pool: &'static str, title: &'static str| {
        vec![
            ("title", title),
            ("brand", "格力"),
            ("category_id", "605"),
            ("gtin", ""),
            ("images", "https://img.example.com/a.jpg"),
            ("attributes", "匹数=1.5"),
            ("supply", "5000"),
            ("floor", "8500.00"),
            ("pool", pool),
            ("retail", "15,899"),
            ("commission", "10"),
        ]
    };

    let broken = browser.post(&path, &form("16000", "改价 空调")).await;
    assert!(after(&mut browser, broken)
        .await
        .contains("retail_below_pool"));
    let unreadable = browser.post(&path, &form("8999.999", "改价 空调")).await;
    assert!(after(&mut browser, unreadable)
        .await
        .contains("invalid_number"));
    let view = app
        .get(&format!("/api/skus/{id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(view["pool_price_fen"], 899_900);

    let cheaper = browser.post(&path, &form("8888.8", "改价 空调")).await;
    let page = after(&mut browser, cheaper).await;
    assert!(page.contains("flash ok"), "{page}");
    let view = app
        .get(&format!("/api/skus/{id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(view["pool_price_fen"], 888_880);
    assert_eq!(
        view["status"], "approved",
        "a price change stays in the pool"
    );
    let history = app
        .get(&format!("/api/skus/{id}/price-history"), &supplier)
        .await
        .expect(200);
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    assert!(page.contains("¥8,888.80"), "the history on the page");

    let renamed = browser
        .post(&path, &form("8888.80", "改价 空调 新款"))
        .await;
    after(&mut browser, renamed).await;
    let view = app
        .get(&format!("/api/skus/{id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(view["title"], "改价 空调 新款");
    assert_eq!(view["status"], "pending_review");
}
store_case!(
    case_sku_edit_names_the_rule_broken,
    sqlite_sku_edit_names_the_rule_broken,
    postgres_sku_edit_names_the_rule_broken
);

/// A routed order appears in the console's list with its warehouse, address and promise;
/// another supplier cannot ship it through its console; a bad waybill shows the service's
/// code and leaves it routed; a good one ships it; tracking reported on the page reaches the
/// buyer's timeline, and a delivery scan makes it delivered.
async fn case_ship_and_track_through_the_page(app: &TestApp) {
    let shop = shop(app, "webship", 3, 0).await;
    let hangzhou = buyer(app, "webship-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &hangzhou, 1).await;
    assert_eq!(order_status(app, &hangzhou.0, order).await, "routed");

    let mut browser = console(app, "webship").await;
    let page = browser.get("/supplier/orders").await.expect(200).to_owned();
    let marker = format!("data-ship=\"{order}\"");
    assert!(page.contains(&marker), "{page}");
    assert!(page.contains("name=\"carrier\"") && page.contains("name=\"waybill\""));
    assert!(page.contains("value=\"sf\"") && page.contains("value=\"ems\""));
    assert!(
        page.contains("文三路 90 号"),
        "the fulfilling supplier sees the street"
    );
    assert!(page.contains("杭州仓"), "the warehouse it ships from");
    assert!(page.contains("data-kpi=\"to-ship\"><b>1</b>"), "{page}");

    // Another supplier's staff cannot ship it through their console.
    app.supplier("别家发货", "webship-other").await;
    let mut other = signed_in(app, "webship-other").await;
    let other_page = other.get("/supplier/orders").await.expect(200).to_owned();
    assert!(!other_page.contains(&marker));
    let refused = other
        .post(
            &format!("/supplier/orders/{order}/ship"),
            &[("carrier", "sf"), ("waybill", "SF1234567890123")],
        )
        .await;
    assert!(after(&mut other, refused).await.contains("not_found"));
    assert_eq!(order_status(app, &hangzhou.0, order).await, "routed");

    let ship = format!("/supplier/orders/{order}/ship");
    let bad = browser
        .post(&ship, &[("carrier", "sf"), ("waybill", "SF12")])
        .await;
    assert!(after(&mut browser, bad).await.contains("waybill_format"));
    assert_eq!(order_status(app, &hangzhou.0, order).await, "routed");

    let good = browser
        .post(&ship, &[("carrier", "sf"), ("waybill", "SF1234567890123")])
        .await;
    let page = after(&mut browser, good).await;
    assert!(page.contains("flash ok"), "{page}");
    assert_eq!(order_status(app, &hangzhou.0, order).await, "shipped");
    assert!(!page.contains(&marker), "no longer waiting to ship");
    let track_marker = format!("data-track=\"{order}\"");
    assert!(page.contains(&track_marker), "{page}");
    assert!(page.contains("SF1234567890123"));

    let event_id = field_after(&page, &track_marker, "event_id");
    let track = format!("/supplier/orders/{order}/tracking");
    let reported = browser
        .post(
            &track,
            &[
                ("event_id", &event_id),
                ("status", "in_transit"),
                ("place", "杭州转运中心"),
            ],
        )
        .await;
    assert!(after(&mut browser, reported).await.contains("杭州转运中心"));
    let unknown = browser
        .post(
            &track,
            &[("event_id", "web-x"), ("status", "lost"), ("place", "")],
        )
        .await;
    assert!(after(&mut browser, unknown)
        .await
        .contains("unknown_tracking_stage"));

    let timeline = app
        .get(&format!("/api/orders/{order}/tracking"), &hangzhou.0)
        .await
        .expect(200);
    let events = timeline["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{timeline}");
    assert_eq!(events[0]["stage"], "in_transit");
    assert_eq!(events[0]["detail"], "杭州转运中心");
    assert_eq!(timeline["shipments"][0]["waybill"], "SF1234567890123");

    let page = browser.get("/supplier/orders").await.expect(200).to_owned();
    let delivered_id = field_after(&page, &track_marker, "event_id");
    assert_ne!(
        delivered_id, event_id,
        "each shown form reports its own event"
    );
    let delivered = browser
        .post(
            &track,
            &[
                ("event_id", &delivered_id),
                ("status", "delivered"),
                ("place", ""),
            ],
        )
        .await;
    let page = after(&mut browser, delivered).await;
    assert!(!page.contains(&track_marker), "delivered leaves the list");
    assert_eq!(order_status(app, &hangzhou.0, order).await, "delivered");
}
store_case!(
    case_ship_and_track_through_the_page,
    sqlite_ship_and_track_through_the_page,
    postgres_ship_and_track_through_the_page
);

/// The order's after-sales requests as its buyer sees them.
async fn requests_of(app: &TestApp, buyer: &str, order: i64) -> Vec<Value> {
    app.get(&format!("/api/orders/{order}/after-sales"), buyer)
        .await
        .expect(200)
        .as_array()
        .cloned()
        .expect("requests")
}

/// Decisions on the after-sales page take effect: a rejection without a reason is refused
/// with its code, an approval of a refund before shipment refunds it; a quality complaint
/// shows its evidence, is approved, and the returned goods are received on the page, which
/// refunds the buyer.
async fn case_after_sales_through_the_page(app: &TestApp) {
    let shop = shop(app, "websale", 3, 0).await;
    let customer = buyer(app, "websale-buyer", "330106").await;
    let token = &customer.0;
    let early = buy_and_pay(app, &shop, &customer, 1).await;
    let refund = app
        .post(
            &format!("/api/orders/{early}/after-sales"),
            token,
            &json!({"kind": "refund_only_not_shipped"}),
        )
        .await
        .expect(201);
    let refund_id = refund["id"].as_i64().expect("a request id");

    let mut browser = console(app, "websale").await;
    let page = browser
        .get("/supplier/after-sales")
        .await
        .expect(200)
        .to_owned();
    assert!(
        page.contains(&format!("data-decide=\"{refund_id}\"")),
        "{page}"
    );
    assert!(page.contains("未发货仅退款"), "the request's kind");
    let decision = format!("/supplier/after-sales/{refund_id}/decision");
    let no_reason = browser
        .post(&decision, &[("decision", "reject"), ("reason", "")])
        .await;
    assert!(after(&mut browser, no_reason)
        .await
        .contains("invalid_reason"));
    assert_eq!(
        requests_of(app, token, early).await[0]["status"],
        "requested"
    );
    let approved = browser.post(&decision, &[("decision", "approve")]).await;
    assert!(after(&mut browser, approved).await.contains("flash ok"));
    assert_eq!(
        requests_of(app, token, early).await[0]["status"],
        "refunded"
    );

    let late = buy_and_pay(app, &shop, &customer, 1).await;
    ship_and_deliver(app, &shop, late, common::now_ms() - 1_000).await;
    let photo = "https://img.example.com/evidence/cracked-panel.jpg";
    let complaint = app
        .post(
            &format!("/api/orders/{late}/after-sales"),
            token,
            &json!({"kind": "quality_complaint",
                "evidence": {"image_urls": [photo], "text": "面板有裂纹"}}),
        )
        .await
        .expect(201);
    let complaint_id = complaint["id"].as_i64().expect("a request id");
    let page = browser
        .get("/supplier/after-sales")
        .await
        .expect(200)
        .to_owned();
    assert!(page.contains(&format!("img src=\"{photo}\"")), "{page}");
    assert!(page.contains("面板有裂纹"));
    let approved = browser
        .post(
            &format!("/supplier/after-sales/{complaint_id}/decision"),
            &[("decision", "approve")],
        )
        .await;
    after(&mut browser, approved).await;
    assert_eq!(requests_of(app, token, late).await[0]["status"], "approved");

    app.post(
        &format!("/api/after-sales/{complaint_id}/return-shipment"),
        token,
        &json!({"carrier": "sf", "waybill": "SF9876543210987"}),
    )
    .await
    .expect(200);
    let page = browser
        .get("/supplier/after-sales")
        .await
        .expect(200)
        .to_owned();
    assert!(
        page.contains(&format!("data-receive=\"{complaint_id}\"")),
        "{page}"
    );
    assert!(page.contains("SF9876543210987"));
    let received = browser
        .post(
            &format!("/supplier/after-sales/{complaint_id}/received"),
            &[],
        )
        .await;
    assert!(after(&mut browser, received).await.contains("flash ok"));
    let request = &requests_of(app, token, late).await[0];
    assert_eq!(request["status"], "refunded", "{request}");
    wait_until("the complaint's refund reaches the buyer", || async move {
        order_status(app, token, late).await == "refunded"
    })
    .await;
}
store_case!(
    case_after_sales_through_the_page,
    sqlite_after_sales_through_the_page,
    postgres_after_sales_through_the_page
);

/// The statement page shows what a paid order earned the supplier as pending, with a chart,
/// and the CSV download is the same statement.
async fn case_statement_page_and_csv(app: &TestApp) {
    let shop = shop(app, "webstate", 3, 0).await;
    let customer = buyer(app, "webstate-buyer", "330106").await;
    let order = buy_and_pay(app, &shop, &customer, 1).await;
    let view = app
        .get(&format!("/api/orders/{order}"), &customer.0)
        .await
        .expect(200);
    let share = view["split"]["supplier"]
        .as_i64()
        .expect("the supplier's share");
    assert!(share > 0);

    let mut browser = console(app, "webstate").await;
    let page = browser
        .get("/supplier/statements")
        .await
        .expect(200)
        .to_owned();
    let pending = format!("class=\"pending\">{}<", daihuo_web::page::yuan(share));
    assert!(page.contains(&pending), "{page}");
    assert!(page.contains("<svg"), "a chart");
    assert!(page.contains("data-posting="));

    let csv = browser.get("/supplier/statements.csv?days=30").await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));
    assert!(csv
        .body
        .starts_with(daihuo_service::settlement::STATEMENT_CSV_HEADER));
    assert!(
        csv.body
            .lines()
            .any(|line| line.contains(&format!(",{order},payment,pending,{share},"))),
        "{}",
        csv.body
    );
}
store_case!(
    case_statement_page_and_csv,
    sqlite_statement_page_and_csv,
    postgres_statement_page_and_csv
);
