//! After-sales (售后): a buyer's return or refund request on a paid order, the supplier's
//! decision (silence approves after the deadline), the buyer's dispute and the operator's
//! arbitration, the return parcel, and the refund through the payment gateway.
//!
//! # One transaction per step
//! Every step locks the order's row first (a write that changes nothing, the first lock of
//! ARCHITECTURE.md's lock order), reads the order and the request under that lock, lets
//! `domain::after_sales::AfterSales` decide, writes the request back with a compare-and-set
//! on its status, and writes an `after_sales.{step}` event for the supplier to the outbox, all
//! in one transaction. A refund happens in the transaction of the step that makes it due:
//! the supplier confirming the return received, or the approval of a refund-only request (by
//! the supplier, by its silence, or by an operator overturning a rejection). Its ledger
//! posting (`OrderMoney::refund`), its `refunds` row and the order's move to
//! `refund_pending` commit with the step; the gateway is asked after the commit, and its
//! confirmation is applied by the payment path (`refund_confirmed` posts `refund_sent`, and
//! an order that was `refund_pending` becomes `refunded`).
//!
//! # How much is refunded
//! A request concerns some of the order's units. The refund is the buyer's payment pro rata:
//! the units refunded so far, `n`, are worth `floor(buyer_pays × n / quantity)`, and each
//! request refunds the difference its units make; the last unit takes the remainder, so the
//! refunds of every unit add up to what the buyer paid. The ledger reverses commission, fee
//! and subsidy pro rata of that amount (`domain::ledger::reversal_for`).
//!
//! # Postage
//! Who pays the return postage follows `AfterSales::return_postage_paid_by`: the buyer for a
//! no-reason return, the supplier for a quality complaint; never the anchor. daihuo never
//! holds postage money: the buyer pays the carrier, or sends the parcel freight collect
//! (到付) to a supplier that bears it, so the ledger posts nothing for postage. The events and
//! views say who bears it.

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::after_sales::{
    AfterSales, AfterSalesError, AfterSalesKind, AfterSalesStatus, CostBearer, Evidence,
    OrderFacts, RefundOnlyReason, StoredAfterSales,
};
use daihuo_domain::ledger::OrderMoney;
use daihuo_domain::waybill::{Carrier, Waybill};
use daihuo_domain::{Fen, OrderId, SupplierId};
use daihuo_store::after_sales::{self as as_store, AfterSalesRow, NewAfterSales};
use daihuo_store::checkout::{self as store, OrderRow};
use daihuo_store::fulfilment as ful_store;
use daihuo_store::payments::{self as pay_store, RefundRow};
use daihuo_store::quality::Counted;
use daihuo_store::{now_ms, AnyConnection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most requests one page lists.
pub const AFTER_SALES_PAGE_MAX: i64 = 100;
/// The longest reason or note a supplier, buyer or operator writes, in characters: as long
/// as a complaint's own text.
pub const REASON_MAX_CHARS: usize = daihuo_domain::after_sales::EVIDENCE_TEXT_MAX_CHARS;
/// The most overdue requests one sweep approves, so a backlog cannot make one sweep endless.
const LAPSES_PER_SWEEP: i64 = 100;
/// Prefix of an after-sales refund's merchant id at the gateway: `daihuo-after-sales-{id}`.
/// (A whole payment given back uses `daihuo-refund-{payment}`.)
const MERCHANT_REFUND_PREFIX: &str = "daihuo-after-sales-";
/// The event that tells a supplier not to ship an order refunded before shipment.
const KIND_ORDER_CANCELLED: &str = crate::fulfilment::KIND_ORDER_CANCELLED;

impl From<AfterSalesError> for ServiceError {
    fn from(error: AfterSalesError) -> Self {
        let code = error.code();
        match error {
            // Bad input: the same request with other evidence may pass.
            AfterSalesError::InvalidEvidence(_) => ServiceError::invalid(code, error.to_string()),
            // The order or the request is not in a state that allows it.
            _ => ServiceError::conflict(code, error.to_string()),
        }
    }
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

fn busy() -> ServiceError {
    ServiceError::Unavailable {
        code: "busy",
        message: "the order changed meanwhile; try again".into(),
    }
}

/// What a buyer asks for, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Return within 7 days of delivery, no reason needed; the buyer pays the postage.
    NoReasonReturn,
    /// Money back before the order ships; nothing to return.
    RefundOnlyNotShipped,
    /// Money back for a parcel that never arrived.
    RefundOnlyNeverReceived,
    /// Faulty goods, with evidence: return them at the supplier's cost.
    QualityComplaint,
}

impl RequestKind {
    const ALL: [RequestKind; 4] = [
        RequestKind::NoReasonReturn,
        RequestKind::RefundOnlyNotShipped,
        RequestKind::RefundOnlyNeverReceived,
        RequestKind::QualityComplaint,
    ];

    /// The domain's kind, with a complaint's evidence.
    fn with(self, evidence: Option<Evidence>) -> Result<AfterSalesKind, AfterSalesError> {
        Ok(match self {
            RequestKind::NoReasonReturn => AfterSalesKind::NoReasonReturn,
            RequestKind::RefundOnlyNotShipped => {
                AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped)
            }
            RequestKind::RefundOnlyNeverReceived => {
                AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived)
            }
            RequestKind::QualityComplaint => AfterSalesKind::QualityComplaint(evidence.ok_or(
                AfterSalesError::InvalidEvidence(
                    "a quality complaint needs 1 to 9 images and a text",
                ),
            )?),
        })
    }

    /// The stored name, as `AfterSalesKind::as_str` names the same kind.
    fn as_str(self) -> &'static str {
        match self {
            RequestKind::NoReasonReturn => "no_reason_return",
            RequestKind::RefundOnlyNotShipped => "refund_only_not_shipped",
            RequestKind::RefundOnlyNeverReceived => "refund_only_never_received",
            RequestKind::QualityComplaint => "quality_complaint",
        }
    }

    /// The kind of a stored name.
    fn from_db(raw: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A quality complaint's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceInput {
    /// 1 to 9 `https` URLs of photos already uploaded, each at most 512 bytes.
    pub image_urls: Vec<String>,
    /// What is wrong, 1 to 500 characters.
    pub text: String,
}

impl EvidenceInput {
    fn parse(&self) -> Result<Evidence, AfterSalesError> {
        let urls: Vec<&str> = self.image_urls.iter().map(String::as_str).collect();
        Evidence::parse(&urls, &self.text)
    }
}

/// A buyer's request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AfterSalesInput {
    /// What the buyer asks for.
    pub kind: RequestKind,
    /// How many of the order's units (default: every unit not refunded yet). A refund-only
    /// request covers every unit left.
    #[serde(default)]
    pub units: Option<i64>,
    /// Required for a quality complaint, refused for the other kinds.
    #[serde(default)]
    pub evidence: Option<EvidenceInput>,
}

/// The buyer's return parcel.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReturnShipmentInput {
    /// `sf`, `jd`, `zto`, `yto`, `sto`, `yunda` or `ems` (any case).
    pub carrier: String,
    /// The carrier's waybill number.
    pub waybill: String,
}

/// What the supplier decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplierDecision {
    /// Grant the request.
    Approve,
    /// Refuse it, with a reason, before the deadline.
    Reject,
}

/// The supplier's decision on a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionInput {
    /// `approve` or `reject`.
    pub decision: SupplierDecision,
    /// Why, 1 to 500 characters: required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The buyer disputes a rejection.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DisputeInput {
    /// Why the rejection is wrong, 1 to 500 characters.
    pub reason: String,
}

/// What the operator decides on a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arbitration {
    /// The supplier was right: the rejection stands, finally.
    Uphold,
    /// The buyer was right: the request proceeds as approved.
    Overturn,
}

/// The operator's ruling on a disputed request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ArbitrationInput {
    /// `uphold` or `overturn`.
    pub decision: Arbitration,
    /// Why, 1 to 500 characters.
    pub note: String,
}

/// An after-sales request as its buyer, its supplier and operators see it (and as the
/// supplier's events carry it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AfterSalesView {
    /// The request's id.
    pub id: i64,
    /// The order.
    pub order_id: OrderId,
    /// The supplier that decides.
    pub supplier_id: SupplierId,
    /// What the buyer asks for.
    pub kind: RequestKind,
    /// Where it stands.
    pub status: AfterSalesStatus,
    /// How many of the order's units.
    pub units: i64,
    /// A quality complaint's evidence.
    pub evidence: Option<EvidenceInput>,
    /// When the buyer asked, Unix ms.
    pub requested_at_ms: i64,
    /// Until when the supplier may reject; after it, silence approves.
    pub decide_by_ms: i64,
    /// Whether the supplier's silence approved it.
    pub approved_by_silence: bool,
    /// Why the supplier rejected.
    pub reject_reason: Option<String>,
    /// Why the buyer disputes the rejection.
    pub dispute_reason: Option<String>,
    /// The operator's ruling, in words.
    pub arbitration_note: Option<String>,
    /// Whether goods go back before the refund.
    pub needs_return: bool,
    /// Who pays the return postage (`buyer` or `supplier`, never the anchor); absent when
    /// nothing goes back.
    pub return_postage_paid_by: Option<CostBearer>,
    /// The return parcel's carrier.
    pub return_carrier: Option<String>,
    /// The return parcel's waybill.
    pub return_waybill: Option<String>,
    /// The refund decided, fen.
    pub refund_fen: Option<i64>,
    /// Where that refund stands at the gateway: `requested`, `succeeded` or `failed`.
    pub refund_status: Option<String>,
    /// Last change, Unix ms.
    pub updated_at_ms: i64,
}

impl AfterSalesView {
    fn of(row: &AfterSalesRow) -> ServiceResult<AfterSalesView> {
        let request = restore(row)?;
        Ok(AfterSalesView {
            id: row.id,
            order_id: row.order_id,
            supplier_id: row.supplier_id,
            kind: request_kind(row)?,
            status: row.status,
            units: row.units,
            evidence: evidence_of(row)?,
            requested_at_ms: row.requested_at_ms,
            decide_by_ms: row.decide_by_ms,
            approved_by_silence: row.approved_by_silence,
            reject_reason: row.reject_reason.clone(),
            dispute_reason: row.dispute_reason.clone(),
            arbitration_note: row.arbitration_note.clone(),
            needs_return: request.kind().needs_return(),
            return_postage_paid_by: request.return_postage_paid_by(),
            return_carrier: row.return_carrier.clone(),
            return_waybill: row.return_waybill.clone(),
            refund_fen: row.refund_fen,
            refund_status: row.refund_status.clone(),
            updated_at_ms: row.updated_at_ms,
        })
    }
}

/// A page of requests, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AfterSalesPage {
    /// The requests.
    pub items: Vec<AfterSalesView>,
    /// Ask with `before` set to this for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

fn request_kind(row: &AfterSalesRow) -> ServiceResult<RequestKind> {
    RequestKind::from_db(&row.kind)
        .ok_or_else(|| internal(format!("after-sales {} has kind {}", row.id, row.kind)))
}

fn evidence_of(row: &AfterSalesRow) -> ServiceResult<Option<EvidenceInput>> {
    row.evidence_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| internal(format!("after-sales {} evidence: {e}", row.id)))
}

/// The domain's request of a stored row.
fn restore(row: &AfterSalesRow) -> ServiceResult<AfterSales> {
    let evidence = evidence_of(row)?
        .map(|e| e.parse())
        .transpose()
        .map_err(|e| internal(format!("after-sales {} evidence: {e}", row.id)))?;
    let kind = request_kind(row)?
        .with(evidence)
        .map_err(|e| internal(format!("after-sales {}: {e}", row.id)))?;
    let return_waybill = match (&row.return_carrier, &row.return_waybill) {
        (Some(carrier), Some(waybill)) => Some(
            Carrier::parse(carrier)
                .and_then(|c| Waybill::parse(c, waybill))
                .map_err(|e| internal(format!("after-sales {} waybill: {e}", row.id)))?,
        ),
        _ => None,
    };
    Ok(AfterSales::restore(StoredAfterSales {
        kind,
        status: row.status,
        requested_at_ms: row.requested_at_ms,
        decide_by_ms: row.decide_by_ms,
        approved_by_silence: row.approved_by_silence,
        return_waybill,
    }))
}

/// A reason or note: trimmed, 1 to [`REASON_MAX_CHARS`] characters.
fn reason(raw: &str) -> ServiceResult<String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > REASON_MAX_CHARS {
        return Err(ServiceError::invalid(
            "invalid_reason",
            "a reason must be 1 to 500 characters",
        ));
    }
    Ok(text.to_owned())
}

/// What the units `0..units` of an order are worth of what the buyer paid:
/// `floor(buyer_pays × units / quantity)`, so all the units are worth exactly `buyer_pays`.
fn worth_of_units(buyer_pays: i64, quantity: i64, units: i64) -> i64 {
    if quantity <= 0 {
        return 0;
    }
    let worth = i128::from(buyer_pays) * i128::from(units) / i128::from(quantity);
    i64::try_from(worth).unwrap_or(buyer_pays)
}

/// Who acts on a request, and so what is checked before it is read.
#[derive(Debug, Clone, Copy)]
enum Acting {
    /// The order's buyer.
    Buyer,
    /// The order's supplier.
    Supplier,
    /// An operator.
    Operator,
    /// The sweeper, on nobody's behalf.
    Sweeper,
}

/// What a step does once the request is written back and announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Nothing more.
    Nothing,
    /// A granted request with no goods to come back (refund-only) is refunded now.
    RefundIfNothingReturns,
    /// The request is refunded now (the returned goods arrived).
    Refund,
}

/// Reads request `id` for `actor` acting as `acting`, locks its order's row (the lock
/// order's first row), and reads the order and the request again under that lock. A request
/// the actor may not act on is `not_found`, as if it did not exist.
async fn lock_request(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    acting: Acting,
    id: i64,
) -> ServiceResult<(AfterSalesRow, OrderRow)> {
    let not_found = || ServiceError::NotFound("after-sales request");
    let row = as_store::after_sales_by_id(&mut *conn, id)
        .await?
        .ok_or_else(not_found)?;
    match (acting, actor) {
        (Acting::Buyer, Some(actor)) if actor.user_id == row.buyer_id => {}
        (Acting::Supplier, Some(actor)) => {
            if actor.require_supplier()? != row.supplier_id {
                return Err(not_found());
            }
        }
        (Acting::Operator, Some(actor)) => actor.require_operator()?,
        (Acting::Sweeper, None) => {}
        _ => return Err(not_found()),
    }
    let order = as_store::lock_order(&mut *conn, row.order_id)
        .await?
        .ok_or(ServiceError::NotFound("order"))?;
    let row = as_store::after_sales_by_id(&mut *conn, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((row, order))
}

/// Writes the request's new state (`request`'s status, and `row`'s other fields) if it is
/// still in `from`.
async fn save(
    conn: &mut AnyConnection,
    row: &mut AfterSalesRow,
    request: &AfterSales,
    from: AfterSalesStatus,
    now: i64,
) -> ServiceResult<()> {
    row.status = request.status();
    row.approved_by_silence = request.approved_by_silence();
    if let Some(waybill) = request.return_waybill() {
        row.return_carrier = Some(waybill.carrier().as_str().to_owned());
        row.return_waybill = Some(waybill.as_str().to_owned());
    }
    row.updated_at_ms = now;
    if !as_store::save_after_sales(conn, row, from, now).await? {
        return Err(busy());
    }
    Ok(())
}

/// Writes `after_sales.{step}` for the request's supplier to the outbox. Each step happens
/// at most once per request, so the event id `after_sales.{step}-{request}` is unique and a
/// replay announces nothing new.
async fn announce(
    conn: &mut AnyConnection,
    row: &AfterSalesRow,
    order: &OrderRow,
    step: &str,
    now: i64,
) -> ServiceResult<()> {
    // Each step is announced once per request, so the quality record counts steps here: a
    // complaint when filed, a return when granted (by the supplier, its silence or an
    // operator).
    let counted = match (row.kind.as_str(), step) {
        ("quality_complaint", "requested") => Some(Counted::Complaint),
        ("no_reason_return" | "quality_complaint", "approved" | "overturned") => {
            Some(Counted::Return)
        }
        _ => None,
    };
    if let Some(what) = counted {
        crate::quality::count(conn, order, what).await?;
    }
    let kind = format!("after_sales.{step}");
    let event_id = format!("{kind}-{}", row.id);
    let mut data = serde_json::to_value(AfterSalesView::of(row)?)
        .map_err(|e| internal(format!("after-sales {} event: {e}", row.id)))?;
    data["order_no"] = serde_json::Value::from(order.order_no.as_str());
    data["sku_id"] = serde_json::Value::from(order.sku_id.0);
    ful_store::insert_outbox(
        conn,
        &event_id,
        row.supplier_id,
        &kind,
        &data.to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// The request is granted and owes the buyer money now (a refund-only request approved, or
/// a return received): refunds its units' worth, in this transaction. Posts the refund
/// (`OrderMoney::refund`), stores the `refunds` row to ask the gateway for after the commit
/// (returned), moves a fully refunded order to `refund_pending`, lets a refund before
/// shipment give up the order's stock and tells the supplier not to ship, and announces
/// `after_sales.refunded`.
async fn refund(
    conn: &mut AnyConnection,
    row: &mut AfterSalesRow,
    request: &mut AfterSales,
    order: &OrderRow,
    now: i64,
) -> ServiceResult<Option<RefundRow>> {
    let from = row.status;
    request.refund()?;
    let json = ful_store::order_money(&mut *conn, order.id)
        .await?
        .ok_or_else(|| internal(format!("order {} has no ledger record", order.id)))?;
    let mut money: OrderMoney = serde_json::from_str(&json)
        .map_err(|e| internal(format!("order money {}: {e}", order.id)))?;
    let before = as_store::units_refunded(conn, order.id).await?;
    let buyer_pays = order.split[2];
    let worth = worth_of_units(buyer_pays, order.quantity, before + row.units)
        - worth_of_units(buyer_pays, order.quantity, before);
    // Never more than the ledger says is left (it is the same unless money went back
    // another way).
    let amount = worth.min(money.refundable().0);
    let gateway_refund = if amount > 0 {
        let posting = money.refund(Fen(amount))?;
        crate::fulfilment::append(conn, &posting, now).await?;
        crate::fulfilment::save_money(conn, order.id, &money, now).await?;
        let (payment_id, gateway_payment_id) =
            as_store::paying_payment_of(conn, order.id)
                .await?
                .ok_or_else(|| internal(format!("order {} has no payment to refund", order.id)))?;
        let refund = RefundRow {
            order_id: order.id,
            payment_id,
            gateway_payment_id,
            amount_fen: amount,
            merchant_refund_id: format!("{MERCHANT_REFUND_PREFIX}{}", row.id),
        };
        pay_store::insert_refund(conn, &refund, now).await?;
        Some(refund)
    } else {
        None
    };
    if money.refundable().0 == 0 {
        // Nothing of the order is the buyer's any more: the order follows its refund. A
        // completed order stays completed (its state machine ends there); its money is
        // still reversed above.
        match order.status.start_refund() {
            Ok(to) => {
                if !store::set_order_status(
                    conn,
                    order.id,
                    order.status,
                    to,
                    Some("after_sales"),
                    now,
                )
                .await?
                {
                    return Err(busy());
                }
            }
            Err(error) => tracing::info!(order = %order.id, code = error.code(),
                "a fully refunded order keeps its status"),
        }
    }
    let before_shipment = AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped);
    // A supplier that shipped while the request waited has nothing left to hold back.
    if *request.kind() == before_shipment && release_unshipped(conn, order).await? > 0 {
        let event_id = format!("{KIND_ORDER_CANCELLED}-{}", order.id);
        let data = serde_json::json!({"order_id": order.id, "order_no": order.order_no,
            "reason": "refunded_before_shipment", "after_sales_id": row.id});
        ful_store::insert_outbox(
            conn,
            &event_id,
            order.supplier_id,
            KIND_ORDER_CANCELLED,
            &data.to_string(),
            now,
        )
        .await?;
    }
    row.refund_fen = Some(amount);
    row.merchant_refund_id = gateway_refund
        .as_ref()
        .map(|r| r.merchant_refund_id.clone());
    save(conn, row, request, from, now).await?;
    row.refund_status = gateway_refund.as_ref().map(|_| {
        daihuo_domain::order::RefundStatus::Requested
            .as_str()
            .to_owned()
    });
    announce(conn, row, order, "refunded", now).await?;
    Ok(gateway_refund)
}

/// A granted refund-only request is refunded in the transaction that granted it; a return
/// waits for its goods.
async fn refund_if_nothing_returns(
    conn: &mut AnyConnection,
    row: &mut AfterSalesRow,
    request: &mut AfterSales,
    order: &OrderRow,
    now: i64,
) -> ServiceResult<Option<RefundRow>> {
    if request.kind().needs_return() {
        return Ok(None);
    }
    refund(conn, row, request, order, now).await
}

/// An order refunded before it shipped gives up what it holds: the SKU's promised units
/// (`units_held`, whether an ordinary purchase or a flash sale's took them: a sale holds its
/// units there too) and its warehouses' claims (`stock.reserved`) of the shipments not
/// shipped. The SKU's row first, then the stock rows (the lock order). Returns how many
/// units had not shipped.
async fn release_unshipped(conn: &mut AnyConnection, order: &OrderRow) -> ServiceResult<i64> {
    let shipments = ful_store::shipments_of(&mut *conn, order.id).await?;
    let shipped: i64 = shipments
        .iter()
        .filter(|s| s.shipped_at_ms.is_some())
        .map(|s| s.units)
        .sum();
    let unshipped = order.quantity - shipped;
    if unshipped > 0 {
        store::release_sku_units(conn, order.sku_id, unshipped).await?;
    }
    for shipment in shipments.iter().filter(|s| s.shipped_at_ms.is_none()) {
        as_store::release_reservation(conn, shipment.sku_id, shipment.warehouse_id, shipment.units)
            .await?;
    }
    Ok(unshipped)
}

impl Services {
    /// Asks the gateway for a refund a committed step decided, without holding up the
    /// answer; the checkout sweeper asks again if this does not get through.
    fn send_after_commit(&self, refund: Option<RefundRow>) {
        let (Some(refund), Some(setup)) = (refund, self.payments.clone()) else {
            return;
        };
        let services = self.clone();
        tokio::spawn(async move { services.send_refund(&setup, &refund).await });
    }

    /// The buyer asks for a return or a refund on their paid order. Refused with
    /// `after_sales_not_eligible` outside the kind's window or order states,
    /// `after_sales_open` while another request of the order is open, `invalid_evidence`,
    /// `evidence_not_expected` or `invalid_units`; someone else's order is `not_found`.
    pub async fn request_after_sales(
        &self,
        actor: &Actor,
        order_id: OrderId,
        input: AfterSalesInput,
    ) -> ServiceResult<AfterSalesView> {
        let evidence = match (input.kind, &input.evidence) {
            (RequestKind::QualityComplaint, Some(evidence)) => Some(evidence.parse()?),
            (RequestKind::QualityComplaint, None) => None,
            (_, Some(_)) => {
                return Err(ServiceError::invalid(
                    "evidence_not_expected",
                    "only a quality complaint carries evidence",
                ))
            }
            (_, None) => None,
        };
        let kind = input.kind.with(evidence)?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        // The order's row first (the lock order): its status holds until the commit.
        let order = as_store::lock_order(tx.conn(), order_id)
            .await?
            .filter(|o| o.buyer_id == actor.user_id)
            .ok_or(ServiceError::NotFound("order"))?;
        let left = order.quantity - as_store::units_refunded(tx.conn(), order.id).await?;
        let units = input.units.unwrap_or(left);
        if left <= 0 || units < 1 || units > left {
            return Err(ServiceError::invalid(
                "invalid_units",
                format!("units must be 1 to the {left} not refunded yet"),
            ));
        }
        if !kind.needs_return() && units != left {
            return Err(ServiceError::invalid(
                "invalid_units",
                format!("a refund without a return covers every unit left ({left})"),
            ));
        }
        let events = ful_store::tracking_events_of(&mut *tx.conn(), order.id).await?;
        let facts = OrderFacts {
            status: order.status,
            delivered_at_ms: crate::fulfilment::timeline_of(&events)?.delivered_at_ms(),
        };
        let request = AfterSales::request_within(kind, facts, now, &self.config.after_sales)?;
        // The evidence as the domain checked it (its text trimmed), in the shape of
        // `EvidenceInput`.
        let evidence_json = match request.kind() {
            AfterSalesKind::QualityComplaint(evidence) => Some(
                serde_json::to_string(evidence).map_err(|e| internal(format!("evidence: {e}")))?,
            ),
            _ => None,
        };
        let new = NewAfterSales {
            order_id: order.id,
            buyer_id: order.buyer_id,
            supplier_id: order.supplier_id,
            kind: request.kind().as_str(),
            units,
            evidence_json: evidence_json.as_deref(),
            requested_at_ms: request.requested_at_ms(),
            decide_by_ms: request.decide_by_ms(),
        };
        let id = match as_store::insert_after_sales(tx.conn(), &new).await {
            Ok(id) => id,
            Err(StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "after_sales_open",
                    "the order has an after-sales request open already",
                ))
            }
            Err(other) => return Err(other.into()),
        };
        let row = as_store::after_sales_by_id(tx.conn(), id)
            .await?
            .ok_or_else(|| internal(format!("after-sales {id} vanished")))?;
        announce(tx.conn(), &row, &order, "requested", now).await?;
        tx.commit().await?;
        AfterSalesView::of(&row)
    }

    /// An order's requests, oldest first, for its buyer, its supplier and operators.
    pub async fn order_after_sales(
        &self,
        actor: &Actor,
        order_id: OrderId,
    ) -> ServiceResult<Vec<AfterSalesView>> {
        let order = store::order_by_id(self.store.pool(), order_id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        let allowed = order.buyer_id == actor.user_id
            || actor.role == Role::Operator
            || (actor.role == Role::SupplierStaff && actor.supplier_id == Some(order.supplier_id));
        if !allowed {
            return Err(ServiceError::NotFound("order"));
        }
        as_store::after_sales_of_order(self.store.pool(), order_id)
            .await?
            .iter()
            .map(AfterSalesView::of)
            .collect()
    }

    /// Supplier: its requests, newest first, in one status if given.
    pub async fn supplier_after_sales(
        &self,
        actor: &Actor,
        status: Option<AfterSalesStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<AfterSalesPage> {
        let supplier = actor.require_supplier()?;
        self.after_sales_page(Some(supplier), status, before, limit)
            .await
    }

    /// Operator: every supplier's requests, newest first, in one status if given (`disputed`
    /// is the arbitration queue).
    pub async fn operator_after_sales(
        &self,
        actor: &Actor,
        status: Option<AfterSalesStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<AfterSalesPage> {
        actor.require_operator()?;
        self.after_sales_page(None, status, before, limit).await
    }

    async fn after_sales_page(
        &self,
        supplier: Option<SupplierId>,
        status: Option<AfterSalesStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<AfterSalesPage> {
        let limit = limit.clamp(1, AFTER_SALES_PAGE_MAX);
        let rows = as_store::after_sales_page(
            self.store.pool(),
            supplier,
            status,
            before.unwrap_or(i64::MAX),
            limit,
        )
        .await?;
        let full = i64::try_from(rows.len()).is_ok_and(|n| n == limit);
        let next_before = full.then(|| rows.last().map(|r| r.id)).flatten();
        let items = rows
            .iter()
            .map(AfterSalesView::of)
            .collect::<ServiceResult<_>>()?;
        Ok(AfterSalesPage { items, next_before })
    }

    /// Supplier: approves or rejects a request. A rejection needs a reason and is refused
    /// after the deadline (`decision_deadline_passed`: silence has approved). Approving a
    /// refund-only request refunds it at once.
    pub async fn decide_after_sales(
        &self,
        actor: &Actor,
        id: i64,
        input: DecisionInput,
    ) -> ServiceResult<AfterSalesView> {
        let reject_reason = match input.decision {
            SupplierDecision::Reject => Some(reason(input.reason.as_deref().unwrap_or(""))?),
            SupplierDecision::Approve => None,
        };
        self.step(Some(actor), Acting::Supplier, id, |request, row, now| {
            Ok(match input.decision {
                SupplierDecision::Approve => {
                    request.approve()?;
                    ("approved", Then::RefundIfNothingReturns)
                }
                SupplierDecision::Reject => {
                    request.reject(now)?;
                    row.reject_reason = reject_reason;
                    ("rejected", Then::Nothing)
                }
            })
        })
        .await
    }

    /// The buyer sends the goods of a granted return back, with the parcel's carrier and a
    /// waybill checked as the supplier's are.
    pub async fn ship_return(
        &self,
        actor: &Actor,
        id: i64,
        input: ReturnShipmentInput,
    ) -> ServiceResult<AfterSalesView> {
        let carrier = Carrier::parse(&input.carrier)?;
        let waybill = Waybill::parse(carrier, &input.waybill)?;
        self.step(Some(actor), Acting::Buyer, id, |request, _, _| {
            request.ship_return(waybill)?;
            Ok(("return_shipped", Then::Nothing))
        })
        .await
    }

    /// Supplier: the returned goods arrived; the refund goes out.
    pub async fn receive_return(&self, actor: &Actor, id: i64) -> ServiceResult<AfterSalesView> {
        self.step(Some(actor), Acting::Supplier, id, |request, _, _| {
            request.receive_return()?;
            Ok(("return_received", Then::Refund))
        })
        .await
    }

    /// The buyer asks an operator to arbitrate a rejection.
    pub async fn dispute_after_sales(
        &self,
        actor: &Actor,
        id: i64,
        input: DisputeInput,
    ) -> ServiceResult<AfterSalesView> {
        let dispute_reason = reason(&input.reason)?;
        self.step(Some(actor), Acting::Buyer, id, |request, row, _| {
            request.dispute()?;
            row.dispute_reason = Some(dispute_reason);
            Ok(("disputed", Then::Nothing))
        })
        .await
    }

    /// Operator: rules on a disputed request. Overturning grants it (a refund-only request is
    /// refunded at once); upholding ends it.
    pub async fn arbitrate_after_sales(
        &self,
        actor: &Actor,
        id: i64,
        input: ArbitrationInput,
    ) -> ServiceResult<AfterSalesView> {
        let note = reason(&input.note)?;
        self.step(Some(actor), Acting::Operator, id, |request, row, _| {
            let step = match input.decision {
                Arbitration::Uphold => {
                    request.uphold()?;
                    "upheld"
                }
                Arbitration::Overturn => {
                    request.overturn()?;
                    "overturned"
                }
            };
            row.arbitration_note = Some(note);
            row.arbitrated_by = Some(actor.user_id);
            Ok((step, Then::RefundIfNothingReturns))
        })
        .await
    }

    /// The buyer withdraws a request before goods are on their way back and outside
    /// arbitration.
    pub async fn withdraw_after_sales(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<AfterSalesView> {
        self.step(Some(actor), Acting::Buyer, id, |request, _, _| {
            request.withdraw()?;
            Ok(("withdrawn", Then::Nothing))
        })
        .await
    }

    /// Approves requests the supplier left undecided past their deadline: silence approves
    /// (and a refund-only request is refunded). Part of [`Services::sweep_checkout`]; safe on
    /// every node at once, since each approval is a compare-and-set under the order's lock.
    /// Returns how many it approved.
    pub async fn sweep_after_sales(&self) -> ServiceResult<usize> {
        let now = now_ms();
        let due =
            as_store::undecided_after_deadline(self.store.pool(), now, LAPSES_PER_SWEEP).await?;
        let mut approved = 0;
        for (id, order) in due {
            match self.lapse(id, now).await {
                Ok(true) => approved += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(code = error.code(), %error, after_sales = id, %order,
                        "an overdue after-sales request was not approved; the next sweep tries again");
                }
            }
        }
        Ok(approved)
    }

    /// Approves one overdue request by silence; false when it was decided meanwhile.
    async fn lapse(&self, id: i64, now: i64) -> ServiceResult<bool> {
        let lapsed = self
            .change(None, Acting::Sweeper, id, |request, _, _| {
                // Decided (or withdrawn) since it was listed: nothing to do.
                Ok(request
                    .lapse(now)
                    .is_ok()
                    .then_some(("approved", Then::RefundIfNothingReturns)))
            })
            .await?;
        if let Some(view) = &lapsed {
            tracing::info!(after_sales = id, order = %view.order_id, "approved by the supplier's silence");
        }
        Ok(lapsed.is_some())
    }

    /// One step of request `id` by `actor` acting as `acting`, in one transaction: locks it
    /// ([`lock_request`]), lets `change` move the domain's request (and fill the row's own
    /// fields) and name the step, writes it back, announces it, makes the refund `Then`
    /// says due, commits and then asks the gateway for that refund.
    async fn step<F>(
        &self,
        actor: Option<&Actor>,
        acting: Acting,
        id: i64,
        change: F,
    ) -> ServiceResult<AfterSalesView>
    where
        F: FnOnce(&mut AfterSales, &mut AfterSalesRow, i64) -> ServiceResult<(&'static str, Then)>,
    {
        self.change(actor, acting, id, |request, row, now| {
            change(request, row, now).map(Some)
        })
        .await?
        .ok_or_else(|| internal(format!("after-sales {id}: a step that did nothing")))
    }

    /// [`Services::step`] where `change` may find nothing to do (`None`: nothing is written).
    async fn change<F>(
        &self,
        actor: Option<&Actor>,
        acting: Acting,
        id: i64,
        change: F,
    ) -> ServiceResult<Option<AfterSalesView>>
    where
        F: FnOnce(
            &mut AfterSales,
            &mut AfterSalesRow,
            i64,
        ) -> ServiceResult<Option<(&'static str, Then)>>,
    {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let (mut row, order) = lock_request(tx.conn(), actor, acting, id).await?;
        let from = row.status;
        let mut request = restore(&row)?;
        let Some((step, then)) = change(&mut request, &mut row, now)? else {
            return Ok(None);
        };
        save(tx.conn(), &mut row, &request, from, now).await?;
        announce(tx.conn(), &row, &order, step, now).await?;
        let gateway_refund = match then {
            Then::Nothing => None,
            Then::RefundIfNothingReturns => {
                refund_if_nothing_returns(tx.conn(), &mut row, &mut request, &order, now).await?
            }
            Then::Refund => refund(tx.conn(), &mut row, &mut request, &order, now).await?,
        };
        tx.commit().await?;
        self.send_after_commit(gateway_refund);
        AfterSalesView::of(&row).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_units_of_an_order_are_worth_what_the_buyer_paid() {
        // 100 fen for 3 units: 33, 33 and the last takes 34.
        let worth = |units| worth_of_units(100, 3, units);
        assert_eq!(
            [worth(1), worth(2) - worth(1), worth(3) - worth(2)],
            [33, 33, 34]
        );
        assert_eq!(worth_of_units(1_799_800, 2, 1), 899_900);
        assert_eq!(worth_of_units(5, 0, 1), 0);
    }

    #[test]
    fn every_kind_is_stored_under_the_domain_name() {
        let evidence = Evidence::parse(&["https://img.example/1.jpg"], "裂了").expect("evidence");
        for kind in RequestKind::ALL {
            let domain = kind.with(Some(evidence.clone())).expect("a kind");
            assert_eq!(kind.as_str(), domain.as_str());
            assert_eq!(RequestKind::from_db(domain.as_str()), Some(kind));
        }
        assert_eq!(RequestKind::from_db("exchange"), None);
        assert_eq!(
            RequestKind::QualityComplaint
                .with(None)
                .map_err(|e| e.code()),
            Err("invalid_evidence")
        );
    }
}
