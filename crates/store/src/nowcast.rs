//! Reads and writes of the live sell-out nowcast: the sessions it watches and their SKUs with
//! stock, their recent paid sales summed per minute, their flash sales, the alerts already
//! sent and the assessment of a session's end. docs/NOWCAST.md has the design.
//!
//! Sales are summed from `orders` through `orders_session_paid (session_id, paid_at_ms)`:
//! only the last window's orders of the sessions asked about are read.

use crate::{col, StoreResult};
use daihuo_domain::{FlashSaleId, LiveSessionId, SkuId, SupplierId, UserId};
use sqlx::{Any, Executor};

/// Which sessions a read covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every session live now.
    Live,
    /// One session (in any status).
    Session(LiveSessionId),
}

/// A session as the nowcast needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NowcastSessionRow {
    /// Key.
    pub id: LiveSessionId,
    /// Its anchor.
    pub anchor_id: UserId,
    /// Planned start, Unix ms.
    pub starts_at_ms: i64,
    /// When it went live.
    pub went_live_at_ms: Option<i64>,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
    /// The planned length from going live, ms.
    pub planned_length_ms: Option<i64>,
}

const SESSION_COLUMNS: &str =
    "ls.id, ls.anchor_id, ls.starts_at_ms, ls.went_live_at_ms, ls.ended_at_ms, ls.planned_length_ms";

fn session_from_row(row: &sqlx::any::AnyRow) -> StoreResult<NowcastSessionRow> {
    Ok(NowcastSessionRow {
        id: LiveSessionId(col(row, "id")?),
        anchor_id: UserId(col(row, "anchor_id")?),
        starts_at_ms: col(row, "starts_at_ms")?,
        went_live_at_ms: col(row, "went_live_at_ms")?,
        ended_at_ms: col(row, "ended_at_ms")?,
        planned_length_ms: col(row, "planned_length_ms")?,
    })
}

/// Sessions live now, the longest-running first, at most `limit`.
pub async fn live_sessions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
) -> StoreResult<Vec<NowcastSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM live_sessions ls WHERE ls.status = 'live' \
         ORDER BY ls.went_live_at_ms, ls.id LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db).await?;
    rows.iter().map(session_from_row).collect()
}

/// Sessions that went live and ended in `[from_ms, until_ms)` whose end has not been
/// assessed yet, the earliest first, at most `limit`.
pub async fn sessions_to_assess<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_ms: i64,
    until_ms: i64,
    limit: i64,
) -> StoreResult<Vec<NowcastSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM live_sessions ls WHERE ls.status = 'ended' \
         AND ls.ended_at_ms >= $1 AND ls.ended_at_ms < $2 AND ls.went_live_at_ms IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM nowcast_sessions n WHERE n.session_id = ls.id) \
         ORDER BY ls.ended_at_ms, ls.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(from_ms)
        .bind(until_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// How long an anchor's most recent sessions ran from going live to their end, ms, the most
/// recent first, at most `limit`, leaving `except` out.
pub async fn past_lengths<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor: UserId,
    except: LiveSessionId,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT ended_at_ms - went_live_at_ms AS length_ms FROM live_sessions \
         WHERE anchor_id = $1 AND id <> $2 AND status = 'ended' \
         AND went_live_at_ms IS NOT NULL AND ended_at_ms IS NOT NULL \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(anchor.0)
    .bind(except.0)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|row| col(row, "length_ms")).collect()
}

/// One SKU a session sells, with its stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NowcastItemRow {
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// Its place on the session's shelf, from 0.
    pub position: i64,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The supplier's code for it.
    pub code: String,
    /// Title.
    pub title: String,
    /// Units in the supplier's warehouses.
    pub stock_total: i64,
    /// Units promised to buyers or set aside for flash sales.
    pub units_held: i64,
}

/// The SKUs of the sessions in `scope`, in session and shelf order.
pub async fn items<'e, E: Executor<'e, Database = Any>>(
    db: E,
    scope: Scope,
) -> StoreResult<Vec<NowcastItemRow>> {
    let filter = match scope {
        Scope::Live => "ls.status = 'live'",
        Scope::Session(_) => "ls.id = $1",
    };
    let sql = format!(
        "SELECT si.session_id, si.sku_id, si.position, s.supplier_id, s.code, s.title, \
         s.stock_total, s.units_held FROM session_items si \
         JOIN live_sessions ls ON ls.id = si.session_id JOIN skus s ON s.id = si.sku_id \
         WHERE {filter} ORDER BY si.session_id, si.position"
    );
    let mut query = sqlx::query(&sql);
    if let Scope::Session(id) = scope {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(NowcastItemRow {
                session_id: LiveSessionId(col(row, "session_id")?),
                sku_id: SkuId(col(row, "sku_id")?),
                position: col(row, "position")?,
                supplier_id: SupplierId(col(row, "supplier_id")?),
                code: col(row, "code")?,
                title: col(row, "title")?,
                stock_total: col(row, "stock_total")?,
                units_held: col(row, "units_held")?,
            })
        })
        .collect()
}

/// Paid orders of one session, SKU and flash sale (or ordinary purchase) in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesRow {
    /// The session sold in.
    pub session_id: LiveSessionId,
    /// What was sold.
    pub sku_id: SkuId,
    /// The flash sale, or none for ordinary purchases at the live price.
    pub flash_sale_id: Option<FlashSaleId>,
    /// The unit-weighted mean payment time of the minute's orders, Unix ms.
    pub at_ms: i64,
    /// Orders.
    pub orders: i64,
    /// Units.
    pub units: i64,
}

/// Orders paid at or after `since_ms` in every live session that sells a SKU also sold in
/// `scope` (for [`Scope::Live`]: every live session), summed per session, SKU, flash sale
/// and minute after `since_ms`.
pub async fn recent_sales<'e, E: Executor<'e, Database = Any>>(
    db: E,
    scope: Scope,
    since_ms: i64,
) -> StoreResult<Vec<SalesRow>> {
    let skus = match scope {
        Scope::Live => "",
        Scope::Session(_) => {
            "AND o.sku_id IN (SELECT sku_id FROM session_items WHERE session_id = $2)"
        }
    };
    let sql = format!(
        "SELECT t.session_id, t.sku_id, t.flash_sale_id, t.minute, \
         CAST(COUNT(*) AS BIGINT) AS orders, CAST(SUM(t.quantity) AS BIGINT) AS units, \
         CAST(SUM(t.quantity * t.after_ms) AS BIGINT) AS unit_ms \
         FROM (SELECT o.session_id, o.sku_id, o.flash_sale_id, o.quantity, \
               o.paid_at_ms - $1 AS after_ms, (o.paid_at_ms - $1) / 60000 AS minute \
               FROM orders o WHERE o.paid_at_ms >= $1 \
               AND o.session_id IN (SELECT id FROM live_sessions WHERE status = 'live') {skus}) t \
         GROUP BY t.session_id, t.sku_id, t.flash_sale_id, t.minute"
    );
    let mut query = sqlx::query(&sql).bind(since_ms);
    if let Scope::Session(id) = scope {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            let units: i64 = col(row, "units")?;
            let unit_ms: i64 = col(row, "unit_ms")?;
            Ok(SalesRow {
                session_id: LiveSessionId(col(row, "session_id")?),
                sku_id: SkuId(col(row, "sku_id")?),
                flash_sale_id: col::<Option<i64>>(row, "flash_sale_id")?.map(FlashSaleId),
                at_ms: since_ms + unit_ms.checked_div(units).unwrap_or(0),
                orders: col(row, "orders")?,
                units,
            })
        })
        .collect()
}

/// What one session sold of one SKU, all told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoldRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Paid orders, flash sales included.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
}

/// Every order paid in a session, per SKU (whatever happened to it after payment).
pub async fn session_sold<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session: LiveSessionId,
) -> StoreResult<Vec<SoldRow>> {
    let rows = sqlx::query(
        "SELECT sku_id, CAST(COUNT(*) AS BIGINT) AS orders, \
         CAST(SUM(quantity) AS BIGINT) AS units FROM orders \
         WHERE session_id = $1 AND paid_at_ms IS NOT NULL GROUP BY sku_id",
    )
    .bind(session.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SoldRow {
                sku_id: SkuId(col(row, "sku_id")?),
                orders: col(row, "orders")?,
                units: col(row, "units")?,
            })
        })
        .collect()
}

/// A flash sale as the nowcast needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NowcastSaleRow {
    /// Key.
    pub id: FlashSaleId,
    /// Its session.
    pub session_id: LiveSessionId,
    /// Its SKU.
    pub sku_id: SkuId,
    /// Units on offer.
    pub quantity: i64,
    /// Units held by reservations or sold.
    pub taken: i64,
    /// Units paid for.
    pub sold: i64,
    /// Opening, Unix ms.
    pub starts_at_ms: i64,
    /// Closing, Unix ms.
    pub ends_at_ms: i64,
}

/// The flash sales of the sessions in `scope`, in session and creation order.
pub async fn flash_sales<'e, E: Executor<'e, Database = Any>>(
    db: E,
    scope: Scope,
) -> StoreResult<Vec<NowcastSaleRow>> {
    let filter = match scope {
        Scope::Live => "ls.status = 'live'",
        Scope::Session(_) => "ls.id = $1",
    };
    let sql = format!(
        "SELECT f.id, f.session_id, f.sku_id, f.quantity, f.taken, f.sold, f.starts_at_ms, \
         f.ends_at_ms FROM flash_sales f JOIN live_sessions ls ON ls.id = f.session_id \
         WHERE {filter} ORDER BY f.session_id, f.id"
    );
    let mut query = sqlx::query(&sql);
    if let Scope::Session(id) = scope {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(NowcastSaleRow {
                id: FlashSaleId(col(row, "id")?),
                session_id: LiveSessionId(col(row, "session_id")?),
                sku_id: SkuId(col(row, "sku_id")?),
                quantity: col(row, "quantity")?,
                taken: col(row, "taken")?,
                sold: col(row, "sold")?,
                starts_at_ms: col(row, "starts_at_ms")?,
                ends_at_ms: col(row, "ends_at_ms")?,
            })
        })
        .collect()
}

/// What the nowcast told about one SKU of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NowcastSkuRow {
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// Sell-out alerts sent.
    pub alerts: i64,
    /// When the last went out.
    pub alerted_at_ms: Option<i64>,
    /// The sell-out time it projected.
    pub alert_sellout_at_ms: Option<i64>,
    /// When the session's end was assessed.
    pub assessed_at_ms: Option<i64>,
    /// Sellable stock left then.
    pub stock_left: Option<i64>,
    /// Units the session sold, then.
    pub sold_units: Option<i64>,
    /// Whether overstock was flagged.
    pub overstock: Option<bool>,
}

/// What the nowcast told about the SKUs of the sessions in `scope`.
pub async fn sku_records<'e, E: Executor<'e, Database = Any>>(
    db: E,
    scope: Scope,
) -> StoreResult<Vec<NowcastSkuRow>> {
    let filter = match scope {
        Scope::Live => "n.session_id IN (SELECT id FROM live_sessions WHERE status = 'live')",
        Scope::Session(_) => "n.session_id = $1",
    };
    let sql = format!(
        "SELECT n.session_id, n.sku_id, n.alerts, n.alerted_at_ms, n.alert_sellout_at_ms, \
         n.assessed_at_ms, n.stock_left, n.sold_units, n.overstock FROM nowcast_skus n \
         WHERE {filter}"
    );
    let mut query = sqlx::query(&sql);
    if let Scope::Session(id) = scope {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(NowcastSkuRow {
                session_id: LiveSessionId(col(row, "session_id")?),
                sku_id: SkuId(col(row, "sku_id")?),
                alerts: col(row, "alerts")?,
                alerted_at_ms: col(row, "alerted_at_ms")?,
                alert_sellout_at_ms: col(row, "alert_sellout_at_ms")?,
                assessed_at_ms: col(row, "assessed_at_ms")?,
                stock_left: col(row, "stock_left")?,
                sold_units: col(row, "sold_units")?,
                overstock: col::<Option<i64>>(row, "overstock")?.map(|flag| flag != 0),
            })
        })
        .collect()
}

/// An alert to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertWrite {
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The alerts sent before this one, as read: the compare-and-set's expectation.
    pub previous_alerts: i64,
    /// When, Unix ms.
    pub alerted_at_ms: i64,
    /// The sell-out it projects, Unix ms.
    pub sellout_at_ms: i64,
}

/// Records alert number `previous_alerts + 1` if no other alert was recorded since the
/// count was read; returns whether it was (another node may have sent it first).
pub async fn record_alert(conn: &mut sqlx::AnyConnection, alert: &AlertWrite) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO nowcast_skus (session_id, sku_id, supplier_id, alerts, alerted_at_ms, \
         alert_sellout_at_ms) VALUES ($1, $2, $3, $4 + 1, $5, $6) \
         ON CONFLICT (session_id, sku_id) DO UPDATE SET alerts = nowcast_skus.alerts + 1, \
         alerted_at_ms = excluded.alerted_at_ms, \
         alert_sellout_at_ms = excluded.alert_sellout_at_ms \
         WHERE nowcast_skus.alerts = $4",
    )
    .bind(alert.session_id.0)
    .bind(alert.sku_id.0)
    .bind(alert.supplier_id.0)
    .bind(alert.previous_alerts)
    .bind(alert.alerted_at_ms)
    .bind(alert.sellout_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Claims the assessment of a session's end; returns false when another node claimed it.
pub async fn claim_assessment(
    conn: &mut sqlx::AnyConnection,
    session: LiveSessionId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO nowcast_sessions (session_id, assessed_at_ms) VALUES ($1, $2) \
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(session.0)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The assessment of one SKU after its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessmentWrite {
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// Sellable stock left.
    pub stock_left: i64,
    /// Units the session sold.
    pub sold_units: i64,
    /// Whether overstock was flagged.
    pub overstock: bool,
    /// When, Unix ms.
    pub assessed_at_ms: i64,
}

/// Stores a SKU's assessment beside its alerts.
pub async fn record_assessment(
    conn: &mut sqlx::AnyConnection,
    write: &AssessmentWrite,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO nowcast_skus (session_id, sku_id, supplier_id, assessed_at_ms, stock_left, \
         sold_units, overstock) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (session_id, sku_id) DO UPDATE SET \
         assessed_at_ms = excluded.assessed_at_ms, stock_left = excluded.stock_left, \
         sold_units = excluded.sold_units, overstock = excluded.overstock",
    )
    .bind(write.session_id.0)
    .bind(write.sku_id.0)
    .bind(write.supplier_id.0)
    .bind(write.assessed_at_ms)
    .bind(write.stock_left)
    .bind(write.sold_units)
    .bind(i64::from(write.overstock))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Claims the next nowcast round across nodes: moves the due time to `next_ms` if it has
/// come (`now_ms`); returns whether this node won.
pub async fn claim_round(
    conn: &mut sqlx::AnyConnection,
    now_ms: i64,
    next_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE nowcast_clock SET next_round_at_ms = $2 WHERE id = 1 AND next_round_at_ms <= $1",
    )
    .bind(now_ms)
    .bind(next_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}
