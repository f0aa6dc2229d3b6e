//! Shipping promises: the settings they are resolved from (a supplier's window, a campaign's
//! window, a pre-sale SKU's date), the promise stored on each routed order, the one-time
//! mark of a late order, the compensation's refund and the late-shipment record per supplier
//! and per SKU.
//!
//! Statements that change an order run after its row is locked, or are themselves the
//! compare-and-set on it ([`mark_late`]), as the lock order of ARCHITECTURE.md says.

use crate::payments::RefundRow;
use crate::{col, StoreResult};
use daihuo_domain::{CampaignId, OrderId, PaymentId, SkuId, SupplierId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// The `refunds.purpose` of money returned because the order's money goes back.
pub const PURPOSE_REFUND: &str = "refund";
/// The `refunds.purpose` of a late shipment's compensation: a part of the payment sent back.
pub const PURPOSE_COMPENSATION: &str = "compensation";

/// Sets (or with `None` clears) a supplier's shipping window. False when there is no such
/// supplier.
pub async fn set_supplier_window(
    conn: &mut sqlx::AnyConnection,
    supplier: SupplierId,
    window_ms: Option<i64>,
) -> StoreResult<bool> {
    let result = sqlx::query("UPDATE suppliers SET ship_window_ms = $2 WHERE id = $1")
        .bind(supplier.0)
        .bind(window_ms)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A supplier's shipping window, `None` when it has none (or does not exist).
pub async fn supplier_window<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query("SELECT ship_window_ms FROM suppliers WHERE id = $1")
        .bind(supplier.0)
        .fetch_optional(db)
        .await?;
    Ok(row
        .map(|r| col::<Option<i64>>(&r, "ship_window_ms"))
        .transpose()?
        .flatten())
}

/// Sets (or clears) a campaign's shipping window. False when there is no such campaign.
pub async fn set_campaign_window(
    conn: &mut sqlx::AnyConnection,
    campaign: CampaignId,
    window_ms: Option<i64>,
) -> StoreResult<bool> {
    let result = sqlx::query("UPDATE campaigns SET ship_window_ms = $2 WHERE id = $1")
        .bind(campaign.0)
        .bind(window_ms)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Sets (or clears) a SKU's pre-sale ship date, only if the SKU is the supplier's. False
/// otherwise.
pub async fn set_presale_date(
    conn: &mut sqlx::AnyConnection,
    supplier: SupplierId,
    sku: SkuId,
    ship_by_ms: Option<i64>,
) -> StoreResult<bool> {
    let result =
        sqlx::query("UPDATE skus SET presale_ship_by_ms = $3 WHERE id = $1 AND supplier_id = $2")
            .bind(sku.0)
            .bind(supplier.0)
            .bind(ship_by_ms)
            .execute(&mut *conn)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// What an order's promise is resolved from, each `None` when not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromiseSettings {
    /// The supplier's window.
    pub supplier_window_ms: Option<i64>,
    /// The window of the campaign the order was bought in: the order's own campaign (a
    /// subsidised flash sale), else its live session's.
    pub campaign_window_ms: Option<i64>,
    /// The SKU's pre-sale date.
    pub presale_ship_by_ms: Option<i64>,
}

/// The settings that apply to an order.
pub async fn settings_for_order(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
) -> StoreResult<PromiseSettings> {
    let row = sqlx::query(
        "SELECT sup.ship_window_ms AS supplier_window, c.ship_window_ms AS campaign_window, \
         k.presale_ship_by_ms AS presale FROM orders o \
         JOIN suppliers sup ON sup.id = o.supplier_id \
         JOIN skus k ON k.id = o.sku_id \
         LEFT JOIN live_sessions ls ON ls.id = o.session_id \
         LEFT JOIN campaigns c ON c.id = COALESCE(o.campaign_id, ls.campaign_id) \
         WHERE o.id = $1",
    )
    .bind(order.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(PromiseSettings::default());
    };
    Ok(PromiseSettings {
        supplier_window_ms: col(&row, "supplier_window")?,
        campaign_window_ms: col(&row, "campaign_window")?,
        presale_ship_by_ms: col(&row, "presale")?,
    })
}

/// Stores the promise of an order being routed.
pub async fn set_ship_by(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    ship_by_ms: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET ship_by_ms = $2 WHERE id = $1")
        .bind(order.0)
        .bind(ship_by_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Locks an order's row for the rest of the transaction (an update that changes nothing),
/// so that postings about it take turns.
pub async fn lock_order(conn: &mut sqlx::AnyConnection, order: OrderId) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET updated_at_ms = updated_at_ms WHERE id = $1")
        .bind(order.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks an order late with the compensation it owes, once: a compare-and-set on
/// `late_at_ms` being unset (and, with `only_if_routed`, on the order still waiting to
/// ship). True when this call marked it.
pub async fn mark_late(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    now_ms: i64,
    compensation_fen: i64,
    only_if_routed: bool,
) -> StoreResult<bool> {
    let sql = if only_if_routed {
        "UPDATE orders SET late_at_ms = $2, late_compensation_fen = $3, updated_at_ms = $2 \
         WHERE id = $1 AND late_at_ms IS NULL AND ship_by_ms IS NOT NULL AND status = 'routed'"
    } else {
        "UPDATE orders SET late_at_ms = $2, late_compensation_fen = $3, updated_at_ms = $2 \
         WHERE id = $1 AND late_at_ms IS NULL AND ship_by_ms IS NOT NULL"
    };
    let result = sqlx::query(sql)
        .bind(order.0)
        .bind(now_ms)
        .bind(compensation_fen)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Routed orders not found late whose deadline was at or before `deadline_before_ms`,
/// earliest first.
pub async fn overdue_shipments<'e, E: Executor<'e, Database = Any>>(
    db: E,
    deadline_before_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT id FROM orders WHERE status = 'routed' AND late_at_ms IS NULL \
         AND ship_by_ms IS NOT NULL AND ship_by_ms <= $1 ORDER BY ship_by_ms LIMIT $2",
    )
    .bind(deadline_before_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| col(r, "id").map(OrderId)).collect()
}

/// The payment that paid an order: a succeeded payment not refunded in full (a payment the
/// order did not need goes back whole), the earliest if several.
pub async fn paying_payment(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
) -> StoreResult<Option<(PaymentId, String)>> {
    let row = sqlx::query(
        "SELECT p.id, p.gateway_payment_id FROM payments p \
         WHERE p.order_id = $1 AND p.status = 'succeeded' AND p.gateway_payment_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id \
                         AND r.amount_fen = p.amount_fen) \
         ORDER BY p.id LIMIT 1",
    )
    .bind(order.0)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok(Some((
            PaymentId(col(&r, "id")?),
            col(&r, "gateway_payment_id")?,
        ))),
        None => Ok(None),
    }
}

/// Stores the refund that sends a late shipment's compensation to the buyer.
pub async fn insert_compensation_refund(
    conn: &mut sqlx::AnyConnection,
    refund: &RefundRow,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refunds (order_id, payment_id, gateway_payment_id, amount_fen, \
         merchant_refund_id, status, purpose, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $7)",
    )
    .bind(refund.order_id.0)
    .bind(refund.payment_id.0)
    .bind(refund.gateway_payment_id.as_str())
    .bind(refund.amount_fen)
    .bind(refund.merchant_refund_id.as_str())
    .bind(PURPOSE_COMPENSATION)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Why a refund was made ([`PURPOSE_REFUND`] or [`PURPOSE_COMPENSATION`]); `None` for an
/// unknown merchant refund id.
pub async fn refund_purpose(
    conn: &mut sqlx::AnyConnection,
    merchant_refund_id: &str,
) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT purpose FROM refunds WHERE merchant_refund_id = $1")
        .bind(merchant_refund_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "purpose")).transpose()
}

/// Whose late-shipment record to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateScope {
    /// Every order of a supplier.
    Supplier(SupplierId),
    /// Every order of a SKU.
    Sku(SkuId),
}

/// A late-shipment record: routed orders (every one carries a promise) and the late ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LateCounts {
    /// Orders routed with a promise.
    pub routed_orders: i64,
    /// Of those, the ones found late (shipped after the promise, or not shipped by it).
    pub late_orders: i64,
    /// Compensation charged for them, fen.
    pub compensation_fen: i64,
}

fn counts_from_row(row: &AnyRow) -> StoreResult<LateCounts> {
    Ok(LateCounts {
        routed_orders: col(row, "routed")?,
        late_orders: col(row, "late")?,
        compensation_fen: col(row, "compensation")?,
    })
}

const COUNT_COLUMNS: &str = "CAST(COUNT(*) AS BIGINT) AS routed, \
    CAST(COUNT(late_at_ms) AS BIGINT) AS late, \
    CAST(COALESCE(SUM(late_compensation_fen), 0) AS BIGINT) AS compensation";

/// The late-shipment record of a supplier or of a SKU: what the quality record shows.
pub async fn late_shipments<'e, E: Executor<'e, Database = Any>>(
    db: E,
    scope: LateScope,
) -> StoreResult<LateCounts> {
    let (filter, id) = match scope {
        LateScope::Supplier(s) => ("supplier_id", s.0),
        LateScope::Sku(s) => ("sku_id", s.0),
    };
    let sql = format!(
        "SELECT {COUNT_COLUMNS} FROM orders WHERE {filter} = $1 AND ship_by_ms IS NOT NULL"
    );
    let row = sqlx::query(&sql).bind(id).fetch_one(db).await?;
    counts_from_row(&row)
}

/// One SKU's line of a supplier's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuLateRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// The supplier's code of it.
    pub sku_code: String,
    /// Its record.
    pub counts: LateCounts,
}

/// A supplier's record per SKU, most late orders first, at most `limit` SKUs.
pub async fn late_shipments_by_sku<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    limit: i64,
) -> StoreResult<Vec<SkuLateRow>> {
    let sql = format!(
        "SELECT o.sku_id, k.code AS sku_code, {COUNT_COLUMNS} FROM orders o \
         JOIN skus k ON k.id = o.sku_id \
         WHERE o.supplier_id = $1 AND o.ship_by_ms IS NOT NULL \
         GROUP BY o.sku_id, k.code ORDER BY late DESC, o.sku_id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(supplier.0)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SkuLateRow {
                sku_id: SkuId(col(row, "sku_id")?),
                sku_code: col(row, "sku_code")?,
                counts: counts_from_row(row)?,
            })
        })
        .collect()
}
