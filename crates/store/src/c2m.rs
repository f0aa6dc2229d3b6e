//! The C2M export's read: paid orders of a period summed per SKU, buyer county and unit
//! price, with the units refunded since, through `orders_paid (paid_at_ms)` or
//! `orders_supplier_paid (supplier_id, paid_at_ms)`.
//!
//! An order's refunded units: all of them when the order itself went to refund
//! (`refund_pending`, `refunded`, `refund_failed`: refunded before shipment, unroutable, or
//! every unit returned), otherwise the units of its after-sales requests that were refunded,
//! never more than it had.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::{SkuId, SupplierId};
use sqlx::{Any, Executor};

/// Paid orders of one SKU, to one county, at one unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Its attribute pairs.
    pub attributes: Vec<(String, String)>,
    /// The buyers' county (GB/T 2260) as copied onto the orders.
    pub county_code: i64,
    /// What each unit sold for before subsidy, fen.
    pub unit_price_fen: i64,
    /// Orders that kept at least one unit.
    pub orders: i64,
    /// Units paid for.
    pub paid_units: i64,
    /// Units of those refunded since.
    pub refunded_units: i64,
}

/// Orders paid in `[from_ms, to_ms)` (of `supplier`, or everyone's), summed per SKU, county
/// and unit price, at most `limit` rows.
pub async fn demand<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_ms: i64,
    to_ms: i64,
    supplier: Option<SupplierId>,
    limit: i64,
) -> StoreResult<Vec<DemandRow>> {
    let whose = if supplier.is_some() {
        "AND o.supplier_id = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT g.sku_id, s.attributes_json, g.county_code, g.unit_price_fen, g.orders, \
         g.paid_units, g.refunded_units FROM ( \
           SELECT k.sku_id, k.county_code, k.unit_price_fen, \
           CAST(SUM(CASE WHEN k.kept > 0 THEN 1 ELSE 0 END) AS BIGINT) AS orders, \
           CAST(SUM(k.quantity) AS BIGINT) AS paid_units, \
           CAST(SUM(k.quantity - k.kept) AS BIGINT) AS refunded_units FROM ( \
             SELECT r.sku_id, r.county_code, r.unit_price_fen, r.quantity, \
             CASE WHEN r.status IN ('refund_pending', 'refunded', 'refund_failed') \
               OR r.refunded >= r.quantity THEN 0 ELSE r.quantity - r.refunded END AS kept \
             FROM ( \
               SELECT o.sku_id, o.county_code, o.unit_price_fen, o.quantity, o.status, \
               CAST(COALESCE((SELECT SUM(a.units) FROM after_sales a \
                 WHERE a.order_id = o.id AND a.status = 'refunded'), 0) AS BIGINT) AS refunded \
               FROM orders o WHERE o.paid_at_ms >= $1 AND o.paid_at_ms < $2 {whose} \
             ) r \
           ) k GROUP BY k.sku_id, k.county_code, k.unit_price_fen \
         ) g JOIN skus s ON s.id = g.sku_id \
         ORDER BY g.sku_id, g.county_code, g.unit_price_fen LIMIT $3"
    );
    let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms).bind(limit);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            let attributes: String = col(row, "attributes_json")?;
            Ok(DemandRow {
                sku_id: SkuId(col(row, "sku_id")?),
                attributes: serde_json::from_str(&attributes)
                    .map_err(|e| StoreError::Corrupt(format!("attributes: {e}")))?,
                county_code: col(row, "county_code")?,
                unit_price_fen: col(row, "unit_price_fen")?,
                orders: col(row, "orders")?,
                paid_units: col(row, "paid_units")?,
                refunded_units: col(row, "refunded_units")?,
            })
        })
        .collect()
}
