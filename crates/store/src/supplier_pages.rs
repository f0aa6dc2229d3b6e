//! Reads behind the supplier's console pages: its catalogue filtered by text and status, its
//! orders waiting to ship and shipped, their shipments and latest tracking events, and the
//! counts of its overview. Nothing here writes.
//!
//! A supplier's orders are found through `orders_promised_supplier` (migration 0012): every
//! routed order carries a promise, so that partial index holds exactly the orders a supplier
//! was ever sent, and the status is filtered among them.

use crate::checkout::parameter_list;
use crate::pool::{sku_from_row, SkuRow, SKU_COLUMNS, SKU_FROM};
use crate::{col, StoreResult};
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::order::OrderStatus;
use daihuo_domain::{OrderId, SupplierId};
use sqlx::{Any, Executor};
use std::fmt::Write;

/// The character that escapes `%`, `_` and itself in a `LIKE` pattern built from user text.
const LIKE_ESCAPE: char = '\\';

/// `text` as a `LIKE` pattern matching it anywhere, lower-cased for ASCII (the column is
/// lower-cased too, so PostgreSQL matches without regard to case as SQLite does).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c.to_ascii_lowercase());
    }
    pattern.push('%');
    pattern
}

/// A supplier's SKUs after id `after_id`, in id order: those whose code, title or brand
/// contains `text` (when given) and that are in `status` (when given).
///
/// The text is matched by scanning the supplier's SKUs in id order (`skus_supplier`), which
/// suits a catalogue of thousands; the pool's full-text index covers only approved SKUs, and
/// a supplier looks for its own codes, which that index does not hold.
pub async fn find_supplier_skus<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    text: Option<&str>,
    status: Option<SkuStatus>,
    after_id: i64,
    limit: i64,
) -> StoreResult<Vec<SkuRow>> {
    let mut sql = format!(
        "SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.supplier_id = $1 AND s.id > $2 AND \
         ($3 = '' OR s.status = $3)"
    );
    // The limit is the last parameter, numbered after the text's when there is one.
    let limit_parameter = if text.is_some() {
        sql.push_str(
            " AND (LOWER(s.code) LIKE $4 ESCAPE '\\' OR LOWER(s.title) LIKE $4 ESCAPE '\\' \
             OR LOWER(s.brand) LIKE $4 ESCAPE '\\')",
        );
        5
    } else {
        4
    };
    // Writing to a String cannot fail.
    let _ = write!(sql, " ORDER BY s.id LIMIT ${limit_parameter}");
    let mut query = sqlx::query(&sql)
        .bind(supplier.0)
        .bind(after_id)
        .bind(status.map_or("", SkuStatus::as_str));
    if let Some(text) = text {
        query = query.bind(contains_pattern(text));
    }
    query = query.bind(limit);
    let rows = query.fetch_all(db).await?;
    rows.iter().map(sku_from_row).collect()
}

/// Which of a supplier's orders a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderList {
    /// Routed and not shipped: the most urgent promise first.
    ToShip,
    /// Shipped and not yet delivered: the most recently changed first.
    Shipped,
}

/// The ids of a supplier's orders on one page of `list`.
pub async fn supplier_order_ids<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    list: OrderList,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let (status, order_by) = match list {
        OrderList::ToShip => (OrderStatus::Routed, "ship_by_ms, id"),
        OrderList::Shipped => (OrderStatus::Shipped, "updated_at_ms DESC, id DESC"),
    };
    let sql = format!(
        "SELECT id FROM orders WHERE supplier_id = $1 AND ship_by_ms IS NOT NULL \
         AND status = $2 ORDER BY {order_by} LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(supplier.0)
        .bind(status.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| Ok(OrderId(col(r, "id")?))).collect()
}

/// One shipment of an order, with its warehouse's code and name.
#[derive(Debug, Clone)]
pub struct ShipmentLine {
    /// The order.
    pub order_id: OrderId,
    /// The supplier's code of the warehouse.
    pub warehouse_code: String,
    /// The warehouse's name.
    pub warehouse_name: String,
    /// Units going out of it.
    pub units: i64,
    /// Distance to the buyer's county, whole metres.
    pub distance_m: i64,
    /// The carrier's code, once shipped.
    pub carrier: Option<String>,
    /// The waybill, once shipped.
    pub waybill: Option<String>,
    /// When it shipped.
    pub shipped_at_ms: Option<i64>,
}

/// The shipments of `orders`, in order id then shipment order.
pub async fn shipments_of_orders<'e, E: Executor<'e, Database = Any>>(
    db: E,
    orders: &[OrderId],
) -> StoreResult<Vec<ShipmentLine>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT sh.order_id, w.code AS warehouse_code, w.name AS warehouse_name, sh.units, \
         sh.distance_m, sh.carrier, sh.waybill, sh.shipped_at_ms \
         FROM shipments sh JOIN warehouses w ON w.id = sh.warehouse_id \
         WHERE sh.order_id IN ({}) ORDER BY sh.order_id, sh.id",
        parameter_list(orders.len(), 1)
    );
    let mut query = sqlx::query(&sql);
    for order in orders {
        query = query.bind(order.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(ShipmentLine {
                order_id: OrderId(col(row, "order_id")?),
                warehouse_code: col(row, "warehouse_code")?,
                warehouse_name: col(row, "warehouse_name")?,
                units: col(row, "units")?,
                distance_m: col(row, "distance_m")?,
                carrier: col(row, "carrier")?,
                waybill: col(row, "waybill")?,
                shipped_at_ms: col(row, "shipped_at_ms")?,
            })
        })
        .collect()
}

/// The latest tracking event of an order, by the carrier's time.
#[derive(Debug, Clone)]
pub struct LatestTracking {
    /// The order.
    pub order_id: OrderId,
    /// The stage's stored name.
    pub stage: String,
    /// The carrier's time, Unix ms.
    pub at_ms: i64,
    /// The carrier's description.
    pub detail: String,
}

/// The latest tracking event of each of `orders` that has one (ties on time broken by the
/// event id, so every read shows the same one).
pub async fn latest_tracking<'e, E: Executor<'e, Database = Any>>(
    db: E,
    orders: &[OrderId],
) -> StoreResult<Vec<LatestTracking>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT t.order_id, t.stage, t.at_ms, t.detail FROM tracking_events t \
         WHERE t.order_id IN ({}) AND NOT EXISTS (SELECT 1 FROM tracking_events u \
         WHERE u.order_id = t.order_id AND (u.at_ms > t.at_ms \
         OR (u.at_ms = t.at_ms AND u.event_id > t.event_id)))",
        parameter_list(orders.len(), 1)
    );
    let mut query = sqlx::query(&sql);
    for order in orders {
        query = query.bind(order.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(LatestTracking {
                order_id: OrderId(col(row, "order_id")?),
                stage: col(row, "stage")?,
                at_ms: col(row, "at_ms")?,
                detail: col(row, "detail")?,
            })
        })
        .collect()
}

/// The counts of a supplier's overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderCounts {
    /// Orders sent to the supplier that were paid at or after the `since` given.
    pub paid_since: i64,
    /// Orders routed and not shipped.
    pub to_ship: i64,
    /// Of those, the ones past their promise (or already marked late).
    pub late: i64,
}

/// Counts a supplier's orders for its overview: paid since `since_ms`, waiting to ship, and
/// waiting past their promise at `now_ms`.
pub async fn order_counts<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    since_ms: i64,
    now_ms: i64,
) -> StoreResult<OrderCounts> {
    let row = sqlx::query(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN paid_at_ms >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS paid_since, \
         CAST(COALESCE(SUM(CASE WHEN status = 'routed' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS to_ship, \
         CAST(COALESCE(SUM(CASE WHEN status = 'routed' AND (late_at_ms IS NOT NULL \
             OR ship_by_ms < $3) THEN 1 ELSE 0 END), 0) AS BIGINT) AS late \
         FROM orders WHERE supplier_id = $1 AND ship_by_ms IS NOT NULL",
    )
    .bind(supplier.0)
    .bind(since_ms)
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    Ok(OrderCounts {
        paid_since: col(&row, "paid_since")?,
        to_ship: col(&row, "to_ship")?,
        late: col(&row, "late")?,
    })
}

/// How many of a supplier's after-sales requests wait for it: a decision (`requested`) or
/// the goods back (`return_shipped`).
pub async fn after_sales_waiting<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS waiting FROM after_sales \
         WHERE supplier_id = $1 AND status IN ('requested', 'return_shipped')",
    )
    .bind(supplier.0)
    .fetch_one(db)
    .await?;
    col(&row, "waiting")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_widen_a_like_pattern() {
        assert_eq!(contains_pattern("GREE"), "%gree%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern("空调"), "%空调%");
    }
}
