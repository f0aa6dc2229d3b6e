//! `daihuo bench flash-sale`: the "air-conditioner drop". One SKU, a fixed number of units,
//! limit 1 per buyer, and a burst of purchase attempts over HTTP on loopback against real
//! `daihuo serve` processes (the embedded store, or with `--database-url` PostgreSQL and
//! `--nodes` of them): 85% first attempts (one per buyer), 10% retries of an earlier attempt
//! with the same idempotency key and body, 5% attempts over the per-user limit.
//!
//! Reservations get a short deadline (`--pay-window-s`). While the burst runs, the bench pays
//! for 70% of them on the sandbox gateway's pay page as buyers would (`--unpaid-percent`
//! leaves the rest unpaid), so the unpaid units are released by the sweeper and sold again to
//! the buyers still tapping. With `--crash` the server is killed with `kill -9` at a random
//! moment of the burst and started again on the same data (crash runs pay nothing: the
//! sandbox gateway dies with the node, which a real gateway does not).
//!
//! Every answer is recorded and then checked against the database the servers wrote:
//! - `lost_acks`: acknowledged orders (201) missing from the database;
//! - `oversold`: units held or sold beyond the sale's quantity;
//! - `limit_violations`: buyers holding more than the limit;
//! - `idempotency_violations`: a (buyer, key) acknowledged with two different orders;
//! - `lost_payments`: orders paid on the pay page that are neither paid nor being refunded.
//!
//! On PostgreSQL the same run then plays the same attempts against a naive design (one
//! transaction per attempt, `SELECT … FOR UPDATE` on the stock row; see `flash_naive`) and
//! prints the ratio.

use super::fanout::cluster::{self, Node};
use super::{
    create_accounts, round3, service_error, services_over, sku_input, FreshStore, FreshStoreArgs,
    BENCH_PASSWORD,
};
use anyhow::Context;
use clap::Args;
use daihuo_domain::order::OrderStatus;
use daihuo_domain::{FlashSaleId, LiveSessionId, SkuId, UserId};
use daihuo_service::catalog::StockUpdateInput;
use daihuo_service::checkout::AddressInput;
use daihuo_service::live::{NewLiveSession, SessionItemInput};
use daihuo_store::checkout as store;
use daihuo_store::{now_ms, Dialect, Store};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Target: attempts answered per second, embedded.
const TARGET_ATTEMPTS_PER_S: f64 = 50_000.0;
/// Target: p99 latency of an attempt, ms.
const TARGET_P99_MS: f64 = 20.0;
/// Target: all units reserved within this long of the burst's start, ms.
const TARGET_SELL_OUT_MS: f64 = 100.0;
/// Target: accepted reservations per second on PostgreSQL with two nodes.
const TARGET_POSTGRES_RESERVATIONS_PER_S: f64 = 20_000.0;
/// The countdown between creating the sale and opening it: time for the load to line up.
const COUNTDOWN_MS: i64 = 1_500;
/// Buyers paying at once on the pay page: enough to pay within the deadline while 256
/// connections of attempts compete for the same server.
const PAYERS: usize = 64;
/// After the last deadline: time for the sweeper to release and for the gateway's
/// notifications to arrive, before the checks read the database.
const SETTLE_MAX_MS: i64 = 20_000;

/// Options of `daihuo bench flash-sale`.
#[derive(Args, Debug)]
pub struct FlashArgs {
    /// Purchase attempts in the burst.
    #[arg(long, default_value_t = 200_000)]
    pub attempts: usize,
    /// Units on sale.
    #[arg(long, default_value_t = 1_000)]
    pub units: i64,
    /// Concurrent HTTP connections of the load client.
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Kill a server with `kill -9` at a random moment of each burst, restart it and check.
    #[arg(long)]
    pub crash: bool,
    /// Runs, each on a fresh store (use with `--crash` for many kills).
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Distinct buyers; each taps "buy" about attempts × 0.85 / users times, with a new key
    /// per tap (a real app makes one per tap), as buyers do when a sale opens.
    #[arg(long, default_value_t = 50_000)]
    pub users: usize,
    /// `daihuo serve` nodes sharing the sale (more than one needs `--database-url`); the load
    /// is spread over them.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Seconds a reservation waits for payment: short, so that unpaid units come back and are
    /// sold again within the burst, long enough for a payer queued behind the burst.
    #[arg(long, default_value_t = 10)]
    pub pay_window_s: i64,
    /// Percent of reservations the bench never pays.
    #[arg(long, default_value_t = 30)]
    pub unpaid_percent: u64,
    /// Where the store is built.
    #[command(flatten)]
    pub store: FreshStoreArgs,
}

/// One planned attempt.
#[derive(Clone)]
struct Plan {
    buyer: usize,
    key: String,
    quantity: i64,
}

/// What came back for one attempt.
#[derive(Clone, Default)]
struct Answer {
    status: u16,
    order: Option<i64>,
    replayed: bool,
    code: String,
    latency_us: u64,
    done_at_us: u64,
}

/// What the payers did.
#[derive(Default)]
struct Paid {
    /// Orders the pay page accepted.
    orders: Vec<i64>,
    /// Orders left unpaid on purpose.
    skipped: usize,
    /// Payments that failed on the way (a killed node, a reservation already released).
    errors: usize,
}

/// Runs the benchmark and prints one JSON line.
pub async fn run(args: FlashArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.runs >= 1 && args.attempts >= 10,
        "need at least one run of 10 attempts"
    );
    anyhow::ensure!(
        args.nodes == 1 || args.store.database_url.is_some(),
        "several nodes share a sale through PostgreSQL: give --database-url"
    );
    anyhow::ensure!(args.nodes >= 1, "need at least one node");
    anyhow::ensure!(args.unpaid_percent <= 100, "--unpaid-percent is 0..=100");
    anyhow::ensure!(args.pay_window_s >= 1, "--pay-window-s is at least 1");
    anyhow::ensure!(
        args.runs == 1 || args.store.data_dir.is_none(),
        "--data-dir holds one run; leave it out for several"
    );
    let mut results = Vec::with_capacity(args.runs);
    for run in 0..args.runs {
        let result = one_run(&args, run).await?;
        eprintln!("run {}: {}", run + 1, result);
        results.push(result);
    }
    let line = if results.len() == 1 {
        results.remove(0)
    } else {
        summary(&args, &results)
    };
    println!("{line}");
    Ok(())
}

fn summary(args: &FlashArgs, runs: &[Value]) -> Value {
    let sum = |field: &str| {
        runs.iter()
            .map(|r| r[field].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    let max = |field: &str| {
        runs.iter()
            .filter_map(|r| r[field].as_f64())
            .fold(0.0_f64, f64::max)
    };
    json!({
        "bench": "flash-sale",
        "store": runs[0]["store"],
        "nodes": args.nodes,
        "runs": runs.len(),
        "kills": runs.iter().filter(|r| r["killed_at_ms"].is_number()).count(),
        "attempts_per_run": args.attempts,
        "units": args.units,
        "oversold": sum("oversold"),
        "lost_acks": sum("lost_acks"),
        "limit_violations": sum("limit_violations"),
        "idempotency_violations": sum("idempotency_violations"),
        "lost_payments": sum("lost_payments"),
        "acks": sum("acks"),
        "paid": sum("paid"),
        "resold": sum("resold"),
        "max_p99_ms": max("p99_ms"),
        "min_attempts_per_s": runs.iter().filter_map(|r| r["attempts_per_s"].as_f64()).fold(f64::MAX, f64::min),
    })
}

async fn one_run(args: &FlashArgs, run: usize) -> anyhow::Result<Value> {
    let logs = std::env::temp_dir().join(format!(
        "daihuo-bench-flash-{}-{}-{run}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir_all(&logs).with_context(|| format!("create {}", logs.display()))?;
    let fresh = FreshStore::create(&args.store, "flash_sale").await?;
    let outcome = run_in(args, run, &fresh, &logs).await;
    fresh.finish().await?;
    if let Err(error) = std::fs::remove_dir_all(&logs) {
        eprintln!("could not remove {}: {error}", logs.display());
    }
    outcome
}

async fn start_nodes(
    fresh: &FreshStore,
    count: usize,
    first_number: usize,
    logs: &std::path::Path,
) -> anyhow::Result<Vec<Node>> {
    let mut nodes = Vec::with_capacity(count);
    for number in first_number..first_number + count {
        nodes.push(cluster::start_node(number, &fresh.node_store, None, 1_000, logs).await?);
    }
    Ok(nodes)
}

async fn run_in(
    args: &FlashArgs,
    run: usize,
    fresh: &FreshStore,
    logs: &std::path::Path,
) -> anyhow::Result<Value> {
    let store = &fresh.store;
    let buyers_count = args.users.clamp(1, (args.attempts * 85 / 100).max(1));
    eprintln!("run {}: seeding one SKU and {buyers_count} buyers", run + 1);
    let seeded = seed(store, args.units, buyers_count).await?;
    let mut nodes = start_nodes(fresh, args.nodes, 0, logs).await?;
    let bases: Arc<Vec<String>> = Arc::new(
        nodes
            .iter()
            .map(|node| format!("http://{}", node.address))
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .http1_only()
        .build()?;
    let opens_at = now_ms() + COUNTDOWN_MS;
    let sale = create_sale(
        &client,
        &bases[0],
        &seeded,
        args.units,
        opens_at,
        args.pay_window_s,
    )
    .await?;
    let plan = plan(args.attempts, buyers_count);
    let tokens = Arc::new(seeded.tokens);
    let addresses = Arc::new(seeded.addresses);
    let wait = (opens_at - now_ms()).max(0);
    tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;

    let plan = Arc::new(plan);
    let answers: Arc<Vec<std::sync::Mutex<Option<Answer>>>> = Arc::new(
        (0..plan.len())
            .map(|_| std::sync::Mutex::new(None))
            .collect(),
    );
    let (reserved, to_pay) = mpsc::unbounded_channel::<(i64, usize)>();
    // The sandbox gateway lives inside the node: a `kill -9` would take the payments it took
    // but had not yet notified with it, which no real gateway loses. Crash runs therefore
    // leave every reservation unpaid and test the reservations alone.
    let unpaid_percent = if args.crash { 100 } else { args.unpaid_percent };
    let payer = tokio::spawn(pay_orders(
        client.clone(),
        bases.clone(),
        tokens.clone(),
        to_pay,
        unpaid_percent,
    ));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let kill_after = args.crash.then(|| {
        // Somewhere in the first part of a burst that runs near the target rate.
        let expected_ms = (args.attempts as f64 / TARGET_ATTEMPTS_PER_S * 1_000.0).max(20.0);
        Duration::from_micros(rand::thread_rng().gen_range(0..(expected_ms * 1_000.0) as u64))
    });
    let mut workers = Vec::with_capacity(args.connections);
    for worker in 0..args.connections {
        let (client, plan, answers, next, tokens, addresses, reserved) = (
            client.clone(),
            plan.clone(),
            answers.clone(),
            next.clone(),
            tokens.clone(),
            addresses.clone(),
            reserved.clone(),
        );
        let base = bases[worker % bases.len()].clone();
        workers.push(tokio::spawn(async move {
            let path = format!("{base}/api/flash-sales/{}/orders", sale.0);
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = plan.get(index) else { break };
                let sent = Instant::now();
                let response = client
                    .post(&path)
                    .bearer_auth(&tokens[item.buyer])
                    .header("Idempotency-Key", &item.key)
                    .json(&json!({"quantity": item.quantity, "address_id": addresses[item.buyer]}))
                    .send()
                    .await;
                let Ok(response) = response else { continue };
                let status = response.status().as_u16();
                let replayed = response.headers().contains_key("idempotent-replayed");
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let answer = Answer {
                    status,
                    order: body["id"].as_i64(),
                    replayed,
                    code: body["error"]["code"].as_str().unwrap_or("").to_owned(),
                    latency_us: sent.elapsed().as_micros() as u64,
                    done_at_us: started.elapsed().as_micros() as u64,
                };
                if let (201, false, Some(order)) = (status, replayed, answer.order) {
                    let _ = reserved.send((order, item.buyer));
                }
                if let Ok(mut slot) = answers[index].lock() {
                    *slot = Some(answer);
                }
            }
        }));
    }
    drop(reserved);
    let mut killed_at_ms = None;
    if let Some(after) = kill_after {
        tokio::time::sleep(after).await;
        nodes[0].process.kill().await?;
        killed_at_ms = Some(started.elapsed().as_secs_f64() * 1_000.0);
        eprintln!(
            "run {}: killed a server at {:.1} ms",
            run + 1,
            killed_at_ms.unwrap_or(0.0)
        );
    }
    for worker in workers {
        worker.await?;
    }
    let burst_s = started.elapsed().as_secs_f64();
    if killed_at_ms.is_some() {
        // The server comes back on the same data; the checks below read what it kept.
        let restarted = start_nodes(fresh, 1, args.nodes, logs).await?;
        nodes[0] = restarted.into_iter().next().context("a restarted node")?;
    }
    let paid = payer.await?;
    settle(store, sale, &paid.orders).await?;
    let answers: Vec<Option<Answer>> = answers
        .iter()
        .map(|slot| slot.lock().ok().and_then(|a| a.clone()))
        .collect();
    let mut result = check(
        store,
        sale,
        args,
        &plan,
        &answers,
        &seeded.buyer_ids,
        burst_s,
        killed_at_ms,
        &paid,
    )
    .await?;
    for node in &mut nodes {
        node.process.stop().await;
    }
    drop(nodes);
    if let (cluster::NodeStore::Postgres(url), false) = (&fresh.node_store, args.crash) {
        eprintln!("run {}: the naive baseline, same attempts", run + 1);
        let attempts = plan
            .iter()
            .map(|p| (p.buyer, p.key.clone(), p.quantity))
            .collect();
        let naive = super::flash_naive::run(url, attempts, args.units, args.connections).await?;
        let ours = result["reservations_per_s"].as_f64().unwrap_or(0.0);
        result["naive"] = naive.to_json();
        result["ratio_reservations_per_s"] =
            json!(round3(ours / naive.reservations_per_s.max(1e-9)));
    }
    Ok(result)
}

/// Pays for reservations as they are made, on the pay page of the node that made the
/// payment, except the `unpaid_percent` chosen (by order id) to be left to expire.
async fn pay_orders(
    client: reqwest::Client,
    bases: Arc<Vec<String>>,
    tokens: Arc<Vec<String>>,
    reserved: mpsc::UnboundedReceiver<(i64, usize)>,
    unpaid_percent: u64,
) -> Paid {
    let reserved = Arc::new(tokio::sync::Mutex::new(reserved));
    let mut payers = Vec::with_capacity(PAYERS);
    for _ in 0..PAYERS {
        let (client, bases, tokens, reserved) = (
            client.clone(),
            bases.clone(),
            tokens.clone(),
            reserved.clone(),
        );
        payers.push(tokio::spawn(async move {
            let mut paid = Paid::default();
            loop {
                let next = reserved.lock().await.recv().await;
                let Some((order, buyer)) = next else { break };
                if super::mix(order as u64) % 100 < unpaid_percent {
                    paid.skipped += 1;
                    continue;
                }
                // Any node serves any order; spread the payments over them.
                let base = &bases[order as usize % bases.len()];
                match pay_one(&client, base, &tokens[buyer], order).await {
                    Ok(()) => paid.orders.push(order),
                    Err(_) => paid.errors += 1,
                }
            }
            paid
        }));
    }
    let mut all = Paid::default();
    for payer in payers {
        if let Ok(paid) = payer.await {
            all.orders.extend(paid.orders);
            all.skipped += paid.skipped;
            all.errors += paid.errors;
        }
    }
    all
}

/// Starts a payment for `order` on the node at `base` and pays on its sandbox pay page.
pub(crate) async fn pay_one(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    order: i64,
) -> anyhow::Result<()> {
    let response = client
        .post(format!("{base}/api/orders/{order}/payments"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "start payment: {}",
        response.status()
    );
    let payment: Value = response.json().await?;
    let pay_url = payment["pay_url"].as_str().context("a pay URL")?;
    let response = client
        .post(pay_url)
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "pay page: {}",
        response.status()
    );
    Ok(())
}

/// Waits until the sale has no reservation left waiting (each was paid or released) and every
/// order paid on the pay page has had its notification applied, or [`SETTLE_MAX_MS`] passed.
async fn settle(store: &Store, sale: FlashSaleId, paid: &[i64]) -> anyhow::Result<()> {
    let paid: HashSet<i64> = paid.iter().copied().collect();
    let deadline = now_ms() + SETTLE_MAX_MS;
    loop {
        let orders = store::orders_of_sale(store.pool(), sale).await?;
        let waiting = orders.iter().any(|o| {
            o.status == OrderStatus::Reserved
                || (paid.contains(&o.id.0) && o.status == OrderStatus::Cancelled)
        });
        if !waiting || now_ms() > deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Seeded {
    anchor_token: String,
    session: LiveSessionId,
    sku: SkuId,
    tokens: Vec<String>,
    addresses: Vec<i64>,
    buyer_ids: Vec<UserId>,
}

/// One supplier SKU with `units` in stock on an anchor's shelf, a live session selling it,
/// and `buyers` signed-in viewers with an address.
async fn seed(store: &Store, units: i64, buyers: usize) -> anyhow::Result<Seeded> {
    let services = services_over(store);
    let accounts = create_accounts(&services, 1).await?;
    let supplier = &accounts.suppliers[0];
    let mut input = sku_input(7, 0);
    input.pool_price_fen = 1_589_900;
    input.floor_price_fen = 899_900;
    input.retail_price_fen = 1_589_900;
    input.supply_price_fen = 700_000;
    input.commission_bps = 1_000;
    input.title = "格力 云佳 1.5匹 变频冷暖 空调挂机".to_owned();
    input.stock = Vec::new();
    let code = input.sku_code.clone();
    let report = services
        .upsert_skus(supplier, vec![(1, input)])
        .await
        .map_err(service_error)?;
    let sku = report.results[0]
        .sku_id
        .context("the SKU was not written")?;
    let mut tx = store.begin_write().await?;
    daihuo_store::approve_all_pending(tx.conn(), now_ms()).await?;
    tx.commit().await?;
    services
        .update_stock(
            supplier,
            vec![StockUpdateInput {
                sku_code: code,
                warehouse_code: "HZ".into(),
                quantity: units,
                version: 1,
            }],
        )
        .await
        .map_err(service_error)?;
    services
        .shelve(&accounts.anchor, sku)
        .await
        .map_err(service_error)?;
    let session = services
        .schedule_session(
            &accounts.anchor,
            NewLiveSession {
                title: "格力超级品牌日 空调秒杀".into(),
                starts_at_ms: now_ms() + 60_000,
                campaign_id: None,
                playback_url: None,
                planned_length_min: None,
                items: vec![SessionItemInput {
                    sku_id: sku,
                    live_price_fen: 1_589_900,
                }],
            },
        )
        .await
        .map_err(service_error)?
        .session
        .id;
    services
        .go_live(&accounts.anchor, session)
        .await
        .map_err(service_error)?;
    let grant = services
        .sign_in(super::BENCH_ANCHOR, BENCH_PASSWORD)
        .await
        .map_err(service_error)?;
    let viewers = services
        .seed_viewers(
            "fs",
            buyers,
            BENCH_PASSWORD,
            &AddressInput {
                recipient: "张三".into(),
                phone: "13812345678".into(),
                county_code: "330106".into(),
                detail: "文三路 90 号".into(),
            },
        )
        .await
        .map_err(service_error)?;
    Ok(Seeded {
        anchor_token: grant.token,
        session,
        sku,
        tokens: viewers.iter().map(|v| v.token.clone()).collect(),
        addresses: viewers.iter().map(|v| v.address_id.0).collect(),
        buyer_ids: viewers.iter().map(|v| v.user_id).collect(),
    })
}

async fn create_sale(
    client: &reqwest::Client,
    base: &str,
    seeded: &Seeded,
    units: i64,
    opens_at: i64,
    pay_window_s: i64,
) -> anyhow::Result<FlashSaleId> {
    let response = client
        .post(format!(
            "{base}/api/live-sessions/{}/flash-sales",
            seeded.session.0
        ))
        .bearer_auth(&seeded.anchor_token)
        .json(
            &json!({"sku_id": seeded.sku.0, "price_fen": 899_900, "quantity": units,
            "per_user_limit": 1, "starts_at_ms": opens_at, "ends_at_ms": opens_at + 3_600_000,
            "pay_window_s": pay_window_s}),
        )
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(
        status.as_u16() == 201,
        "create the flash sale: {status} {body}"
    );
    Ok(FlashSaleId(body["id"].as_i64().context("a sale id")?))
}

/// The burst: 85% taps, each with a new key, spread over the buyers so every buyer taps at
/// least once, in random order; 10% of attempts repeat an earlier one (same key and body)
/// somewhere after it; 5% ask for 2 units (over the limit of 1).
fn plan(attempts: usize, buyers: usize) -> Vec<Plan> {
    let mut rng = rand::thread_rng();
    let retries = attempts * 10 / 100;
    let over = attempts * 5 / 100;
    let taps = attempts - retries - over;
    // Each attempt gets a random place in [0, 1); sorting by place shuffles them.
    let mut placed: Vec<(f64, Plan)> = (0..taps)
        .map(|tap| {
            let buyer = tap % buyers;
            let plan = Plan {
                buyer,
                key: format!("b{buyer}-t{tap}"),
                quantity: 1,
            };
            (rng.gen::<f64>(), plan)
        })
        .collect();
    for _ in 0..over {
        let buyer = rng.gen_range(0..buyers);
        let plan = Plan {
            buyer,
            key: format!("b{buyer}-over"),
            quantity: 2,
        };
        placed.push((rng.gen::<f64>(), plan));
    }
    let originals = placed.len();
    for _ in 0..retries {
        let (at, plan) = placed[rng.gen_range(0..originals)].clone();
        placed.push((rng.gen_range(at..1.0), plan));
    }
    placed.sort_by(|a, b| a.0.total_cmp(&b.0));
    placed.into_iter().map(|(_, plan)| plan).collect()
}

#[allow(clippy::too_many_arguments)]
async fn check(
    store: &Store,
    sale: FlashSaleId,
    args: &FlashArgs,
    plan: &[Plan],
    answers: &[Option<Answer>],
    buyer_ids: &[UserId],
    burst_s: f64,
    killed_at_ms: Option<f64>,
    paid: &Paid,
) -> anyhow::Result<Value> {
    let stored = store::orders_of_sale(store.pool(), sale).await?;
    let row = store::flash_sale_by_id(store.pool(), sale)
        .await?
        .context("the sale")?;
    let status_of: HashMap<i64, OrderStatus> = stored.iter().map(|o| (o.id.0, o.status)).collect();
    let holding: Vec<_> = stored.iter().filter(|o| o.status.holds_units()).collect();
    let held_units: i64 = holding.iter().map(|o| o.quantity).sum();
    let oversold = (held_units - row.quantity).max(0) + (row.taken - row.quantity).max(0);
    let mut per_buyer: HashMap<UserId, i64> = HashMap::new();
    for order in &holding {
        *per_buyer.entry(order.buyer_id).or_default() += order.quantity;
    }
    let mut limit_violations = per_buyer
        .values()
        .filter(|u| **u > row.per_user_limit)
        .count();

    let mut latencies = hdrhistogram::Histogram::<u64>::new(3)?;
    let mut by_key: HashMap<(usize, &str), HashSet<i64>> = HashMap::new();
    let mut acked: HashSet<i64> = HashSet::new();
    // Per buyer, the acknowledged orders that still hold units: a buyer whose reservation
    // expired may buy again, but never hold two at once.
    let mut holding_acks_by_buyer: HashMap<usize, HashSet<i64>> = HashMap::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    let mut new_acks_at_us: Vec<u64> = Vec::new();
    let mut answered = 0;
    for (item, answer) in plan.iter().zip(answers) {
        let Some(answer) = answer else { continue };
        answered += 1;
        latencies.record(answer.latency_us.max(1))?;
        let label = if answer.status == 201 {
            if answer.replayed {
                "replayed"
            } else {
                "reserved"
            }
            .to_owned()
        } else {
            format!("{}:{}", answer.status, answer.code)
        };
        *codes.entry(label).or_default() += 1;
        if let (201, Some(order)) = (answer.status, answer.order) {
            acked.insert(order);
            by_key
                .entry((item.buyer, item.key.as_str()))
                .or_default()
                .insert(order);
            if status_of.get(&order).is_some_and(|s| s.holds_units()) {
                holding_acks_by_buyer
                    .entry(item.buyer)
                    .or_default()
                    .insert(order);
            }
            if !answer.replayed {
                new_acks_at_us.push(answer.done_at_us);
            }
        }
    }
    limit_violations += holding_acks_by_buyer
        .values()
        .filter(|orders| orders.len() as i64 > row.per_user_limit)
        .count();
    let idempotency_violations = by_key.values().filter(|orders| orders.len() > 1).count();
    let lost_acks = acked
        .iter()
        .filter(|id| !status_of.contains_key(id))
        .count();
    // A payment the pay page took must end paid, or (arriving after its unit was sold
    // again) on its way back to the buyer.
    let lost_payments = paid
        .orders
        .iter()
        .filter(|id| {
            !status_of.get(id).is_some_and(|s| {
                s.money_received()
                    || matches!(s, OrderStatus::RefundPending | OrderStatus::Refunded)
            })
        })
        .count();
    new_acks_at_us.sort_unstable();
    let units = usize::try_from(row.quantity).unwrap_or(usize::MAX);
    let ms_to_sell_out = new_acks_at_us
        .get(units.saturating_sub(1))
        .filter(|_| units > 0)
        .map(|at| *at as f64 / 1_000.0);
    let released = stored
        .iter()
        .filter(|o| o.cancel_reason.as_deref() == Some("unpaid"))
        .count();
    let quantile = |q: f64| round3(latencies.value_at_quantile(q) as f64 / 1_000.0);
    let attempts_per_s = answered as f64 / burst_s.max(1e-9);
    // Every buyer id the plan used is a seeded viewer: a sanity check of the bench itself.
    anyhow::ensure!(
        per_buyer.keys().all(|b| buyer_ids.contains(b)),
        "an order from an unknown buyer"
    );
    let status_counts: HashMap<&str, usize> = stored.iter().fold(HashMap::new(), |mut m, o| {
        *m.entry(o.status.as_str()).or_default() += 1;
        m
    });
    let postgres = store.dialect() == Dialect::Postgres;
    Ok(json!({
        "bench": "flash-sale",
        "store": if postgres { "postgres" } else { "sqlite" },
        "nodes": args.nodes,
        "attempts": plan.len(),
        "answered": answered,
        "connections": args.connections,
        "units": row.quantity,
        "attempts_per_s": round3(attempts_per_s),
        "reservations": new_acks_at_us.len(),
        "reservations_per_s": round3(new_acks_at_us.len() as f64 / burst_s.max(1e-9)),
        "p50_ms": quantile(0.5),
        "p99_ms": quantile(0.99),
        "max_ms": round3(latencies.max() as f64 / 1_000.0),
        "sold": row.sold,
        "held_or_sold": held_units,
        "acks": acked.len(),
        "oversold": oversold,
        "lost_acks": lost_acks,
        "limit_violations": limit_violations,
        "idempotency_violations": idempotency_violations,
        "lost_payments": lost_payments,
        "ms_to_sell_out": ms_to_sell_out.map(round3),
        "paid": paid.orders.len(),
        "left_unpaid": paid.skipped,
        "pay_errors": paid.errors,
        "released_unpaid": released,
        "resold": new_acks_at_us.len().saturating_sub(units),
        "pay_window_s": args.pay_window_s,
        "answers": codes,
        "orders_by_status": status_counts,
        "killed_at_ms": killed_at_ms.map(round3),
        "burst_s": round3(burst_s),
        "target_attempts_per_s": TARGET_ATTEMPTS_PER_S,
        "target_p99_ms": TARGET_P99_MS,
        "target_ms_to_sell_out": TARGET_SELL_OUT_MS,
        "target_postgres_reservations_per_s": TARGET_POSTGRES_RESERVATIONS_PER_S,
    }))
}
