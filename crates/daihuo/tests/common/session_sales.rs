//! A live session selling two suppliers' SKUs, watched over the real room connection and
//! bought in through the real checkout and the sandbox gateway: what the data tests
//! (`metrics.rs`, `web_data.rs`) measure.

use super::room_socket::{connect, frame, Socket};
use super::supplier::{buy_and_pay_at, set_stock, shop, wait_until, Shop};
use super::{TestApp, PASSWORD};
use serde_json::{json, Value};

/// Every SKU here sells at this live price (the pool price of `common::sku`), fen.
pub const PRICE: i64 = 899_900;

/// Two suppliers' SKUs on one anchor's shelf, sold in one live session.
pub struct Stage {
    /// The anchor's session token.
    pub anchor: String,
    /// Supplier A with its SKU (stock 5 in 杭州 and 5 in 北京).
    pub a: Shop,
    /// Supplier B's staff token.
    pub b_supplier: String,
    /// Supplier B's SKU (stock 4 in 杭州).
    pub b_sku: i64,
    /// The live session.
    pub session: i64,
}

/// Sets the stage under `name` (usernames derive from it) and takes the session live.
pub async fn stage(app: &TestApp, name: &str) -> Stage {
    let a = shop(app, name, 5, 5).await;
    let anchor = app.sign_in(&format!("{name}-anchor"), PASSWORD).await;
    let b_supplier = app
        .supplier(&format!("{name}的二号供应商"), &format!("{name}-supply-b"))
        .await;
    app.warehouse(&b_supplier, "HZ").await;
    let b_code = format!("{name}-fan");
    let b_sku = app.shelved_sku(&b_supplier, &anchor, &b_code).await;
    set_stock(app, &b_supplier, &b_code, "HZ", 4, 1).await;
    let session = app
        .scheduled_session(&anchor, &format!("{name} 数据场"), &[a.sku, b_sku])
        .await;
    app.post_empty(&format!("/api/live-sessions/{session}/live"), &anchor)
        .await
        .expect(200);
    Stage {
        anchor,
        a,
        b_supplier,
        b_sku,
        session,
    }
}

/// Joins the room (signed in with `token`, or as the anonymous `visitor`) and reads the
/// first frame, so the viewer is counted by the time this returns.
pub async fn watch(
    app: &TestApp,
    session: i64,
    token: Option<&str>,
    visitor: Option<&str>,
) -> Socket {
    let query = visitor.map_or_else(String::new, |v| format!("?visitor={v}"));
    let mut socket = connect(app, session, token, &query).await;
    let first = frame(&mut socket).await;
    assert_eq!(first["type"], "snapshot", "{first}");
    socket
}

/// The buyer orders `quantity` of `sku` in the session and pays through the sandbox;
/// returns the order once the payment is applied (paid, then routed or refunding).
pub async fn buy_in_session(
    app: &TestApp,
    session: i64,
    sku: i64,
    buyer: &(String, i64),
    quantity: i64,
) -> Value {
    let token = &buyer.0;
    let body = json!({"sku_id": sku, "quantity": quantity, "address_id": buyer.1,
        "session_id": session});
    let id = buy_and_pay_at(app, buyer, "/api/orders", body).await;
    let path = format!("/api/orders/{id}");
    let path = &path;
    wait_until("the payment is applied", || async move {
        let order = app.get(path, token).await.expect(200);
        order["paid_at_ms"].as_i64().is_some()
    })
    .await;
    app.get(path, token).await.expect(200)
}
