//! Paying for orders: payments, the notifications applied and refused, and refunds.
//!
//! A notification is applied in one transaction with the insert of its event id
//! ([`record_event`]), so a replay finds the id and changes nothing. Statements that touch a
//! flash sale's order run after the sale's row lock ([`crate::checkout::lock_flash_sale`]).

use crate::{col, StoreError, StoreResult};
use daihuo_domain::order::{PaymentStatus, RefundStatus};
use daihuo_domain::{OrderId, PaymentId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// The most refused notifications kept; older ones are deleted as new ones arrive, so a
/// flood of forgeries cannot fill the disk.
pub const REJECTED_NOTIFICATIONS_KEPT: i64 = 10_000;

/// A stored payment.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    /// Key; the merchant payment id at the gateway is derived from it.
    pub id: PaymentId,
    /// The order it pays.
    pub order_id: OrderId,
    /// What the buyer pays, fen.
    pub amount_fen: i64,
    /// The gateway's id, once the gateway answered.
    pub gateway_payment_id: Option<String>,
    /// Where the buyer pays, once the gateway answered.
    pub pay_url: Option<String>,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Created.
    pub created_at_ms: i64,
}

const PAYMENT_COLUMNS: &str =
    "id, order_id, amount_fen, gateway_payment_id, pay_url, status, created_at_ms";

fn payment_from_row(row: &AnyRow) -> StoreResult<PaymentRow> {
    let status: String = col(row, "status")?;
    Ok(PaymentRow {
        id: PaymentId(col(row, "id")?),
        order_id: OrderId(col(row, "order_id")?),
        amount_fen: col(row, "amount_fen")?,
        gateway_payment_id: col(row, "gateway_payment_id")?,
        pay_url: col(row, "pay_url")?,
        status: PaymentStatus::from_db(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("payment status {status}")))?,
        created_at_ms: col(row, "created_at_ms")?,
    })
}

/// Writes a pending payment of an order. Fails with [`StoreError::Conflict`] when the order
/// already has a pending one.
pub async fn insert_payment(
    conn: &mut sqlx::AnyConnection,
    order_id: OrderId,
    amount_fen: i64,
    now_ms: i64,
) -> StoreResult<PaymentRow> {
    let sql = format!(
        "INSERT INTO payments (order_id, amount_fen, status, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, 'pending', $3, $3) RETURNING {PAYMENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(order_id.0)
        .bind(amount_fen)
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await?;
    payment_from_row(&row)
}

/// The order's pending payment, if it has one.
pub async fn pending_payment_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order_id: OrderId,
) -> StoreResult<Option<PaymentRow>> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 AND status = 'pending'"
    );
    let row = sqlx::query(&sql)
        .bind(order_id.0)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Loads a payment.
pub async fn payment_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: PaymentId,
) -> StoreResult<Option<PaymentRow>> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Stores the gateway's answer to a payment's creation.
pub async fn set_payment_intent<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: PaymentId,
    gateway_payment_id: &str,
    pay_url: &str,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE payments SET gateway_payment_id = $2, pay_url = $3, updated_at_ms = $4 \
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(gateway_payment_id)
    .bind(pay_url)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves a payment from pending to `to` (compare and set), keeping the gateway's id if the
/// creation's answer was never stored; returns whether it moved.
pub async fn settle_payment(
    conn: &mut sqlx::AnyConnection,
    id: PaymentId,
    to: PaymentStatus,
    gateway_payment_id: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE payments SET status = $2, \
         gateway_payment_id = COALESCE(gateway_payment_id, $3), updated_at_ms = $4 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.0)
    .bind(to.as_str())
    .bind(gateway_payment_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a notification's event id; false when it was recorded before (a replay).
pub async fn record_event(
    conn: &mut sqlx::AnyConnection,
    event_id: &str,
    kind: &str,
    gateway_payment_id: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO payment_events (event_id, kind, gateway_payment_id, received_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(kind)
    .bind(gateway_payment_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A refused notification.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    /// Key; newer ones are larger.
    pub id: i64,
    /// Why it was refused.
    pub code: String,
    /// The event id it claimed, if any (unverified).
    pub event_id: Option<String>,
    /// When it arrived.
    pub received_at_ms: i64,
    /// The start of its body.
    pub excerpt: String,
}

/// Records a refused notification and forgets those past [`REJECTED_NOTIFICATIONS_KEPT`].
pub async fn insert_rejected(
    conn: &mut sqlx::AnyConnection,
    code: &str,
    event_id: Option<&str>,
    excerpt: &str,
    now_ms: i64,
) -> StoreResult<()> {
    let row = sqlx::query(
        "INSERT INTO rejected_notifications (code, event_id, received_at_ms, excerpt) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(code)
    .bind(event_id)
    .bind(now_ms)
    .bind(excerpt)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = col(&row, "id")?;
    sqlx::query("DELETE FROM rejected_notifications WHERE id <= $1")
        .bind(id - REJECTED_NOTIFICATIONS_KEPT)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The latest refused notifications, newest first.
pub async fn rejected_notifications<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
) -> StoreResult<Vec<RejectedRow>> {
    let rows = sqlx::query(
        "SELECT id, code, event_id, received_at_ms, excerpt FROM rejected_notifications \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RejectedRow {
                id: col(r, "id")?,
                code: col(r, "code")?,
                event_id: col(r, "event_id")?,
                received_at_ms: col(r, "received_at_ms")?,
                excerpt: col(r, "excerpt")?,
            })
        })
        .collect()
}

/// A refund to ask the gateway for.
#[derive(Debug, Clone)]
pub struct RefundRow {
    /// The order whose money goes back.
    pub order_id: OrderId,
    /// The payment refunded.
    pub payment_id: PaymentId,
    /// The gateway's id of that payment.
    pub gateway_payment_id: String,
    /// How much, fen.
    pub amount_fen: i64,
    /// The merchant's id of the refund: the idempotency key at the gateway.
    pub merchant_refund_id: String,
}

fn refund_from_row(row: &AnyRow) -> StoreResult<RefundRow> {
    Ok(RefundRow {
        order_id: OrderId(col(row, "order_id")?),
        payment_id: PaymentId(col(row, "payment_id")?),
        gateway_payment_id: col(row, "gateway_payment_id")?,
        amount_fen: col(row, "amount_fen")?,
        merchant_refund_id: col(row, "merchant_refund_id")?,
    })
}

/// Stores a requested refund (a replayed request with the same merchant id is a
/// [`StoreError::Conflict`]).
pub async fn insert_refund(
    conn: &mut sqlx::AnyConnection,
    refund: &RefundRow,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refunds (order_id, payment_id, gateway_payment_id, amount_fen, \
         merchant_refund_id, status, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'requested', $6, $6)",
    )
    .bind(refund.order_id.0)
    .bind(refund.payment_id.0)
    .bind(refund.gateway_payment_id.as_str())
    .bind(refund.amount_fen)
    .bind(refund.merchant_refund_id.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores that the gateway accepted a refund. Only the id: a refund's result may have
/// arrived (and been stored) before this answer.
pub async fn set_refund_accepted<'e, E: Executor<'e, Database = Any>>(
    db: E,
    merchant_refund_id: &str,
    gateway_refund_id: &str,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE refunds SET gateway_refund_id = $2, updated_at_ms = $3 \
         WHERE merchant_refund_id = $1",
    )
    .bind(merchant_refund_id)
    .bind(gateway_refund_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves a requested refund to its result (compare and set); returns its order when it
/// moved.
pub async fn settle_refund(
    conn: &mut sqlx::AnyConnection,
    merchant_refund_id: &str,
    gateway_refund_id: Option<&str>,
    to: RefundStatus,
    now_ms: i64,
) -> StoreResult<Option<OrderId>> {
    let row = sqlx::query(
        "UPDATE refunds SET status = $2, \
         gateway_refund_id = COALESCE(gateway_refund_id, $3), updated_at_ms = $4 \
         WHERE merchant_refund_id = $1 AND status = 'requested' RETURNING order_id",
    )
    .bind(merchant_refund_id)
    .bind(to.as_str())
    .bind(gateway_refund_id)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| col(&r, "order_id").map(OrderId)).transpose()
}

/// Requested refunds the gateway has not accepted yet, stored at or before `before_ms`,
/// oldest first.
pub async fn refunds_to_send<'e, E: Executor<'e, Database = Any>>(
    db: E,
    before_ms: i64,
    limit: i64,
) -> StoreResult<Vec<RefundRow>> {
    let rows = sqlx::query(
        "SELECT order_id, payment_id, gateway_payment_id, amount_fen, merchant_refund_id \
         FROM refunds WHERE status = 'requested' AND gateway_refund_id IS NULL \
         AND created_at_ms <= $1 ORDER BY created_at_ms LIMIT $2",
    )
    .bind(before_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(refund_from_row).collect()
}
