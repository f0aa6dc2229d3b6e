//! The naive baseline of `daihuo bench flash-sale` on PostgreSQL: a flash sale where every
//! attempt is its own transaction that locks the stock row with `SELECT … FOR UPDATE`, checks
//! the buyer's units and key, and writes — the design of most open-source shops.
//!
//! It runs inside the bench process straight against the database (no HTTP, no JSON, no
//! sign-in), with the same attempts and the same concurrency as the real run. That is the
//! best case of the naive design, so the printed ratio understates daihuo's lead rather than
//! flatters it.

use super::round3;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Most database connections the baseline opens: below PostgreSQL's default limit of 100.
const CONNECTIONS_MAX: usize = 64;
/// Units one buyer may hold, as in the real run.
const PER_USER_LIMIT: i64 = 1;

/// What the naive design managed.
pub(super) struct Naive {
    attempts_per_s: f64,
    reservations: usize,
    /// Accepted reservations per second of the run.
    pub reservations_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    oversold: i64,
    connections: usize,
}

impl Naive {
    /// The figures as the bench prints them.
    pub fn to_json(&self) -> Value {
        json!({
            "design": "one transaction per attempt, SELECT … FOR UPDATE on the stock row, in-process (no HTTP)",
            "connections": self.connections,
            "attempts_per_s": round3(self.attempts_per_s),
            "reservations": self.reservations,
            "reservations_per_s": round3(self.reservations_per_s),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "oversold": self.oversold,
        })
    }
}

/// One attempt: (buyer, idempotency key, quantity).
pub(super) type Attempt = (usize, String, i64);

/// Plays `attempts` against `units` with `connections` at once on the database at `url`, in
/// tables of its own that it drops again.
pub(super) async fn run(
    url: &str,
    attempts: Vec<Attempt>,
    units: i64,
    connections: usize,
) -> anyhow::Result<Naive> {
    let connections = connections.clamp(1, CONNECTIONS_MAX);
    let pool = PgPoolOptions::new()
        .max_connections(connections as u32)
        .connect(url)
        .await?;
    for statement in [
        "DROP TABLE IF EXISTS naive_stock, naive_buyers, naive_keys, naive_orders",
        "CREATE TABLE naive_stock (sku_id BIGINT PRIMARY KEY, units BIGINT NOT NULL)",
        "CREATE TABLE naive_buyers (buyer BIGINT PRIMARY KEY, units BIGINT NOT NULL)",
        "CREATE TABLE naive_keys (buyer BIGINT NOT NULL, key TEXT NOT NULL, \
         PRIMARY KEY (buyer, key))",
        "CREATE TABLE naive_orders (id BIGSERIAL PRIMARY KEY, buyer BIGINT NOT NULL, \
         quantity BIGINT NOT NULL)",
    ] {
        sqlx::query(statement).execute(&pool).await?;
    }
    sqlx::query("INSERT INTO naive_stock (sku_id, units) VALUES (1, $1)")
        .bind(units)
        .execute(&pool)
        .await?;

    let attempts = Arc::new(attempts);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (pool, attempts, next) = (pool.clone(), attempts.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut reserved = 0_usize;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((buyer, key, quantity)) = attempts.get(index) else {
                    break;
                };
                let sent = Instant::now();
                if attempt(&pool, *buyer as i64, key, *quantity).await? {
                    reserved += 1;
                }
                latencies_us.push(sent.elapsed().as_micros() as u64);
            }
            anyhow::Ok((latencies_us, reserved))
        }));
    }
    let mut latencies = hdrhistogram::Histogram::<u64>::new(3)?;
    let mut reservations = 0;
    for worker in workers {
        let (worker_latencies, reserved) = worker.await??;
        for latency in worker_latencies {
            latencies.record(latency.max(1))?;
        }
        reservations += reserved;
    }
    let run_s = started.elapsed().as_secs_f64().max(1e-9);
    let left: i64 = sqlx::query_scalar("SELECT units FROM naive_stock WHERE sku_id = 1")
        .fetch_one(&pool)
        .await?;
    let ordered: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(quantity), 0)::BIGINT FROM naive_orders")
            .fetch_one(&pool)
            .await?;
    sqlx::query("DROP TABLE naive_stock, naive_buyers, naive_keys, naive_orders")
        .execute(&pool)
        .await?;
    pool.close().await;
    let quantile = |q: f64| round3(latencies.value_at_quantile(q) as f64 / 1_000.0);
    Ok(Naive {
        attempts_per_s: attempts.len() as f64 / run_s,
        reservations,
        reservations_per_s: reservations as f64 / run_s,
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        oversold: (ordered - units).max(0) + (-left).max(0),
        connections,
    })
}

/// One attempt in one transaction; `true` if it reserved.
async fn attempt(
    pool: &sqlx::PgPool,
    buyer: i64,
    key: &str,
    quantity: i64,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let left: i64 = sqlx::query_scalar("SELECT units FROM naive_stock WHERE sku_id = 1 FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    let new_key =
        sqlx::query("INSERT INTO naive_keys (buyer, key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(buyer)
            .bind(key)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    let bought: Option<i64> = sqlx::query_scalar("SELECT units FROM naive_buyers WHERE buyer = $1")
        .bind(buyer)
        .fetch_optional(&mut *tx)
        .await?;
    if !new_key || left < quantity || bought.unwrap_or(0) + quantity > PER_USER_LIMIT {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("UPDATE naive_stock SET units = units - $1 WHERE sku_id = 1")
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO naive_buyers (buyer, units) VALUES ($1, $2) \
         ON CONFLICT (buyer) DO UPDATE SET units = naive_buyers.units + excluded.units",
    )
    .bind(buyer)
    .bind(quantity)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO naive_orders (buyer, quantity) VALUES ($1, $2)")
        .bind(buyer)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}
