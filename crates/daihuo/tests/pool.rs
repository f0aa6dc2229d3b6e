//! The supplier product pool and the selection centre, driven over HTTP on both stores.
//!
//! Each `case_*` is one behaviour; `store_case!` runs it on SQLite and on PostgreSQL (when
//! `DAIHUO_TEST_DATABASE_URL` is set). Together they prove issue 2's "done means": a supplier
//! is created, imports a CSV catalogue, has it approved, and an anchor finds it in Chinese
//! and English and shelves it.

mod common;

use common::{ids, sku, titles, with, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A feed with a Chinese row, an English row and a row whose floor price is above its pool
/// price (line 4).
const FEED: &str = "\
spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,pool_price_fen,floor_price_fen,retail_price_fen,commission_bps
GREE-KFR35,GREE-KFR35-W,格力 变频空调 1.5匹 冷暖,格力,605,6901234567892,https://img.example.com/gree-1.jpg|https://img.example.com/gree-2.jpg,颜色=白;匹数=1.5,500000,899900,850000,1589900,1000
GREE-KFR35-EN,GREE-KFR35-EN-W,Gree Inverter Air Conditioner 1.5HP,Gree,605,,https://img.example.com/gree-en.jpg,,500000,899900,850000,1589900,1000
MIDEA-RC,MIDEA-RC-1,美的 电饭煲,美的,757,,,,10000,20000,25000,30000,1000
";

/// Rounds of concurrent stock updates in `case_stock`.
const STOCK_RACE_ROUNDS: i64 = 5;

const CHINESE_TITLE: &str = "格力 变频空调 1.5匹 冷暖";
const ENGLISH_TITLE: &str = "Gree Inverter Air Conditioner 1.5HP";

fn set(items: Vec<String>) -> BTreeSet<String> {
    items.into_iter().collect()
}

fn strings(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The whole journey of issue 2, step by step.
async fn case_journey(app: &TestApp) {
    // The operator signs in and creates a supplier with its first staff account.
    let operator = app.operator().await;
    let created = app
        .post(
            "/api/operator/suppliers",
            &operator,
            &json!({"name": "格力官方旗舰店", "admin_username": "gree", "admin_password": PASSWORD}),
        )
        .await
        .expect(201);
    let supplier_id = created["supplier_id"].as_i64().expect("supplier id");
    assert_eq!(created["admin"]["username"], "gree");
    assert_eq!(created["admin"]["supplier_id"], supplier_id);

    // Its staff signs in and creates a warehouse located by county code.
    let supplier = app.sign_in("gree", PASSWORD).await;
    let me = app.get("/api/me", &supplier).await.expect(200);
    assert_eq!(me["role"], "supplier_staff");
    let warehouse = app.warehouse(&supplier, "HZ").await;
    assert_eq!(warehouse["county_code"], 330106);
    let location = warehouse["location"].as_str().expect("location");
    assert!(location.contains("西湖区"), "location {location}");
    let longitude = warehouse["longitude"].as_f64().expect("longitude");
    let latitude = warehouse["latitude"].as_f64().expect("latitude");
    assert!((longitude - 120.1).abs() < 0.1, "longitude {longitude}");
    assert!((latitude - 30.3).abs() < 0.1, "latitude {latitude}");
    let listed = app
        .get("/api/supplier/warehouses", &supplier)
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["code"], "HZ");
    // A province-level code is refused.
    app.put(
        "/api/supplier/warehouses",
        &supplier,
        &json!({"code": "X", "name": "x", "county_code": "330000"}),
    )
    .await
    .expect_error(422, "invalid_county_code");

    // It uploads a CSV feed: two good rows and one bad one, reported by line.
    let response = app
        .client
        .post(format!("{}/api/supplier/feeds", app.base_url))
        .bearer_auth(&supplier)
        .header("content-type", "text/csv")
        .body(FEED)
        .send()
        .await
        .expect("upload the feed");
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.expect("a JSON report");
    assert_eq!(report["rows"], 3, "report {report}");
    assert_eq!(report["created"], 2, "report {report}");
    assert_eq!(report["rejected"], 1, "report {report}");
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["errors"][0]["row"], 4, "the CSV line of the bad row");
    assert_eq!(report["errors"][0]["sku_code"], "MIDEA-RC-1");
    assert_eq!(report["errors"][0]["error"]["code"], "floor_above_pool");

    let catalogue = app.get("/api/supplier/skus", &supplier).await.expect(200);
    assert_eq!(
        set(titles(&catalogue)),
        strings(&[CHINESE_TITLE, ENGLISH_TITLE])
    );
    for item in catalogue.as_array().expect("array") {
        assert_eq!(item["status"], "pending_review");
        assert_eq!(
            item["supply_price_fen"], 500_000,
            "the supplier sees supply"
        );
    }
    let chinese = &catalogue
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["title"] == CHINESE_TITLE)
        .expect("the Chinese SKU")
        .clone();
    assert_eq!(chinese["gtin"], "6901234567892");
    assert_eq!(chinese["images"].as_array().map(Vec::len), Some(2));
    assert_eq!(chinese["attributes"][1]["value"], "1.5");
    assert!(chinese["category_path"]
        .as_str()
        .unwrap_or("")
        .ends_with("Air Conditioners"));

    // An anchor signs up and signs in; nothing is in the pool before review.
    let anchor = app.account("xiaoli", "anchor").await;
    assert!(app.pool_titles(&anchor, &[("q", "空调")]).await.is_empty());
    assert!(app
        .pool_titles(&anchor, &[("q", "air conditioner")])
        .await
        .is_empty());

    // The operator's review queue lists both; the operator approves both.
    let queue = app
        .get("/api/operator/review-queue", &operator)
        .await
        .expect(200);
    assert_eq!(
        set(titles(&queue)),
        strings(&[CHINESE_TITLE, ENGLISH_TITLE])
    );
    for id in ids(&queue) {
        let approved = app.approve(&operator, id).await;
        assert_eq!(approved["status"], "approved");
    }
    let queue = app
        .get("/api/operator/review-queue", &operator)
        .await
        .expect(200);
    assert_eq!(queue.as_array().map(Vec::len), Some(0));

    // The anchor finds them in Chinese and in English.
    assert_eq!(
        app.pool_titles(&anchor, &[("q", "空调")]).await,
        vec![CHINESE_TITLE]
    );
    assert_eq!(
        app.pool_titles(&anchor, &[("q", "格力空调")]).await,
        vec![CHINESE_TITLE]
    );
    let english = app.pool_titles(&anchor, &[("q", "air conditioner")]).await;
    assert!(
        english.contains(&ENGLISH_TITLE.to_owned()),
        "air conditioner found {english:?}"
    );
    assert_eq!(
        app.pool_titles(&anchor, &[("q", "Gree inverter conditioners")])
            .await,
        vec![ENGLISH_TITLE]
    );
    assert!(app
        .pool_titles(&anchor, &[("q", "电饭煲")])
        .await
        .is_empty());
    let page = app
        .get_query("/api/pool", &anchor, &[("q", "空调")])
        .await
        .expect(200);
    let found = &page["items"][0];
    assert_eq!(
        found["supply_price_fen"],
        Value::Null,
        "anchors never see supply"
    );
    assert_eq!(found["pool_price_fen"], 899_900);
    assert_eq!(found["commission_fen"], 89_990);
    assert_eq!(found["supplier_name"], "格力官方旗舰店");
    assert_eq!(page["has_more"], false);

    // The anchor shelves the Chinese SKU, sees it on the shelf, and takes it off again.
    let id = found["id"].as_i64().expect("id");
    let shelf = app
        .put(&format!("/api/anchor/shelf/{id}"), &anchor, &json!({}))
        .await
        .expect(200);
    assert_eq!(ids(&shelf), vec![id]);
    // Shelving twice is harmless.
    let shelf = app
        .put(&format!("/api/anchor/shelf/{id}"), &anchor, &json!({}))
        .await
        .expect(200);
    assert_eq!(ids(&shelf), vec![id]);
    let shelf = app.get("/api/anchor/shelf", &anchor).await.expect(200);
    assert_eq!(ids(&shelf), vec![id]);
    assert_eq!(shelf[0]["title"], CHINESE_TITLE);
    let shelf = app
        .delete(&format!("/api/anchor/shelf/{id}"), &anchor)
        .await
        .expect(200);
    assert_eq!(ids(&shelf), Vec::<i64>::new());
    let shelf = app.get("/api/anchor/shelf", &anchor).await.expect(200);
    assert_eq!(ids(&shelf), Vec::<i64>::new());
    app.delete(&format!("/api/anchor/shelf/{id}"), &anchor)
        .await
        .expect_error(404, "not_found");
}
crate::store_case!(case_journey, sqlite_journey, postgres_journey);

/// Every price and content rule answers with its own code, and a refused row writes nothing.
async fn case_price_rules(app: &TestApp) {
    let supplier = app.supplier("规则供应商", "rules").await;
    app.warehouse(&supplier, "HZ").await;
    let good = sku("GOOD-1", "格力 变频空调 正常");
    let rules = [
        (
            "supply_not_below_pool",
            json!({"supply_price_fen": 899_900}),
        ),
        ("floor_above_pool", json!({"floor_price_fen": 900_000})),
        ("commission_out_of_policy", json!({"commission_bps": 99})),
        ("commission_out_of_policy", json!({"commission_bps": 5_001})),
        (
            "commission_exceeds_margin",
            json!({"supply_price_fen": 890_000, "floor_price_fen": 895_000, "commission_bps": 2_000}),
        ),
        ("invalid_gtin", json!({"gtin": "6901234567893"})),
        ("invalid_gtin", json!({"gtin": "12345"})),
        ("unknown_category", json!({"category_id": 99_999_999})),
        ("non_positive_price", json!({"supply_price_fen": 0})),
        (
            "floor_not_above_supply",
            json!({"floor_price_fen": 500_000}),
        ),
        ("retail_below_pool", json!({"retail_price_fen": 899_899})),
        ("invalid_code", json!({"sku_code": "空调-1"})),
        ("invalid_title", json!({"title": "  "})),
        (
            "invalid_images",
            json!({"images": ["ftp://img.example.com/1.jpg"]}),
        ),
    ];
    for (code, change) in rules {
        let bad = with(sku("BAD-1", "格力 坏数据"), change.clone());
        let report = app.upsert(&supplier, vec![bad]).await;
        assert_eq!(report["rejected"], 1, "{change} → {report}");
        assert_eq!(report["created"], 0, "{change} → {report}");
        let result = &report["results"][0];
        assert_eq!(result["outcome"], "rejected");
        assert_eq!(result["row"], 0);
        assert_eq!(result["sku_id"], Value::Null);
        assert_eq!(result["error"]["code"], code, "{change} → {report}");
    }
    assert_eq!(
        app.get("/api/supplier/skus", &supplier)
            .await
            .expect(200)
            .as_array()
            .map(Vec::len),
        Some(0),
        "no refused row was written"
    );

    // One good and one bad item: the good one is written, the bad one is reported at its row.
    let bad = with(
        sku("BAD-2", "格力 坏价格"),
        json!({"floor_price_fen": 900_000}),
    );
    let report = app.upsert(&supplier, vec![bad, good.clone()]).await;
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["results"][0]["row"], 0);
    assert_eq!(report["results"][0]["error"]["code"], "floor_above_pool");
    assert_eq!(report["results"][1]["row"], 1);
    assert_eq!(report["results"][1]["outcome"], "created");
    assert_eq!(report["results"][1]["status"], "pending_review");
    let good_id = report["results"][1]["sku_id"].as_i64().expect("id");

    // Refused rows never half-write: not a new SKU with stock in a warehouse that does not
    // exist, and not a changed title riding along with a bad price on an existing SKU.
    let orphan = with(
        sku("BAD-3", "格力 无仓库"),
        json!({"stock": [{"warehouse_code": "NOWHERE", "quantity": 5, "version": 1}]}),
    );
    let half = with(
        good.clone(),
        json!({"title": "格力 改了标题", "floor_price_fen": 900_000}),
    );
    let report = app.upsert(&supplier, vec![orphan, half]).await;
    assert_eq!(report["rejected"], 2, "report {report}");
    assert_eq!(report["results"][0]["error"]["code"], "unknown_warehouse");
    assert_eq!(report["results"][1]["error"]["code"], "floor_above_pool");
    let catalogue = app.get("/api/supplier/skus", &supplier).await.expect(200);
    assert_eq!(ids(&catalogue), vec![good_id]);
    assert_eq!(catalogue[0]["title"], "格力 变频空调 正常");
    assert_eq!(catalogue[0]["floor_price_fen"], 850_000);
    let history = app
        .get(&format!("/api/skus/{good_id}/price-history"), &supplier)
        .await
        .expect(200);
    assert_eq!(history.as_array().map(Vec::len), Some(1));

    // Sending the same SKU again changes nothing; stock in a real warehouse is written with it.
    let report = app.upsert(&supplier, vec![good.clone()]).await;
    assert_eq!(report["unchanged"], 1, "report {report}");
    let stocked = with(
        sku("GOOD-2", "格力 有库存"),
        json!({"stock": [{"warehouse_code": "HZ", "quantity": 7, "version": 1}]}),
    );
    let stocked_id = app.create_sku(&supplier, stocked).await;
    let stock = app
        .get(&format!("/api/supplier/skus/{stocked_id}/stock"), &supplier)
        .await
        .expect(200);
    assert_eq!(stock[0]["quantity"], 7);

    // A batch over the limit is refused whole.
    let too_many: Vec<Value> = (0..1_001)
        .map(|i| sku(&format!("MANY-{i}"), "格力 太多"))
        .collect();
    app.put(
        "/api/supplier/skus",
        &supplier,
        &json!({ "items": too_many }),
    )
    .await
    .expect_error(422, "too_many_rows");
}
crate::store_case!(case_price_rules, sqlite_price_rules, postgres_price_rules);

/// Operator review: reasons, transitions, and what sends a SKU back to review.
async fn case_review(app: &TestApp) {
    let operator = app.operator().await;
    let supplier = app.supplier("审核供应商", "review").await;
    let anchor = app.account("anchor-r", "anchor").await;
    let rejected_id = app.create_sku(&supplier, sku("REJ-1", "格力 待拒绝")).await;
    let approved_id = app
        .create_sku(&supplier, sku("APP-1", "格力 变频空调 通过"))
        .await;
    let review = |id: i64| format!("/api/operator/skus/{id}/review");

    // A rejection needs a reason; with one, the supplier sees it.
    app.post(
        &review(rejected_id),
        &operator,
        &json!({"decision": "reject"}),
    )
    .await
    .expect_error(422, "reason_required");
    app.post(
        &review(rejected_id),
        &operator,
        &json!({"decision": "reject", "reason": "   "}),
    )
    .await
    .expect_error(422, "reason_required");
    let rejected = app
        .post(
            &review(rejected_id),
            &operator,
            &json!({"decision": "reject", "reason": "图片不清晰"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
    let seen = app
        .get(&format!("/api/skus/{rejected_id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["reject_reason"], "图片不清晰");
    let catalogue = app.get("/api/supplier/skus", &supplier).await.expect(200);
    let listed = catalogue
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["id"] == rejected_id)
        .expect("the rejected SKU is listed")
        .clone();
    assert_eq!(listed["reject_reason"], "图片不清晰");
    // A rejected SKU is not visible to anchors and cannot be approved without a resubmit.
    app.get(&format!("/api/skus/{rejected_id}"), &anchor)
        .await
        .expect_error(404, "not_found");
    app.post(
        &review(rejected_id),
        &operator,
        &json!({"decision": "approve"}),
    )
    .await
    .expect_error(409, "invalid_transition");
    // Editing it resubmits it for review and clears the reason.
    let report = app
        .upsert(&supplier, vec![sku("REJ-1", "格力 已修改 图片清晰")])
        .await;
    assert_eq!(report["results"][0]["status"], "pending_review");
    let seen = app
        .get(&format!("/api/skus/{rejected_id}"), &supplier)
        .await
        .expect(200);
    assert_eq!(seen["reject_reason"], Value::Null);

    // Approving twice is a conflict; a missing SKU is not found.
    app.approve(&operator, approved_id).await;
    app.post(
        &review(approved_id),
        &operator,
        &json!({"decision": "approve"}),
    )
    .await
    .expect_error(409, "invalid_transition");
    app.post(&review(987_654), &operator, &json!({"decision": "approve"}))
        .await
        .expect_error(404, "not_found");
    app.post(
        &review(approved_id),
        &operator,
        &json!({"decision": "maybe"}),
    )
    .await
    .expect_error(422, "invalid_body");
    assert_eq!(
        app.pool_titles(&anchor, &[("q", "空调")]).await,
        vec!["格力 变频空调 通过"]
    );

    // A price-only change keeps it approved and in the pool, and is recorded.
    let cheaper = with(
        sku("APP-1", "格力 变频空调 通过"),
        json!({"pool_price_fen": 799_900, "floor_price_fen": 750_000}),
    );
    let report = app.upsert(&supplier, vec![cheaper]).await;
    assert_eq!(
        report["results"][0]["outcome"], "updated",
        "report {report}"
    );
    assert_eq!(report["results"][0]["status"], "approved");
    let history = app
        .get(&format!("/api/skus/{approved_id}/price-history"), &supplier)
        .await
        .expect(200);
    let history = history.as_array().expect("array").clone();
    assert_eq!(history.len(), 2, "history {history:?}");
    assert_eq!(history[0]["pool_price_fen"], 899_900);
    assert_eq!(history[1]["pool_price_fen"], 799_900);
    assert_eq!(history[1]["floor_price_fen"], 750_000);
    let page = app
        .get_query("/api/pool", &anchor, &[("q", "空调")])
        .await
        .expect(200);
    assert_eq!(page["items"][0]["pool_price_fen"], 799_900);
    // Operators see the history too; anchors do not.
    let by_operator = app
        .get(&format!("/api/skus/{approved_id}/price-history"), &operator)
        .await
        .expect(200);
    assert_eq!(by_operator.as_array().map(Vec::len), Some(2));
    app.get(&format!("/api/skus/{approved_id}/price-history"), &anchor)
        .await
        .expect_error(404, "not_found");

    // A content change (the title) sends it back to review and out of the pool.
    let retitled = with(
        sku("APP-1", "格力 变频空调 新标题"),
        json!({"pool_price_fen": 799_900, "floor_price_fen": 750_000}),
    );
    let report = app.upsert(&supplier, vec![retitled]).await;
    assert_eq!(report["results"][0]["outcome"], "updated");
    assert_eq!(report["results"][0]["status"], "pending_review");
    assert!(app.pool_titles(&anchor, &[("q", "空调")]).await.is_empty());
    app.get(&format!("/api/skus/{approved_id}"), &anchor)
        .await
        .expect_error(404, "not_found");
    let history = app
        .get(&format!("/api/skus/{approved_id}/price-history"), &supplier)
        .await
        .expect(200);
    assert_eq!(
        history.as_array().map(Vec::len),
        Some(2),
        "a title change is not a price change"
    );
    let queue = app
        .get("/api/operator/review-queue", &operator)
        .await
        .expect(200);
    assert!(ids(&queue).contains(&approved_id));

    // Delisting withdraws it; relisting sends it back to review.
    app.approve(&operator, approved_id).await;
    let listing = format!("/api/supplier/skus/{approved_id}/listing");
    let delisted = app
        .post(&listing, &supplier, &json!({"listed": false}))
        .await
        .expect(200);
    assert_eq!(delisted["status"], "delisted");
    assert!(app.pool_titles(&anchor, &[("q", "空调")]).await.is_empty());
    app.post(&listing, &supplier, &json!({"listed": false}))
        .await
        .expect_error(409, "invalid_transition");
    let relisted = app
        .post(&listing, &supplier, &json!({"listed": true}))
        .await
        .expect(200);
    assert_eq!(relisted["status"], "pending_review");
}
crate::store_case!(case_review, sqlite_review, postgres_review);

/// Versioned stock: apply, replay, stale, per-row errors, and order-independence under
/// concurrency.
async fn case_stock(app: &TestApp) {
    let operator = app.operator().await;
    let supplier = app.supplier("库存供应商", "stock").await;
    let anchor = app.account("anchor-s", "anchor").await;
    for code in ["HZ", "SH", "GZ", "BJ"] {
        app.warehouse(&supplier, code).await;
    }
    let id = app
        .create_sku(&supplier, sku("STK-1", "格力 变频空调 库存"))
        .await;
    app.approve(&operator, id).await;
    let update = |quantity: i64, version: i64| {
        json!({"updates": [{"sku_code": "STK-1", "warehouse_code": "HZ",
            "quantity": quantity, "version": version}]})
    };
    let stock_path = format!("/api/supplier/skus/{id}/stock");
    let in_stock = [("q", "空调"), ("in_stock", "true")];
    assert!(app.pool_titles(&anchor, &in_stock).await.is_empty());

    let results = app
        .post("/api/supplier/stock", &supplier, &update(10, 2))
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "results {results}");
    let results = app
        .post("/api/supplier/stock", &supplier, &update(10, 2))
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "replay", "results {results}");
    let results = app
        .post("/api/supplier/stock", &supplier, &update(99, 1))
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "stale", "results {results}");
    let results = app
        .post("/api/supplier/stock", &supplier, &update(11, 2))
        .await
        .expect(200);
    assert_eq!(
        results[0]["decision"], "stale",
        "same version, other quantity"
    );
    let stock = app.get(&stock_path, &supplier).await.expect(200);
    assert_eq!(stock.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            &stock[0]["warehouse_code"],
            &stock[0]["quantity"],
            &stock[0]["version"]
        ),
        (&json!("HZ"), &json!(10), &json!(2))
    );
    assert_eq!(
        app.pool_titles(&anchor, &in_stock).await,
        vec!["格力 变频空调 库存"]
    );
    let page = app
        .get_query("/api/pool", &anchor, &in_stock)
        .await
        .expect(200);
    assert_eq!(page["items"][0]["stock_total"], 10);

    // Rows are judged one by one: an unknown warehouse or SKU or a bad quantity is reported
    // at its row, and the good row beside them applies.
    let results = app
        .post(
            "/api/supplier/stock",
            &supplier,
            &json!({"updates": [
                {"sku_code": "STK-1", "warehouse_code": "NOWHERE", "quantity": 1, "version": 9},
                {"sku_code": "NO-SUCH-SKU", "warehouse_code": "HZ", "quantity": 1, "version": 9},
                {"sku_code": "STK-1", "warehouse_code": "HZ", "quantity": -1, "version": 9},
                {"sku_code": "STK-1", "warehouse_code": "SH", "quantity": 4, "version": 1},
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(results.as_array().map(Vec::len), Some(4));
    assert_eq!(results[0]["decision"], Value::Null);
    assert_eq!(results[0]["error"]["code"], "not_found");
    assert_eq!(results[1]["error"]["code"], "not_found");
    assert_eq!(results[2]["error"]["code"], "invalid_stock");
    assert_eq!(results[3]["decision"], "apply");
    let page = app
        .get_query("/api/pool", &anchor, &in_stock)
        .await
        .expect(200);
    assert_eq!(page["items"][0]["stock_total"], 14);

    // Selling out takes it out of the in-stock filter (but not out of the pool).
    for (warehouse, version) in [("HZ", 3), ("SH", 2)] {
        let results = app
            .post(
                "/api/supplier/stock",
                &supplier,
                &json!({"updates": [{"sku_code": "STK-1", "warehouse_code": warehouse,
                    "quantity": 0, "version": version}]}),
            )
            .await
            .expect(200);
        assert_eq!(results[0]["decision"], "apply");
    }
    assert!(app.pool_titles(&anchor, &in_stock).await.is_empty());
    assert_eq!(app.pool_titles(&anchor, &[("q", "空调")]).await.len(), 1);

    // Twenty versions per warehouse for four warehouses, sent concurrently in a shuffled
    // order: each warehouse ends at its highest version, and the SKU's total is the sum of
    // the four. Several rounds, each above the last round's versions, make a race likely to
    // show. (Round one starts at version 4, above what HZ and SH already hold.)
    let warehouses = ["BJ", "GZ", "HZ", "SH"];
    let quantity = |warehouse: &str, version: i64| {
        let index = warehouses.iter().position(|w| *w == warehouse).unwrap_or(0) as i64;
        version * 7 + index * 1_000
    };
    for round in 0..STOCK_RACE_ROUNDS {
        let first_version = 4 + round * 20;
        let last_version = first_version + 19;
        let mut requests = Vec::new();
        for warehouse in warehouses {
            for version in first_version..=last_version {
                requests.push((warehouse, version));
            }
        }
        {
            use rand::seq::SliceRandom;
            requests.shuffle(&mut rand::thread_rng());
        }
        let mut tasks = Vec::new();
        for (warehouse, version) in requests {
            let client = app.client.clone();
            let url = format!("{}/api/supplier/stock", app.base_url);
            let token = supplier.clone();
            let body = json!({"updates": [{"sku_code": "STK-1", "warehouse_code": warehouse,
                "quantity": quantity(warehouse, version), "version": version}]});
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                let status = response.status().as_u16();
                let results: Value = response.json().await.expect("JSON");
                (status, results)
            }));
        }
        let mut applied = 0;
        for task in tasks {
            let (status, results) = task.await.expect("the request task");
            assert_eq!(status, 200, "results {results}");
            assert_eq!(results[0]["error"], Value::Null, "results {results}");
            if results[0]["decision"] == "apply" {
                applied += 1;
            }
        }
        assert!(applied >= 4, "at least the last version of each applies");
        let stock = app.get(&stock_path, &supplier).await.expect(200);
        let expected: Vec<Value> = warehouses
            .iter()
            .map(|w| {
                json!({"warehouse_code": w, "warehouse_name": "杭州仓",
                    "quantity": quantity(w, last_version), "version": last_version})
            })
            .collect();
        assert_eq!(stock, Value::Array(expected), "round {round}");
        // Known bug on PostgreSQL (fails intermittently, in about one round of five):
        // concurrent stock writes to different warehouses of one SKU lose updates of
        // `skus.stock_total`, because `write_stock` (crates/store/src/pool.rs) recomputes the
        // sum in a statement whose snapshot predates a concurrent writer's commit. See the
        // report of issue 2's suite.
        let expected_total: i64 = warehouses.iter().map(|w| quantity(w, last_version)).sum();
        let catalogue = app.get("/api/supplier/skus", &supplier).await.expect(200);
        assert_eq!(
            catalogue[0]["stock_total"], expected_total,
            "round {round}: stock_total must be the sum of the warehouses after concurrent updates"
        );
    }
}
crate::store_case!(case_stock, sqlite_stock, postgres_stock);

/// Who may do what: suppliers are walled off from each other, roles are enforced, API tokens
/// work and can be revoked, and shelves are private.
async fn case_authorisation(app: &TestApp) {
    let operator = app.operator().await;
    let first = app.supplier("第一供应商", "first").await;
    let second = app.supplier("第二供应商", "second").await;
    app.warehouse(&first, "HZ").await;
    app.warehouse(&second, "HZ").await;
    let pending = app.create_sku(&first, sku("FIRST-1", "格力 待审核")).await;
    let approved = app
        .create_sku(&first, sku("FIRST-2", "格力 变频空调 已通过"))
        .await;
    app.approve(&operator, approved).await;

    // The second supplier cannot see or change the first supplier's SKUs.
    for id in [pending, approved] {
        app.get(&format!("/api/supplier/skus/{id}/stock"), &second)
            .await
            .expect_error(404, "not_found");
        app.get(&format!("/api/skus/{id}/price-history"), &second)
            .await
            .expect_error(404, "not_found");
        app.post(
            &format!("/api/supplier/skus/{id}/listing"),
            &second,
            &json!({"listed": false}),
        )
        .await
        .expect_error(404, "not_found");
    }
    app.get(&format!("/api/skus/{pending}"), &second)
        .await
        .expect_error(404, "not_found");
    let results = app
        .post(
            "/api/supplier/stock",
            &second,
            &json!({"updates": [{"sku_code": "FIRST-2", "warehouse_code": "HZ", "quantity": 1, "version": 1}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["error"]["code"], "not_found");
    // The same SKU code makes the second supplier's own SKU and leaves the first one alone.
    let report = app
        .upsert(&second, vec![sku("FIRST-2", "第二家的标题")])
        .await;
    assert_eq!(report["results"][0]["outcome"], "created");
    assert_ne!(report["results"][0]["sku_id"], approved);
    let seen = app
        .get(&format!("/api/skus/{approved}"), &first)
        .await
        .expect(200);
    assert_eq!(seen["title"], "格力 变频空调 已通过");
    assert_eq!(seen["status"], "approved");
    assert_eq!(
        app.get(&format!("/api/supplier/skus/{approved}/stock"), &first)
            .await
            .expect(200),
        json!([])
    );
    // An approved SKU is public, but its supply price is not.
    let public = app
        .get(&format!("/api/skus/{approved}"), &second)
        .await
        .expect(200);
    assert_eq!(public["supply_price_fen"], Value::Null);

    // Anchors cannot call supplier or operator endpoints; viewers cannot shelve.
    let anchor = app.account("anchor-a", "anchor").await;
    let other_anchor = app.account("anchor-b", "anchor").await;
    let viewer = app.account("viewer-v", "viewer").await;
    app.get("/api/supplier/skus", &anchor)
        .await
        .expect_error(403, "forbidden");
    app.put(
        "/api/supplier/skus",
        &anchor,
        &json!({"items": [sku("A-1", "主播不能上传")]}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post("/api/supplier/stock", &anchor, &json!({"updates": []}))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/supplier/warehouses", &anchor)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/operator/review-queue", &anchor)
        .await
        .expect_error(403, "forbidden");
    app.post(
        &format!("/api/operator/skus/{pending}/review"),
        &anchor,
        &json!({"decision": "approve"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/api/operator/suppliers",
        &anchor,
        &json!({"name": "x", "admin_username": "xxx", "admin_password": PASSWORD}),
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/operator/review-queue", &first)
        .await
        .expect_error(403, "forbidden");
    app.put(
        &format!("/api/anchor/shelf/{approved}"),
        &viewer,
        &json!({}),
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/anchor/shelf", &viewer)
        .await
        .expect_error(403, "forbidden");
    app.put(&format!("/api/anchor/shelf/{approved}"), &first, &json!({}))
        .await
        .expect_error(403, "forbidden");
    // Anchors cannot shelve what is not in the pool.
    app.put(&format!("/api/anchor/shelf/{pending}"), &anchor, &json!({}))
        .await
        .expect_error(409, "sku_not_in_pool");
    app.put("/api/anchor/shelf/987654", &anchor, &json!({}))
        .await
        .expect_error(404, "not_found");

    // No token, or a token that is not ours, is unauthenticated.
    for token in [None, Some("dhs_not-a-real-token"), Some("nonsense")] {
        let reply = app
            .call(reqwest::Method::GET, "/api/supplier/skus", token, None)
            .await;
        reply.expect_error(401, "unauthenticated");
    }
    app.call(reqwest::Method::GET, "/api/pool", None, None)
        .await
        .expect_error(401, "unauthenticated");

    // A supplier API token works for the catalogue, cannot mint tokens, and dies on revoke.
    let grant = app
        .post("/api/supplier/api-tokens", &first, &json!({"name": "ERP"}))
        .await
        .expect(201);
    let api_token = grant["token"].as_str().expect("token").to_owned();
    let token_id = grant["id"].as_i64().expect("id");
    assert!(api_token.starts_with("dht_"), "token {api_token}");
    let report = app
        .upsert(&api_token, vec![sku("ERP-1", "格力 接口上传")])
        .await;
    assert_eq!(report["created"], 1);
    app.post(
        "/api/supplier/api-tokens",
        &api_token,
        &json!({"name": "again"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post("/api/supplier/api-tokens", &anchor, &json!({"name": "ERP"}))
        .await
        .expect_error(403, "forbidden");
    app.delete(&format!("/api/supplier/api-tokens/{token_id}"), &second)
        .await
        .expect_error(404, "not_found");
    app.get("/api/supplier/skus", &api_token).await.expect(200);
    let revoked = app
        .delete(&format!("/api/supplier/api-tokens/{token_id}"), &first)
        .await;
    assert_eq!(revoked.status, 204, "body {}", revoked.text);
    app.put(
        "/api/supplier/skus",
        &api_token,
        &json!({"items": [sku("ERP-2", "格力 撤销后")]}),
    )
    .await
    .expect_error(401, "unauthenticated");

    // Anchor A's shelf is not anchor B's.
    app.put(
        &format!("/api/anchor/shelf/{approved}"),
        &anchor,
        &json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        ids(&app.get("/api/anchor/shelf", &anchor).await.expect(200)),
        vec![approved]
    );
    assert_eq!(
        ids(&app
            .get("/api/anchor/shelf", &other_anchor)
            .await
            .expect(200)),
        Vec::<i64>::new()
    );
    app.delete(&format!("/api/anchor/shelf/{approved}"), &other_anchor)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        ids(&app.get("/api/anchor/shelf", &anchor).await.expect(200)),
        vec![approved]
    );
}
crate::store_case!(
    case_authorisation,
    sqlite_authorisation,
    postgres_authorisation
);

/// Search filters, sorting and paging over a small approved pool in two top-level categories.
async fn case_search(app: &TestApp) {
    let operator = app.operator().await;
    let supplier = app.supplier("搜索供应商", "search").await;
    let anchor_token = app.account("anchor-q", "anchor").await;
    let anchor = anchor_token.as_str();
    app.warehouse(&supplier, "HZ").await;
    let gree = with(
        sku("S-GREE", "格力 变频空调 1.5匹"),
        json!({"stock": [{"warehouse_code": "HZ", "quantity": 5, "version": 1}]}),
    );
    let midea_ac = with(
        sku("S-MIDEA-AC", "美的 空调 挂机"),
        json!({"brand": "美的", "supply_price_fen": 150_000, "pool_price_fen": 299_900,
            "floor_price_fen": 280_000, "retail_price_fen": 399_900, "commission_bps": 2_000}),
    );
    let rice = with(
        sku("S-RICE", "美的 电饭煲 4升"),
        json!({"brand": "美的", "category_id": 757, "supply_price_fen": 20_000,
            "pool_price_fen": 39_900, "floor_price_fen": 30_000, "retail_price_fen": 59_900,
            "commission_bps": 500}),
    );
    let charger = with(
        sku("S-ANKER", "Anker USB-C Charger 65W"),
        json!({"brand": "Anker", "category_id": 505295, "supply_price_fen": 9_000,
            "pool_price_fen": 19_900, "floor_price_fen": 15_000, "retail_price_fen": 29_900,
            "commission_bps": 3_000}),
    );
    let mut ids = Vec::new();
    for item in [gree.clone(), midea_ac, rice, charger] {
        let id = app.create_sku(&supplier, item).await;
        app.approve(&operator, id).await;
        ids.push(id);
    }
    // A SKU waiting for review never shows.
    app.create_sku(&supplier, sku("S-PENDING", "格力 空调 未审核"))
        .await;
    let (g, m, r, c) = (
        "格力 变频空调 1.5匹",
        "美的 空调 挂机",
        "美的 电饭煲 4升",
        "Anker USB-C Charger 65W",
    );
    let found = |query: &'static [(&'static str, &'static str)]| async move {
        app.pool_titles(anchor, query).await
    };

    // The default order is highest commission first.
    assert_eq!(found(&[]).await, vec![c, m, g, r]);
    assert_eq!(found(&[("sort", "commission")]).await, vec![c, m, g, r]);
    assert_eq!(found(&[("sort", "price_asc")]).await, vec![c, r, m, g]);
    assert_eq!(found(&[("sort", "price_desc")]).await, vec![g, m, r, c]);
    // Category subtrees: depth 1, 2, 3 and a leaf.
    assert_eq!(
        set(found(&[("category_id", "536")]).await),
        strings(&[g, m, r])
    );
    assert_eq!(
        set(found(&[("category_id", "604")]).await),
        strings(&[g, m])
    );
    assert_eq!(
        set(found(&[("category_id", "1626")]).await),
        strings(&[g, m])
    );
    assert_eq!(
        set(found(&[("category_id", "605")]).await),
        strings(&[g, m])
    );
    assert_eq!(found(&[("category_id", "222")]).await, vec![c]);
    // Price range, commission, brand, stock.
    assert_eq!(
        found(&[
            ("price_min_fen", "30000"),
            ("price_max_fen", "299900"),
            ("sort", "price_asc")
        ])
        .await,
        vec![r, m]
    );
    assert_eq!(found(&[("price_min_fen", "300000")]).await, vec![g]);
    assert_eq!(found(&[("commission_min_bps", "2000")]).await, vec![c, m]);
    assert_eq!(
        found(&[("brand", "美的"), ("sort", "price_asc")]).await,
        vec![r, m]
    );
    assert_eq!(found(&[("in_stock", "true")]).await, vec![g]);
    // Text combines with filters.
    assert_eq!(
        found(&[("q", "空调"), ("sort", "price_asc")]).await,
        vec![m, g]
    );
    assert_eq!(found(&[("q", "空调"), ("brand", "美的")]).await, vec![m]);
    assert_eq!(found(&[("q", "usb charger")]).await, vec![c]);
    assert_eq!(
        found(&[("q", "空调"), ("category_id", "222")]).await,
        Vec::<String>::new()
    );

    // Paging with limit=1 walks the same order, one SKU per page.
    let mut offset = 0_i64;
    let mut walked = Vec::new();
    loop {
        let offset_text = offset.to_string();
        let page = app
            .get_query(
                "/api/pool",
                anchor,
                &[
                    ("sort", "price_asc"),
                    ("limit", "1"),
                    ("offset", &offset_text),
                ],
            )
            .await
            .expect(200);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
        walked.extend(titles(&page["items"]));
        match page["next_offset"].as_i64() {
            Some(next) => {
                assert_eq!(page["has_more"], true);
                assert_eq!(next, offset + 1);
                offset = next;
            }
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
        assert!(walked.len() <= 4, "paging does not end: {walked:?}");
    }
    assert_eq!(walked, vec![c, r, m, g]);

    // Text results are ranked from a copy of the pool's keys (`sku_rank`); it follows every
    // write: a price change reorders them, a content change takes the SKU out of the pool
    // until it is approved again.
    let cheaper_gree = with(
        gree,
        json!({"supply_price_fen": 100_000, "pool_price_fen": 199_900,
            "floor_price_fen": 150_000}),
    );
    app.upsert(&supplier, vec![cheaper_gree.clone()]).await;
    assert_eq!(
        found(&[("q", "空调"), ("sort", "price_asc")]).await,
        vec![g, m]
    );
    app.upsert(
        &supplier,
        vec![with(cheaper_gree, json!({"title": "格力 空调 新款"}))],
    )
    .await;
    assert_eq!(found(&[("q", "空调")]).await, vec![m]);
    app.approve(&operator, ids[0]).await;
    assert_eq!(
        found(&[("q", "空调"), ("sort", "price_asc")]).await,
        vec!["格力 空调 新款", m]
    );

    // Bad parameters are refused with a code.
    let refused = |query: &'static [(&'static str, &'static str)]| async move {
        app.get_query("/api/pool", anchor, query).await
    };
    refused(&[("limit", "0")])
        .await
        .expect_error(422, "invalid_limit");
    refused(&[("limit", "101")])
        .await
        .expect_error(422, "invalid_limit");
    refused(&[("offset", "-1")])
        .await
        .expect_error(422, "invalid_offset");
    refused(&[("category_id", "99999999")])
        .await
        .expect_error(422, "unknown_category");
    refused(&[("price_min_fen", "10"), ("price_max_fen", "5")])
        .await
        .expect_error(422, "invalid_price_range");
    refused(&[("limit", "many")])
        .await
        .expect_error(400, "invalid_query");
    refused(&[("sort", "random")])
        .await
        .expect_error(400, "invalid_query");
    let long_query = "空".repeat(101);
    app.get_query("/api/pool", anchor, &[("q", &long_query)])
        .await
        .expect_error(422, "query_too_long");
    app.get_query("/api/operator/review-queue", &operator, &[("limit", "0")])
        .await
        .expect_error(422, "invalid_limit");
}
crate::store_case!(case_search, sqlite_search, postgres_search);

/// Error bodies and limits at the edge, health and metrics, and account errors.
async fn case_errors(app: &TestApp) {
    let url = |path: &str| format!("{}{path}", app.base_url);

    // Malformed JSON, a missing content type, a wrong shape.
    let response = app
        .client
        .post(url("/api/sessions"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("an error body");
    assert_eq!(body["error"]["code"], "malformed_json");
    assert!(body["error"]["message"].as_str().is_some());
    let response = app
        .client
        .post(url("/api/sessions"))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 415);
    app.call(
        reqwest::Method::POST,
        "/api/sessions",
        None,
        Some(&json!({"username": "operator"})),
    )
    .await
    .expect_error(422, "invalid_body");

    // A JSON body over 4 MiB is refused before it is parsed.
    let supplier = app.supplier("限制供应商", "limits").await;
    let padding = "x".repeat(daihuo_http::JSON_BODY_MAX_BYTES + 1024);
    let response = app
        .client
        .put(url("/api/supplier/skus"))
        .bearer_auth(&supplier)
        .header("content-type", "application/json")
        .body(format!("{{\"items\": [], \"padding\": \"{padding}\"}}"))
        .send()
        .await;
    match response {
        Ok(response) => {
            assert_eq!(response.status().as_u16(), 413);
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_eq!(body["error"]["code"], "body_too_large", "body {body}");
        }
        // A server may also close the connection on an over-size body before reading it
        // all; that is a refusal too, but the error must then come from the connection.
        Err(error) => panic!("the server did not answer the over-size body: {error}"),
    }
    // The server still works afterwards, and a body under the limit passes.
    let report = app.upsert(&supplier, vec![]).await;
    assert_eq!(report["created"], 0);

    // Routes: unknown, health, metrics, the API document.
    let response = app
        .client
        .get(url("/api/no-such-route"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 404);
    let response = app.client.get(url("/healthz")).send().await.expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"status": "ok"})
    );
    let response = app.client.get(url("/metrics")).send().await.expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let metrics = response.text().await.expect("text");
    assert!(
        metrics.contains("daihuo_http_requests_total"),
        "metrics: {metrics}"
    );
    assert!(
        metrics.contains("route=\"/api/supplier/skus\""),
        "metrics: {metrics}"
    );
    let response = app
        .client
        .get(url("/api/openapi.json"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let document: Value = response.json().await.expect("JSON");
    assert!(document["paths"]["/api/pool"].is_object());

    // Accounts: wrong password, unknown user, taken names, bad input.
    let sign_in =
        |username: &str, password: &str| json!({"username": username, "password": password});
    for (username, password) in [("operator", "wrong-password"), ("nobody", PASSWORD)] {
        app.call(
            reqwest::Method::POST,
            "/api/sessions",
            None,
            Some(&sign_in(username, password)),
        )
        .await
        .expect_error(401, "bad_credentials");
    }
    let sign_up = |username: &str, role: &str| json!({"username": username, "password": PASSWORD, "display_name": "小李", "role": role});
    app.call(
        reqwest::Method::POST,
        "/api/accounts",
        None,
        Some(&sign_up("xiaoli", "anchor")),
    )
    .await
    .expect(201);
    app.call(
        reqwest::Method::POST,
        "/api/accounts",
        None,
        Some(&sign_up("xiaoli", "viewer")),
    )
    .await
    .expect_error(409, "username_taken");
    app.call(
        reqwest::Method::POST,
        "/api/accounts",
        None,
        Some(&sign_up("boss", "operator")),
    )
    .await
    .expect_error(422, "invalid_role");
    app.call(
        reqwest::Method::POST,
        "/api/accounts",
        None,
        Some(&sign_up("Upper", "anchor")),
    )
    .await
    .expect_error(422, "invalid_username");
    app.call(
        reqwest::Method::POST,
        "/api/accounts",
        None,
        Some(&json!({"username": "shorty", "password": "short", "display_name": "s", "role": "anchor"})),
    )
    .await
    .expect_error(422, "invalid_password");
    let operator = app.operator().await;
    app.post(
        "/api/operator/suppliers",
        &operator,
        &json!({"name": "限制供应商", "admin_username": "limits2", "admin_password": PASSWORD}),
    )
    .await
    .expect_error(409, "supplier_name_taken");
    app.post(
        "/api/operator/suppliers",
        &operator,
        &json!({"name": "新供应商", "admin_username": "xiaoli", "admin_password": PASSWORD}),
    )
    .await
    .expect_error(409, "username_taken");
    // The failed supplier left no organisation behind: its name is still free.
    app.post(
        "/api/operator/suppliers",
        &operator,
        &json!({"name": "新供应商", "admin_username": "newsupplier", "admin_password": PASSWORD}),
    )
    .await
    .expect(201);

    // Signing out ends the session, and only that session.
    let first = app.sign_in("xiaoli", PASSWORD).await;
    let second = app.sign_in("xiaoli", PASSWORD).await;
    let me = app.get("/api/me", &first).await.expect(200);
    assert_eq!(me["username"], "xiaoli");
    let reply = app
        .call(reqwest::Method::DELETE, "/api/sessions", Some(&first), None)
        .await;
    assert_eq!(reply.status, 204, "body {}", reply.text);
    app.get("/api/me", &first)
        .await
        .expect_error(401, "unauthenticated");
    app.get("/api/me", &second).await.expect(200);
    app.call(reqwest::Method::DELETE, "/api/sessions", None, None)
        .await
        .expect_error(401, "unauthenticated");
}
crate::store_case!(case_errors, sqlite_errors, postgres_errors);

/// The same new SKU sent by several requests at once is created exactly once and every
/// request succeeds: a bulk upsert is idempotent under concurrency, not only in sequence.
async fn case_concurrent_upserts(app: &TestApp) {
    let supplier = app.supplier("并发供应商", "race").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/api/supplier/skus", app.base_url);
        let token = supplier.clone();
        let body = json!({"items": [sku("RACE-1", "格力 变频空调 并发")]});
        tasks.push(tokio::spawn(async move {
            let response = client
                .put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send");
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, text) = task.await.expect("the request task");
        assert_eq!(status, 200, "a concurrent upsert of one SKU failed: {text}");
        let report: Value = serde_json::from_str(&text).expect("a report");
        assert_eq!(report["rejected"], 0, "report {report}");
        created += report["created"].as_u64().unwrap_or(0);
    }
    assert_eq!(created, 1, "the SKU is created exactly once");
    let catalogue = app.get("/api/supplier/skus", &supplier).await.expect(200);
    assert_eq!(catalogue.as_array().map(Vec::len), Some(1));
}
crate::store_case!(
    case_concurrent_upserts,
    sqlite_concurrent_upserts,
    postgres_concurrent_upserts
);

/// A CSV feed above the 4 MiB JSON limit but below the 64 MiB feed limit is accepted.
async fn case_large_feed(app: &TestApp) {
    let supplier = app.supplier("大文件供应商", "bigfeed").await;
    // Extra columns are allowed and ignored; one long note makes the upload 5 MiB without
    // making the import slow.
    let note = "备".repeat(5 * 1024 * 1024 / 3);
    let feed = format!(
        "spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,\
         pool_price_fen,floor_price_fen,retail_price_fen,commission_bps,notes\n\
         BIG,BIG-1,格力 变频空调 大文件,格力,605,,,,500000,899900,850000,1589900,1000,{note}\n"
    );
    assert!(feed.len() > daihuo_http::JSON_BODY_MAX_BYTES);
    assert!(feed.len() < daihuo_http::FEED_BODY_MAX_BYTES);
    let response = app
        .client
        .post(format!("{}/api/supplier/feeds", app.base_url))
        .bearer_auth(&supplier)
        .header("content-type", "text/csv")
        .body(feed)
        .send()
        .await
        .expect("upload the feed");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    // Known bug: the feed handler reads its body with the `Bytes` extractor, which obeys the
    // router-wide `DefaultBodyLimit` of 4 MiB, so FEED_BODY_MAX_BYTES (64 MiB) is never
    // reached and a 5 MiB feed gets 413 (crates/http/src/lib.rs, crates/http/src/routes.rs).
    assert_eq!(status, 200, "a 5 MiB feed was refused: {text}");
    let report: Value = serde_json::from_str(&text).expect("a report");
    assert_eq!(report["created"], 1, "report {report}");
}
crate::store_case!(case_large_feed, sqlite_large_feed, postgres_large_feed);

/// An anchor's shelf shows only what is in the pool: a shelved SKU whose content went back
/// to review (or that was delisted) does not show its unreviewed content to the anchor.
async fn case_shelf_shows_only_the_pool(app: &TestApp) {
    let operator = app.operator().await;
    let supplier = app.supplier("货架供应商", "shelfsup").await;
    let anchor = app.account("anchor-shelf", "anchor").await;
    let id = app
        .create_sku(&supplier, sku("SHELF-1", "格力 变频空调 已审核"))
        .await;
    app.approve(&operator, id).await;
    app.put(&format!("/api/anchor/shelf/{id}"), &anchor, &json!({}))
        .await
        .expect(200);
    app.upsert(&supplier, vec![sku("SHELF-1", "未审核的新标题")])
        .await;
    app.get(&format!("/api/skus/{id}"), &anchor)
        .await
        .expect_error(404, "not_found");
    let shelf = app.get("/api/anchor/shelf", &anchor).await.expect(200);
    // Known bug: `shelf_of` (crates/store/src/pool.rs) does not filter on status, so the
    // shelf shows a SKU's unreviewed title that GET /api/skus/{id} hides from the same anchor.
    for item in shelf.as_array().expect("array") {
        assert_eq!(
            item["status"], "approved",
            "the shelf shows a SKU that is not in the pool: {item}"
        );
    }
    assert!(!titles(&shelf).contains(&"未审核的新标题".to_owned()));
    // Once approved again it is back on the shelf.
    app.approve(&operator, id).await;
    let shelf = app.get("/api/anchor/shelf", &anchor).await.expect(200);
    assert_eq!(titles(&shelf), vec!["未审核的新标题"]);
}
crate::store_case!(
    case_shelf_shows_only_the_pool,
    sqlite_shelf_shows_only_the_pool,
    postgres_shelf_shows_only_the_pool
);
