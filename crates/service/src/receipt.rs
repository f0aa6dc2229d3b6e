//! Receipt: a delivered order becomes `completed` when its buyer confirms receipt, or
//! automatically once [`SettlementPolicy::receipt_after`](crate::settlement::SettlementPolicy)
//! has passed since daihuo recorded it delivered. Either way the supplier is told by an
//! `order.completed` event in the outbox, written in the same transaction, and the time is
//! kept in `orders.completed_at_ms`: settlement counts from it (docs/SETTLEMENT.md).

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::order::OrderStatus;
use daihuo_domain::OrderId;
use daihuo_store::checkout::{self as store, OrderRow};
use daihuo_store::settlement as settle_store;
use daihuo_store::{fulfilment as ful_store, now_ms, AnyConnection};
use serde::Serialize;
use utoipa::ToSchema;

/// The event that tells a supplier an order's receipt was confirmed.
pub const KIND_ORDER_COMPLETED: &str = "order.completed";
/// The most orders one sweep confirms, so a backlog is worked off in bounded steps.
const RECEIPTS_PER_SWEEP: i64 = 200;

/// Who confirmed receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// The buyer.
    Buyer,
    /// The window after delivery closed without a word from the buyer.
    Automatic,
}

impl ConfirmedBy {
    fn as_str(self) -> &'static str {
        match self {
            ConfirmedBy::Buyer => "buyer",
            ConfirmedBy::Automatic => "automatic",
        }
    }
}

/// An order's receipt, as its buyer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptView {
    /// The order.
    pub order_id: OrderId,
    /// Its status: `completed` once receipt is confirmed.
    pub status: OrderStatus,
    /// When daihuo recorded it delivered.
    pub delivered_at_ms: Option<i64>,
    /// When receipt was confirmed.
    pub completed_at_ms: Option<i64>,
}

/// Moves a delivered order to `completed` and tells its supplier, in `conn`'s transaction;
/// returns false when the order was no longer delivered (another node or the buyer was
/// first).
async fn complete(
    conn: &mut AnyConnection,
    order: &OrderRow,
    by: ConfirmedBy,
    now: i64,
) -> ServiceResult<bool> {
    let to = order.status.complete()?;
    if !store::set_order_status(conn, order.id, order.status, to, None, now).await? {
        return Ok(false);
    }
    let times = settle_store::order_times(&mut *conn, order.id)
        .await?
        .ok_or(ServiceError::NotFound("order"))?;
    let data = serde_json::json!({
        "order_id": order.id, "order_no": order.order_no,
        "delivered_at_ms": times.delivered_at_ms, "completed_at_ms": times.completed_at_ms,
        "confirmed_by": by.as_str(),
    });
    // One event per order: the id says which, so a replay announces nothing new.
    ful_store::insert_outbox(
        conn,
        &format!("{KIND_ORDER_COMPLETED}-{}", order.id),
        order.supplier_id,
        KIND_ORDER_COMPLETED,
        &data.to_string(),
        now,
    )
    .await?;
    Ok(true)
}

impl Services {
    /// The buyer confirms receipt of a delivered order; it becomes `completed`. Confirming
    /// a completed order again answers the same; any other status is `order_not_delivered`.
    pub async fn confirm_receipt(&self, actor: &Actor, id: OrderId) -> ServiceResult<ReceiptView> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let order = store::order_by_id(tx.conn(), id)
            .await?
            .filter(|o| o.buyer_id == actor.user_id)
            .ok_or(ServiceError::NotFound("order"))?;
        match order.status {
            OrderStatus::Delivered => {
                if !complete(tx.conn(), &order, ConfirmedBy::Buyer, now).await? {
                    return Err(ServiceError::Unavailable {
                        code: "busy",
                        message: "the order changed meanwhile; try again".into(),
                    });
                }
                tx.commit().await?;
                tracing::info!(order = %id, "receipt confirmed by the buyer");
            }
            OrderStatus::Completed => drop(tx),
            status => {
                return Err(ServiceError::conflict(
                    "order_not_delivered",
                    format!("an order that is {status} cannot be confirmed received"),
                ))
            }
        }
        self.receipt(id).await
    }

    async fn receipt(&self, id: OrderId) -> ServiceResult<ReceiptView> {
        let order = store::order_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        let times = settle_store::order_times(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        Ok(ReceiptView {
            order_id: id,
            status: order.status,
            delivered_at_ms: times.delivered_at_ms,
            completed_at_ms: times.completed_at_ms,
        })
    }

    /// Confirms the receipt of orders delivered longer ago than the policy's window; returns
    /// how many. Safe on every node at once: each move is a compare-and-set.
    pub(crate) async fn confirm_due_receipts(&self, now: i64) -> ServiceResult<usize> {
        let window =
            i64::try_from(self.config.settlement.receipt_after.as_millis()).unwrap_or(i64::MAX);
        let due = settle_store::orders_awaiting_receipt(
            self.store.pool(),
            now.saturating_sub(window),
            RECEIPTS_PER_SWEEP,
        )
        .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut confirmed = 0;
        let mut tx = self.store.begin_write().await?;
        for order in store::orders_by_ids(tx.conn(), &due).await? {
            if order.status == OrderStatus::Delivered
                && complete(tx.conn(), &order, ConfirmedBy::Automatic, now).await?
            {
                confirmed += 1;
            }
        }
        tx.commit().await?;
        if confirmed > 0 {
            tracing::info!(confirmed, "receipts confirmed automatically");
        }
        Ok(confirmed)
    }
}
