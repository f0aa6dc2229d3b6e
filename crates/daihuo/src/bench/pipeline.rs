//! `daihuo bench pipeline`: orders end to end, over real HTTP on loopback, against a real
//! `daihuo serve` process and simulated supplier systems.
//!
//! Buyers (`--connections` at once) each order one unit of a shelved SKU, start the payment
//! and pay on the sandbox gateway's pay page. The node applies the payment, routes the order
//! to the supplier's nearest warehouse with stock, posts the ledger and writes the
//! `order.routed` event; its outbox sends that as a signed webhook to the supplier's system
//! (`daihuo_sim::supplier`, one HTTP server per supplier), which checks the signature,
//! acknowledges and hands the order to its shipping desk (`--shippers` at once): confirm the
//! shipment with an SF waybill and post the parcel's tracking events up to `delivered`; the
//! buyer then confirms receipt (the order is `completed`). When every order is through, an
//! operator's settlement run settles them all (the bench's own services over the same store,
//! with N of T + N set to zero: the days a real platform waits are not what is measured).
//!
//! The JSON line says how fast orders went through and whether anything was lost:
//! - `orders_per_s`: orders settled ÷ the time from the first order to the end of the
//!   settlement run;
//! - `p99_ms_order_to_routed`: from sending the order to the routing commit (the routed
//!   event's own time), which includes paying;
//! - `p99_ms_routed_to_supplier`: from the routing commit to the supplier's system having the
//!   verified webhook;
//! - `ledger_balanced`: every entry sums to zero, the buyer payments account holds exactly
//!   what the paid orders' buyers paid, nothing is left pending after settlement, and the
//!   run moved to payable what the ledger's payable accounts hold;
//! - `lost_events`: events in the outbox that no supplier system received (the suppliers
//!   de-duplicate by event id, so duplicates are counted apart, in `duplicate_deliveries`).

use super::fanout::cluster;
use super::flash::pay_one;
use super::{create_accounts, round3, service_error, services_over, sku_input, FreshStore};
use super::{FreshStoreArgs, BENCH_PASSWORD, WAREHOUSES};
use anyhow::Context;
use clap::Args;
use daihuo_domain::order::OrderStatus;
use daihuo_domain::{OrderId, SkuId, UserId};
use daihuo_service::catalog::WarehouseStockInput;
use daihuo_service::checkout::AddressInput;
use daihuo_service::{ServiceConfig, Services};
use daihuo_sim::supplier::{Mode, Received, SupplierSystem};
use daihuo_store::{now_ms, Dialect, Store};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Target: orders through the whole pipeline per second, embedded.
const TARGET_ORDERS_PER_S: f64 = 5_000.0;
/// Suppliers in the world, each with its own system and SKUs.
const SUPPLIERS: usize = 4;
/// Units of each SKU in each of its warehouses: more than the run can sell.
const UNITS_PER_WAREHOUSE: i64 = 1_000_000;
/// How long the run waits, once the buyers are done, for a pipeline that makes no progress
/// before it gives up and reports what it has.
const STALL_MS: i64 = 30_000;
/// Buyers' counties: one near each warehouse region, so routing picks different warehouses.
const BUYER_COUNTIES: [&str; 4] = ["330106", "440106", "110105", "510107"];
/// The tracking a carrier reports for one parcel, in order.
const TRACKING: [(&str, &str); 5] = [
    ("picked", "快递员已揽收"),
    ("shipped", "已发出"),
    ("in_transit", "到达转运中心"),
    ("out_for_delivery", "派送中"),
    ("delivered", "已签收"),
];

/// Options of `daihuo bench pipeline`.
#[derive(Args, Debug)]
pub struct PipelineArgs {
    /// Orders to drive through.
    #[arg(long, default_value_t = 100_000)]
    pub orders: usize,
    /// Buyers ordering and paying at once (HTTP connections).
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Shipments the suppliers' desks confirm and track at once.
    #[arg(long, default_value_t = 16)]
    pub shippers: usize,
    /// Distinct buyers (signed in, each with a saved address).
    #[arg(long, default_value_t = 4_000)]
    pub buyers: usize,
    /// SKUs on the anchor's shelf, spread over the suppliers.
    #[arg(long, default_value_t = 200)]
    pub skus: usize,
    /// Where the store is built.
    #[command(flatten)]
    pub store: FreshStoreArgs,
}

/// The world the orders run in.
struct World {
    /// SKUs on the anchor's shelf.
    skus: Vec<SkuId>,
    /// The anchor selling them.
    anchor: UserId,
    /// Each supplier's staff session token, by supplier index.
    supplier_tokens: Vec<String>,
    /// Buyers' (token, address id).
    buyers: Vec<(String, i64)>,
}

/// What the run measured on the way.
#[derive(Default)]
struct Timings {
    /// Order id → (buyer index, when the order was sent, ms).
    created: HashMap<i64, (usize, i64)>,
    /// Order → routing commit, ms.
    to_routed: Vec<u64>,
    /// Routing commit → supplier had it, ms.
    to_supplier: Vec<u64>,
    /// Order → receipt confirmed, ms.
    to_completed: Vec<u64>,
    /// When the last receipt was confirmed.
    last_completed_ms: i64,
    /// Orders the buyers could not place or pay, by error.
    buyer_errors: HashMap<String, usize>,
    /// Shipments or tracking the node refused, by error.
    shipping_errors: HashMap<String, usize>,
}

/// Runs the benchmark and prints one JSON line.
pub async fn run(args: PipelineArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.orders >= 1, "need at least one order");
    anyhow::ensure!(
        args.connections >= 1 && args.shippers >= 1,
        "need a buyer and a shipper"
    );
    anyhow::ensure!(args.skus >= SUPPLIERS, "need a SKU per supplier");
    let logs = std::env::temp_dir().join(format!(
        "daihuo-bench-pipeline-logs-{}-{}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir_all(&logs).with_context(|| format!("create {}", logs.display()))?;
    let fresh = FreshStore::create(&args.store, "pipeline").await?;
    let outcome = run_in(&args, &fresh, &logs).await;
    fresh.finish().await?;
    if let Err(error) = std::fs::remove_dir_all(&logs) {
        eprintln!("could not remove {}: {error}", logs.display());
    }
    println!("{}", outcome?);
    Ok(())
}

async fn run_in(
    args: &PipelineArgs,
    fresh: &FreshStore,
    logs: &std::path::Path,
) -> anyhow::Result<Value> {
    eprintln!(
        "seeding {} SKUs over {SUPPLIERS} suppliers and {} buyers",
        args.skus, args.buyers
    );
    let world = Arc::new(seed(&fresh.store, args.skus, args.buyers).await?);
    let mut node = cluster::start_node(0, &fresh.node_store, None, 1_000, logs).await?;
    let base = Arc::new(format!("http://{}", node.address));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections + args.shippers)
        .http1_only()
        .build()?;

    // Each supplier's system, registered as its webhook; their new events meet in one queue.
    let (to_desk, desk) = mpsc::unbounded_channel::<(usize, Received)>();
    let mut systems = Vec::with_capacity(SUPPLIERS);
    for (index, token) in world.supplier_tokens.iter().enumerate() {
        let (system, mut events) = SupplierSystem::start(Mode::Up, false).await?;
        let response = client
            .put(format!("{base}/api/supplier/webhook"))
            .bearer_auth(token)
            .json(&json!({"url": system.url()}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "register the webhook: {}",
            response.status()
        );
        let hook: Value = response.json().await?;
        system.set_secret(hook["secret"].as_str().context("a webhook secret")?);
        let to_desk = to_desk.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if to_desk.send((index, event)).is_err() {
                    break;
                }
            }
        });
        systems.push(system);
    }
    drop(to_desk);

    let timings = Arc::new(Mutex::new(Timings::default()));
    let completed = Arc::new(AtomicUsize::new(0));
    let desk = Arc::new(tokio::sync::Mutex::new(desk));
    let mut shippers = Vec::with_capacity(args.shippers);
    for _ in 0..args.shippers {
        let (client, base, world, desk, timings, completed) = (
            client.clone(),
            base.clone(),
            world.clone(),
            desk.clone(),
            timings.clone(),
            completed.clone(),
        );
        shippers.push(tokio::spawn(async move {
            loop {
                let next = desk.lock().await.recv().await;
                let Some((supplier, received)) = next else {
                    break;
                };
                if ship(&client, &base, &world, supplier, received, &timings).await {
                    completed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    eprintln!(
        "driving {} orders with {} buyers at once",
        args.orders, args.connections
    );
    let started_ms = now_ms();
    let next = Arc::new(AtomicUsize::new(0));
    let mut buyers = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (client, base, world, next, timings) = (
            client.clone(),
            base.clone(),
            world.clone(),
            next.clone(),
            timings.clone(),
        );
        let orders = args.orders;
        buyers.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= orders {
                    break;
                }
                if let Err(error) = buy(&client, &base, &world, index, &timings).await {
                    let mut timings = timings.lock().unwrap_or_else(|e| e.into_inner());
                    *timings.buyer_errors.entry(error.to_string()).or_default() += 1;
                }
            }
        }));
    }
    for buyer in buyers {
        buyer.await?;
    }
    let placed_ms = now_ms();
    let placed = lock(&timings).created.len();
    eprintln!(
        "{placed} orders placed and paid in {:.1} s; waiting for the pipeline",
        (placed_ms - started_ms) as f64 / 1_000.0
    );
    // Wait until every placed order is completed, or nothing moves for STALL_MS.
    let mut last = (completed.load(Ordering::Relaxed), now_ms());
    while completed.load(Ordering::Relaxed) < placed {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = completed.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, now_ms());
        } else if now_ms() - last.1 > STALL_MS {
            eprintln!("the pipeline stalled at {now} of {placed} completed");
            break;
        }
    }
    eprintln!("settling");
    let settled = settle(&fresh.store).await?;
    let done_ms = now_ms();
    let result = check(
        &fresh.store,
        args,
        &world,
        &timings,
        &systems,
        &settled,
        [started_ms, placed_ms, done_ms],
    )
    .await;
    node.process.stop().await;
    drop(desk);
    for shipper in shippers {
        shipper.abort();
    }
    result
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Buyer `index % buyers` orders one unit of a SKU from the anchor's shelf and pays.
async fn buy(
    client: &reqwest::Client,
    base: &str,
    world: &World,
    index: usize,
    timings: &Mutex<Timings>,
) -> anyhow::Result<()> {
    let buyer = index % world.buyers.len();
    let (token, address) = &world.buyers[buyer];
    let sku = world.skus[usize::try_from(super::mix(index as u64)).unwrap_or(0) % world.skus.len()];
    let sent_ms = now_ms();
    let response = client
        .post(format!("{base}/api/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("pipeline-{index}"))
        .json(
            &json!({"sku_id": sku.0, "quantity": 1, "address_id": address,
            "anchor_id": world.anchor.0}),
        )
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(
        status.as_u16() == 201,
        "order {}: {}",
        status.as_u16(),
        body["error"]["code"].as_str().unwrap_or("?")
    );
    let order = body["id"].as_i64().context("an order id")?;
    lock(timings).created.insert(order, (buyer, sent_ms));
    pay_one(client, base, token, order).await
}

/// The supplier's desk takes an event: a routed order is shipped with an SF waybill and
/// tracked to the buyer's door, whose receipt the buyer confirms. Returns whether the event
/// was a routed order (done with, or failed on the way); other events need nothing.
async fn ship(
    client: &reqwest::Client,
    base: &str,
    world: &World,
    supplier: usize,
    received: Received,
    timings: &Mutex<Timings>,
) -> bool {
    let event = &received.event;
    if event["kind"] != "order.routed" {
        return false;
    }
    let Some(order) = event["data"]["order_id"].as_i64() else {
        return false;
    };
    let routed_ms = event["created_at_ms"].as_i64().unwrap_or(received.at_ms);
    let token = &world.supplier_tokens[supplier];
    let outcome = async {
        let shipped = client
            .post(format!("{base}/api/supplier/orders/{order}/shipments"))
            .bearer_auth(token)
            .json(&json!({"carrier": "sf", "waybill": format!("SF{order:013}")}))
            .send()
            .await?;
        anyhow::ensure!(
            shipped.status().is_success(),
            "shipment {}",
            shipped.status().as_u16()
        );
        let at = now_ms();
        let events: Vec<Value> = TRACKING
            .iter()
            .zip(0_i64..)
            .map(|((stage, detail), n)| {
                json!({"event_id": format!("{order}-{n}"), "stage": stage,
                    "at_ms": at + n, "detail": detail})
            })
            .collect();
        let tracked = client
            .post(format!("{base}/api/supplier/orders/{order}/tracking"))
            .bearer_auth(token)
            .json(&json!({ "events": events }))
            .send()
            .await?;
        anyhow::ensure!(
            tracked.status().is_success(),
            "tracking {}",
            tracked.status().as_u16()
        );
        let report: Value = tracked.json().await?;
        anyhow::ensure!(
            report["order_status"] == "delivered",
            "tracking left the order {}",
            report["order_status"]
        );
        let buyer = lock(timings).created.get(&order).map(|(buyer, _)| *buyer);
        let buyer = buyer.context("an order the bench did not place")?;
        let confirmed = client
            .post(format!("{base}/api/orders/{order}/receipt"))
            .bearer_auth(&world.buyers[buyer].0)
            .send()
            .await?;
        anyhow::ensure!(
            confirmed.status().is_success(),
            "receipt {}",
            confirmed.status().as_u16()
        );
        Ok(())
    }
    .await;
    let done_ms = now_ms();
    let mut timings = lock(timings);
    match outcome {
        Ok(()) => {
            if let Some(&(_, sent_ms)) = timings.created.get(&order) {
                timings.to_routed.push(ms(routed_ms - sent_ms));
                timings.to_completed.push(ms(done_ms - sent_ms));
            }
            timings.to_supplier.push(ms(received.at_ms - routed_ms));
            timings.last_completed_ms = timings.last_completed_ms.max(done_ms);
        }
        Err(error) => {
            *timings
                .shipping_errors
                .entry(error.to_string())
                .or_default() += 1;
        }
    }
    true
}

/// What the operator's settlement run did.
struct Settled {
    /// Orders settled.
    orders: usize,
    /// Moved to the suppliers' and anchors' payable, fen.
    moved_fen: i64,
    /// How long it took.
    millis: i64,
}

/// Settles every completed order as an operator would, through services over the same
/// store whose N of T + N is zero; runs again while a run hits its size cap.
async fn settle(store: &Store) -> anyhow::Result<Settled> {
    let mut config = ServiceConfig::default();
    config.settlement.settle_after = Duration::ZERO;
    config.settlement.run_every = None;
    let services = Services::new(store.clone(), config);
    let grant = services
        .sign_in("bench-operator", BENCH_PASSWORD)
        .await
        .map_err(service_error)?;
    let operator = services
        .authenticate(&grant.token)
        .await
        .map_err(service_error)?;
    let started = now_ms();
    let mut settled = Settled {
        orders: 0,
        moved_fen: 0,
        millis: 0,
    };
    loop {
        let run = services
            .start_settlement_run(&operator)
            .await
            .map_err(service_error)?;
        settled.orders += usize::try_from(run.orders).unwrap_or(0);
        settled.moved_fen += run.supplier_fen + run.commission_fen;
        if usize::try_from(run.orders).unwrap_or(0) < daihuo_service::settlement::RUN_ORDERS_MAX {
            break;
        }
    }
    settled.millis = now_ms() - started;
    Ok(settled)
}

fn ms(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// p50 and p99 of `values` in ms.
fn quantiles(values: &[u64]) -> anyhow::Result<(u64, u64)> {
    let mut histogram = Histogram::<u64>::new(3)?;
    for value in values {
        histogram.record(*value)?;
    }
    Ok((
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
    ))
}

/// Reads what the node wrote and checks it against what the buyers and suppliers saw.
async fn check(
    store: &Store,
    args: &PipelineArgs,
    world: &World,
    timings: &Mutex<Timings>,
    systems: &[SupplierSystem],
    settled: &Settled,
    [started_ms, placed_ms, done_ms]: [i64; 3],
) -> anyhow::Result<Value> {
    // Events still on their way get a moment to land before counting what was lost.
    let outbox = loop {
        let counts = daihuo_store::fulfilment::outbox_counts(store.pool()).await?;
        let received: usize = systems.iter().map(SupplierSystem::unique_count).sum();
        if received as i64 >= counts.total || now_ms() - done_ms > STALL_MS {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let received: usize = systems.iter().map(SupplierSystem::unique_count).sum();
    let deliveries: u64 = systems.iter().map(SupplierSystem::deliveries).sum();
    let bad_signatures: u64 = systems.iter().map(SupplierSystem::bad_signatures).sum();
    // The run is over: what the buyers and the desk measured is taken out for the report.
    let timings = std::mem::take(&mut *lock(timings));
    let ids: Vec<OrderId> = timings.created.keys().map(|id| OrderId(*id)).collect();
    let mut statuses: HashMap<&'static str, usize> = HashMap::new();
    let mut buyers_paid = 0_i64;
    let mut conn = store.pool().acquire().await?;
    for chunk in ids.chunks(500) {
        for order in daihuo_store::checkout::orders_by_ids(&mut conn, chunk).await? {
            *statuses.entry(order.status.as_str()).or_default() += 1;
            if order.status.money_received() {
                buyers_paid += order.split[2];
            }
        }
    }
    drop(conn);
    let balances = daihuo_store::fulfilment::ledger_balances(store.pool()).await?;
    let sum_of = |accounts: &[&str]| -> i64 {
        balances
            .iter()
            .filter(|b| accounts.contains(&b.account.as_str()))
            .map(|b| b.balance_fen)
            .sum()
    };
    let total: i64 = balances.iter().map(|b| b.balance_fen).sum();
    let buyer_payments = sum_of(&["buyer_payments"]);
    let pending = sum_of(&["supplier_pending", "commission_pending"]);
    // A balance is debits minus credits: what is owed to the parties is negative.
    let payable = -sum_of(&["supplier_payable", "commission_payable"]);
    let completed = statuses
        .get(OrderStatus::Completed.as_str())
        .copied()
        .unwrap_or(0);
    let (routed_p50, routed_p99) = quantiles(&timings.to_routed)?;
    let (supplier_p50, supplier_p99) = quantiles(&timings.to_supplier)?;
    let (completed_p50, completed_p99) = quantiles(&timings.to_completed)?;
    let seconds = (done_ms - started_ms).max(1) as f64 / 1_000.0;
    let postgres = store.dialect() == Dialect::Postgres;
    Ok(json!({
        "bench": "pipeline",
        "store": if postgres { "postgres" } else { "sqlite" },
        "orders": args.orders,
        "placed": timings.created.len(),
        "completed": completed,
        "settled": settled.orders,
        "orders_per_s": round3(settled.orders as f64 / seconds),
        "placed_per_s": round3(timings.created.len() as f64 / ((placed_ms - started_ms).max(1) as f64 / 1_000.0)),
        "p50_ms_order_to_routed": routed_p50,
        "p99_ms_order_to_routed": routed_p99,
        "p50_ms_routed_to_supplier": supplier_p50,
        "p99_ms_routed_to_supplier": supplier_p99,
        "p50_ms_order_to_completed": completed_p50,
        "p99_ms_order_to_completed": completed_p99,
        "settle_s": round3(settled.millis as f64 / 1_000.0),
        "ledger_balanced": total == 0 && buyer_payments == buyers_paid && pending == 0
            && payable == settled.moved_fen,
        "ledger_pending_fen": pending,
        "ledger_payable_fen": payable,
        "settled_fen": settled.moved_fen,
        "ledger_total_fen": total,
        "buyer_payments_fen": buyer_payments,
        "buyers_paid_fen": buyers_paid,
        "lost_events": (outbox.total - received as i64).max(0),
        "outbox_events": outbox.total,
        "outbox_dead": outbox.dead,
        "supplier_received": received,
        "duplicate_deliveries": deliveries.saturating_sub(received as u64),
        "bad_signatures": bad_signatures,
        "orders_by_status": statuses,
        "buyer_errors": timings.buyer_errors,
        "shipping_errors": timings.shipping_errors,
        "connections": args.connections,
        "shippers": args.shippers,
        "buyers": world.buyers.len(),
        "skus": world.skus.len(),
        "seconds": round3(seconds),
        "target_orders_per_s": TARGET_ORDERS_PER_S,
    }))
}

/// Four suppliers with the bench warehouses, `skus` SKUs spread over them with ample stock in
/// every warehouse, all on one anchor's shelf, and `buyers` signed-in viewers with addresses
/// in four regions.
async fn seed(store: &Store, skus: usize, buyers: usize) -> anyhow::Result<World> {
    let services = services_over(store);
    let accounts = create_accounts(&services, SUPPLIERS).await?;
    let mut sku_ids = Vec::with_capacity(skus);
    for (number, supplier) in accounts.suppliers.iter().enumerate() {
        let items = (number..skus)
            .step_by(SUPPLIERS)
            .map(|index| {
                let mut input = sku_input(11, index as u64);
                input.stock = WAREHOUSES
                    .iter()
                    .map(|(code, _, _)| WarehouseStockInput {
                        warehouse_code: (*code).to_owned(),
                        quantity: UNITS_PER_WAREHOUSE,
                        version: 1,
                    })
                    .collect();
                (index as u64, input)
            })
            .collect::<Vec<_>>();
        let report = services
            .upsert_skus(supplier, items)
            .await
            .map_err(service_error)?;
        sku_ids.extend(report.results.iter().filter_map(|r| r.sku_id));
    }
    anyhow::ensure!(sku_ids.len() == skus, "only {} SKUs written", sku_ids.len());
    let mut tx = store.begin_write().await?;
    daihuo_store::approve_all_pending(tx.conn(), now_ms()).await?;
    tx.commit().await?;
    for sku in &sku_ids {
        services
            .shelve(&accounts.anchor, *sku)
            .await
            .map_err(service_error)?;
    }
    let mut supplier_tokens = Vec::with_capacity(SUPPLIERS);
    for number in 1..=SUPPLIERS {
        let grant = services
            .sign_in(&format!("bench-supplier-{number:02}"), BENCH_PASSWORD)
            .await
            .map_err(service_error)?;
        supplier_tokens.push(grant.token);
    }
    let mut seeded = Vec::with_capacity(buyers);
    for (region, county) in BUYER_COUNTIES.iter().enumerate() {
        let count =
            buyers / BUYER_COUNTIES.len() + usize::from(region < buyers % BUYER_COUNTIES.len());
        let viewers = services
            .seed_viewers(
                &format!("pl{region}x"),
                count,
                BENCH_PASSWORD,
                &AddressInput {
                    recipient: "张三".into(),
                    phone: "13812345678".into(),
                    county_code: (*county).into(),
                    detail: "幸福路 8 号".into(),
                },
            )
            .await
            .map_err(service_error)?;
        seeded.extend(viewers.into_iter().map(|v| (v.token, v.address_id.0)));
    }
    Ok(World {
        skus: sku_ids,
        anchor: accounts.anchor.user_id,
        supplier_tokens,
        buyers: seeded,
    })
}
