//! Live-session metrics (migration 0016, docs/METRICS.md): the minute rows the room hub and
//! the payment path add to, and the reads behind the data pages and reports.
//!
//! What each read costs, since dashboards are looked at often:
//! - a session's minute series reads its own rows by primary key: one row per minute watched
//!   and one per SKU per minute sold, whatever the number of orders;
//! - lists across sessions (an anchor's, the operator's live rooms) sum the sales rows of the
//!   sessions listed, by primary key prefix;
//! - a supplier's period and the platform's current hour read the sales rows of that period
//!   through `session_sku_minutes_supplier` and `session_sku_minutes_minute`;
//! - per-SKU figures with buyers and refunds, and buyer regions, are summed from the session's
//!   paid orders through `orders_session_paid`: they grow with the session's orders and are
//!   read for one session's page or report, never for a list.
//!
//! Every sum is cast to BIGINT, since PostgreSQL sums a BIGINT column into NUMERIC, which the
//! `Any` driver cannot carry.

use crate::checkout::parameter_list;
use crate::{col, StoreResult};
use daihuo_domain::metrics::{AudienceMinute, SalesMinute};
use daihuo_domain::{LiveSessionId, SkuId, SupplierId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// The order statuses of a paid order whose money went back whole without an after-sales
/// request (it could not be routed): its units count as refunded.
const REFUNDED_WHOLE: &str = "('refund_pending', 'refunded', 'refund_failed')";

/// Adds one flush of a room to its session's minute: likes, comments and new viewers are
/// added, the peak is raised, the online count replaced. One statement, so flushes from
/// several nodes add up.
pub async fn add_audience_minute(
    conn: &mut sqlx::AnyConnection,
    session_id: LiveSessionId,
    minute: &AudienceMinute,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO session_minutes (session_id, minute_ms, online_last, online_peak, \
         new_viewers, likes, comments) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (session_id, minute_ms) DO UPDATE SET \
         online_last = excluded.online_last, \
         online_peak = CASE WHEN session_minutes.online_peak < excluded.online_peak \
             THEN excluded.online_peak ELSE session_minutes.online_peak END, \
         new_viewers = session_minutes.new_viewers + excluded.new_viewers, \
         likes = session_minutes.likes + excluded.likes, \
         comments = session_minutes.comments + excluded.comments",
    )
    .bind(session_id.0)
    .bind(minute.minute_ms)
    .bind(minute.online_last)
    .bind(minute.online_peak)
    .bind(minute.new_viewers)
    .bind(minute.likes)
    .bind(minute.comments)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One paid order as the minute series counts it.
#[derive(Debug, Clone, Copy)]
pub struct PaidOrder {
    /// The session it was bought in.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// The SKU's supplier.
    pub supplier_id: SupplierId,
    /// Who paid.
    pub buyer_id: UserId,
    /// When it was paid (`orders.paid_at_ms`), Unix ms.
    pub paid_at_ms: i64,
    /// The minute that falls in, Unix ms.
    pub minute_ms: i64,
    /// Units.
    pub units: i64,
    /// Its value before subsidy (`orders.gross_fen`), fen.
    pub gmv_fen: i64,
}

/// Counts a paid order in its session's minute, and its buyer once per session; returns
/// whether the buyer is new to the session. Called in the transaction that makes the order
/// paid, after everything else it locks, so the row locks taken here are held the shortest.
pub async fn add_paid_order(
    conn: &mut sqlx::AnyConnection,
    order: &PaidOrder,
) -> StoreResult<bool> {
    let new_buyer = sqlx::query(
        "INSERT INTO session_buyers (session_id, buyer_id, first_paid_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id, buyer_id) DO NOTHING",
    )
    .bind(order.session_id.0)
    .bind(order.buyer_id.0)
    .bind(order.paid_at_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    sqlx::query(
        "INSERT INTO session_sku_minutes (session_id, sku_id, minute_ms, supplier_id, orders, \
         units, gmv_fen, new_buyers) VALUES ($1, $2, $3, $4, 1, $5, $6, $7) \
         ON CONFLICT (session_id, sku_id, minute_ms) DO UPDATE SET \
         orders = session_sku_minutes.orders + 1, \
         units = session_sku_minutes.units + excluded.units, \
         gmv_fen = session_sku_minutes.gmv_fen + excluded.gmv_fen, \
         new_buyers = session_sku_minutes.new_buyers + excluded.new_buyers",
    )
    .bind(order.session_id.0)
    .bind(order.sku_id.0)
    .bind(order.minute_ms)
    .bind(order.supplier_id.0)
    .bind(order.units)
    .bind(order.gmv_fen)
    .bind(i64::from(new_buyer))
    .execute(&mut *conn)
    .await?;
    Ok(new_buyer)
}

/// Keeps each of the session's SKUs' stock as it is now (units neither sold nor promised):
/// called in the transaction that ends the session. Returns how many SKUs were written.
pub async fn record_end_stock(
    conn: &mut sqlx::AnyConnection,
    session_id: LiveSessionId,
) -> StoreResult<u64> {
    let written = sqlx::query(
        "INSERT INTO session_end_stock (session_id, sku_id, stock_left) \
         SELECT si.session_id, si.sku_id, s.stock_total - s.units_held \
         FROM session_items si JOIN skus s ON s.id = si.sku_id WHERE si.session_id = $1 \
         ON CONFLICT (session_id, sku_id) DO NOTHING",
    )
    .bind(session_id.0)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected())
}

/// ` AND {column} = ${n}` when a supplier narrows a read, else nothing.
fn supplier_filter(column: &str, supplier: Option<SupplierId>, n: usize) -> String {
    match supplier {
        Some(_) => format!(" AND {column} = ${n}"),
        None => String::new(),
    }
}

/// A session's audience minutes, oldest first, at most `limit` of them.
pub async fn audience_minutes<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    limit: i64,
) -> StoreResult<Vec<AudienceMinute>> {
    let rows = sqlx::query(
        "SELECT minute_ms, online_last, online_peak, new_viewers, likes, comments \
         FROM session_minutes WHERE session_id = $1 ORDER BY minute_ms LIMIT $2",
    )
    .bind(session_id.0)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AudienceMinute {
                minute_ms: col(row, "minute_ms")?,
                online_last: col(row, "online_last")?,
                online_peak: col(row, "online_peak")?,
                new_viewers: col(row, "new_viewers")?,
                likes: col(row, "likes")?,
                comments: col(row, "comments")?,
            })
        })
        .collect()
}

fn sales_from_row(row: &AnyRow) -> StoreResult<SalesMinute> {
    Ok(SalesMinute {
        minute_ms: col(row, "minute_ms")?,
        orders: col(row, "orders")?,
        units: col(row, "units")?,
        gmv_fen: col(row, "gmv_fen")?,
        new_buyers: col(row, "new_buyers")?,
    })
}

/// A session's sales per minute over its SKUs (only `supplier`'s when given), oldest first,
/// at most `limit` minutes.
pub async fn sales_minutes<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: Option<SupplierId>,
    limit: i64,
) -> StoreResult<Vec<SalesMinute>> {
    let sql = format!(
        "SELECT minute_ms, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(gmv_fen) AS BIGINT) AS gmv_fen, \
         CAST(SUM(new_buyers) AS BIGINT) AS new_buyers FROM session_sku_minutes \
         WHERE session_id = $1{} GROUP BY minute_ms ORDER BY minute_ms LIMIT $2",
        supplier_filter("supplier_id", supplier, 3)
    );
    let mut query = sqlx::query(&sql).bind(session_id.0).bind(limit);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter().map(sales_from_row).collect()
}

/// A session's sales per SKU per minute (only `supplier`'s SKUs when given), by SKU and
/// minute, at most `limit` rows.
pub async fn sku_sales_minutes<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: Option<SupplierId>,
    limit: i64,
) -> StoreResult<Vec<(SkuId, SalesMinute)>> {
    let sql = format!(
        "SELECT sku_id, minute_ms, orders, units, gmv_fen, new_buyers FROM session_sku_minutes \
         WHERE session_id = $1{} ORDER BY sku_id, minute_ms LIMIT $2",
        supplier_filter("supplier_id", supplier, 3)
    );
    let mut query = sqlx::query(&sql).bind(session_id.0).bind(limit);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| Ok((SkuId(col(row, "sku_id")?), sales_from_row(row)?)))
        .collect()
}

/// What a session sold in total, from its minute rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesTotals {
    /// Orders paid.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
    /// Buyers (each once per session; over all SKUs only).
    pub buyers: i64,
}

/// The sales totals of each of `sessions` (only `supplier`'s SKUs when given) that sold
/// anything; sessions that sold nothing are absent.
pub async fn sales_totals<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sessions: &[LiveSessionId],
    supplier: Option<SupplierId>,
) -> StoreResult<Vec<(LiveSessionId, SalesTotals)>> {
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT session_id, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(gmv_fen) AS BIGINT) AS gmv_fen, \
         CAST(SUM(new_buyers) AS BIGINT) AS buyers FROM session_sku_minutes \
         WHERE session_id IN ({}){} GROUP BY session_id",
        parameter_list(sessions.len(), 1),
        supplier_filter("supplier_id", supplier, sessions.len() + 1)
    );
    let mut query = sqlx::query(&sql);
    for session in sessions {
        query = query.bind(session.0);
    }
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok((
                LiveSessionId(col(row, "session_id")?),
                SalesTotals {
                    orders: col(row, "orders")?,
                    units: col(row, "units")?,
                    gmv_fen: col(row, "gmv_fen")?,
                    buyers: col(row, "buyers")?,
                },
            ))
        })
        .collect()
}

/// A SKU that a session sells or sold, with its stock at the session's end when recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSkuRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Its title.
    pub title: String,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// Units neither sold nor promised when the session ended; `None` while it has not (or
    /// when it ended before this was recorded).
    pub stock_left_at_end: Option<i64>,
}

/// The SKUs a session sells now, sold, or had when it ended (only `supplier`'s when given),
/// by id.
pub async fn session_skus<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: Option<SupplierId>,
) -> StoreResult<Vec<SessionSkuRow>> {
    let sql = format!(
        "SELECT s.id, s.title, s.supplier_id, e.stock_left FROM skus s \
         LEFT JOIN session_end_stock e ON e.session_id = $1 AND e.sku_id = s.id \
         WHERE s.id IN (SELECT sku_id FROM session_items WHERE session_id = $1 \
             UNION SELECT sku_id FROM session_end_stock WHERE session_id = $1 \
             UNION SELECT sku_id FROM session_sku_minutes WHERE session_id = $1){} \
         ORDER BY s.id",
        supplier_filter("s.supplier_id", supplier, 2)
    );
    let mut query = sqlx::query(&sql).bind(session_id.0);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(SessionSkuRow {
                sku_id: SkuId(col(row, "id")?),
                title: col(row, "title")?,
                supplier_id: SupplierId(col(row, "supplier_id")?),
                stock_left_at_end: col(row, "stock_left")?,
            })
        })
        .collect()
}

/// What one SKU's paid orders in a session add up to, from the orders themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkuOrders {
    /// Orders paid.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// Their value before subsidy, fen.
    pub gmv_fen: i64,
    /// Distinct buyers.
    pub buyers: i64,
    /// Of those orders, the ones with money given back (a refund decided in after-sales, or
    /// the whole order refunded because it could not be routed).
    pub refunded_orders: i64,
    /// Units refunded: the after-sales requests' units, or the whole order's.
    pub refunded_units: i64,
    /// Money refunded to buyers, fen: the after-sales refunds, or what the buyer paid.
    pub refunded_fen: i64,
}

/// Per SKU, what a session's paid orders add up to (only `supplier`'s when given).
pub async fn sku_orders<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: Option<SupplierId>,
) -> StoreResult<Vec<(SkuId, SkuOrders)>> {
    let after_sales_units = "(SELECT SUM(a.units) FROM after_sales a \
        WHERE a.order_id = o.id AND a.refund_fen IS NOT NULL)";
    let after_sales_fen = "(SELECT SUM(a.refund_fen) FROM after_sales a \
        WHERE a.order_id = o.id AND a.refund_fen IS NOT NULL)";
    let sql = format!(
        "SELECT t.sku_id, COUNT(*) AS orders, CAST(SUM(t.quantity) AS BIGINT) AS units, \
         CAST(SUM(t.gross_fen) AS BIGINT) AS gmv_fen, \
         COUNT(DISTINCT t.buyer_id) AS buyers, \
         CAST(SUM(CASE WHEN t.refunded_units > 0 THEN 1 ELSE 0 END) AS BIGINT) \
             AS refunded_orders, \
         CAST(SUM(t.refunded_units) AS BIGINT) AS refunded_units, \
         CAST(SUM(t.refunded_fen) AS BIGINT) AS refunded_fen \
         FROM (SELECT o.sku_id, o.quantity, o.gross_fen, o.buyer_id, \
             COALESCE({after_sales_units}, \
                 CASE WHEN o.status IN {REFUNDED_WHOLE} THEN o.quantity ELSE 0 END) \
                 AS refunded_units, \
             COALESCE({after_sales_fen}, \
                 CASE WHEN o.status IN {REFUNDED_WHOLE} THEN o.buyer_pays_fen ELSE 0 END) \
                 AS refunded_fen \
             FROM orders o WHERE o.session_id = $1 AND o.paid_at_ms IS NOT NULL{}) t \
         GROUP BY t.sku_id ORDER BY t.sku_id",
        supplier_filter("o.supplier_id", supplier, 2)
    );
    let mut query = sqlx::query(&sql).bind(session_id.0);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok((
                SkuId(col(row, "sku_id")?),
                SkuOrders {
                    orders: col(row, "orders")?,
                    units: col(row, "units")?,
                    gmv_fen: col(row, "gmv_fen")?,
                    buyers: col(row, "buyers")?,
                    refunded_orders: col(row, "refunded_orders")?,
                    refunded_units: col(row, "refunded_units")?,
                    refunded_fen: col(row, "refunded_fen")?,
                },
            ))
        })
        .collect()
}

/// Distinct buyers of a session's paid orders of `supplier`'s SKUs (a supplier's view; the
/// whole session's count is the sum of its minute rows' new buyers).
pub async fn supplier_buyers<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: SupplierId,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(DISTINCT buyer_id) AS buyers FROM orders \
         WHERE session_id = $1 AND paid_at_ms IS NOT NULL AND supplier_id = $2",
    )
    .bind(session_id.0)
    .bind(supplier.0)
    .fetch_one(db)
    .await?;
    col(&row, "buyers")
}

/// A session's paid orders in one province.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionRow {
    /// The province's GB/T 2260 code (330000).
    pub province_code: u32,
    /// Distinct buyers whose orders went there.
    pub buyers: i64,
    /// Orders.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
}

/// A session's paid orders (only `supplier`'s when given) by the province of the address
/// each was sent to, the largest GMV first.
pub async fn regions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: Option<SupplierId>,
) -> StoreResult<Vec<RegionRow>> {
    let sql = format!(
        "SELECT t.province, COUNT(DISTINCT t.buyer_id) AS buyers, COUNT(*) AS orders, \
         CAST(SUM(t.quantity) AS BIGINT) AS units, CAST(SUM(t.gross_fen) AS BIGINT) AS gmv_fen \
         FROM (SELECT CAST(o.county_code / 10000 AS BIGINT) AS province, o.buyer_id, \
             o.quantity, o.gross_fen FROM orders o \
             WHERE o.session_id = $1 AND o.paid_at_ms IS NOT NULL{}) t \
         GROUP BY t.province ORDER BY gmv_fen DESC, t.province",
        supplier_filter("o.supplier_id", supplier, 2)
    );
    let mut query = sqlx::query(&sql).bind(session_id.0);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            let province: i64 = col(row, "province")?;
            Ok(RegionRow {
                province_code: u32::try_from(province * 10_000).unwrap_or(0),
                buyers: col(row, "buyers")?,
                orders: col(row, "orders")?,
                units: col(row, "units")?,
                gmv_fen: col(row, "gmv_fen")?,
            })
        })
        .collect()
}

/// Whether a session sells, sold or ended with one of `supplier`'s SKUs.
pub async fn supplier_in_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    supplier: SupplierId,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM session_items si JOIN skus s ON s.id = si.sku_id \
             WHERE si.session_id = $1 AND s.supplier_id = $2) \
         + (SELECT COUNT(*) FROM session_end_stock e JOIN skus s ON s.id = e.sku_id \
             WHERE e.session_id = $1 AND s.supplier_id = $2) \
         + (SELECT COUNT(*) FROM session_sku_minutes m \
             WHERE m.session_id = $1 AND m.supplier_id = $2) AS found",
    )
    .bind(session_id.0)
    .bind(supplier.0)
    .fetch_one(db)
    .await?;
    Ok(col::<i64>(&row, "found")? > 0)
}

/// A supplier's sales in a period, grouped one way (per SKU, session or anchor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSalesRow {
    /// The SKU's, session's or anchor's id.
    pub id: i64,
    /// Its title or name.
    pub name: String,
    /// For a session: its anchor's name; else empty.
    pub anchor_name: String,
    /// For a session: when it went live.
    pub went_live_at_ms: Option<i64>,
    /// Orders paid.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
}

/// How a supplier's sales are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierGrouping {
    /// Per SKU.
    Sku,
    /// Per live session.
    Session,
    /// Per anchor.
    Anchor,
}

/// A supplier's sales in live sessions paid at or after `since_ms`, grouped by `grouping`,
/// the largest GMV first, at most `limit` groups.
pub async fn supplier_sales<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    since_ms: i64,
    grouping: SupplierGrouping,
    limit: i64,
) -> StoreResult<Vec<SupplierSalesRow>> {
    let (select, from, group) = match grouping {
        SupplierGrouping::Sku => (
            "s.id AS id, s.title AS name, CAST('' AS TEXT) AS anchor_name, \
             CAST(NULL AS BIGINT) AS went_live_at_ms",
            "JOIN skus s ON s.id = m.sku_id",
            "s.id, s.title",
        ),
        SupplierGrouping::Session => (
            "ls.id AS id, ls.title AS name, u.display_name AS anchor_name, \
             ls.went_live_at_ms AS went_live_at_ms",
            "JOIN live_sessions ls ON ls.id = m.session_id JOIN users u ON u.id = ls.anchor_id",
            "ls.id, ls.title, u.display_name, ls.went_live_at_ms",
        ),
        SupplierGrouping::Anchor => (
            "u.id AS id, u.display_name AS name, CAST('' AS TEXT) AS anchor_name, \
             CAST(NULL AS BIGINT) AS went_live_at_ms",
            "JOIN live_sessions ls ON ls.id = m.session_id JOIN users u ON u.id = ls.anchor_id",
            "u.id, u.display_name",
        ),
    };
    let sql = format!(
        "SELECT {select}, CAST(SUM(m.orders) AS BIGINT) AS orders, \
         CAST(SUM(m.units) AS BIGINT) AS units, CAST(SUM(m.gmv_fen) AS BIGINT) AS gmv_fen \
         FROM session_sku_minutes m {from} WHERE m.supplier_id = $1 AND m.minute_ms >= $2 \
         GROUP BY {group} ORDER BY gmv_fen DESC, id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(supplier.0)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SupplierSalesRow {
                id: col(row, "id")?,
                name: col(row, "name")?,
                anchor_name: col(row, "anchor_name")?,
                went_live_at_ms: col(row, "went_live_at_ms")?,
                orders: col(row, "orders")?,
                units: col(row, "units")?,
                gmv_fen: col(row, "gmv_fen")?,
            })
        })
        .collect()
}

/// Live sessions selling one of `supplier`'s SKUs now, the most recently started first, at
/// most `limit`.
pub async fn supplier_live_sessions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    limit: i64,
) -> StoreResult<Vec<LiveSessionId>> {
    let rows = sqlx::query(
        "SELECT ls.id FROM live_sessions ls WHERE ls.status = 'live' AND EXISTS \
         (SELECT 1 FROM session_items si JOIN skus s ON s.id = si.sku_id \
          WHERE si.session_id = ls.id AND s.supplier_id = $1) \
         ORDER BY ls.went_live_at_ms DESC, ls.id DESC LIMIT $2",
    )
    .bind(supplier.0)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok(LiveSessionId(col(row, "id")?)))
        .collect()
}

/// The platform's sales per minute from `since_ms` (every live session's), oldest first.
pub async fn platform_minutes<'e, E: Executor<'e, Database = Any>>(
    db: E,
    since_ms: i64,
) -> StoreResult<Vec<SalesMinute>> {
    let rows = sqlx::query(
        "SELECT minute_ms, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(gmv_fen) AS BIGINT) AS gmv_fen, \
         CAST(SUM(new_buyers) AS BIGINT) AS new_buyers FROM session_sku_minutes \
         WHERE minute_ms >= $1 GROUP BY minute_ms ORDER BY minute_ms",
    )
    .bind(since_ms)
    .fetch_all(db)
    .await?;
    rows.iter().map(sales_from_row).collect()
}

/// Each of `sessions`' latest audience minute at or after `since_ms`: (session, minute,
/// online at its last write). Sessions without one are absent.
pub async fn latest_online<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sessions: &[LiveSessionId],
    since_ms: i64,
) -> StoreResult<Vec<(LiveSessionId, i64, i64)>> {
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT m.session_id, m.minute_ms, m.online_last FROM session_minutes m \
         WHERE m.session_id IN ({}) AND m.minute_ms >= ${} \
         AND m.minute_ms = (SELECT MAX(l.minute_ms) FROM session_minutes l \
             WHERE l.session_id = m.session_id)",
        parameter_list(sessions.len(), 1),
        sessions.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for session in sessions {
        query = query.bind(session.0);
    }
    let rows = query.bind(since_ms).fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok((
                LiveSessionId(col(row, "session_id")?),
                col(row, "minute_ms")?,
                col(row, "online_last")?,
            ))
        })
        .collect()
}

/// Sessions live now and the viewers online in them: each live session's latest audience
/// minute at or after `since_ms` (a watched room writes every minute and within a second of
/// a change), summed. Returns (sessions live, viewers online).
pub async fn platform_online<'e, E: Executor<'e, Database = Any>>(
    db: E,
    since_ms: i64,
) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM live_sessions WHERE status = 'live') AS live, \
         (SELECT CAST(COALESCE(SUM(m.online_last), 0) AS BIGINT) FROM live_sessions ls \
          JOIN session_minutes m ON m.session_id = ls.id \
          WHERE ls.status = 'live' AND m.minute_ms >= $1 \
          AND m.minute_ms = (SELECT MAX(l.minute_ms) FROM session_minutes l \
              WHERE l.session_id = ls.id)) AS online",
    )
    .bind(since_ms)
    .fetch_one(db)
    .await?;
    Ok((col(&row, "live")?, col(&row, "online")?))
}

/// The most recently created sessions that have ended, newest first, at most `limit` (read
/// backwards along the primary key, so it stops after `limit` ended ones).
pub async fn recently_ended<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
) -> StoreResult<Vec<LiveSessionId>> {
    let rows = sqlx::query(
        "SELECT id FROM live_sessions WHERE status = 'ended' ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok(LiveSessionId(col(row, "id")?)))
        .collect()
}
