//! The quality record's counts per SKU (migration 0013): bumped in the transaction of each
//! change, read a page of SKUs or one supplier at a time.

use crate::checkout::parameter_list;
use crate::{col, StoreResult};
use daihuo_domain::quality::QualityCounts;
use daihuo_domain::{SkuId, SupplierId};
use sqlx::{Any, Executor};
use std::collections::HashMap;

/// What happened to an order, as the record counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Routed, with a shipping promise.
    Routed,
    /// Received by the buyer.
    Delivered,
    /// Shipped after its promise, or not by it.
    Late,
    /// Approved for a return.
    Return,
    /// A quality complaint filed.
    Complaint,
}

impl Counted {
    fn column(self) -> &'static str {
        match self {
            Counted::Routed => "routed",
            Counted::Delivered => "delivered",
            Counted::Late => "late",
            Counted::Return => "returns",
            Counted::Complaint => "complaints",
        }
    }
}

/// Counts one `what` for the SKU (of `supplier`).
pub async fn count(
    conn: &mut sqlx::AnyConnection,
    sku: SkuId,
    supplier: SupplierId,
    what: Counted,
) -> StoreResult<()> {
    let column = what.column();
    let sql = format!(
        "INSERT INTO quality_counts (sku_id, supplier_id, {column}) VALUES ($1, $2, 1) \
         ON CONFLICT (sku_id) DO UPDATE SET {column} = quality_counts.{column} + 1"
    );
    sqlx::query(&sql)
        .bind(sku.0)
        .bind(supplier.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const COLUMNS: &str = "CAST(routed AS BIGINT) AS routed, CAST(delivered AS BIGINT) AS delivered, \
     CAST(late AS BIGINT) AS late, CAST(returns AS BIGINT) AS returns, \
     CAST(complaints AS BIGINT) AS complaints";

fn counts_from(row: &sqlx::any::AnyRow) -> StoreResult<QualityCounts> {
    Ok(QualityCounts {
        routed: col(row, "routed")?,
        delivered: col(row, "delivered")?,
        late: col(row, "late")?,
        returns: col(row, "returns")?,
        complaints: col(row, "complaints")?,
    })
}

/// The counts of these SKUs; a SKU that never had an order is absent.
pub async fn of_skus<'e, E: Executor<'e, Database = Any>>(
    db: E,
    skus: &[SkuId],
) -> StoreResult<HashMap<SkuId, QualityCounts>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT sku_id, {COLUMNS} FROM quality_counts WHERE sku_id IN ({})",
        parameter_list(skus.len(), 1)
    );
    let mut query = sqlx::query(&sql);
    for sku in skus {
        query = query.bind(sku.0);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| Ok((SkuId(col(row, "sku_id")?), counts_from(row)?)))
        .collect()
}

/// A supplier's counts, summed over its SKUs.
pub async fn of_supplier<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
) -> StoreResult<QualityCounts> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(routed), 0) AS BIGINT) AS routed, \
         CAST(COALESCE(SUM(delivered), 0) AS BIGINT) AS delivered, \
         CAST(COALESCE(SUM(late), 0) AS BIGINT) AS late, \
         CAST(COALESCE(SUM(returns), 0) AS BIGINT) AS returns, \
         CAST(COALESCE(SUM(complaints), 0) AS BIGINT) AS complaints \
         FROM quality_counts WHERE supplier_id = $1",
    )
    .bind(supplier.0)
    .fetch_one(db)
    .await?;
    counts_from(&row)
}
