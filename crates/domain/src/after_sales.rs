//! After-sales (售后): a buyer's request for a return or a refund, as a state machine.
//!
//! ```text
//! requested ─► approved ─────────────► return_shipped ─► return_received ─► refunded
//!     │   (supplier, or silence          ▲ (goods come back)                    ▲
//!     │    once the deadline passes)     │                                      │
//!     │         └────────────────────────┼──── refund-only: no return ──────────┘
//!     └─► rejected ─► disputed ─► overturned (operator sides with the buyer: as approved)
//!   (only before      (buyer)  └─► upheld (operator sides with the supplier: final)
//!    the deadline)
//! withdrawn: the buyer gives up, from requested, approved, rejected or overturned.
//! ```
//!
//! Who bears the cost is decided by the kind of request: the buyer pays the postage of a
//! no-reason return; the supplier pays for its own faults (a quality complaint's return, a
//! parcel never received). [`CostBearer`] has no anchor: the anchor who sold the goods never
//! pays for the supplier's failure.

use crate::order::OrderStatus;
use crate::waybill::Waybill;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long after delivery a buyer may return goods without a reason: 7 days, as Chinese
/// consumer law (七日无理由退货) sets it.
pub const NO_REASON_RETURN_WINDOW_MS: i64 = 7 * 24 * 3_600 * 1_000;
/// How long after delivery a buyer may complain about quality: faults often show only in
/// use, so twice the no-reason window.
pub const QUALITY_COMPLAINT_WINDOW_MS: i64 = 14 * 24 * 3_600 * 1_000;
/// How long a supplier has to approve or reject; after that, silence approves. Two days,
/// like the shipping promise: a supplier that can ship in 48 hours can decide in 48 hours.
pub const SUPPLIER_DECISION_WINDOW_MS: i64 = 48 * 3_600 * 1_000;
/// The most images one complaint carries: a phone's nine-picture grid.
pub const EVIDENCE_IMAGES_MAX: usize = 9;
/// The longest image URL, in bytes: object-store URLs are well under this.
pub const EVIDENCE_URL_MAX_BYTES: usize = 512;
/// The longest complaint text, in characters.
pub const EVIDENCE_TEXT_MAX_CHARS: usize = 500;

/// Why an after-sales request or a change to it was refused. Each variant has a stable
/// `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfterSalesError {
    /// The order is not in a state, or no longer in the window, for this kind of request.
    #[error("a {kind} request is not possible now: {why}")]
    NotEligible {
        /// The kind asked for.
        kind: &'static str,
        /// Why not, for people.
        why: &'static str,
    },
    /// A complaint's evidence was missing or out of bounds.
    #[error("evidence: {0}")]
    InvalidEvidence(&'static str),
    /// The change is not allowed from the request's current status.
    #[error("a request that is {from} cannot be {action}")]
    Transition {
        /// The status the request was in.
        from: AfterSalesStatus,
        /// What was attempted.
        action: &'static str,
    },
    /// The supplier tried to reject after its deadline: silence has already approved.
    #[error("the decision deadline has passed; the request is approved")]
    DeadlinePassed,
    /// The deadline has not passed, so silence has not approved yet.
    #[error("the supplier's decision deadline has not passed")]
    DeadlineNotReached,
    /// A return shipment for a refund-only request, which returns nothing.
    #[error("a refund-only request has no return shipment")]
    NoReturn,
}

impl AfterSalesError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AfterSalesError::NotEligible { .. } => "after_sales_not_eligible",
            AfterSalesError::InvalidEvidence(_) => "invalid_evidence",
            AfterSalesError::Transition { .. } => "after_sales_state",
            AfterSalesError::DeadlinePassed => "decision_deadline_passed",
            AfterSalesError::DeadlineNotReached => "decision_deadline_not_reached",
            AfterSalesError::NoReturn => "no_return_for_refund_only",
        }
    }
}

/// A quality complaint's evidence: 1 to 9 `https` image URLs and 1 to 500 characters of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// Photos of the fault, already uploaded.
    image_urls: Vec<String>,
    /// The buyer's description.
    text: String,
}

impl Evidence {
    /// Checks counts, lengths and that each URL is `https` without spaces.
    pub fn parse(image_urls: &[&str], text: &str) -> Result<Evidence, AfterSalesError> {
        if image_urls.is_empty() || image_urls.len() > EVIDENCE_IMAGES_MAX {
            return Err(AfterSalesError::InvalidEvidence("1 to 9 images"));
        }
        let url_ok = |url: &&str| {
            url.len() <= EVIDENCE_URL_MAX_BYTES
                && url.len() > "https://".len()
                && url.starts_with("https://")
                && url.bytes().all(|b| b.is_ascii_graphic())
        };
        if !image_urls.iter().all(url_ok) {
            return Err(AfterSalesError::InvalidEvidence(
                "image URLs must be https and at most 512 characters",
            ));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > EVIDENCE_TEXT_MAX_CHARS {
            return Err(AfterSalesError::InvalidEvidence(
                "text must be 1 to 500 characters",
            ));
        }
        Ok(Evidence {
            image_urls: image_urls.iter().map(|u| (*u).to_owned()).collect(),
            text: text.to_owned(),
        })
    }

    /// The image URLs.
    pub fn image_urls(&self) -> &[String] {
        &self.image_urls
    }

    /// The buyer's text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Why a buyer wants their money back without returning anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundOnlyReason {
    /// The goods have not shipped: nothing to return.
    NotShipped,
    /// The parcel never arrived.
    NeverReceived,
}

/// What the buyer asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterSalesKind {
    /// Return within 7 days of delivery, no reason needed.
    NoReasonReturn,
    /// Money back, nothing returned.
    RefundOnly(RefundOnlyReason),
    /// The goods are faulty: return them, with evidence.
    QualityComplaint(Evidence),
}

impl AfterSalesKind {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AfterSalesKind::NoReasonReturn => "no_reason_return",
            AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped) => "refund_only_not_shipped",
            AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived) => {
                "refund_only_never_received"
            }
            AfterSalesKind::QualityComplaint(_) => "quality_complaint",
        }
    }

    /// Whether goods come back before the refund.
    pub fn needs_return(&self) -> bool {
        !matches!(self, AfterSalesKind::RefundOnly(_))
    }

    /// Whether the request, if granted, is the supplier's fault (and counts against its
    /// quality record).
    pub fn supplier_at_fault(&self) -> bool {
        matches!(
            self,
            AfterSalesKind::QualityComplaint(_)
                | AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived)
        )
    }
}

/// Who pays a cost of after-sales. There is deliberately no anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostBearer {
    /// The buyer: a no-reason return's postage.
    Buyer,
    /// The supplier: anything that is its fault.
    Supplier,
}

/// Where a request is in its life (see the module's diagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterSalesStatus {
    /// Waiting for the supplier's decision.
    Requested,
    /// The supplier approved, or stayed silent past its deadline.
    Approved,
    /// The supplier rejected before its deadline.
    Rejected,
    /// The buyer asked an operator to arbitrate the rejection.
    Disputed,
    /// The operator upheld the rejection: final.
    Upheld,
    /// The operator overturned the rejection: proceeds as approved.
    Overturned,
    /// The buyer sent the goods back.
    ReturnShipped,
    /// The supplier received them.
    ReturnReceived,
    /// The buyer has been refunded: final.
    Refunded,
    /// The buyer withdrew the request: final.
    Withdrawn,
}

impl std::fmt::Display for AfterSalesStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AfterSalesStatus {
    /// Every status.
    pub const ALL: [AfterSalesStatus; 10] = [
        AfterSalesStatus::Requested,
        AfterSalesStatus::Approved,
        AfterSalesStatus::Rejected,
        AfterSalesStatus::Disputed,
        AfterSalesStatus::Upheld,
        AfterSalesStatus::Overturned,
        AfterSalesStatus::ReturnShipped,
        AfterSalesStatus::ReturnReceived,
        AfterSalesStatus::Refunded,
        AfterSalesStatus::Withdrawn,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AfterSalesStatus::Requested => "requested",
            AfterSalesStatus::Approved => "approved",
            AfterSalesStatus::Rejected => "rejected",
            AfterSalesStatus::Disputed => "disputed",
            AfterSalesStatus::Upheld => "upheld",
            AfterSalesStatus::Overturned => "overturned",
            AfterSalesStatus::ReturnShipped => "return_shipped",
            AfterSalesStatus::ReturnReceived => "return_received",
            AfterSalesStatus::Refunded => "refunded",
            AfterSalesStatus::Withdrawn => "withdrawn",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<AfterSalesStatus> {
        AfterSalesStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// Whether nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AfterSalesStatus::Upheld | AfterSalesStatus::Refunded | AfterSalesStatus::Withdrawn
        )
    }

    /// Whether the request was granted (by the supplier, its silence or an operator).
    fn granted(self) -> bool {
        matches!(
            self,
            AfterSalesStatus::Approved | AfterSalesStatus::Overturned
        )
    }
}

/// The windows after-sales runs on. The default is the constants above; a deployment (or a
/// test) may shorten or lengthen them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterSalesWindows {
    /// How long after delivery a no-reason return (and a report of a parcel never received)
    /// may be asked for.
    pub no_reason_return_ms: i64,
    /// How long after delivery a quality complaint may be made.
    pub quality_complaint_ms: i64,
    /// How long the supplier has to decide before silence approves.
    pub supplier_decision_ms: i64,
}

impl Default for AfterSalesWindows {
    fn default() -> Self {
        AfterSalesWindows {
            no_reason_return_ms: NO_REASON_RETURN_WINDOW_MS,
            quality_complaint_ms: QUALITY_COMPLAINT_WINDOW_MS,
            supplier_decision_ms: SUPPLIER_DECISION_WINDOW_MS,
        }
    }
}

/// A request as it was stored, to be brought back with [`AfterSales::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAfterSales {
    /// What the buyer asked for.
    pub kind: AfterSalesKind,
    /// Where it stood.
    pub status: AfterSalesStatus,
    /// When the buyer asked.
    pub requested_at_ms: i64,
    /// When silence approves.
    pub decide_by_ms: i64,
    /// Whether silence approved it.
    pub approved_by_silence: bool,
    /// The return parcel's waybill, once shipped.
    pub return_waybill: Option<Waybill>,
}

/// What after-sales needs to know of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    /// The order's status.
    pub status: OrderStatus,
    /// When the parcel was delivered, from its tracking timeline.
    pub delivered_at_ms: Option<i64>,
}

/// One after-sales request and where it stands. Every change is a method that either moves
/// it along a lawful edge or refuses and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AfterSales {
    /// What the buyer asks for.
    kind: AfterSalesKind,
    /// Where it stands.
    status: AfterSalesStatus,
    /// When the buyer asked.
    requested_at_ms: i64,
    /// When silence approves.
    decide_by_ms: i64,
    /// Whether approval came from the supplier's silence (it counts against the supplier's
    /// responsiveness).
    approved_by_silence: bool,
    /// The return parcel's waybill, once shipped.
    return_waybill: Option<Waybill>,
}

impl AfterSales {
    /// Opens a request if the order allows this kind now:
    /// - a no-reason return: delivered (or completed) and within 7 days of delivery;
    /// - refund-only, not shipped: paid or routed;
    /// - refund-only, never received: shipped, or reported delivered within 7 days;
    /// - a quality complaint: delivered (or completed) and within 14 days of delivery.
    pub fn request(
        kind: AfterSalesKind,
        order: OrderFacts,
        now_ms: i64,
    ) -> Result<AfterSales, AfterSalesError> {
        AfterSales::request_within(kind, order, now_ms, &AfterSalesWindows::default())
    }

    /// [`AfterSales::request`] with other windows than the default ones.
    pub fn request_within(
        kind: AfterSalesKind,
        order: OrderFacts,
        now_ms: i64,
        windows: &AfterSalesWindows,
    ) -> Result<AfterSales, AfterSalesError> {
        let since_delivery = |window_ms: i64| {
            order
                .delivered_at_ms
                .is_some_and(|at| now_ms >= at && now_ms - at <= window_ms)
        };
        let delivered = matches!(
            order.status,
            OrderStatus::Delivered | OrderStatus::Completed
        );
        let refuse = |why| {
            Err(AfterSalesError::NotEligible {
                kind: kind.as_str(),
                why,
            })
        };
        match &kind {
            AfterSalesKind::NoReasonReturn => {
                if !(delivered && since_delivery(windows.no_reason_return_ms)) {
                    return refuse("only within 7 days of delivery");
                }
            }
            AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped) => {
                if !matches!(order.status, OrderStatus::Paid | OrderStatus::Routed) {
                    return refuse("only before the order ships");
                }
            }
            AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived) => {
                let reported_delivered = order.status == OrderStatus::Delivered
                    && since_delivery(windows.no_reason_return_ms);
                if !(order.status == OrderStatus::Shipped || reported_delivered) {
                    return refuse("only while shipped or within 7 days of a reported delivery");
                }
            }
            AfterSalesKind::QualityComplaint(_) => {
                if !(delivered && since_delivery(windows.quality_complaint_ms)) {
                    return refuse("only within 14 days of delivery");
                }
            }
        }
        Ok(AfterSales {
            kind,
            status: AfterSalesStatus::Requested,
            requested_at_ms: now_ms,
            decide_by_ms: now_ms.saturating_add(windows.supplier_decision_ms),
            approved_by_silence: false,
            return_waybill: None,
        })
    }

    /// Brings back a request the store kept. The store only keeps requests this type made,
    /// so the stored fields are trusted as they are.
    pub fn restore(stored: StoredAfterSales) -> AfterSales {
        AfterSales {
            kind: stored.kind,
            status: stored.status,
            requested_at_ms: stored.requested_at_ms,
            decide_by_ms: stored.decide_by_ms,
            approved_by_silence: stored.approved_by_silence,
            return_waybill: stored.return_waybill,
        }
    }

    /// What the buyer asks for.
    pub fn kind(&self) -> &AfterSalesKind {
        &self.kind
    }

    /// Where it stands.
    pub fn status(&self) -> AfterSalesStatus {
        self.status
    }

    /// When the buyer asked.
    pub fn requested_at_ms(&self) -> i64 {
        self.requested_at_ms
    }

    /// The supplier's deadline.
    pub fn decide_by_ms(&self) -> i64 {
        self.decide_by_ms
    }

    /// Whether the supplier's silence approved it.
    pub fn approved_by_silence(&self) -> bool {
        self.approved_by_silence
    }

    /// The return parcel's waybill, once shipped.
    pub fn return_waybill(&self) -> Option<&Waybill> {
        self.return_waybill.as_ref()
    }

    /// Who pays the return postage; `None` when nothing is returned.
    pub fn return_postage_paid_by(&self) -> Option<CostBearer> {
        match self.kind {
            AfterSalesKind::NoReasonReturn => Some(CostBearer::Buyer),
            AfterSalesKind::QualityComplaint(_) => Some(CostBearer::Supplier),
            AfterSalesKind::RefundOnly(_) => None,
        }
    }

    /// Whether this request counts against the supplier's quality record: a fault of the
    /// supplier's that ended in a refund.
    pub fn counts_against_supplier(&self) -> bool {
        self.kind.supplier_at_fault() && self.status == AfterSalesStatus::Refunded
    }

    /// Moves to `to` if the status is one of `from`.
    fn step(
        &mut self,
        action: &'static str,
        from: &[AfterSalesStatus],
        to: AfterSalesStatus,
    ) -> Result<(), AfterSalesError> {
        if from.contains(&self.status) {
            self.status = to;
            Ok(())
        } else {
            Err(AfterSalesError::Transition {
                from: self.status,
                action,
            })
        }
    }

    /// The supplier approves (at any time: a late approval is what silence gives anyway).
    pub fn approve(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "approved",
            &[AfterSalesStatus::Requested],
            AfterSalesStatus::Approved,
        )
    }

    /// The supplier rejects, only until its deadline.
    pub fn reject(&mut self, now_ms: i64) -> Result<(), AfterSalesError> {
        if self.status == AfterSalesStatus::Requested && now_ms > self.decide_by_ms {
            return Err(AfterSalesError::DeadlinePassed);
        }
        self.step(
            "rejected",
            &[AfterSalesStatus::Requested],
            AfterSalesStatus::Rejected,
        )
    }

    /// The deadline passed without a decision: silence approves. The sweeper calls this.
    pub fn lapse(&mut self, now_ms: i64) -> Result<(), AfterSalesError> {
        if self.status == AfterSalesStatus::Requested && now_ms <= self.decide_by_ms {
            return Err(AfterSalesError::DeadlineNotReached);
        }
        self.step(
            "approved by silence",
            &[AfterSalesStatus::Requested],
            AfterSalesStatus::Approved,
        )?;
        self.approved_by_silence = true;
        Ok(())
    }

    /// The buyer disputes a rejection.
    pub fn dispute(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "disputed",
            &[AfterSalesStatus::Rejected],
            AfterSalesStatus::Disputed,
        )
    }

    /// An operator upholds the rejection.
    pub fn uphold(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "upheld",
            &[AfterSalesStatus::Disputed],
            AfterSalesStatus::Upheld,
        )
    }

    /// An operator overturns the rejection: the request proceeds as approved.
    pub fn overturn(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "overturned",
            &[AfterSalesStatus::Disputed],
            AfterSalesStatus::Overturned,
        )
    }

    /// The buyer shipped the goods back with `waybill`.
    pub fn ship_return(&mut self, waybill: Waybill) -> Result<(), AfterSalesError> {
        if !self.kind.needs_return() {
            return Err(AfterSalesError::NoReturn);
        }
        self.step(
            "return shipped",
            &[AfterSalesStatus::Approved, AfterSalesStatus::Overturned],
            AfterSalesStatus::ReturnShipped,
        )?;
        self.return_waybill = Some(waybill);
        Ok(())
    }

    /// The supplier received the returned goods.
    pub fn receive_return(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "return received",
            &[AfterSalesStatus::ReturnShipped],
            AfterSalesStatus::ReturnReceived,
        )
    }

    /// The refund went through: after the goods are back, or at once for refund-only.
    pub fn refund(&mut self) -> Result<(), AfterSalesError> {
        let ready = if self.kind.needs_return() {
            self.status == AfterSalesStatus::ReturnReceived
        } else {
            self.status.granted()
        };
        if ready {
            self.status = AfterSalesStatus::Refunded;
            Ok(())
        } else {
            Err(AfterSalesError::Transition {
                from: self.status,
                action: "refunded",
            })
        }
    }

    /// The buyer withdraws, before any goods are on their way back and outside arbitration.
    pub fn withdraw(&mut self) -> Result<(), AfterSalesError> {
        self.step(
            "withdrawn",
            &[
                AfterSalesStatus::Requested,
                AfterSalesStatus::Approved,
                AfterSalesStatus::Rejected,
                AfterSalesStatus::Overturned,
            ],
            AfterSalesStatus::Withdrawn,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waybill::Carrier;
    use proptest::prelude::*;

    const DAY: i64 = 24 * 3_600 * 1_000;

    fn delivered(at: i64) -> OrderFacts {
        OrderFacts {
            status: OrderStatus::Delivered,
            delivered_at_ms: Some(at),
        }
    }

    fn evidence() -> Evidence {
        Evidence::parse(&["https://img.example/1.jpg"], "屏幕有划痕").expect("evidence")
    }

    fn waybill() -> Waybill {
        Waybill::parse(Carrier::Sf, "SF1234567890123").expect("waybill")
    }

    #[test]
    fn eligibility_follows_the_order_and_the_windows() {
        let kind = AfterSalesKind::NoReasonReturn;
        assert!(AfterSales::request(kind.clone(), delivered(0), 7 * DAY).is_ok());
        assert_eq!(
            AfterSales::request(kind.clone(), delivered(0), 7 * DAY + 1).map_err(|e| e.code()),
            Err("after_sales_not_eligible")
        );
        let shipped = OrderFacts {
            status: OrderStatus::Shipped,
            delivered_at_ms: None,
        };
        assert!(AfterSales::request(kind, shipped, 0).is_err());
        let not_shipped = AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped);
        let paid = OrderFacts {
            status: OrderStatus::Paid,
            delivered_at_ms: None,
        };
        assert!(AfterSales::request(not_shipped.clone(), paid, 0).is_ok());
        assert!(AfterSales::request(not_shipped, shipped, 0).is_err());
        let never = AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived);
        assert!(AfterSales::request(never.clone(), shipped, 0).is_ok());
        assert!(AfterSales::request(never, paid, 0).is_err());
        let complaint = AfterSalesKind::QualityComplaint(evidence());
        assert!(AfterSales::request(complaint.clone(), delivered(0), 14 * DAY).is_ok());
        assert!(AfterSales::request(complaint, delivered(0), 15 * DAY).is_err());
    }

    #[test]
    fn windows_can_be_set() {
        let windows = AfterSalesWindows {
            no_reason_return_ms: DAY,
            quality_complaint_ms: 2 * DAY,
            supplier_decision_ms: 1_000,
        };
        let kind = AfterSalesKind::NoReasonReturn;
        let request = AfterSales::request_within(kind.clone(), delivered(0), DAY, &windows)
            .expect("within a day");
        assert_eq!(request.decide_by_ms(), DAY + 1_000);
        assert!(AfterSales::request_within(kind, delivered(0), DAY + 1, &windows).is_err());
        let complaint = AfterSalesKind::QualityComplaint(evidence());
        assert!(
            AfterSales::request_within(complaint.clone(), delivered(0), 2 * DAY, &windows).is_ok()
        );
        assert!(AfterSales::request_within(complaint, delivered(0), 3 * DAY, &windows).is_err());
    }

    #[test]
    fn a_restored_request_carries_on_where_it_stood() {
        let mut request =
            AfterSales::request(AfterSalesKind::NoReasonReturn, delivered(0), DAY).expect("open");
        request.approve().expect("approve");
        request.ship_return(waybill()).expect("ship back");
        let mut restored = AfterSales::restore(StoredAfterSales {
            kind: request.kind().clone(),
            status: request.status(),
            requested_at_ms: request.requested_at_ms(),
            decide_by_ms: request.decide_by_ms(),
            approved_by_silence: request.approved_by_silence(),
            return_waybill: request.return_waybill().cloned(),
        });
        assert_eq!(restored, request);
        restored.receive_return().expect("received");
        restored.refund().expect("refunded");
    }

    #[test]
    fn evidence_is_bounded() {
        let code = |urls: &[&str], text: &str| Evidence::parse(urls, text).map_err(|e| e.code());
        assert_eq!(code(&[], "broken"), Err("invalid_evidence"));
        assert_eq!(
            code(&["http://img/1.jpg"], "broken"),
            Err("invalid_evidence")
        );
        assert_eq!(
            code(&["https://img/1 .jpg"], "broken"),
            Err("invalid_evidence")
        );
        assert_eq!(
            code(&["https://img/1.jpg"; 10], "broken"),
            Err("invalid_evidence")
        );
        assert_eq!(code(&["https://img/1.jpg"], "  "), Err("invalid_evidence"));
        assert_eq!(
            code(&["https://img/1.jpg"], &"坏".repeat(501)),
            Err("invalid_evidence")
        );
        let long_url = format!("https://{}", "a".repeat(EVIDENCE_URL_MAX_BYTES));
        assert_eq!(
            code(&[long_url.as_str()], "broken"),
            Err("invalid_evidence")
        );
        assert!(code(&["https://img/1.jpg"; 9], &"坏".repeat(500)).is_ok());
    }

    #[test]
    fn silence_approves_and_a_late_rejection_is_refused() {
        let mut request =
            AfterSales::request(AfterSalesKind::NoReasonReturn, delivered(0), DAY).expect("open");
        assert_eq!(
            request.lapse(request.decide_by_ms()).map_err(|e| e.code()),
            Err("decision_deadline_not_reached")
        );
        let late = request.decide_by_ms() + 1;
        assert_eq!(
            request.reject(late).map_err(|e| e.code()),
            Err("decision_deadline_passed")
        );
        request.lapse(late).expect("silence approves");
        assert!(request.approved_by_silence());
        request.ship_return(waybill()).expect("ship back");
        request.receive_return().expect("received");
        request.refund().expect("refunded");
        assert_eq!(request.status(), AfterSalesStatus::Refunded);
        assert_eq!(request.return_postage_paid_by(), Some(CostBearer::Buyer));
        assert!(!request.counts_against_supplier());
    }

    #[test]
    fn arbitration_can_overturn_a_rejection() {
        let kind = AfterSalesKind::QualityComplaint(evidence());
        let mut request = AfterSales::request(kind, delivered(0), DAY).expect("open");
        request.reject(DAY).expect("reject in time");
        assert_eq!(
            request.ship_return(waybill()).map_err(|e| e.code()),
            Err("after_sales_state")
        );
        request.dispute().expect("dispute");
        request.overturn().expect("overturn");
        request.ship_return(waybill()).expect("ship back");
        request.receive_return().expect("received");
        request.refund().expect("refund");
        assert_eq!(request.return_postage_paid_by(), Some(CostBearer::Supplier));
        assert!(request.counts_against_supplier());
    }

    #[test]
    fn refund_only_returns_nothing() {
        let paid = OrderFacts {
            status: OrderStatus::Routed,
            delivered_at_ms: None,
        };
        let kind = AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped);
        let mut request = AfterSales::request(kind, paid, 0).expect("open");
        request.approve().expect("approve");
        assert_eq!(
            request.ship_return(waybill()).map_err(|e| e.code()),
            Err("no_return_for_refund_only")
        );
        request.refund().expect("refund");
        assert_eq!(request.return_postage_paid_by(), None);
    }

    #[derive(Debug, Clone, Copy)]
    enum Action {
        Approve,
        Reject,
        Lapse,
        Dispute,
        Uphold,
        Overturn,
        ShipReturn,
        ReceiveReturn,
        Refund,
        Withdraw,
    }

    fn action() -> impl Strategy<Value = (Action, i64)> {
        (
            prop::sample::select(vec![
                Action::Approve,
                Action::Reject,
                Action::Lapse,
                Action::Dispute,
                Action::Uphold,
                Action::Overturn,
                Action::ShipReturn,
                Action::ReceiveReturn,
                Action::Refund,
                Action::Withdraw,
            ]),
            0i64..(DAY / 2),
        )
    }

    fn any_kind() -> impl Strategy<Value = AfterSalesKind> {
        prop_oneof![
            Just(AfterSalesKind::NoReasonReturn),
            Just(AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped)),
            Just(AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived)),
            Just(AfterSalesKind::QualityComplaint(evidence())),
        ]
    }

    /// The lawful edges, written out independently of the methods.
    fn lawful(from: AfterSalesStatus, to: AfterSalesStatus, needs_return: bool) -> bool {
        use AfterSalesStatus as S;
        match (from, to) {
            (S::Requested, S::Approved | S::Rejected | S::Withdrawn) => true,
            (S::Approved | S::Overturned, S::ReturnShipped) => needs_return,
            (S::Approved | S::Overturned, S::Refunded) => !needs_return,
            (S::Approved | S::Overturned | S::Rejected, S::Withdrawn) => true,
            (S::Rejected, S::Disputed) => true,
            (S::Disputed, S::Upheld | S::Overturned) => true,
            (S::ReturnShipped, S::ReturnReceived) => true,
            (S::ReturnReceived, S::Refunded) => needs_return,
            _ => false,
        }
    }

    proptest! {
        /// Whatever is tried, in whatever order and at whatever time, a request moves only
        /// along lawful edges; a refused change leaves it as it was; final states stay final;
        /// a rejection happens only before the deadline and approval by silence only after;
        /// a return is shipped only for kinds that return goods.
        #[test]
        fn no_illegal_state_is_reachable(
            kind in any_kind(),
            actions in prop::collection::vec(action(), 0..30),
        ) {
            let requested_at = 0;
            let order = match &kind {
                AfterSalesKind::RefundOnly(RefundOnlyReason::NotShipped) => OrderFacts {
                    status: OrderStatus::Paid,
                    delivered_at_ms: None,
                },
                AfterSalesKind::RefundOnly(RefundOnlyReason::NeverReceived) => OrderFacts {
                    status: OrderStatus::Shipped,
                    delivered_at_ms: None,
                },
                _ => delivered(requested_at),
            };
            let needs_return = kind.needs_return();
            let mut request = AfterSales::request(kind, order, requested_at).expect("open");
            let mut now = requested_at;
            for (action, wait) in actions {
                now += wait;
                let before = request.clone();
                let result = match action {
                    Action::Approve => request.approve(),
                    Action::Reject => request.reject(now),
                    Action::Lapse => request.lapse(now),
                    Action::Dispute => request.dispute(),
                    Action::Uphold => request.uphold(),
                    Action::Overturn => request.overturn(),
                    Action::ShipReturn => request.ship_return(waybill()),
                    Action::ReceiveReturn => request.receive_return(),
                    Action::Refund => request.refund(),
                    Action::Withdraw => request.withdraw(),
                };
                match result {
                    Ok(()) => {
                        let (from, to) = (before.status(), request.status());
                        prop_assert!(!from.is_final(), "{from} changed");
                        prop_assert!(lawful(from, to, needs_return), "{from} -> {to}");
                        if to == AfterSalesStatus::Rejected {
                            prop_assert!(now <= request.decide_by_ms());
                        }
                        if matches!(action, Action::Lapse) {
                            prop_assert!(now > request.decide_by_ms() && request.approved_by_silence());
                        }
                        prop_assert_eq!(request.return_waybill().is_some(),
                            matches!(to, AfterSalesStatus::ReturnShipped | AfterSalesStatus::ReturnReceived)
                                || (to == AfterSalesStatus::Refunded && needs_return));
                    }
                    Err(_) => prop_assert_eq!(&request, &before),
                }
            }
        }
    }
}
