//! Shipping promises and late-shipment compensation.
//!
//! # The promise
//! A paid order is promised to ship by a deadline, resolved when it is routed (in the
//! payment's transaction) by `domain::fulfilment::ShipPromise`: the campaign's window if the
//! order was bought in a campaign that set one, else the supplier's window, else 48 hours;
//! a pre-sale SKU's date then moves the deadline later (never earlier). The deadline is
//! stored on the order (`ship_by_ms`), shown to the buyer and sent to the supplier in
//! `order.routed`.
//!
//! # Late
//! An order is late when the supplier confirms its shipment after the deadline, or when the
//! deadline (plus [`PromisePolicy::sweep_grace`]) passes with nothing shipped and the sweeper
//! finds it. Either way, one transaction marks the order late with a compare-and-set (so an
//! order is compensated once, whichever path and however many nodes see it), posts the
//! compensation to the ledger at the supplier's cost, stores the refund that sends it to the
//! buyer through the payment gateway, and writes an `order.late` event for the supplier.
//! The order itself keeps its status: late goods still ship. When the gateway confirms the
//! refund, the ledger posts the compensation as sent.

use crate::fulfilment::{append, save_money};
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::fulfilment::{
    check_presale_date, LateShipmentPolicy, ShipPromise, ShipWindow, SHIP_WITHIN_DEFAULT_MS,
    SHIP_WITHIN_MIN_MS,
};
use daihuo_domain::ledger::OrderMoney;
use daihuo_domain::{CampaignId, Fen, OrderId, SkuId};
use daihuo_store::checkout::{self as store, OrderRow};
use daihuo_store::payments::RefundRow;
use daihuo_store::promises::{self as promise_store, LateCounts, LateScope};
use daihuo_store::{now_ms, AnyConnection};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// The event that tells a supplier one of its orders was found late.
pub const KIND_ORDER_LATE: &str = "order.late";
/// The most overdue orders one sweep marks late, so a backlog cannot make one sweep endless.
const LATE_PER_SWEEP: i64 = 100;
/// The most SKUs a supplier's record lists.
pub const RECORD_SKUS_MAX: i64 = 100;
/// Prefix of a compensation's merchant refund id at the gateway: `daihuo-late-{order}`. One
/// id per order, so the gateway too sends an order's compensation at most once.
const COMPENSATION_REFUND_PREFIX: &str = "daihuo-late-";

/// How promises are kept and what breaking one costs.
#[derive(Debug, Clone, Copy)]
pub struct PromisePolicy {
    /// What a late order pays its buyer, at the supplier's cost (default 30%, at most ¥500).
    pub late: LateShipmentPolicy,
    /// The shortest window a supplier or a campaign may set (default 1 hour, the domain's
    /// [`SHIP_WITHIN_MIN_MS`]); tests lower it to watch deadlines pass.
    pub window_floor: Duration,
    /// How long past its deadline an unshipped order waits before the sweeper calls it late:
    /// a shipment confirmed meanwhile is judged by its own time, so the record says when it
    /// shipped. The compensation is the same either way.
    pub sweep_grace: Duration,
}

impl Default for PromisePolicy {
    fn default() -> Self {
        PromisePolicy {
            late: LateShipmentPolicy::default(),
            window_floor: Duration::from_millis(SHIP_WITHIN_MIN_MS.unsigned_abs()),
            // Ten minutes: short beside a 48-hour promise, long enough for a supplier's
            // system to report a parcel handed over at the deadline.
            sweep_grace: Duration::from_secs(600),
        }
    }
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

fn refused(error: daihuo_domain::fulfilment::FulfilmentError) -> ServiceError {
    ServiceError::invalid(error.code(), error.to_string())
}

/// A shipping window to set; `null` clears it (the default applies again).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShipWindowInput {
    /// Milliseconds from payment to shipment: 1 hour to 15 days.
    pub ship_within_ms: Option<i64>,
}

/// A shipping window as set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShipWindowView {
    /// The window set, or `null` when the default applies.
    pub ship_within_ms: Option<i64>,
    /// The platform's default window (48 hours).
    pub default_ms: i64,
}

/// A pre-sale SKU's promised ship date; `null` makes it an ordinary SKU again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PresaleInput {
    /// Unix ms, in the future and at most 60 days ahead.
    pub ship_by_ms: Option<i64>,
}

/// A SKU's pre-sale date as set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresaleView {
    /// The SKU.
    pub sku_id: SkuId,
    /// The promised ship date, Unix ms; `null` for goods in stock.
    pub ship_by_ms: Option<i64>,
}

/// Routed and late orders.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct LateCountsView {
    /// Orders routed with a promise.
    pub routed_orders: i64,
    /// Of those, the ones shipped after the promise or not shipped by it.
    pub late_orders: i64,
    /// Compensation charged for them, fen.
    pub compensation_fen: i64,
}

impl From<LateCounts> for LateCountsView {
    fn from(counts: LateCounts) -> Self {
        LateCountsView {
            routed_orders: counts.routed_orders,
            late_orders: counts.late_orders,
            compensation_fen: counts.compensation_fen,
        }
    }
}

/// One SKU's line of a supplier's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuLateView {
    /// The SKU.
    pub sku_id: SkuId,
    /// The supplier's code of it.
    pub sku_code: String,
    /// Its figures.
    #[serde(flatten)]
    pub counts: LateCountsView,
}

/// A supplier's shipping record: how often it broke its promise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LateRecordView {
    /// The supplier's window, `null` when the default applies.
    pub ship_within_ms: Option<i64>,
    /// All its orders.
    #[serde(flatten)]
    pub totals: LateCountsView,
    /// Per SKU, most late orders first (at most 100 SKUs).
    pub skus: Vec<SkuLateView>,
}

impl Services {
    fn check_window(&self, input: &ShipWindowInput) -> ServiceResult<Option<i64>> {
        input
            .ship_within_ms
            .map(|ms| {
                ShipWindow::parse_with_floor(ms, duration_ms(self.config.promises.window_floor))
                    .map(ShipWindow::as_ms)
                    .map_err(refused)
            })
            .transpose()
    }

    /// Supplier staff: sets (or clears) how long after payment their organisation ships.
    pub async fn set_supplier_ship_window(
        &self,
        actor: &Actor,
        input: ShipWindowInput,
    ) -> ServiceResult<ShipWindowView> {
        let supplier = actor.require_supplier()?;
        let window = self.check_window(&input)?;
        let mut tx = self.store.begin_write().await?;
        if !promise_store::set_supplier_window(tx.conn(), supplier, window).await? {
            return Err(ServiceError::NotFound("supplier"));
        }
        tx.commit().await?;
        Ok(ShipWindowView {
            ship_within_ms: window,
            default_ms: SHIP_WITHIN_DEFAULT_MS,
        })
    }

    /// Operator: sets (or clears) a campaign's window, which wins over the suppliers' for
    /// orders bought in the campaign.
    pub async fn set_campaign_ship_window(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        input: ShipWindowInput,
    ) -> ServiceResult<ShipWindowView> {
        actor.require_operator()?;
        let window = self.check_window(&input)?;
        let mut tx = self.store.begin_write().await?;
        if !promise_store::set_campaign_window(tx.conn(), campaign, window).await? {
            return Err(ServiceError::NotFound("campaign"));
        }
        tx.commit().await?;
        Ok(ShipWindowView {
            ship_within_ms: window,
            default_ms: SHIP_WITHIN_DEFAULT_MS,
        })
    }

    /// Supplier: makes its SKU a pre-sale promised to ship by a date (or, with `null`, an
    /// ordinary SKU again). Orders already routed keep their promise.
    pub async fn set_presale_date(
        &self,
        actor: &Actor,
        sku: SkuId,
        input: PresaleInput,
    ) -> ServiceResult<PresaleView> {
        let supplier = actor.require_supplier()?;
        let date = input
            .ship_by_ms
            .map(|ms| check_presale_date(ms, now_ms()).map_err(refused))
            .transpose()?;
        let mut tx = self.store.begin_write().await?;
        if !promise_store::set_presale_date(tx.conn(), supplier, sku, date).await? {
            return Err(ServiceError::NotFound("sku"));
        }
        tx.commit().await?;
        Ok(PresaleView {
            sku_id: sku,
            ship_by_ms: date,
        })
    }

    /// Supplier: its own shipping record, in total and per SKU.
    pub async fn late_shipment_record(&self, actor: &Actor) -> ServiceResult<LateRecordView> {
        let supplier = actor.require_supplier()?;
        let pool = self.store.pool();
        let totals = promise_store::late_shipments(pool, LateScope::Supplier(supplier)).await?;
        let skus = promise_store::late_shipments_by_sku(pool, supplier, RECORD_SKUS_MAX).await?;
        Ok(LateRecordView {
            ship_within_ms: promise_store::supplier_window(pool, supplier).await?,
            totals: totals.into(),
            skus: skus
                .into_iter()
                .map(|row| SkuLateView {
                    sku_id: row.sku_id,
                    sku_code: row.sku_code,
                    counts: row.counts.into(),
                })
                .collect(),
        })
    }

    /// Marks late the routed orders whose deadline and grace have passed with nothing
    /// shipped, compensating each once; returns how many it compensated. Part of
    /// [`Services::sweep_checkout`].
    pub async fn sweep_late_shipments(&self) -> ServiceResult<usize> {
        let now = now_ms();
        let grace = duration_ms(self.config.promises.sweep_grace);
        let due = promise_store::overdue_shipments(
            self.store.pool(),
            now.saturating_sub(grace),
            LATE_PER_SWEEP,
        )
        .await?;
        let mut compensated = 0;
        for id in due {
            match self.mark_overdue(id, now).await {
                Ok(refund) => {
                    compensated += usize::from(refund.is_some());
                    self.send_compensation(refund);
                }
                // One order that cannot be marked must not hold up the others behind it.
                Err(error) => {
                    tracing::error!(order = %id, code = error.code(), %error,
                        "overdue order not marked late");
                }
            }
        }
        Ok(compensated)
    }

    /// One overdue order, in its own transaction.
    async fn mark_overdue(&self, id: OrderId, now: i64) -> ServiceResult<Option<RefundRow>> {
        let mut tx = self.store.begin_write().await?;
        let Some(order) = store::order_by_id(tx.conn(), id).await? else {
            return Ok(None);
        };
        let refund = compensate_late(tx.conn(), &order, &self.config.promises, now, None).await?;
        tx.commit().await?;
        Ok(refund)
    }

    /// Asks the gateway for a compensation refund after its transaction committed, without
    /// holding up the caller; the checkout sweeper asks again if this does not get through.
    pub(crate) fn send_compensation(&self, refund: Option<RefundRow>) {
        let (Some(refund), Some(setup)) = (refund, self.payments.clone()) else {
            return;
        };
        let services = self.clone();
        tokio::spawn(async move { services.send_refund(&setup, &refund).await });
    }
}

/// Resolves the promise of an order being routed (in its transaction), stores it on the
/// order and returns the deadline. A pre-sale date was checked when it was set, so it
/// resolves for any later payment; should it not (a clock moved back), the order gets the
/// window alone and the refusal is logged, because routing a paid order must not fail.
pub(crate) async fn promise_at_routing(
    conn: &mut AnyConnection,
    order: &OrderRow,
    paid_at_ms: i64,
) -> ServiceResult<i64> {
    let settings = promise_store::settings_for_order(conn, order.id).await?;
    // Stored windows were checked when set; one that no longer parses (a stricter floor
    // since) is still the one the supplier or operator chose.
    let window = |ms: Option<i64>| ms.and_then(|ms| ShipWindow::parse_with_floor(ms, 1).ok());
    let supplier = window(settings.supplier_window_ms);
    let campaign = window(settings.campaign_window_ms);
    let promise =
        match ShipPromise::resolve(supplier, campaign, settings.presale_ship_by_ms, paid_at_ms) {
            Ok(promise) => promise,
            Err(error) => {
                tracing::warn!(order = %order.id, code = error.code(),
                    "pre-sale date not applied to the promise");
                ShipPromise::resolve(supplier, campaign, None, paid_at_ms).map_err(refused)?
            }
        };
    let ship_by = promise.ship_by_ms(paid_at_ms);
    promise_store::set_ship_by(conn, order.id, ship_by).await?;
    Ok(ship_by)
}

/// The supplier confirmed the shipment of `order` (read before it moved to shipped, its
/// row now locked) at `now`: if that is after the promise and the order was not found late
/// before, it is late now. Returns the compensation refund to send after the commit.
pub(crate) async fn shipped(
    conn: &mut AnyConnection,
    order: &OrderRow,
    policy: &PromisePolicy,
    now: i64,
) -> ServiceResult<Option<RefundRow>> {
    match order.ship_by_ms {
        Some(ship_by) if now > ship_by && order.late_at_ms.is_none() => {
            compensate_late(conn, order, policy, now, Some(now)).await
        }
        _ => Ok(None),
    }
}

/// Marks `order` late, once, and compensates its buyer at the supplier's cost: the ledger
/// posting, the refund to send and the `order.late` event, all in the caller's transaction.
/// `shipped_at_ms` is `None` when the sweeper found it unshipped (then it must still be
/// routed). Returns the refund to send after the commit; `None` when it was marked before
/// (or is no longer waiting to ship) or owes nothing.
async fn compensate_late(
    conn: &mut AnyConnection,
    order: &OrderRow,
    policy: &PromisePolicy,
    now: i64,
    shipped_at_ms: Option<i64>,
) -> ServiceResult<Option<RefundRow>> {
    let Some(ship_by) = order.ship_by_ms else {
        return Ok(None);
    };
    let owed = policy
        .late
        .compensation(Fen(order.split[2]))
        .map_err(|e| internal(format!("compensation of order {}: {e}", order.id)))?;
    // The order's row first (the lock order), and only once.
    let only_if_routed = shipped_at_ms.is_none();
    if !promise_store::mark_late(conn, order.id, now, owed.0, only_if_routed).await? {
        return Ok(None);
    }
    crate::quality::count(conn, order, daihuo_store::quality::Counted::Late).await?;
    let refund = if owed.0 > 0 {
        charge_supplier(conn, order, owed, now).await?
    } else {
        None
    };
    let event_id = format!("{KIND_ORDER_LATE}-{}", order.id);
    let data = serde_json::json!({
        "order_id": order.id, "order_no": order.order_no, "sku_id": order.sku_id,
        "ship_by_ms": ship_by, "late_at_ms": now, "shipped_at_ms": shipped_at_ms,
        "compensation_fen": owed.0,
    });
    daihuo_store::fulfilment::insert_outbox(
        conn,
        &event_id,
        order.supplier_id,
        KIND_ORDER_LATE,
        &data.to_string(),
        now,
    )
    .await?;
    tracing::info!(order = %order.id, ship_by, compensation_fen = owed.0,
        shipped = shipped_at_ms.is_some(), "order late; buyer compensated");
    Ok(refund)
}

/// Posts `owed` as compensation charged to the supplier and stores the refund that sends it
/// to the buyer from the payment that paid the order.
async fn charge_supplier(
    conn: &mut AnyConnection,
    order: &OrderRow,
    owed: Fen,
    now: i64,
) -> ServiceResult<Option<RefundRow>> {
    let Some(json) = daihuo_store::fulfilment::order_money(&mut *conn, order.id).await? else {
        // Paid before the ledger existed: nothing to charge against.
        tracing::warn!(order = %order.id, "late order has no ledger record; not compensated");
        return Ok(None);
    };
    let mut money: OrderMoney = serde_json::from_str(&json)
        .map_err(|e| internal(format!("order money {}: {e}", order.id)))?;
    let posting = money.compensate(owed)?;
    append(conn, &posting, now).await?;
    save_money(conn, order.id, &money, now).await?;
    let Some((payment_id, gateway_payment_id)) =
        promise_store::paying_payment(conn, order.id).await?
    else {
        return Err(internal(format!(
            "late order {} has no payment to compensate from",
            order.id
        )));
    };
    let refund = RefundRow {
        order_id: order.id,
        payment_id,
        gateway_payment_id,
        amount_fen: owed.0,
        merchant_refund_id: format!("{COMPENSATION_REFUND_PREFIX}{}", order.id),
    };
    promise_store::insert_compensation_refund(conn, &refund, now).await?;
    Ok(Some(refund))
}

/// Whether a stored refund sends compensation rather than the order's money back.
pub(crate) async fn is_compensation(
    conn: &mut AnyConnection,
    merchant_refund_id: &str,
) -> ServiceResult<bool> {
    Ok(promise_store::refund_purpose(conn, merchant_refund_id)
        .await?
        .as_deref()
        == Some(promise_store::PURPOSE_COMPENSATION))
}

/// What the gateway is told a refund is for.
pub(crate) fn refund_reason(refund: &RefundRow) -> String {
    if refund
        .merchant_refund_id
        .starts_with(COMPENSATION_REFUND_PREFIX)
    {
        "compensation for a late shipment, paid by the supplier".into()
    } else {
        "daihuo could not fulfil the order this payment was for".into()
    }
}

/// The gateway confirmed a compensation of `amount` for `order` sent to the buyer: posts it
/// as compensation sent (not as a refund).
pub(crate) async fn compensation_confirmed(
    conn: &mut AnyConnection,
    order: OrderId,
    amount: Fen,
    now: i64,
) -> ServiceResult<()> {
    // Lock the order's row (the lock order) so that no other posting about this order reads
    // its ledger record meanwhile.
    promise_store::lock_order(conn, order).await?;
    let Some(json) = daihuo_store::fulfilment::order_money(&mut *conn, order).await? else {
        return Ok(());
    };
    let mut money: OrderMoney =
        serde_json::from_str(&json).map_err(|e| internal(format!("order money {order}: {e}")))?;
    match money.compensation_sent(amount) {
        Ok(posting) => {
            append(conn, &posting, now).await?;
            save_money(conn, order, &money, now).await
        }
        Err(error) => {
            tracing::warn!(%order, code = error.code(), "a confirmed compensation posts nothing");
            Ok(())
        }
    }
}
