//! Reads the anchor's console shows and no other use case needs: a session's sales so far
//! (totals and a series by time), what an anchor has been paid out, and display names for
//! a moderation list.
//!
//! A session's sales are summed from `orders` on each read. There is no index on
//! `orders.session_id` yet, so this scans the orders table; the console polls it only every
//! few seconds for one session, which is cheap at the demo's scale and not at millions of
//! orders (an index `orders(session_id, paid_at_ms)` is the cure; see the web issue's notes).

use crate::{col, StoreResult};
use daihuo_domain::{LiveSessionId, UserId};
use sqlx::{Any, Executor};
use std::fmt::Write;

/// The most users whose names one call looks up.
pub const NAMES_MAX: usize = 500;

/// A session's orders so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionSalesRow {
    /// Orders that were paid (whatever happened after: shipped, refunded, …).
    pub paid_orders: i64,
    /// Units in those orders.
    pub units: i64,
    /// Their value at the room's price before any subsidy, fen.
    pub gmv_fen: i64,
    /// Orders reserved and waiting for payment now.
    pub awaiting_payment: i64,
}

/// A session's paid orders so far.
pub async fn session_sales<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session: LiveSessionId,
) -> StoreResult<SessionSalesRow> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(paid_at_ms) AS BIGINT) AS paid_orders, \
         CAST(COALESCE(SUM(CASE WHEN paid_at_ms IS NOT NULL THEN quantity ELSE 0 END), 0) \
         AS BIGINT) AS units, \
         CAST(COALESCE(SUM(CASE WHEN paid_at_ms IS NOT NULL THEN gross_fen ELSE 0 END), 0) \
         AS BIGINT) AS gmv_fen, \
         CAST(COALESCE(SUM(CASE WHEN status = 'reserved' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         AS awaiting_payment \
         FROM orders WHERE session_id = $1",
    )
    .bind(session.0)
    .fetch_one(db)
    .await?;
    Ok(SessionSalesRow {
        paid_orders: col(&row, "paid_orders")?,
        units: col(&row, "units")?,
        gmv_fen: col(&row, "gmv_fen")?,
        awaiting_payment: col(&row, "awaiting_payment")?,
    })
}

/// Paid orders of one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesBucketRow {
    /// The bucket's number from the series' start: bucket `n` covers
    /// `[since + n × width, since + (n + 1) × width)`.
    pub bucket: i64,
    /// Orders paid in it.
    pub orders: i64,
    /// Their value before subsidy, fen.
    pub gmv_fen: i64,
}

/// A session's orders paid since `since_ms`, summed per `bucket_ms`, at most `buckets`
/// buckets (empty buckets are left out).
pub async fn session_sales_by_bucket<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session: LiveSessionId,
    since_ms: i64,
    bucket_ms: i64,
    buckets: i64,
) -> StoreResult<Vec<SalesBucketRow>> {
    let rows = sqlx::query(
        "SELECT CAST((paid_at_ms - $2) / $3 AS BIGINT) AS bucket, \
         CAST(COUNT(*) AS BIGINT) AS orders, \
         CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) AS gmv_fen \
         FROM orders WHERE session_id = $1 AND paid_at_ms >= $2 \
         GROUP BY CAST((paid_at_ms - $2) / $3 AS BIGINT) ORDER BY bucket LIMIT $4",
    )
    .bind(session.0)
    .bind(since_ms)
    .bind(bucket_ms.max(1))
    .bind(buckets)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SalesBucketRow {
                bucket: col(row, "bucket")?,
                orders: col(row, "orders")?,
                gmv_fen: col(row, "gmv_fen")?,
            })
        })
        .collect()
}

/// Everything ever paid out to an anchor, fen.
pub async fn anchor_paid_out_fen<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor: UserId,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS paid FROM payouts \
         WHERE party_kind = 'anchor' AND party_id = $1",
    )
    .bind(anchor.0)
    .fetch_one(db)
    .await?;
    col(&row, "paid")
}

/// The display names of `users` (at most [`NAMES_MAX`]; the rest are not looked up), as
/// (id, name) pairs; unknown ids are left out.
pub async fn display_names<'e, E: Executor<'e, Database = Any>>(
    db: E,
    users: &[UserId],
) -> StoreResult<Vec<(UserId, String)>> {
    let users = &users[..users.len().min(NAMES_MAX)];
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from("SELECT id, display_name FROM users WHERE id IN (");
    for index in 1..=users.len() {
        let separator = if index == 1 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(sql, "{separator}${index}");
    }
    sql.push(')');
    let mut query = sqlx::query(&sql);
    for user in users {
        query = query.bind(user.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| Ok((UserId(col(row, "id")?), col(row, "display_name")?)))
        .collect()
}
