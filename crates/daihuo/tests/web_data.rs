//! The data pages over real HTTP with a cookie-keeping browser, on both stores: the
//! anchor's session list and a session's minute charts, the supplier's sales across anchors
//! narrowed to its SKUs, the operator's live rooms (its own page and the platform
//! dashboard), the post-session report page and its CSV, and who is refused.

mod common;

use common::session_sales::{buy_in_session, stage, watch, Stage};
use common::supplier::{buyer, wait_until};
use common::web::Browser;
use common::{TestApp, PASSWORD};

/// The text inside the element carrying `attribute="value"`, up to the next tag.
fn text_of<'a>(html: &'a str, attribute: &str, value: &str) -> Option<&'a str> {
    let needle = format!("{attribute}=\"{value}\">");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('<')? + start;
    Some(&html[start..end])
}

/// Every data page, as each role sees it, while the session is live and after it ended.
async fn case_data_pages(app: &TestApp) {
    let Stage {
        anchor,
        a,
        b_sku,
        session,
        ..
    } = stage(app, "webd").await;
    let zj = buyer(app, "webd-zj", "330106").await;
    let _socket = watch(app, session, Some(&zj.0), None).await;
    buy_in_session(app, session, a.sku, &zj, 1).await;
    buy_in_session(app, session, b_sku, &zj, 1).await;
    let path = format!("/api/data/sessions/{session}");
    let path = &path;
    let anchor_token = &anchor;
    wait_until("the sales and the viewer are counted", || async move {
        let data = app.get(path, anchor_token).await.expect(200);
        data["totals"]["orders"] == 2 && data["totals"]["unique_viewers"] == 1
    })
    .await;

    let page = format!("/data/sessions/{session}");
    let report = format!("/data/sessions/{session}/report");
    let mut anchor_browser = Browser::sign_in(&app.base_url, "webd-anchor", PASSWORD).await;
    let list = anchor_browser
        .get("/anchor/data")
        .await
        .expect(200)
        .to_owned();
    assert!(
        list.contains("href=\"/anchor/data\""),
        "the header links here"
    );
    assert!(
        list.contains(&format!("data-session=\"{session}\"")),
        "{list}"
    );
    assert!(list.contains("¥17,998.00"), "{list}");
    let shown = anchor_browser.get(&page).await.expect(200).to_owned();
    assert_eq!(text_of(&shown, "data-kpi", "orders"), Some("2"));
    assert_eq!(text_of(&shown, "data-kpi", "gmv"), Some("¥17,998.00"));
    assert_eq!(text_of(&shown, "data-kpi", "unique-viewers"), Some("1"));
    assert_eq!(text_of(&shown, "data-kpi", "conversion"), Some("100%"));
    assert_eq!(text_of(&shown, "data-kpi", "online-now"), Some("1"));
    assert_eq!(
        shown.matches("<figure class=\"chart\"").count(),
        4 + 1,
        "four minute charts and the regions' bars"
    );
    assert!(shown.contains(&format!("data-sku=\"{}\"", a.sku)));
    assert!(shown.contains(&format!("data-sku=\"{b_sku}\"")));
    assert!(shown.contains("浙江省"));
    assert_eq!(
        anchor_browser.get(&report).await.status,
        409,
        "no report while live"
    );

    // Supplier B: its SKU's part only, with the room's audience.
    let mut supplier_b = Browser::sign_in(&app.base_url, "webd-supply-b", PASSWORD).await;
    let overview = supplier_b
        .get("/supplier/data")
        .await
        .expect(200)
        .to_owned();
    assert!(
        overview.contains(&format!("data-session=\"{session}\"")),
        "{overview}"
    );
    assert_eq!(text_of(&overview, "data-kpi", "units"), Some("1"));
    assert_eq!(text_of(&overview, "data-kpi", "gmv"), Some("¥8,999.00"));
    let skus = &overview[overview
        .find("data-groups=\"skus\"")
        .expect("the SKU table")..];
    assert!(skus.contains(&format!("data-id=\"{b_sku}\"")));
    let part = supplier_b.get(&page).await.expect(200).to_owned();
    assert!(part.contains("data-scope=\"supplier\""));
    assert!(part.contains(&format!("data-sku=\"{b_sku}\"")));
    assert!(
        !part.contains(&format!("data-sku=\"{}\"", a.sku)),
        "not another supplier's SKU"
    );
    assert_eq!(text_of(&part, "data-kpi", "orders"), Some("1"));
    assert_eq!(text_of(&part, "data-kpi", "unique-viewers"), Some("1"));
    assert_eq!(
        supplier_b.get("/supplier/data?days=7").await.status,
        200,
        "another period"
    );

    // The operator: the live rooms on their own page and on the platform dashboard.
    let mut operator = Browser::sign_in(
        &app.base_url,
        common::OPERATOR_USERNAME,
        common::OPERATOR_PASSWORD,
    )
    .await;
    let live = operator.get("/operator/data").await.expect(200).to_owned();
    assert_eq!(text_of(&live, "data-kpi", "live-rooms"), Some("1"));
    assert!(live.contains(&format!("data-session=\"{session}\"")));
    let board = operator.get("/operator").await.expect(200).to_owned();
    assert!(board.contains("id=\"platform-live\""), "{board}");
    assert!(text_of(&board, "data-kpi", "hour-gmv").is_some(), "{board}");
    assert!(board.contains(&format!("data-session=\"{session}\"")));
    operator.get(&page).await.expect(200);

    // Ended: the report page and its CSV.
    app.post_empty(&format!("/api/live-sessions/{session}/end"), &anchor)
        .await
        .expect(200);
    let shown = anchor_browser.get(&report).await.expect(200).to_owned();
    assert!(shown.contains("直播复盘"), "{shown}");
    assert!(shown.contains(&format!("href=\"/data/sessions/{session}/report.csv\"")));
    let row_a = &shown[shown
        .find(&format!("data-sku=\"{}\"", a.sku))
        .expect("SKU A's row")..];
    let row_a = &row_a[..row_a.find("</tr>").expect("the row's end")];
    assert!(row_a.contains(">9</td>"), "ten in stock, one sold: {row_a}");
    let csv = anchor_browser.get(&format!("{report}.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers
            .get("content-type")
            .is_some_and(|t| t.starts_with("text/csv")),
        "{:?}",
        csv.headers
    );
    assert!(csv.body.starts_with("section,id,name,"), "{}", csv.body);
    assert!(
        csv.body.contains(&format!("\ntotal,{session},")),
        "{}",
        csv.body
    );
    let supplier_csv = supplier_b
        .get(&format!("{report}.csv"))
        .await
        .expect(200)
        .to_owned();
    assert!(supplier_csv.contains(&format!("\nsku,{b_sku},")));
    assert!(!supplier_csv.contains(&format!("\nsku,{},", a.sku)));
    let ended = operator.get("/operator/data").await.expect(200).to_owned();
    let ended = &ended[ended.find("id=\"ended\"").expect("the ended list")..];
    assert!(ended.contains(&format!("href=\"/data/sessions/{session}/report\"")));

    // English on request.
    anchor_browser.get("/lang?to=en&back=/anchor/data").await;
    let english = anchor_browser.get(&report).await.expect(200).to_owned();
    assert!(english.contains("Post-session report"), "{english}");

    // Refusals: other roles and other anchors see nothing; signed-out visitors sign in.
    app.account("webd-viewer", "viewer").await;
    app.account("webd-other", "anchor").await;
    let mut viewer = Browser::sign_in(&app.base_url, "webd-viewer", PASSWORD).await;
    assert_eq!(viewer.get(&page).await.status, 403);
    assert_eq!(viewer.get(&format!("{report}.csv")).await.status, 403);
    assert_eq!(viewer.get("/anchor/data").await.status, 403);
    let mut other = Browser::sign_in(&app.base_url, "webd-other", PASSWORD).await;
    assert_eq!(other.get(&page).await.status, 403);
    assert_eq!(other.get("/supplier/data").await.status, 403);
    assert_eq!(other.get("/operator/data").await.status, 403);
    let mut stranger = Browser::new(&app.base_url);
    let redirected = stranger.get(&page).await;
    assert!(
        redirected.redirected().starts_with("/login?next="),
        "{redirected:?}"
    );
}
store_case!(case_data_pages, sqlite_data_pages, postgres_data_pages);
