//! The anchor's console over real HTTP on both stores, driven as a browser would: search the
//! pool and shelve, schedule and go live (and be refused a bad live price), pin, start a
//! flash sale, moderate comments and mutes, read the live dashboard and the earnings
//! statement; another anchor's session stays out of reach.

mod common;

use common::room_socket::{connect, is_event, until};
use common::web::Browser;
use common::{now_ms, sku, with, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

/// An hour, in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// A supplier with warehouse `HZ1`; returns its staff's token.
async fn supplier(app: &TestApp, name: &str) -> String {
    let token = app
        .supplier(&format!("{name} 供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&token, "HZ1").await;
    token
}

/// An approved SKU (priced as [`sku`]: floor ¥8,500, pool ¥8,999) with `stock` units in
/// `HZ1`; returns its id.
async fn approved_sku(app: &TestApp, supplier: &str, code: &str, title: &str, stock: i64) -> i64 {
    let id = app.create_sku(supplier, sku(code, title)).await;
    let operator = app.operator().await;
    app.approve(&operator, id).await;
    let results = app
        .post(
            "/api/supplier/stock",
            supplier,
            &json!({"updates": [{"sku_code": code, "warehouse_code": "HZ1",
                "quantity": stock, "version": 1}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "{results}");
    id
}

/// An anchor account: (API token, browser signed in through the form, user id).
async fn anchor(app: &TestApp, name: &str) -> (String, Browser, i64) {
    let token = app.account(name, "anchor").await;
    let mut browser = Browser::sign_in(&app.base_url, name, PASSWORD).await;
    // The console's home gives the browser the session's CSRF token for its forms.
    browser.get("/anchor").await.expect(200);
    let id = app.user_id(&token).await;
    (token, browser, id)
}

/// Puts SKUs on the anchor's shelf through the API.
async fn shelve(app: &TestApp, anchor: &str, skus: &[i64]) {
    for sku in skus {
        app.put(&format!("/api/anchor/shelf/{sku}"), anchor, &json!({}))
            .await
            .expect(200);
    }
}

/// A live session of the anchor selling `skus` at the pool price; returns its id.
async fn live_session(app: &TestApp, anchor: &str, skus: &[i64]) -> i64 {
    let id = app.scheduled_session(anchor, "格力超级品牌日", skus).await;
    app.post_empty(&format!("/api/live-sessions/{id}/live"), anchor)
        .await
        .expect(200);
    id
}

/// The session as the public API shows it.
async fn session(app: &TestApp, id: i64) -> Value {
    app.get_anonymous(&format!("/api/live-sessions/{id}"))
        .await
        .expect(200)
}

/// The ids on the anchor's shelf, by the API.
async fn shelf_ids(app: &TestApp, anchor: &str) -> Vec<i64> {
    common::ids(&app.get("/api/anchor/shelf", anchor).await.expect(200))
}

/// The text of the page a redirect leads to (where the flash shows).
async fn follow(browser: &mut Browser, shown: &common::web::Shown) -> String {
    let to = shown.redirected().to_owned();
    browser.get(&to).await.expect(200).to_owned()
}

/// The `<li>` of the session's shelf for `sku` on the live-control page.
fn shelf_row(page: &str, sku: i64) -> &str {
    let start = page
        .find(&format!("data-sku-id=\"{sku}\" data-pinned"))
        .unwrap_or_else(|| panic!("SKU {sku} is on the live-control page"));
    let rest = &page[start..];
    &rest[..rest.find("</li>").unwrap_or(rest.len())]
}

/// The selection centre finds SKUs by Chinese and English text and by filters, shows each
/// one's prices, commission, stock and quality record, and its button puts the SKU on the
/// shelf; the shelf's button takes it off again.
async fn case_search_and_shelve(app: &TestApp) {
    let supplier = supplier(app, "select").await;
    let air = approved_sku(app, &supplier, "sel-ac", "格力 变频空调 1.5匹", 40).await;
    let fridge = app
        .create_sku(
            &supplier,
            with(
                sku("sel-fr", "海尔 冰箱 双门"),
                json!({"brand": "海尔", "category_id": 686}),
            ),
        )
        .await;
    let operator = app.operator().await;
    app.approve(&operator, fridge).await;
    let (token, mut browser, _) = anchor(app, "sel-anchor").await;

    let found = browser.get("/anchor/selection?q=空调").await;
    let page = found.expect(200);
    assert!(page.contains(&format!("data-shelve=\"{air}\"")), "{page}");
    assert!(!page.contains(&format!("data-shelve=\"{fridge}\"")));
    // Price, commission, stock and a quality record too young to tell.
    assert!(page.contains("¥8,999.00") && page.contains("10%"), "{page}");
    assert!(page.contains(">40<") || page.contains("40</td>"), "{page}");
    assert!(
        page.contains("样本不足"),
        "the record says it is not telling yet"
    );

    let english = browser
        .get("/anchor/selection?q=air+conditioner&sort=price_asc")
        .await;
    assert!(english
        .expect(200)
        .contains(&format!("data-shelve=\"{air}\"")));
    let by_brand = browser.get("/anchor/selection?brand=海尔").await;
    let by_brand = by_brand.expect(200);
    assert!(by_brand.contains(&format!("data-shelve=\"{fridge}\"")));
    assert!(!by_brand.contains(&format!("data-shelve=\"{air}\"")));
    // The fridge has no stock: "in stock only" leaves it out.
    let in_stock = browser.get("/anchor/selection?in_stock=1&brand=海尔").await;
    assert!(!in_stock
        .expect(200)
        .contains(&format!("data-shelve=\"{fridge}\"")));
    // A filter the pool search refuses shows its code rather than results.
    let refused = browser
        .get("/anchor/selection?price_min=100&price_max=10")
        .await;
    assert!(refused.expect(200).contains("invalid_price_range"));

    assert!(shelf_ids(app, &token).await.is_empty());
    // The form carries the search it was on, as the browser asked for it.
    let back = "/anchor/selection?q=%E7%A9%BA%E8%B0%83";
    assert!(
        page.contains(&format!("name=\"back\" value=\"{back}\"")),
        "{page}"
    );
    let shown = browser
        .post(
            "/anchor/shelf",
            &[("sku_id", &air.to_string()), ("back", back)],
        )
        .await;
    assert_eq!(shown.redirected(), back);
    assert_eq!(shelf_ids(app, &token).await, vec![air]);
    let after = follow(&mut browser, &shown).await;
    assert!(
        after.contains(&format!("data-unshelve=\"{air}\"")),
        "{after}"
    );
    assert!(
        !after.contains(&format!("data-shelve=\"{air}\"")),
        "a shelved SKU is marked instead of offered again"
    );

    let removed = browser
        .post("/anchor/shelf/remove", &[("sku_id", &air.to_string())])
        .await;
    assert_eq!(removed.redirected(), "/anchor/selection");
    assert!(shelf_ids(app, &token).await.is_empty());
}
store_case!(
    case_search_and_shelve,
    sqlite_search_and_shelve,
    postgres_search_and_shelve
);

/// A session scheduled through the form sells the ticked shelf SKUs at the typed live
/// prices; a live price outside floor..=pool is refused with the service's code and makes
/// nothing; editing changes it while scheduled; going live and ending work from the list.
async fn case_schedule_edit_go_live_and_end(app: &TestApp) {
    let supplier = supplier(app, "schedule").await;
    let first = approved_sku(app, &supplier, "sch-1", "格力 空调 一号", 10).await;
    let second = approved_sku(app, &supplier, "sch-2", "格力 空调 二号", 10).await;
    let (token, mut browser, anchor_id) = anchor(app, "sch-anchor").await;
    shelve(app, &token, &[first, second]).await;

    let form = browser.get("/anchor/sessions").await;
    let form = form.expect(200);
    assert!(form.contains(&format!("name=\"price_{first}\"")), "{form}");

    let starts = daihuo_web::page::when(now_ms() + 2 * HOUR_MS).replacen(' ', "T", 1);
    let too_cheap = browser
        .post(
            "/anchor/sessions",
            &[
                ("title", "今晚八点 格力专场"),
                ("starts_at", &starts),
                ("campaign_id", ""),
                ("playback_url", ""),
                ("sku", &first.to_string()),
                (&format!("price_{first}"), "100.00"),
            ],
        )
        .await;
    assert_eq!(too_cheap.status, 422, "{}", too_cheap.body);
    assert!(too_cheap.body.contains("live_price_below_floor"));
    // What was typed comes back in the form.
    assert!(too_cheap.body.contains("今晚八点 格力专场"));
    let too_dear = browser
        .post(
            "/anchor/sessions",
            &[
                ("title", "今晚八点 格力专场"),
                ("starts_at", &starts),
                ("sku", &first.to_string()),
                (&format!("price_{first}"), "9000"),
            ],
        )
        .await;
    assert!(too_dear.body.contains("live_price_above_pool"));
    let sessions = format!("/api/live-sessions?anchor_id={anchor_id}");
    assert_eq!(
        app.get_anonymous(&sessions).await.expect(200)["items"],
        json!([]),
        "refused forms made no session"
    );

    let scheduled = browser
        .post(
            "/anchor/sessions",
            &[
                ("title", "今晚八点 格力专场"),
                ("starts_at", &starts),
                ("playback_url", "https://media.example.com/live/gree.m3u8"),
                ("sku", &second.to_string()),
                (&format!("price_{second}"), "8,888.00"),
                ("sku", &first.to_string()),
                (&format!("price_{first}"), "8999"),
            ],
        )
        .await;
    let to = scheduled.redirected().to_owned();
    let id: i64 = to
        .rsplit("#session-")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the redirect names the session: {to}"));
    let made = session(app, id).await;
    assert_eq!(made["session"]["status"], "scheduled");
    assert_eq!(made["session"]["anchor_id"], anchor_id);
    assert_eq!(
        made["session"]["playback_url"],
        "https://media.example.com/live/gree.m3u8"
    );
    let items: Vec<(i64, i64)> = made["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["sku_id"].as_i64().expect("a SKU id"),
                i["live_price_fen"].as_i64().expect("a live price"),
            )
        })
        .collect();
    assert_eq!(items, vec![(second, 888_800), (first, 899_900)]);
    let starts_at = made["session"]["starts_at_ms"].as_i64().expect("a start");
    assert_eq!(
        daihuo_web::page::when(starts_at).replacen(' ', "T", 1),
        starts
    );

    // Edited while scheduled: a new title, one SKU fewer; the start is left alone.
    let edit = browser.get(&format!("/anchor/sessions/{id}/edit")).await;
    assert!(edit.expect(200).contains("今晚八点 格力专场"));
    let edited = browser
        .post(
            &format!("/anchor/sessions/{id}/edit"),
            &[
                ("title", "格力专场（改）"),
                ("starts_at", &starts),
                ("playback_url", ""),
                ("sku", &first.to_string()),
                (&format!("price_{first}"), "8600"),
            ],
        )
        .await;
    assert_eq!(edited.redirected(), "/anchor/sessions");
    let made = session(app, id).await;
    assert_eq!(made["session"]["title"], "格力专场（改）");
    assert_eq!(made["session"]["starts_at_ms"], starts_at);
    assert_eq!(made["session"]["playback_url"], Value::Null);
    assert_eq!(made["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(made["items"][0]["live_price_fen"], 860_000);

    let list = browser.get("/anchor/sessions").await;
    assert!(list.expect(200).contains(&format!("data-go-live=\"{id}\"")));
    let live = browser
        .post(&format!("/anchor/sessions/{id}/go-live"), &[])
        .await;
    assert_eq!(live.redirected(), format!("/anchor/sessions/{id}/live"));
    assert_eq!(session(app, id).await["session"]["status"], "live");
    // Live, the session can no longer be edited: the service says so.
    let late_edit = browser
        .post(
            &format!("/anchor/sessions/{id}/edit"),
            &[
                ("title", "再改"),
                ("starts_at", &starts),
                ("sku", &first.to_string()),
                (&format!("price_{first}"), "8600"),
            ],
        )
        .await;
    assert_eq!(late_edit.status, 422);
    assert!(
        late_edit.body.contains("session_already_live"),
        "{}",
        late_edit.body
    );
    // A second go-live is refused with the service's code.
    let again = browser
        .post(&format!("/anchor/sessions/{id}/go-live"), &[])
        .await;
    assert!(follow(&mut browser, &again)
        .await
        .contains("session_already_live"));

    let dashboard = browser.get("/anchor").await;
    assert!(dashboard
        .expect(200)
        .contains(&format!("/anchor/sessions/{id}/live")));

    let ended = browser
        .post(
            &format!("/anchor/sessions/{id}/end"),
            &[("back", "/anchor/sessions")],
        )
        .await;
    assert_eq!(ended.redirected(), "/anchor/sessions");
    assert_eq!(session(app, id).await["session"]["status"], "ended");
}
store_case!(
    case_schedule_edit_go_live_and_end,
    sqlite_schedule_edit_go_live_and_end,
    postgres_schedule_edit_go_live_and_end
);

/// The live-control page's pin buttons change the session's pinned SKU, the page marks the
/// pinned one, and unpinning clears it.
async fn case_pin_from_live_control(app: &TestApp) {
    let supplier = supplier(app, "pin").await;
    let first = approved_sku(app, &supplier, "pin-1", "格力 空调 一号", 10).await;
    let second = approved_sku(app, &supplier, "pin-2", "格力 空调 二号", 10).await;
    let (token, mut browser, _) = anchor(app, "pin-anchor").await;
    shelve(app, &token, &[first, second]).await;
    let id = live_session(app, &token, &[first, second]).await;
    let control = format!("/anchor/sessions/{id}/live");

    let page = browser.get(&control).await;
    let page = page.expect(200).to_owned();
    for sku in [first, second] {
        assert!(page.contains(&format!("data-pin-sku=\"{sku}\"")), "{page}");
    }
    assert_eq!(
        session(app, id).await["session"]["pinned_sku_id"],
        Value::Null
    );

    let pinned = browser
        .post(
            &format!("/anchor/sessions/{id}/pin"),
            &[("sku_id", &second.to_string())],
        )
        .await;
    assert_eq!(pinned.redirected(), control);
    assert_eq!(session(app, id).await["session"]["pinned_sku_id"], second);
    let page = browser.get(&control).await.expect(200).to_owned();
    assert!(shelf_row(&page, second).contains("data-pinned=\"true\""));
    assert!(shelf_row(&page, first).contains("data-pinned=\"false\""));

    // A SKU the session does not sell is refused with the service's code.
    let stranger = browser
        .post(
            &format!("/anchor/sessions/{id}/pin"),
            &[("sku_id", "999999")],
        )
        .await;
    assert!(follow(&mut browser, &stranger)
        .await
        .contains("sku_not_in_session"));
    assert_eq!(session(app, id).await["session"]["pinned_sku_id"], second);

    let unpinned = browser
        .post(&format!("/anchor/sessions/{id}/pin"), &[("sku_id", "")])
        .await;
    assert_eq!(unpinned.redirected(), control);
    assert_eq!(
        session(app, id).await["session"]["pinned_sku_id"],
        Value::Null
    );
}
store_case!(
    case_pin_from_live_control,
    sqlite_pin_from_live_control,
    postgres_pin_from_live_control
);

/// The flash-sale form starts a sale with the terms typed: price, quantity, per-buyer
/// limit, the countdown and the length; an empty price is the live price; terms the service
/// refuses come back with its code; the page lists the sale with its stock left.
async fn case_flash_sale_from_live_control(app: &TestApp) {
    let supplier = supplier(app, "flash").await;
    let sku_id = approved_sku(app, &supplier, "fs-1", "格力 空调 秒杀款", 20).await;
    let (token, mut browser, _) = anchor(app, "fs-anchor").await;
    shelve(app, &token, &[sku_id]).await;
    let id = live_session(app, &token, &[sku_id]).await;
    let control = format!("/anchor/sessions/{id}/live");
    let page = browser.get(&control).await;
    assert!(page.expect(200).contains("id=\"flash-sale-form\""));

    let before = now_ms();
    let started = browser
        .post(
            &format!("/anchor/sessions/{id}/flash-sales"),
            &[
                ("sku_id", &sku_id.to_string()),
                ("price_yuan", "8600"),
                ("quantity", "5"),
                ("per_user_limit", "2"),
                ("starts_in_seconds", "5"),
                ("duration_minutes", "10"),
            ],
        )
        .await;
    let after = now_ms();
    assert_eq!(started.redirected(), control);
    let sales = app
        .get_anonymous(&format!("/api/live-sessions/{id}/flash-sales"))
        .await
        .expect(200);
    let sales = sales.as_array().expect("a list").clone();
    assert_eq!(sales.len(), 1, "{sales:?}");
    let sale = &sales[0];
    assert_eq!(sale["sku_id"], sku_id);
    assert_eq!(sale["price_fen"], 860_000);
    assert_eq!(sale["subsidy_fen"], 0);
    assert_eq!(sale["quantity"], 5);
    assert_eq!(sale["per_user_limit"], 2);
    assert_eq!(sale["phase"], "upcoming");
    let starts = sale["starts_at_ms"].as_i64().expect("a start");
    assert!(
        (before + 5_000..=after + 5_000).contains(&starts),
        "starts {starts} within 5 s of {before}..{after}"
    );
    assert_eq!(sale["ends_at_ms"].as_i64(), Some(starts + 10 * 60_000));

    // Empty price: the session's live price (the pool price here).
    let defaulted = browser
        .post(
            &format!("/anchor/sessions/{id}/flash-sales"),
            &[
                ("sku_id", &sku_id.to_string()),
                ("price_yuan", ""),
                ("quantity", "3"),
                ("per_user_limit", "1"),
                ("starts_in_seconds", "60"),
                ("duration_minutes", "5"),
            ],
        )
        .await;
    assert_eq!(defaulted.redirected(), control);
    // More units than the stock not yet promised (20 − 5 − 3): the service's code.
    let too_many = browser
        .post(
            &format!("/anchor/sessions/{id}/flash-sales"),
            &[
                ("sku_id", &sku_id.to_string()),
                ("quantity", "13"),
                ("per_user_limit", "1"),
                ("starts_in_seconds", "5"),
                ("duration_minutes", "5"),
            ],
        )
        .await;
    assert!(follow(&mut browser, &too_many)
        .await
        .contains("not_enough_stock"));
    let below_floor = browser
        .post(
            &format!("/anchor/sessions/{id}/flash-sales"),
            &[
                ("sku_id", &sku_id.to_string()),
                ("price_yuan", "1.00"),
                ("quantity", "1"),
                ("per_user_limit", "1"),
                ("starts_in_seconds", "5"),
                ("duration_minutes", "5"),
            ],
        )
        .await;
    let page = follow(&mut browser, &below_floor).await;
    assert!(page.contains("flash_price_out_of_range"), "{page}");
    let sales = app
        .get_anonymous(&format!("/api/live-sessions/{id}/flash-sales"))
        .await
        .expect(200);
    let sales = sales.as_array().expect("a list");
    assert_eq!(sales.len(), 2);
    assert_eq!(sales[1]["price_fen"], 899_900);
    assert_eq!(sales[1]["quantity"], 3);
    for sale in sales {
        assert!(page.contains(&format!("data-sale-id=\"{}\"", sale["id"])));
    }
}
store_case!(
    case_flash_sale_from_live_control,
    sqlite_flash_sale_from_live_control,
    postgres_flash_sale_from_live_control
);

/// Deleting a viewer's comment from live control reaches the room; muting a viewer stops
/// their comments, lists them with their name, and unmuting lets them speak again.
async fn case_delete_comment_and_mute(app: &TestApp) {
    let supplier = supplier(app, "moderate").await;
    let sku_id = approved_sku(app, &supplier, "mod-1", "格力 空调", 10).await;
    let (token, mut browser, _) = anchor(app, "mod-anchor").await;
    shelve(app, &token, &[sku_id]).await;
    let id = live_session(app, &token, &[sku_id]).await;
    let viewer = app.account("chatty", "viewer").await;
    let viewer_id = app.user_id(&viewer).await;
    let mut watcher = connect(app, id, None, "").await;

    let comment = |text: &'static str| {
        let viewer = viewer.clone();
        async move {
            app.post(
                &format!("/api/live-sessions/{id}/comments"),
                &viewer,
                &json!({ "text": text }),
            )
            .await
        }
    };
    let offset = comment("多少钱？").await.expect(201)["offset"]
        .as_u64()
        .expect("an offset");
    until(&mut watcher, is_event("comment")).await;

    let deleted = browser
        .post(
            &format!("/anchor/sessions/{id}/comments/{offset}/delete"),
            &[],
        )
        .await;
    assert_eq!(deleted.redirected(), format!("/anchor/sessions/{id}/live"));
    let gone = until(&mut watcher, is_event("comment_deleted")).await;
    assert_eq!(gone["event"]["offset"], offset);

    let muted = browser
        .post(
            &format!("/anchor/sessions/{id}/mutes"),
            &[
                ("user_id", &viewer_id.to_string()),
                ("minutes", "10"),
                ("reason", "刷屏"),
            ],
        )
        .await;
    let page = follow(&mut browser, &muted).await;
    assert!(
        page.contains(&format!("data-unmute=\"{viewer_id}\"")),
        "{page}"
    );
    assert!(page.contains("chatty") && page.contains("刷屏"));
    let mutes = app
        .get(&format!("/api/live-sessions/{id}/mutes"), &token)
        .await
        .expect(200);
    assert_eq!(mutes[0]["user_id"], viewer_id);
    let until_ms = mutes[0]["until_ms"].as_i64().expect("a time-boxed mute");
    let ten_minutes = now_ms() + 10 * 60_000;
    assert!(
        (ten_minutes - 5_000..=ten_minutes).contains(&until_ms),
        "{until_ms}"
    );
    until(&mut watcher, is_event("muted")).await;
    comment("还在吗").await.expect_error(403, "muted");

    let unmuted = browser
        .post(
            &format!("/anchor/sessions/{id}/mutes/{viewer_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(unmuted.redirected(), format!("/anchor/sessions/{id}/live"));
    until(&mut watcher, is_event("unmuted")).await;
    comment("谢谢主播").await.expect(201);
    assert_eq!(
        app.get(&format!("/api/live-sessions/{id}/mutes"), &token)
            .await
            .expect(200),
        json!([])
    );

    // Likes and comments reach the live dashboard's figures.
    app.post(
        &format!("/api/live-sessions/{id}/likes"),
        &viewer,
        &json!({"count": 7}),
    )
    .await
    .expect(204);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let shown = browser
            .get(&format!("/anchor/sessions/{id}/live/stats"))
            .await;
        let stats: Value = serde_json::from_str(shown.expect(200)).expect("JSON");
        if stats["likes"] == 7 && stats["comments"] == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "stats: {stats}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The anchor is never muted in their own room: the service's code comes back.
    let own_id = app.user_id(&token).await.to_string();
    let refused = browser
        .post(
            &format!("/anchor/sessions/{id}/mutes"),
            &[("user_id", &own_id), ("minutes", "")],
        )
        .await;
    assert!(follow(&mut browser, &refused)
        .await
        .contains("cannot_mute_anchor"));
}
store_case!(
    case_delete_comment_and_mute,
    sqlite_delete_comment_and_mute,
    postgres_delete_comment_and_mute
);

/// Another anchor can neither see nor work a session's control page, edit it, pin in it,
/// start a sale in it or moderate it; a viewer is not let into the console at all.
async fn case_another_anchors_session_is_refused(app: &TestApp) {
    let supplier = supplier(app, "intrude").await;
    let sku_id = approved_sku(app, &supplier, "own-1", "格力 空调", 10).await;
    let (owner, _, _) = anchor(app, "owner-anchor").await;
    shelve(app, &owner, &[sku_id]).await;
    let id = live_session(app, &owner, &[sku_id]).await;
    let (_, mut intruder, _) = anchor(app, "other-anchor").await;

    for path in [
        format!("/anchor/sessions/{id}/live"),
        format!("/anchor/sessions/{id}/live/stats"),
        format!("/anchor/sessions/{id}/edit"),
    ] {
        let shown = intruder.get(&path).await;
        assert_eq!(shown.status, 403, "{path}: {}", shown.body);
        assert!(shown.body.contains("forbidden"));
    }
    let pin = intruder
        .post(
            &format!("/anchor/sessions/{id}/pin"),
            &[("sku_id", &sku_id.to_string())],
        )
        .await;
    assert_eq!((pin.status, pin.body.contains("forbidden")), (403, true));
    assert_eq!(
        session(app, id).await["session"]["pinned_sku_id"],
        Value::Null
    );
    let sale = intruder
        .post(
            &format!("/anchor/sessions/{id}/flash-sales"),
            &[
                ("sku_id", &sku_id.to_string()),
                ("quantity", "1"),
                ("per_user_limit", "1"),
                ("starts_in_seconds", "5"),
                ("duration_minutes", "5"),
            ],
        )
        .await;
    assert_eq!((sale.status, sale.body.contains("forbidden")), (403, true));
    let end = intruder
        .post(&format!("/anchor/sessions/{id}/end"), &[])
        .await;
    assert_eq!((end.status, end.body.contains("forbidden")), (403, true));
    assert_eq!(session(app, id).await["session"]["status"], "live");
    assert_eq!(
        app.get_anonymous(&format!("/api/live-sessions/{id}/flash-sales"))
            .await
            .expect(200),
        json!([])
    );

    app.account("just-a-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "just-a-viewer", PASSWORD).await;
    for path in ["/anchor", "/anchor/selection", "/anchor/earnings"] {
        assert_eq!(viewer.get(path).await.status, 403, "{path}");
    }
}
store_case!(
    case_another_anchors_session_is_refused,
    sqlite_another_anchors_session_is_refused,
    postgres_another_anchors_session_is_refused
);

/// A paid order in the session shows on the live dashboard (orders, GMV) and its commission
/// on the earnings statement, pending, in the page and in its CSV.
async fn case_dashboard_and_earnings_follow_a_paid_order(app: &TestApp) {
    let supplier = supplier(app, "earn").await;
    let sku_id = approved_sku(app, &supplier, "earn-1", "格力 空调", 10).await;
    let (token, mut browser, anchor_id) = anchor(app, "earn-anchor").await;
    shelve(app, &token, &[sku_id]).await;
    let id = live_session(app, &token, &[sku_id]).await;

    let empty = browser.get("/anchor/earnings").await;
    assert!(empty.expect(200).contains("¥0.00"));
    let stats = browser
        .get(&format!("/anchor/sessions/{id}/live/stats"))
        .await;
    let stats: Value = serde_json::from_str(stats.expect(200)).expect("JSON");
    assert_eq!(stats["paid_orders"], 0);

    let buyer = app.account("earn-buyer", "viewer").await;
    let address = app
        .post(
            "/api/addresses",
            &buyer,
            &json!({"recipient": "张三", "phone": "138-1234-5678", "county_code": "330106",
                "detail": "文三路 90 号"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("an address");
    let order = app
        .client
        .post(format!("{}/api/orders", app.base_url))
        .bearer_auth(&buyer)
        .header("Idempotency-Key", "earn-1")
        .json(&json!({"session_id": id, "sku_id": sku_id, "quantity": 1, "address_id": address}))
        .send()
        .await
        .expect("order");
    assert_eq!(order.status().as_u16(), 201);
    let order: Value = order.json().await.expect("JSON");
    let order_id = order["id"].as_i64().expect("an order id");
    let commission = order["split"]["commission"].as_i64().expect("a commission");
    assert_eq!(commission, 89_990, "10% of ¥8,999.00");
    let payment = app
        .post_empty(&format!("/api/orders/{order_id}/payments"), &buyer)
        .await
        .expect(200);
    let pay_url = payment["pay_url"].as_str().expect("a pay URL");
    let paid = app
        .client
        .post(pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status().as_u16(), 200);

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let shown = browser
            .get(&format!("/anchor/sessions/{id}/live/stats"))
            .await;
        let stats: Value = serde_json::from_str(shown.expect(200)).expect("JSON");
        if stats["paid_orders"] == 1 {
            break stats;
        }
        assert!(std::time::Instant::now() < deadline, "never paid: {stats}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stats["gmv"], "¥8,999.00");
    assert!(stats["chart_html"].as_str().unwrap_or("").contains("<svg"));
    let control = browser.get(&format!("/anchor/sessions/{id}/live")).await;
    assert!(control.expect(200).contains("¥8,999.00"));

    let earnings = browser.get("/anchor/earnings").await;
    let earnings = earnings.expect(200);
    assert!(earnings.contains("¥899.90"), "{earnings}");
    assert!(earnings.contains(&format!("#{order_id}")));
    let dashboard = browser.get("/anchor").await;
    assert!(dashboard.expect(200).contains("¥899.90"));

    let csv = browser.get("/anchor/earnings.csv").await;
    assert_eq!(
        csv.headers.get("content-type").map(String::as_str),
        Some("text/csv; charset=utf-8")
    );
    let body = csv.expect(200);
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some(daihuo_service::settlement::STATEMENT_CSV_HEADER)
    );
    assert!(
        body.lines()
            .any(|line| line.contains(&format!(",{order_id},")) && line.contains(",89990,")),
        "{body}"
    );
    // The same statement the API gives the anchor.
    let api = app.get("/api/anchor/statement", &token).await.expect(200);
    assert_eq!(api["party"]["id"], anchor_id);
    assert_eq!(api["closing"]["pending_fen"], commission);
}
store_case!(
    case_dashboard_and_earnings_follow_a_paid_order,
    sqlite_dashboard_and_earnings_follow_a_paid_order,
    postgres_dashboard_and_earnings_follow_a_paid_order
);
