//! The supplier side of the after-the-buy tests: a simulated supplier system (`daihuo_sim`: a
//! real HTTP server on port 0 that checks every webhook's signature and records what it
//! got), a shop
//! with warehouses in 杭州 and 北京, buyers, buying and paying through the sandbox, and the
//! ledger's balances.

use super::{now_ms, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long a test waits for something asynchronous before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `check` every 50 ms until it holds; fails the test after [`PATIENCE`].
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub use daihuo_sim::supplier::Mode;

/// A supplier's system (`daihuo_sim::supplier`): a real HTTP server on port 0 that checks
/// every webhook's signature and keeps every verified body.
pub struct Simulator {
    /// Its webhook URL.
    pub url: String,
    /// The running server.
    pub system: daihuo_sim::supplier::SupplierSystem,
}

impl Simulator {
    pub async fn start(mode: Mode) -> Simulator {
        let (system, _events) = daihuo_sim::supplier::SupplierSystem::start(mode, true)
            .await
            .expect("start the simulated supplier");
        Simulator {
            url: system.url().to_owned(),
            system,
        }
    }

    /// Registers the simulator as the supplier's webhook and keeps the secret daihuo gave.
    pub async fn register(&self, app: &TestApp, supplier: &str) {
        let hook = app
            .put("/api/supplier/webhook", supplier, &json!({"url": self.url}))
            .await
            .expect(200);
        let secret = hook["secret"].as_str().expect("a secret");
        assert!(secret.len() >= 32, "{hook}");
        self.system.set_secret(secret);
    }

    pub fn set_mode(&self, mode: Mode) {
        self.system.set_mode(mode);
    }

    pub fn requests(&self) -> u32 {
        u32::try_from(self.system.requests()).unwrap_or(u32::MAX)
    }

    pub fn bad_signatures(&self) -> u32 {
        u32::try_from(self.system.bad_signatures()).unwrap_or(u32::MAX)
    }

    /// Every verified event taken in, duplicates included.
    pub fn received(&self) -> Vec<Value> {
        self.system.bodies()
    }

    /// The distinct event ids taken in: what a supplier that dedupes has processed.
    pub fn unique(&self) -> HashSet<String> {
        self.system.unique()
    }
}

/// A supplier with warehouses in 杭州 西湖区 (HZ) and 北京 朝阳区 (BJ), an anchor with the
/// supplier's SKU on the shelf.
pub struct Shop {
    pub supplier: String,
    pub anchor_id: i64,
    pub sku: i64,
    pub code: String,
}

pub async fn set_stock(
    app: &TestApp,
    supplier: &str,
    code: &str,
    warehouse: &str,
    quantity: i64,
    version: i64,
) {
    let results = app
        .post(
            "/api/supplier/stock",
            supplier,
            &json!({"updates": [{"sku_code": code, "warehouse_code": warehouse,
                "quantity": quantity, "version": version}]}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["decision"], "apply", "stock update: {results}");
}

pub async fn shop(app: &TestApp, name: &str, hz: i64, bj: i64) -> Shop {
    let supplier = app
        .supplier(&format!("{name}的供应商"), &format!("{name}-supply"))
        .await;
    app.warehouse(&supplier, "HZ").await;
    app.put(
        "/api/supplier/warehouses",
        &supplier,
        &json!({"code": "BJ", "name": "北京仓", "county_code": "110105"}),
    )
    .await
    .expect(200);
    let anchor = app.account(&format!("{name}-anchor"), "anchor").await;
    let code = format!("{name}-ac");
    let sku = app.shelved_sku(&supplier, &anchor, &code).await;
    set_stock(app, &supplier, &code, "HZ", hz, 1).await;
    set_stock(app, &supplier, &code, "BJ", bj, 1).await;
    Shop {
        supplier,
        anchor_id: app.user_id(&anchor).await,
        sku,
        code,
    }
}

/// A viewer with a saved address in `county`: (token, address id).
pub async fn buyer(app: &TestApp, name: &str, county: &str) -> (String, i64) {
    let token = app.account(name, "viewer").await;
    let address = app
        .post(
            "/api/addresses",
            &token,
            &json!({"recipient": "张三", "phone": "138-1234-5678", "county_code": county,
                "detail": "文三路 90 号"}),
        )
        .await
        .expect(201);
    (token, address["id"].as_i64().expect("an address id"))
}

/// The buyer orders `quantity` from the anchor's shelf and pays through the sandbox; returns
/// the order id once the payment is applied (the order is then routed or refunding).
pub async fn buy_and_pay(app: &TestApp, shop: &Shop, buyer: &(String, i64), quantity: i64) -> i64 {
    let id = buy_and_pay_after(app, shop, buyer, quantity, || async {}).await;
    let token = &buyer.0;
    let path = format!("/api/orders/{id}");
    let path = &path;
    wait_until("the payment is applied", || async move {
        let order = app.get(path, token).await.expect(200);
        !matches!(order["status"].as_str(), Some("reserved"))
    })
    .await;
    id
}

/// Reserves `path`'s purchase (`/api/orders`, or a flash sale's orders) with `body` and an idempotency key, pays it on the sandbox's
/// pay page and waits until the payment is applied; the order's id.
pub async fn buy_and_pay_at(app: &TestApp, buyer: &(String, i64), path: &str, body: Value) -> i64 {
    let (token, _) = buyer;
    let response = app
        .client
        .request(Method::POST, format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("k-{}", rand_suffix()))
        .json(&body)
        .send()
        .await
        .expect("send the purchase");
    let status = response.status().as_u16();
    let order: Value = response.json().await.expect("an order");
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("an order id");
    let payment = app
        .post_empty(&format!("/api/orders/{id}/payments"), token)
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
    let path = format!("/api/orders/{id}");
    let path = &path;
    wait_until("the payment is applied", || async move {
        let order = app.get(path, token).await.expect(200);
        !matches!(order["status"].as_str(), Some("reserved"))
    })
    .await;
    id
}

/// A fresh idempotency key suffix.
pub fn rand_suffix() -> String {
    format!("{}-{}", now_ms(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// Makes idempotency keys unique within the test process.
pub static COUNTER: AtomicU32 = AtomicU32::new(0);

pub async fn order_status(app: &TestApp, token: &str, id: i64) -> String {
    app.get(&format!("/api/orders/{id}"), token)
        .await
        .expect(200)["status"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Pulls every event of the supplier, page by page of `limit`, until `count` have come.
pub async fn pull_all(app: &TestApp, supplier: &str, count: usize, limit: i64) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0;
    let deadline = std::time::Instant::now() + PATIENCE;
    while events.len() < count {
        let page = app
            .get_query(
                "/api/supplier/events",
                supplier,
                &[("after", &after.to_string()), ("limit", &limit.to_string())],
            )
            .await
            .expect(200);
        let got = page["events"].as_array().expect("events").clone();
        assert!(got.len() as i64 <= limit, "{page}");
        after = page["next_after"].as_i64().expect("a cursor");
        if got.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "pulled only {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        events.extend(got);
    }
    events
}

/// The ledger balances (account, party, fen) and a check that they sum to zero.
pub async fn balances(app: &TestApp) -> Vec<(String, Option<i64>, i64)> {
    let rows = daihuo_store::fulfilment::ledger_balances(app.services.store.pool())
        .await
        .expect("balances");
    let total: i64 = rows.iter().map(|r| r.balance_fen).sum();
    assert_eq!(total, 0, "debits and credits differ: {rows:?}");
    rows.into_iter()
        .map(|r| (r.account, r.party_id, r.balance_fen))
        .collect()
}

pub fn balance(rows: &[(String, Option<i64>, i64)], account: &str) -> i64 {
    rows.iter()
        .filter(|(a, _, _)| a == account)
        .map(|(_, _, fen)| fen)
        .sum()
}

/// Buys `quantity` from the anchor's shelf, starts the payment, runs `before_paying`, then
/// pays on the sandbox's pay page; returns the order id (the notification may still be on
/// its way).
pub async fn buy_and_pay_after<F, Fut>(
    app: &TestApp,
    shop: &Shop,
    buyer: &(String, i64),
    quantity: i64,
    before_paying: F,
) -> i64
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let (token, address) = buyer;
    let response = app
        .client
        .request(Method::POST, format!("{}/api/orders", app.base_url))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("k-{}", rand_suffix()))
        .json(
            &json!({"sku_id": shop.sku, "quantity": quantity, "address_id": address,
            "anchor_id": shop.anchor_id}),
        )
        .send()
        .await
        .expect("send the purchase");
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.expect("an order");
    let id = order["id"].as_i64().expect("an order id");
    let payment = app
        .post_empty(&format!("/api/orders/{id}/payments"), token)
        .await
        .expect(200);
    before_paying().await;
    let pay_url = payment["pay_url"].as_str().expect("a pay URL");
    let paid = app
        .client
        .post(pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .expect("pay");
    assert_eq!(
        paid.status().as_u16(),
        200,
        "the pay page takes the payment"
    );
    id
}

/// The supplier ships a routed order (SF) and reports it delivered at `delivered_at_ms`,
/// through the API; panics unless the order is then `delivered`.
pub async fn ship_and_deliver(app: &TestApp, shop: &Shop, order: i64, delivered_at_ms: i64) {
    app.post(
        &format!("/api/supplier/orders/{order}/shipments"),
        &shop.supplier,
        &json!({"carrier": "sf", "waybill": "SF1234567890123"}),
    )
    .await
    .expect(200);
    let report = app
        .post(
            &format!("/api/supplier/orders/{order}/tracking"),
            &shop.supplier,
            &json!({"events": [{"event_id": format!("{order}-delivered"), "stage": "delivered",
                "at_ms": delivered_at_ms, "detail": "已签收"}]}),
        )
        .await
        .expect(200);
    assert_eq!(report["order_status"], "delivered", "{report}");
}
