//! Paying for orders through the payment gateway: starting a payment, applying the gateway's
//! signed notifications, and refunding payments that arrived when no unit was left for them.
//!
//! # Applying a notification
//! 1. Verify it ([`PaymentGateway::verify_notification`]); a refusal is recorded in
//!    `rejected_notifications`, logged, and answered with its code.
//! 2. In one write transaction: lock the flash sale's row first (the lock order of
//!    ARCHITECTURE.md), insert the event id (a replay finds it and changes nothing), apply.
//! 3. Commit, and only then acknowledge. A refund it decided on is asked of the gateway after
//!    the commit; one that could not be asked is asked again by the checkout sweeper.
//!
//! A payment that arrives after its reservation was released re-claims a unit when the sale
//! (or, for ordinary orders, the SKU) still has one, the buyer's limit allows it and the
//! campaign can still pay its subsidy; otherwise the order goes `refund_pending` and the
//! money goes back.

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::order::{OrderStatus, PaymentStatus, RefundStatus};
use daihuo_domain::{OrderId, PaymentId};
use daihuo_payment::{
    header_value, GatewayError, Notification, NotificationKind, PaymentGateway, PaymentRequest,
    RefundRequest, EVENT_ID_HEADER,
};
use daihuo_store::checkout::{self as store, FlashSaleRow, OrderRow};
use daihuo_store::payments::{self as pay_store, PaymentRow, RefundRow};
use daihuo_store::{now_ms, StoreError};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A refund stored this long ago and still not accepted by the gateway is asked for again
/// by the sweeper; younger ones are being asked for by the node that stored them.
pub const REFUND_RETRY_AFTER_MS: i64 = 5_000;
/// The most refunds one sweep asks the gateway for, so a gateway outage cannot make one
/// sweep endless.
const REFUNDS_PER_SWEEP: i64 = 100;
/// The most refused notifications one page shows.
pub const REJECTED_PAGE_MAX: i64 = 100;
/// How much of a refused notification's body is kept: enough to recognise it, not a place
/// to store what an attacker sends.
const EXCERPT_MAX_BYTES: usize = 512;
/// The longest claimed event id kept with a refused notification.
const EVENT_ID_MAX_CHARS: usize = 64;
/// Prefix of the merchant payment id daihuo gives the gateway: `daihuo-pay-{payment id}`.
const MERCHANT_PAYMENT_PREFIX: &str = "daihuo-pay-";

/// The gateway this node collects payments through, and where it is told what happened.
pub struct PaymentSetup {
    /// The gateway.
    pub gateway: Arc<dyn PaymentGateway>,
    /// This node's `POST /api/payments/notify`, as the gateway reaches it.
    pub notify_url: String,
}

impl std::fmt::Debug for PaymentSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentSetup")
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

/// Where the buyer pays an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    /// daihuo's id of this payment.
    pub payment_id: PaymentId,
    /// The gateway's pay page.
    pub pay_url: String,
    /// What the buyer pays, fen.
    pub amount_fen: i64,
}

/// A notification that was refused, as an operator sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedNotificationView {
    /// Key; newer ones are larger.
    pub id: i64,
    /// Why it was refused (`signature_invalid`, `timestamp_out_of_window`, …).
    pub code: String,
    /// The event id it claimed in its header, unverified.
    pub event_id: Option<String>,
    /// When it arrived, Unix ms.
    pub received_at_ms: i64,
    /// The start of its body.
    pub excerpt: String,
}

/// Why a notification was not acknowledged.
#[derive(Debug)]
pub enum NotifyError {
    /// Not from the gateway, altered, stale or not about a payment of ours: recorded and
    /// refused.
    Rejected {
        /// Stable code.
        code: &'static str,
        /// For the log.
        message: String,
    },
    /// Ours to fix or retry (the gateway sends it again).
    Failed(ServiceError),
}

impl From<ServiceError> for NotifyError {
    fn from(error: ServiceError) -> Self {
        NotifyError::Failed(error)
    }
}

impl From<StoreError> for NotifyError {
    fn from(error: StoreError) -> Self {
        NotifyError::Failed(error.into())
    }
}

impl From<daihuo_domain::order::OrderError> for NotifyError {
    fn from(error: daihuo_domain::order::OrderError) -> Self {
        NotifyError::Failed(error.into())
    }
}

impl From<GatewayError> for ServiceError {
    fn from(error: GatewayError) -> Self {
        ServiceError::Unavailable {
            code: error.code(),
            message: format!("the payment gateway refused: {error}"),
        }
    }
}

fn merchant_payment_id(id: PaymentId) -> String {
    format!("{MERCHANT_PAYMENT_PREFIX}{id}")
}

fn merchant_refund_id(id: PaymentId) -> String {
    format!("daihuo-refund-{id}")
}

fn busy() -> ServiceError {
    ServiceError::Unavailable {
        code: "busy",
        message: "the order changed while the payment was applied; try again".into(),
    }
}

fn not_payable(status: OrderStatus) -> ServiceError {
    ServiceError::conflict(
        "order_not_payable",
        format!(
            "an order that is {status} cannot be paid; only a reserved order before its deadline"
        ),
    )
}

impl Services {
    /// These services, collecting payments through `gateway`, which sends its notifications
    /// to `notify_url` (this node's `POST /api/payments/notify`).
    pub fn with_payments(
        mut self,
        gateway: Arc<dyn PaymentGateway>,
        notify_url: impl Into<String>,
    ) -> Services {
        self.payments = Some(Arc::new(PaymentSetup {
            gateway,
            notify_url: notify_url.into(),
        }));
        self
    }

    fn payment_setup(&self) -> ServiceResult<Arc<PaymentSetup>> {
        self.payments.clone().ok_or(ServiceError::Unavailable {
            code: "payments_unavailable",
            message: "this node takes no payments".into(),
        })
    }

    /// The buyer starts paying a reserved order: the gateway is asked for a payment of what
    /// the buyer pays, payable until the reservation's deadline. Asking again returns the
    /// same pending payment.
    pub async fn start_payment(&self, actor: &Actor, id: OrderId) -> ServiceResult<PaymentView> {
        let setup = self.payment_setup()?;
        let now = now_ms();
        let order = store::order_by_id(self.store.pool(), id)
            .await?
            .filter(|o| o.buyer_id == actor.user_id)
            .ok_or(ServiceError::NotFound("order"))?;
        if order.status != OrderStatus::Reserved || order.reserved_until_ms <= now {
            return Err(not_payable(order.status));
        }
        let payment = match pay_store::pending_payment_of(self.store.pool(), id).await? {
            Some(payment) => payment,
            None => self.insert_payment(&order, now).await?,
        };
        if let Some(pay_url) = &payment.pay_url {
            return Ok(PaymentView {
                payment_id: payment.id,
                pay_url: pay_url.clone(),
                amount_fen: payment.amount_fen,
            });
        }
        // The call is idempotent on the merchant payment id, so a payment whose answer was
        // never stored (a crash, a timeout) is simply asked for again.
        let intent = setup
            .gateway
            .create_payment(PaymentRequest {
                merchant_payment_id: merchant_payment_id(payment.id),
                amount_fen: payment.amount_fen,
                description: format!("daihuo order {}: {}", order.order_no, order.sku_title)
                    .chars()
                    .take(daihuo_payment::MAX_DESCRIPTION_CHARS)
                    .collect(),
                notify_url: setup.notify_url.clone(),
                expires_at_ms: order.reserved_until_ms,
            })
            .await
            .map_err(|error| match error {
                GatewayError::InvalidRequest(_) if order.reserved_until_ms <= now_ms() => {
                    not_payable(order.status)
                }
                other => other.into(),
            })?;
        let mut tx = self.store.begin_write().await?;
        pay_store::set_payment_intent(
            tx.conn(),
            payment.id,
            &intent.gateway_payment_id,
            &intent.pay_url,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(PaymentView {
            payment_id: payment.id,
            pay_url: intent.pay_url,
            amount_fen: payment.amount_fen,
        })
    }

    /// Writes the order's pending payment, or reads the one a concurrent request wrote.
    async fn insert_payment(&self, order: &OrderRow, now: i64) -> ServiceResult<PaymentRow> {
        let mut tx = self.store.begin_write().await?;
        match pay_store::insert_payment(tx.conn(), order.id, order.split[2], now).await {
            Ok(payment) => {
                tx.commit().await?;
                Ok(payment)
            }
            Err(StoreError::Conflict) => {
                drop(tx);
                pay_store::pending_payment_of(self.store.pool(), order.id)
                    .await?
                    .ok_or_else(busy)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Applies a notification from the gateway. `Ok` means it is applied and committed (or
    /// was applied before): acknowledge it.
    pub async fn payment_notification(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), NotifyError> {
        let setup = self.payment_setup()?;
        let notification = match setup.gateway.verify_notification(headers, body, now_ms()) {
            Ok(notification) => notification,
            Err(error) => {
                let claimed = header_value(headers, EVENT_ID_HEADER);
                return Err(self
                    .reject(error.code(), claimed, body, error.to_string())
                    .await);
            }
        };
        let payment = self.payment_of(&notification).await?;
        let Some(payment) = payment else {
            return Err(self
                .reject(
                    "unknown_payment",
                    Some(&notification.event_id),
                    body,
                    format!(
                        "no payment {} for gateway payment {}",
                        notification.merchant_payment_id, notification.gateway_payment_id
                    ),
                )
                .await);
        };
        let refund = match notification.kind {
            NotificationKind::PaymentSucceeded | NotificationKind::PaymentFailed
                if notification.amount_fen != payment.amount_fen =>
            {
                return Err(self
                    .reject(
                        "amount_mismatch",
                        Some(&notification.event_id),
                        body,
                        format!(
                            "payment {} is {} fen, the notification says {}",
                            payment.id, payment.amount_fen, notification.amount_fen
                        ),
                    )
                    .await);
            }
            NotificationKind::PaymentSucceeded => self.apply_paid(&notification, &payment).await?,
            NotificationKind::PaymentFailed => {
                self.apply_payment_failed(&notification, &payment).await?;
                None
            }
            NotificationKind::RefundSucceeded | NotificationKind::RefundFailed => {
                self.apply_refund_result(&notification).await?;
                None
            }
        };
        if let Some(refund) = refund {
            // Asked after the commit and without holding up the acknowledgement; the sweeper
            // asks again if this does not get through.
            let services = self.clone();
            tokio::spawn(async move { services.send_refund(&setup, &refund).await });
        }
        Ok(())
    }

    /// The payment a verified notification is about, if it is one of ours.
    async fn payment_of(&self, notification: &Notification) -> ServiceResult<Option<PaymentRow>> {
        let Some(id) = notification
            .merchant_payment_id
            .strip_prefix(MERCHANT_PAYMENT_PREFIX)
            .and_then(|raw| raw.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let payment = pay_store::payment_by_id(self.store.pool(), PaymentId(id)).await?;
        Ok(payment.filter(|p| {
            p.gateway_payment_id
                .as_deref()
                .is_none_or(|known| known == notification.gateway_payment_id)
        }))
    }

    /// Records and logs a refused notification, and says why it was refused.
    async fn reject(
        &self,
        code: &'static str,
        claimed_event_id: Option<&str>,
        body: &[u8],
        message: String,
    ) -> NotifyError {
        let event_id: Option<String> =
            claimed_event_id.map(|id| id.chars().take(EVENT_ID_MAX_CHARS).collect());
        tracing::warn!(code, event_id = ?event_id, %message, "payment notification rejected");
        let excerpt = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_MAX_BYTES)]);
        let recorded = async {
            let mut tx = self.store.begin_write().await?;
            pay_store::insert_rejected(tx.conn(), code, event_id.as_deref(), &excerpt, now_ms())
                .await?;
            tx.commit().await
        };
        if let Err(error) = recorded.await {
            tracing::error!(%error, code, "rejected notification not recorded");
        }
        NotifyError::Rejected { code, message }
    }

    /// The buyer paid: the order is paid, or (when it was released meanwhile) re-claims a
    /// unit or goes to refund. Returns the refund to ask the gateway for after the commit.
    async fn apply_paid(
        &self,
        notification: &Notification,
        payment: &PaymentRow,
    ) -> Result<Option<RefundRow>, NotifyError> {
        let now = now_ms();
        let sale_id = store::order_by_id(self.store.pool(), payment.order_id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?
            .flash_sale_id;
        let mut tx = self.store.begin_write().await?;
        // The sale's row first, as every transaction that touches a sale does.
        let sale = match sale_id {
            Some(id) => Some(
                store::lock_flash_sale(tx.conn(), id, now)
                    .await?
                    .ok_or(ServiceError::NotFound("flash sale"))?,
            ),
            None => None,
        };
        let fresh = pay_store::record_event(
            tx.conn(),
            &notification.event_id,
            notification.kind.as_str(),
            &notification.gateway_payment_id,
            now,
        )
        .await?;
        let settled = fresh
            && pay_store::settle_payment(
                tx.conn(),
                payment.id,
                PaymentStatus::Succeeded,
                &notification.gateway_payment_id,
                now,
            )
            .await?;
        if !settled {
            tx.commit().await?;
            return Ok(None);
        }
        let order = store::order_by_id(tx.conn(), payment.order_id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        let quantity = order.quantity;
        let subsidy = order.split[1];
        // Whether the order needs this payment (it became paid) or the money goes back.
        let paid = match order.status {
            OrderStatus::Reserved => {
                let to = order.status.pay()?;
                if let Some(sale) = &sale {
                    store::add_flash_units(tx.conn(), sale.id, 0, quantity).await?;
                }
                if let (Some(campaign), true) = (order.campaign_id, subsidy > 0) {
                    store::move_subsidy(tx.conn(), campaign, -subsidy, subsidy).await?;
                }
                if !store::set_order_status(tx.conn(), order.id, order.status, to, None, now)
                    .await?
                {
                    return Err(busy().into());
                }
                true
            }
            OrderStatus::Cancelled => {
                // The campaign's row before the order's, as the lock order says.
                let budget_left = match (order.campaign_id, subsidy > 0) {
                    (Some(campaign), true) => {
                        Some(store::lock_subsidy_budget(tx.conn(), campaign).await?)
                    }
                    _ => None,
                };
                // Lock the order's row (a compare-and-set onto itself) before the SKU's, as
                // the lock order says, and make sure it is still cancelled.
                if !store::set_order_status(
                    tx.conn(),
                    order.id,
                    order.status,
                    order.status,
                    None,
                    now,
                )
                .await?
                {
                    return Err(busy().into());
                }
                let reclaimed =
                    reclaim_units(tx.conn(), &order, sale.as_ref(), budget_left).await?;
                let to = order.status.pay_late(reclaimed)?;
                store::set_order_status(tx.conn(), order.id, order.status, to, None, now).await?;
                reclaimed
            }
            // Already paid by another payment, or its money already going back: this payment
            // is not needed, so it is returned.
            _ => false,
        };
        let refund = RefundRow {
            order_id: order.id,
            payment_id: payment.id,
            gateway_payment_id: notification.gateway_payment_id.clone(),
            amount_fen: payment.amount_fen,
            merchant_refund_id: merchant_refund_id(payment.id),
        };
        let refund = if paid {
            // Paid: routed to the supplier's warehouses in this same transaction, or, when
            // none can ship it, refunded (docs/FULFILMENT.md).
            let order = store::order_by_id(tx.conn(), order.id)
                .await?
                .ok_or(ServiceError::NotFound("order"))?;
            let refund = crate::fulfilment::route_paid(tx.conn(), &order, refund, now).await?;
            // Counted in its session's minute last, so those rows are locked the shortest.
            crate::metrics::count_paid(tx.conn(), &order, now).await?;
            refund
        } else {
            pay_store::insert_refund(tx.conn(), &refund, now).await?;
            Some(refund)
        };
        tx.commit().await?;
        if let Some(sale) = sale_id {
            self.mark_view_stale(sale);
            // A late payment that re-claimed a unit changed the stock left.
            if let Some(row) = store::flash_sale_by_id(self.store.pool(), sale).await? {
                self.sale_stock_changed(&row, now).await;
            }
        }
        Ok(refund)
    }

    /// The payment failed: it is marked so; the order stays reserved until its deadline and
    /// the buyer may start another payment.
    async fn apply_payment_failed(
        &self,
        notification: &Notification,
        payment: &PaymentRow,
    ) -> Result<(), NotifyError> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        if pay_store::record_event(
            tx.conn(),
            &notification.event_id,
            notification.kind.as_str(),
            &notification.gateway_payment_id,
            now,
        )
        .await?
        {
            pay_store::settle_payment(
                tx.conn(),
                payment.id,
                PaymentStatus::Failed,
                &notification.gateway_payment_id,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A refund's result: the refund row and its order (`refund_pending` → `refunded` or
    /// `refund_failed`).
    async fn apply_refund_result(&self, notification: &Notification) -> Result<(), NotifyError> {
        let now = now_ms();
        let (status, order_step): (RefundStatus, fn(OrderStatus) -> _) =
            if notification.kind == NotificationKind::RefundSucceeded {
                (RefundStatus::Succeeded, OrderStatus::refund_succeeded)
            } else {
                (RefundStatus::Failed, OrderStatus::refund_failed)
            };
        let mut tx = self.store.begin_write().await?;
        if pay_store::record_event(
            tx.conn(),
            &notification.event_id,
            notification.kind.as_str(),
            &notification.gateway_payment_id,
            now,
        )
        .await?
        {
            if let Some(merchant_refund_id) = &notification.merchant_refund_id {
                let order = pay_store::settle_refund(
                    tx.conn(),
                    merchant_refund_id,
                    notification.gateway_refund_id.as_deref(),
                    status,
                    now,
                )
                .await?;
                let compensation =
                    crate::promises::is_compensation(tx.conn(), merchant_refund_id).await?;
                if let (Some(order), true) = (order, compensation) {
                    // A late shipment's compensation: the order keeps its status.
                    if status == RefundStatus::Succeeded {
                        crate::promises::compensation_confirmed(
                            tx.conn(),
                            order,
                            daihuo_domain::Fen(notification.amount_fen),
                            now,
                        )
                        .await?;
                    }
                } else if let Some(order) = order {
                    move_refunded_order(tx.conn(), order, order_step, now).await?;
                    if status == RefundStatus::Succeeded {
                        crate::fulfilment::refund_confirmed(
                            tx.conn(),
                            order,
                            daihuo_domain::Fen(notification.amount_fen),
                            now,
                        )
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
        if status == RefundStatus::Failed {
            tracing::warn!(
                merchant_refund_id = ?notification.merchant_refund_id,
                "a refund failed at the gateway; an operator must act"
            );
        }
        Ok(())
    }

    /// Asks the gateway for a stored refund. A refusal that retrying cannot change marks the
    /// refund and its order failed; anything else is left for the sweeper to ask again.
    pub(crate) async fn send_refund(&self, setup: &PaymentSetup, refund: &RefundRow) {
        let request = RefundRequest {
            merchant_refund_id: refund.merchant_refund_id.clone(),
            gateway_payment_id: refund.gateway_payment_id.clone(),
            amount_fen: refund.amount_fen,
            reason: crate::promises::refund_reason(refund),
        };
        let result = match setup.gateway.refund(request).await {
            Ok(accepted) => {
                let stored = async {
                    let mut tx = self.store.begin_write().await?;
                    pay_store::set_refund_accepted(
                        tx.conn(),
                        &refund.merchant_refund_id,
                        &accepted.gateway_refund_id,
                        now_ms(),
                    )
                    .await?;
                    tx.commit().await
                };
                stored.await.map_err(ServiceError::from)
            }
            Err(error) if error.is_retryable() => Err(error.into()),
            Err(error) => {
                tracing::error!(code = error.code(), %error, order = %refund.order_id,
                    "the gateway refused a refund; an operator must act");
                self.refund_refused(refund).await
            }
        };
        if let Err(error) = result {
            tracing::warn!(code = error.code(), %error, order = %refund.order_id,
                "refund not asked of the gateway; the sweeper asks again");
        }
    }

    async fn refund_refused(&self, refund: &RefundRow) -> ServiceResult<()> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let order = pay_store::settle_refund(
            tx.conn(),
            &refund.merchant_refund_id,
            None,
            RefundStatus::Failed,
            now,
        )
        .await?;
        let compensation =
            crate::promises::is_compensation(tx.conn(), &refund.merchant_refund_id).await?;
        if let (Some(order), false) = (order, compensation) {
            move_refunded_order(tx.conn(), order, OrderStatus::refund_failed, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Asks the gateway again for refunds stored a while ago and never accepted (the node
    /// crashed, or the gateway was down). Part of [`Services::sweep_checkout`].
    pub(crate) async fn send_due_refunds(&self) -> ServiceResult<()> {
        let Some(setup) = self.payments.clone() else {
            return Ok(());
        };
        let due = pay_store::refunds_to_send(
            self.store.pool(),
            now_ms() - REFUND_RETRY_AFTER_MS,
            REFUNDS_PER_SWEEP,
        )
        .await?;
        for refund in due {
            self.send_refund(&setup, &refund).await;
        }
        Ok(())
    }

    /// Operator: the latest refused notifications, newest first.
    pub async fn rejected_notifications(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> ServiceResult<Vec<RejectedNotificationView>> {
        actor.require_operator()?;
        let rows =
            pay_store::rejected_notifications(self.store.pool(), limit.clamp(1, REJECTED_PAGE_MAX))
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| RejectedNotificationView {
                id: r.id,
                code: r.code,
                event_id: r.event_id,
                received_at_ms: r.received_at_ms,
                excerpt: r.excerpt,
            })
            .collect())
    }
}

/// Moves an order whose refund ended from `refund_pending` to what `step` says; an order in
/// another state (its refund was for a payment it did not need) stays as it is.
async fn move_refunded_order(
    conn: &mut daihuo_store::AnyConnection,
    id: OrderId,
    step: fn(OrderStatus) -> Result<OrderStatus, daihuo_domain::order::OrderError>,
    now: i64,
) -> ServiceResult<()> {
    let from = OrderStatus::RefundPending;
    let to = step(from)?;
    store::set_order_status(conn, id, from, to, None, now).await?;
    Ok(())
}

/// Gives a cancelled order that was paid late its units again if the sale (or the SKU) has
/// them, the buyer's limit allows and the campaign can pay the subsidy; returns whether it
/// did. Runs under the sale's lock, after the campaign's (`budget_left` is what its budget
/// has left) and the order's rows are locked.
async fn reclaim_units(
    conn: &mut daihuo_store::AnyConnection,
    order: &OrderRow,
    sale: Option<&FlashSaleRow>,
    budget_left: Option<i64>,
) -> ServiceResult<bool> {
    let quantity = order.quantity;
    let Some(sale) = sale else {
        return Ok(store::hold_sku_units(conn, order.sku_id, quantity).await?);
    };
    // Once a sale has closed its unsold units are back with the SKU, so a unit is taken from
    // there; before, from the sale.
    let closed = sale.units_returned_at_ms.is_some();
    if !closed && sale.quantity - sale.taken < quantity {
        return Ok(false);
    }
    let bought = store::buyer_units(conn, sale.id, &[order.buyer_id])
        .await?
        .first()
        .map_or(0, |(_, units)| *units);
    if bought + quantity > sale.per_user_limit {
        return Ok(false);
    }
    let subsidy = order.split[1];
    let campaign = match (order.campaign_id, subsidy > 0) {
        (Some(campaign), true) if budget_left.unwrap_or(0) >= subsidy => Some(campaign),
        (_, true) => return Ok(false),
        _ => None,
    };
    if closed && !store::hold_sku_units(conn, order.sku_id, quantity).await? {
        return Ok(false);
    }
    store::add_flash_units(conn, sale.id, quantity, quantity).await?;
    store::add_buyer_units(conn, sale.id, &[(order.buyer_id, quantity)]).await?;
    if let Some(campaign) = campaign {
        store::move_subsidy(conn, campaign, 0, subsidy).await?;
    }
    Ok(true)
}
