//! The supplier's forecast and replenishment page, and the forecast on the anchor's session
//! page, over real HTTP on both stores, driven as a browser drives them. The history is the
//! shared forecast world (`common::forecast`): six real past sessions whose buyers are in
//! 广州, with the stock in 上海.

mod common;

use common::forecast::{schedule, world};
use common::web::Browser;
use common::{TestApp, PASSWORD};

/// The supplier's page lists the upcoming session with the SKU's forecast, its interval and
/// basis, and the move to 广州 with its deadline, in Chinese and in English; a viewer is
/// refused, and a supplier with nothing upcoming is told so.
async fn case_supplier_page_shows_the_advice(app: &TestApp) {
    let world = world(app, "wf").await;
    let session = schedule(app, &world.anchor, 24 * 3_600_000, &[(world.sku, 7_000)]).await;
    let advice = app
        .get(
            &format!("/api/live-sessions/{session}/replenishment"),
            &world.supplier,
        )
        .await
        .expect(200);
    let planned = advice["items"][0]["planned_units"]
        .as_i64()
        .expect("planned units");

    let mut browser = Browser::sign_in(&app.base_url, "wf-supply", PASSWORD).await;
    let body = browser
        .get("/supplier/forecast")
        .await
        .expect(200)
        .to_owned();
    assert!(
        body.contains("href=\"/supplier/forecast\""),
        "the nav links here"
    );
    assert!(
        body.contains(&format!("data-session=\"{session}\"")),
        "{body}"
    );
    assert!(body.contains(&format!("data-sku=\"{}\"", world.sku)));
    assert!(body.contains("data-basis=\"anchor_sku\""));
    assert!(body.contains("本主播卖过此商品"));
    assert!(body.contains("按本主播历史买家地域"));
    assert!(body.contains("广东省 100%"), "{body}");
    let moved = body
        .split(&format!("data-move=\"{}\"", world.sku))
        .nth(1)
        .expect("a move on the page");
    let line = &moved[..moved.find("</li>").expect("the move's end")];
    assert!(line.contains(&format!("<b>{planned}</b>")), "{line}");
    assert!(
        line.contains("上海仓") && line.contains("<b>广州仓</b>"),
        "{line}"
    );
    assert!(line.contains("截止"), "{line}");

    browser.get("/lang?to=en&back=/supplier/forecast").await;
    let english = browser
        .get("/supplier/forecast")
        .await
        .expect(200)
        .to_owned();
    assert!(
        english.contains("This anchor sold this SKU before"),
        "{english}"
    );
    assert!(english.contains("Move "), "{english}");

    let mut viewer = {
        app.account("wf-viewer", "viewer").await;
        Browser::sign_in(&app.base_url, "wf-viewer", PASSWORD).await
    };
    viewer.get("/supplier/forecast").await.expect(403);
    app.supplier("空闲供应商", "wf-idle").await;
    let mut idle = Browser::sign_in(&app.base_url, "wf-idle", PASSWORD).await;
    let body = idle.get("/supplier/forecast").await.expect(200).to_owned();
    assert!(body.contains("近期没有直播卖您的商品"), "{body}");
}

store_case!(
    case_supplier_page_shows_the_advice,
    sqlite_supplier_page_shows_the_advice,
    postgres_supplier_page_shows_the_advice
);

/// The anchor's session page shows the forecast of each SKU with its basis.
async fn case_anchor_session_page_shows_the_forecast(app: &TestApp) {
    let world = world(app, "wa").await;
    let session = schedule(
        app,
        &world.anchor,
        24 * 3_600_000,
        &[(world.sku, 7_000), (world.new_sku, 10_000)],
    )
    .await;
    let mut browser = Browser::sign_in(&app.base_url, "wa-anchor", PASSWORD).await;
    let body = browser
        .get(&format!("/anchor/sessions/{session}/edit"))
        .await
        .expect(200)
        .to_owned();
    assert!(body.contains("id=\"forecast\""), "{body}");
    assert!(body.contains("data-basis=\"anchor_sku\""));
    assert!(body.contains("data-basis=\"anchor_category\""));
    assert!(body.contains("本主播同类目商品"));
}

store_case!(
    case_anchor_session_page_shows_the_forecast,
    sqlite_anchor_session_page_shows_the_forecast,
    postgres_anchor_session_page_shows_the_forecast
);
