//! The printed viewer's past: orders in the printed anchor's live session, bought and paid
//! over HTTP as the viewer would in the browser (the sandbox gateway's pay page, its signed
//! notification, routing to the nearest warehouse), then shipped and tracked by their
//! suppliers, so the viewer's orders page shows one order in each state a buyer meets:
//! paid and waiting to ship, shipped with its tracking so far, delivered, and completed.
//!
//! The shipping desks never touch these orders (they ship only what simulated buyers
//! ordered), so the states stay put until a person moves them.

use super::client::{expect_json, Api};
use super::world::World;
use super::{service_error, DEMO_PASSWORD};
use anyhow::Context;
use daihuo_domain::OrderId;
use daihuo_service::fulfilment::{ShipInput, TrackingBatch, TrackingInput};
use daihuo_store::now_ms;
use serde_json::{json, Value};
use std::time::Duration;

/// How long paying and routing one order may take before seeding gives up.
const ROUTED_WITHIN: Duration = Duration::from_secs(20);

/// Where each history order ends: how many tracking legs it got, and whether the buyer
/// confirmed receipt.
const HISTORY: [(usize, bool); 4] = [(0, false), (3, false), (5, false), (5, true)];

/// The legs a parcel goes through, with their details.
const LEGS: [(&str, &str); 5] = [
    ("picked", "快递员已揽收"),
    ("shipped", "快件已从发货仓发出"),
    ("in_transit", "快件已到达上海转运中心"),
    ("out_for_delivery", "快件正在派送中，派送员已出发"),
    ("delivered", "快件已签收，签收人：本人"),
];

/// Buys, pays and moves the printed viewer's orders; returns their ids.
pub async fn seed(
    world: &World,
    services: &daihuo_service::Services,
    api: &Api,
) -> anyhow::Result<Vec<i64>> {
    let token = api.sign_in("viewer", DEMO_PASSWORD).await?;
    let anchor = &world.anchors[0];
    let session = anchor.live.context("the printed anchor is live")?;
    let snapshot = expect_json(
        api.get(&format!("/api/live-sessions/{session}"), None)
            .await,
        200,
    )?;
    let items: Vec<i64> = snapshot["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["sku_id"].as_i64()).collect())
        .unwrap_or_default();
    // The first order, which waits for shipping, is the printed supplier's, so its
    // "orders to ship" list has it.
    let mut skus: Vec<i64> = items
        .iter()
        .copied()
        .filter(|id| world.supplier_of(daihuo_domain::SkuId(*id)) == Some(0))
        .take(1)
        .collect();
    let first = skus.first().copied();
    skus.extend(items.iter().copied().filter(|id| Some(*id) != first));
    anyhow::ensure!(
        skus.len() >= HISTORY.len(),
        "the printed anchor's session sells too few SKUs"
    );
    let mut orders = Vec::with_capacity(HISTORY.len());
    for (number, ((legs, confirm), sku)) in HISTORY.iter().zip(&skus).enumerate() {
        let order = buy_and_pay(api, &token, world, session.0, *sku, number).await?;
        wait_routed(api, &token, order).await?;
        if *legs > 0 {
            ship(world, services, *sku, order, *legs).await?;
        }
        if *confirm {
            services
                .confirm_receipt(&world.viewer, OrderId(order))
                .await
                .map_err(service_error)?;
        }
        orders.push(order);
    }
    Ok(orders)
}

async fn buy_and_pay(
    api: &Api,
    token: &str,
    world: &World,
    session: i64,
    sku: i64,
    number: usize,
) -> anyhow::Result<i64> {
    let order = expect_json(
        api.post_keyed(
            "/api/orders",
            token,
            &format!("demo-history-{number}"),
            &json!({"sku_id": sku, "quantity": 1, "address_id": world.viewer_address,
                "session_id": session}),
        )
        .await,
        201,
    )?;
    let id = order["id"].as_i64().context("an order id")?;
    api.pay(token, id).await?;
    Ok(id)
}

async fn wait_routed(api: &Api, token: &str, order: i64) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + ROUTED_WITHIN;
    loop {
        let view: Value = expect_json(
            api.get(&format!("/api/orders/{order}"), Some(token)).await,
            200,
        )?;
        match view["status"].as_str() {
            Some("routed") => return Ok(()),
            Some("reserved" | "paid") if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            status => anyhow::bail!("order {order} is {status:?}, not routed"),
        }
    }
}

/// The supplier ships with its carrier and reports `legs` tracking events.
async fn ship(
    world: &World,
    services: &daihuo_service::Services,
    sku: i64,
    order: i64,
    legs: usize,
) -> anyhow::Result<()> {
    let supplier = world
        .supplier_of(daihuo_domain::SkuId(sku))
        .and_then(|index| world.suppliers.get(index))
        .context("the SKU's supplier")?;
    let serial = u64::try_from(order).unwrap_or(0) ^ 0x5eed_0000;
    let waybill = daihuo_sim::courier::waybill(supplier.carrier, serial)
        .context("a waybill for the carrier")?;
    services
        .confirm_shipment(
            &supplier.actor,
            OrderId(order),
            ShipInput {
                carrier: supplier.carrier.to_owned(),
                waybill: waybill.clone(),
            },
        )
        .await
        .map_err(service_error)?;
    let at = now_ms();
    let events = LEGS
        .iter()
        .take(legs)
        .zip(0_i64..)
        .map(|((stage, detail), n)| TrackingInput {
            event_id: format!("{waybill}-{n}"),
            stage: (*stage).to_owned(),
            at_ms: at + n * 1_000,
            detail: (*detail).to_owned(),
        })
        .collect();
    services
        .add_tracking(&supplier.actor, OrderId(order), TrackingBatch { events })
        .await
        .map_err(service_error)?;
    Ok(())
}
