//! After-sales requests (migration 0010), the payment a refund goes back through, and the
//! warehouse claims a refund before shipment gives up.
//!
//! Lock order (ARCHITECTURE.md): a transaction that changes a request locks its order's row
//! first; the request's row is changed only by a compare-and-set on its status.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_domain::{OrderId, PaymentId, SkuId, SupplierId, UserId, WarehouseId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// A stored after-sales request, with the status of its refund at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterSalesRow {
    /// Key.
    pub id: i64,
    /// The order it is about.
    pub order_id: OrderId,
    /// Who asked (the order's buyer).
    pub buyer_id: UserId,
    /// Who decides (the order's supplier).
    pub supplier_id: SupplierId,
    /// The kind's stored name (`domain::after_sales::AfterSalesKind::as_str`).
    pub kind: String,
    /// Where it stands.
    pub status: AfterSalesStatus,
    /// How many of the order's units it concerns.
    pub units: i64,
    /// A quality complaint's evidence, JSON.
    pub evidence_json: Option<String>,
    /// When the buyer asked.
    pub requested_at_ms: i64,
    /// When the supplier's silence approves.
    pub decide_by_ms: i64,
    /// Whether silence approved it.
    pub approved_by_silence: bool,
    /// Why the supplier rejected.
    pub reject_reason: Option<String>,
    /// Why the buyer disputes the rejection.
    pub dispute_reason: Option<String>,
    /// What the operator decided, and why.
    pub arbitration_note: Option<String>,
    /// The operator who arbitrated.
    pub arbitrated_by: Option<UserId>,
    /// The return parcel's carrier code.
    pub return_carrier: Option<String>,
    /// The return parcel's waybill.
    pub return_waybill: Option<String>,
    /// The refund decided, fen.
    pub refund_fen: Option<i64>,
    /// The refund's merchant id at the gateway (a row of `refunds`).
    pub merchant_refund_id: Option<String>,
    /// That refund's status (`requested`, `succeeded`, `failed`); read, never written here.
    pub refund_status: Option<String>,
    /// Last change.
    pub updated_at_ms: i64,
}

const COLUMNS: &str = "a.id, a.order_id, a.buyer_id, a.supplier_id, a.kind, a.status, a.units, \
    a.evidence_json, a.requested_at_ms, a.decide_by_ms, a.approved_by_silence, \
    a.reject_reason, a.dispute_reason, a.arbitration_note, a.arbitrated_by, a.return_carrier, \
    a.return_waybill, a.refund_fen, a.merchant_refund_id, r.status AS refund_status, \
    a.updated_at_ms";
const FROM: &str =
    "after_sales a LEFT JOIN refunds r ON r.merchant_refund_id = a.merchant_refund_id";

fn from_row(row: &AnyRow) -> StoreResult<AfterSalesRow> {
    let status: String = col(row, "status")?;
    Ok(AfterSalesRow {
        id: col(row, "id")?,
        order_id: OrderId(col(row, "order_id")?),
        buyer_id: UserId(col(row, "buyer_id")?),
        supplier_id: SupplierId(col(row, "supplier_id")?),
        kind: col(row, "kind")?,
        status: AfterSalesStatus::from_db(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("after-sales status {status}")))?,
        units: col(row, "units")?,
        evidence_json: col(row, "evidence_json")?,
        requested_at_ms: col(row, "requested_at_ms")?,
        decide_by_ms: col(row, "decide_by_ms")?,
        approved_by_silence: col::<i64>(row, "approved_by_silence")? != 0,
        reject_reason: col(row, "reject_reason")?,
        dispute_reason: col(row, "dispute_reason")?,
        arbitration_note: col(row, "arbitration_note")?,
        arbitrated_by: col::<Option<i64>>(row, "arbitrated_by")?.map(UserId),
        return_carrier: col(row, "return_carrier")?,
        return_waybill: col(row, "return_waybill")?,
        refund_fen: col(row, "refund_fen")?,
        merchant_refund_id: col(row, "merchant_refund_id")?,
        refund_status: col(row, "refund_status")?,
        updated_at_ms: col(row, "updated_at_ms")?,
    })
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewAfterSales<'a> {
    /// The order.
    pub order_id: OrderId,
    /// Its buyer.
    pub buyer_id: UserId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The kind's stored name.
    pub kind: &'a str,
    /// Units concerned.
    pub units: i64,
    /// A complaint's evidence, JSON.
    pub evidence_json: Option<&'a str>,
    /// When the buyer asked.
    pub requested_at_ms: i64,
    /// When silence approves.
    pub decide_by_ms: i64,
}

/// Stores a new request, `requested`; returns its id. Fails with [`StoreError::Conflict`]
/// when the order already has a request that is still open.
pub async fn insert_after_sales(
    conn: &mut sqlx::AnyConnection,
    new: &NewAfterSales<'_>,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO after_sales (order_id, buyer_id, supplier_id, kind, status, units, \
         evidence_json, requested_at_ms, decide_by_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $7) RETURNING id",
    )
    .bind(new.order_id.0)
    .bind(new.buyer_id.0)
    .bind(new.supplier_id.0)
    .bind(new.kind)
    .bind(new.units)
    .bind(new.evidence_json)
    .bind(new.requested_at_ms)
    .bind(new.decide_by_ms)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Loads a request.
pub async fn after_sales_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
) -> StoreResult<Option<AfterSalesRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db).await?;
    row.as_ref().map(from_row).transpose()
}

/// An order's requests, oldest first.
pub async fn after_sales_of_order<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<Vec<AfterSalesRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.order_id = $1 ORDER BY a.id");
    let rows = sqlx::query(&sql).bind(order.0).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// Requests with ids below `before`, newest first: of one supplier when `supplier` is given
/// (its queue), in one status when `status` is given.
pub async fn after_sales_page<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: Option<SupplierId>,
    status: Option<AfterSalesStatus>,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<AfterSalesRow>> {
    // The filters are written into the statement only when given, so each query can use
    // the index that fits it (supplier and status, or status alone).
    let mut filters = String::new();
    let mut next = 2;
    if supplier.is_some() {
        filters.push_str(&format!(" AND a.supplier_id = ${next}"));
        next += 1;
    }
    if status.is_some() {
        filters.push_str(&format!(" AND a.status = ${next}"));
        next += 1;
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.id < $1{filters} ORDER BY a.id DESC LIMIT ${next}"
    );
    let mut query = sqlx::query(&sql).bind(before);
    if let Some(supplier) = supplier {
        query = query.bind(supplier.0);
    }
    if let Some(status) = status {
        query = query.bind(status.as_str());
    }
    let rows = query.bind(limit).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// Requests still waiting for the supplier after their deadline at `now_ms`, oldest
/// deadline first: (request, its order).
pub async fn undecided_after_deadline<'e, E: Executor<'e, Database = Any>>(
    db: E,
    now_ms: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, OrderId)>> {
    let rows = sqlx::query(
        "SELECT id, order_id FROM after_sales WHERE status = 'requested' \
         AND decide_by_ms < $1 ORDER BY decide_by_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((col(row, "id")?, OrderId(col(row, "order_id")?))))
        .collect()
}

/// Writes a request's changed fields if it is still in `from` (compare and set); returns
/// whether it did. The kind, units, evidence and times of asking never change.
pub async fn save_after_sales(
    conn: &mut sqlx::AnyConnection,
    row: &AfterSalesRow,
    from: AfterSalesStatus,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE after_sales SET status = $3, approved_by_silence = $4, reject_reason = $5, \
         dispute_reason = $6, arbitration_note = $7, arbitrated_by = $8, return_carrier = $9, \
         return_waybill = $10, refund_fen = $11, merchant_refund_id = $12, updated_at_ms = $13 \
         WHERE id = $1 AND status = $2",
    )
    .bind(row.id)
    .bind(from.as_str())
    .bind(row.status.as_str())
    .bind(i64::from(row.approved_by_silence))
    .bind(row.reject_reason.as_deref())
    .bind(row.dispute_reason.as_deref())
    .bind(row.arbitration_note.as_deref())
    .bind(row.arbitrated_by.map(|u| u.0))
    .bind(row.return_carrier.as_deref())
    .bind(row.return_waybill.as_deref())
    .bind(row.refund_fen)
    .bind(row.merchant_refund_id.as_deref())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Units of an order that after-sales has refunded so far.
pub async fn units_refunded(conn: &mut sqlx::AnyConnection, order: OrderId) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(units), 0) AS BIGINT) AS units FROM after_sales \
         WHERE order_id = $1 AND status = 'refunded'",
    )
    .bind(order.0)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "units")
}

/// The payment that paid an order: its succeeded payment that was not itself given back
/// whole (a second payment of an order already paid is refunded as `daihuo-refund-{id}`).
/// Returns the payment and the gateway's id of it.
pub async fn paying_payment_of(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
) -> StoreResult<Option<(PaymentId, String)>> {
    let row = sqlx::query(
        "SELECT p.id, p.gateway_payment_id FROM payments p WHERE p.order_id = $1 \
         AND p.status = 'succeeded' AND p.gateway_payment_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id \
         AND r.merchant_refund_id LIKE 'daihuo-refund-%') ORDER BY p.id LIMIT 1",
    )
    .bind(order.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok((
            PaymentId(col(&row, "id")?),
            col::<String>(&row, "gateway_payment_id")?,
        ))
    })
    .transpose()
}

/// Locks an order's row for the rest of the transaction, whatever its status (a write that
/// changes nothing), and returns it as it is under the lock; `None` when there is no such
/// order. The first lock of the lock order, so that a concurrent change of the order's status
/// (a payment notification, a shipment) is waited for rather than failed on.
pub async fn lock_order(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
) -> StoreResult<Option<crate::checkout::OrderRow>> {
    let locked = sqlx::query("UPDATE orders SET updated_at_ms = updated_at_ms WHERE id = $1")
        .bind(order.0)
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Ok(None);
    }
    crate::checkout::order_by_id(&mut *conn, order).await
}

/// Gives up a routed order's claim of `units` on a warehouse's stock, which it will not
/// ship: the warehouse may route them to another order.
pub async fn release_reservation(
    conn: &mut sqlx::AnyConnection,
    sku: SkuId,
    warehouse: WarehouseId,
    units: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE stock SET reserved = reserved - $3 \
         WHERE sku_id = $1 AND warehouse_id = $2 AND reserved >= $3",
    )
    .bind(sku.0)
    .bind(warehouse.0)
    .bind(units)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
