//! Orders: their life as a state machine, the quantity a buyer may ask for, idempotency keys,
//! and how the money of one order splits between buyer, subsidy, supplier, anchor and
//! platform.
//!
//! Every split is in integer fen and says how it rounds; the parts always add up to the whole:
//! `buyer_pays + subsidy = gross = supplier + commission + platform_fee`.

use crate::money::{BasisPoints, Fen, MoneyError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most units one order may hold. A live room sells to households, not wholesalers.
pub const ORDER_QUANTITY_MAX: u32 = 99;
/// The longest idempotency key, in bytes (a UUID is 36).
pub const IDEMPOTENCY_KEY_MAX_BYTES: usize = 64;

/// Why order input or an order's change was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The quantity was below 1 or above the maximum.
    #[error("quantity must be 1 to 99")]
    InvalidQuantity,
    /// The idempotency key was missing, too long or held characters outside printable ASCII.
    #[error("Idempotency-Key must be 1 to 64 printable ASCII characters")]
    InvalidIdempotencyKey,
    /// The transition is not allowed from the order's current status.
    #[error("an order that is {from} cannot be {action}")]
    Transition {
        /// The status the order was in.
        from: OrderStatus,
        /// What was attempted.
        action: &'static str,
    },
    /// Money arithmetic overflowed or a part came out negative.
    #[error("the amounts of this order do not fit: {0}")]
    Money(#[from] MoneyError),
    /// The subsidy was larger than the price it subsidises.
    #[error("the subsidy must leave the buyer at least 1 fen to pay")]
    SubsidyTooLarge,
    /// Commission and platform fee together took more than the whole price.
    #[error("commission and platform fee exceed the price")]
    FeesExceedPrice,
}

impl OrderError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::InvalidQuantity => "invalid_quantity",
            OrderError::InvalidIdempotencyKey => "invalid_idempotency_key",
            OrderError::Transition { .. } => "order_state",
            OrderError::Money(_) => "amount_overflow",
            OrderError::SubsidyTooLarge => "subsidy_too_large",
            OrderError::FeesExceedPrice => "fees_exceed_price",
        }
    }
}

/// Units of one SKU in one order: 1 to [`ORDER_QUANTITY_MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    /// Checks the range.
    pub fn parse(raw: i64) -> Result<Quantity, OrderError> {
        match u32::try_from(raw) {
            Ok(q) if (1..=ORDER_QUANTITY_MAX).contains(&q) => Ok(Quantity(q)),
            _ => Err(OrderError::InvalidQuantity),
        }
    }

    /// The number of units.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A client's idempotency key: the same key with the same request gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks length and that every byte is printable ASCII (no spaces at either end).
    pub fn parse(raw: &str) -> Result<IdempotencyKey, OrderError> {
        let ok = !raw.is_empty()
            && raw.len() <= IDEMPOTENCY_KEY_MAX_BYTES
            && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(raw.to_owned()))
        } else {
            Err(OrderError::InvalidIdempotencyKey)
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an order is in its life.
///
/// ```text
/// created ─► reserved ─► paid ─► routed ─► shipped ─► delivered ─► completed
///    │          │         │        │          │           │
///    └──────────┴─► cancelled      └──────────┴───────────┴─► refund_pending ─► refunded
///                      │ (a late payment)     ▲ (also from paid)        └─► refund_failed
///                      └─► paid, or ──────────┘ refund_pending when no unit is left
/// ```
///
/// daihuo's checkout creates and reserves in one step, so stored orders begin `reserved`;
/// `created` exists for orders built before their units are claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Built, no units claimed yet.
    Created,
    /// Units are held for the buyer until the payment deadline.
    Reserved,
    /// The buyer paid; the units are the buyer's.
    Paid,
    /// Sent to a supplier warehouse.
    Routed,
    /// Handed to a carrier.
    Shipped,
    /// The carrier delivered it.
    Delivered,
    /// The buyer confirmed receipt or the return window passed: final.
    Completed,
    /// Never paid (expired or withdrawn): its units went back on sale. Final unless a late
    /// payment arrives.
    Cancelled,
    /// Money is being returned to the buyer.
    RefundPending,
    /// The buyer has the money back: final.
    Refunded,
    /// The gateway refused the refund; an operator must act.
    RefundFailed,
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OrderStatus {
    /// Every status, for tests and documentation.
    pub const ALL: [OrderStatus; 11] = [
        OrderStatus::Created,
        OrderStatus::Reserved,
        OrderStatus::Paid,
        OrderStatus::Routed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::RefundPending,
        OrderStatus::Refunded,
        OrderStatus::RefundFailed,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Reserved => "reserved",
            OrderStatus::Paid => "paid",
            OrderStatus::Routed => "routed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::RefundPending => "refund_pending",
            OrderStatus::Refunded => "refunded",
            OrderStatus::RefundFailed => "refund_failed",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the order's units count as taken from stock (held or sold).
    pub fn holds_units(self) -> bool {
        !matches!(
            self,
            OrderStatus::Created
                | OrderStatus::Cancelled
                | OrderStatus::RefundPending
                | OrderStatus::Refunded
                | OrderStatus::RefundFailed
        )
    }

    /// Whether the buyer's money is with the platform (paid and not given back).
    pub fn money_received(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid
                | OrderStatus::Routed
                | OrderStatus::Shipped
                | OrderStatus::Delivered
                | OrderStatus::Completed
        )
    }

    fn step(
        self,
        action: &'static str,
        allowed: &[OrderStatus],
        to: OrderStatus,
    ) -> Result<OrderStatus, OrderError> {
        if allowed.contains(&self) {
            Ok(to)
        } else {
            Err(OrderError::Transition { from: self, action })
        }
    }

    /// Units were claimed.
    pub fn reserve(self) -> Result<OrderStatus, OrderError> {
        self.step("reserved", &[OrderStatus::Created], OrderStatus::Reserved)
    }

    /// The payment arrived in time.
    pub fn pay(self) -> Result<OrderStatus, OrderError> {
        self.step("paid", &[OrderStatus::Reserved], OrderStatus::Paid)
    }

    /// A payment arrived after the order was cancelled: `unit_reclaimed` says whether a unit
    /// was still left to give the buyer. Without one the money goes back.
    pub fn pay_late(self, unit_reclaimed: bool) -> Result<OrderStatus, OrderError> {
        let to = if unit_reclaimed {
            OrderStatus::Paid
        } else {
            OrderStatus::RefundPending
        };
        self.step("paid late", &[OrderStatus::Cancelled], to)
    }

    /// The reservation expired or was withdrawn before payment.
    pub fn cancel(self) -> Result<OrderStatus, OrderError> {
        self.step(
            "cancelled",
            &[OrderStatus::Created, OrderStatus::Reserved],
            OrderStatus::Cancelled,
        )
    }

    /// Sent to a warehouse.
    pub fn route(self) -> Result<OrderStatus, OrderError> {
        self.step("routed", &[OrderStatus::Paid], OrderStatus::Routed)
    }

    /// Handed to a carrier.
    pub fn ship(self) -> Result<OrderStatus, OrderError> {
        self.step("shipped", &[OrderStatus::Routed], OrderStatus::Shipped)
    }

    /// Delivered.
    pub fn deliver(self) -> Result<OrderStatus, OrderError> {
        self.step("delivered", &[OrderStatus::Shipped], OrderStatus::Delivered)
    }

    /// Receipt confirmed or the return window closed.
    pub fn complete(self) -> Result<OrderStatus, OrderError> {
        self.step(
            "completed",
            &[OrderStatus::Delivered],
            OrderStatus::Completed,
        )
    }

    /// A refund was started (refund-only before shipment, a return, a failed route).
    pub fn start_refund(self) -> Result<OrderStatus, OrderError> {
        self.step(
            "refunded",
            &[
                OrderStatus::Paid,
                OrderStatus::Routed,
                OrderStatus::Shipped,
                OrderStatus::Delivered,
                OrderStatus::RefundFailed,
            ],
            OrderStatus::RefundPending,
        )
    }

    /// The gateway returned the money.
    pub fn refund_succeeded(self) -> Result<OrderStatus, OrderError> {
        self.step(
            "refund completed",
            &[OrderStatus::RefundPending],
            OrderStatus::Refunded,
        )
    }

    /// The gateway refused the refund.
    pub fn refund_failed(self) -> Result<OrderStatus, OrderError> {
        self.step(
            "refund failed",
            &[OrderStatus::RefundPending],
            OrderStatus::RefundFailed,
        )
    }
}

/// Where one attempt to collect an order's money stands, as daihuo records it.
///
/// ```text
/// pending ─► succeeded
///    └─────► failed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Sent to the gateway; the buyer has not paid yet.
    Pending,
    /// The gateway reported the money received.
    Succeeded,
    /// The gateway reported it failed; the buyer may start another payment.
    Failed,
}

impl PaymentStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<PaymentStatus> {
        [
            PaymentStatus::Pending,
            PaymentStatus::Succeeded,
            PaymentStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// Where a refund of a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Stored, and asked of the gateway (or about to be).
    Requested,
    /// The gateway reported the money back with the buyer.
    Succeeded,
    /// The gateway reported the refund failed; an operator must act.
    Failed,
}

impl RefundStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Requested => "requested",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
}

/// The platform's fee policy: a rate of the price before subsidy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePolicy {
    /// Platform fee (technical service fee) on the price before subsidy.
    pub platform_fee: BasisPoints,
}

impl Default for FeePolicy {
    /// 5%, the common technical service fee of live-commerce platforms.
    fn default() -> Self {
        FeePolicy {
            platform_fee: BasisPoints(500),
        }
    }
}

/// How one order's money splits.
///
/// - `gross = unit_price × quantity`: the live or flash price before subsidy;
/// - `subsidy = subsidy_per_unit × quantity`, paid by the platform from a campaign budget;
/// - `buyer_pays = gross − subsidy` (at least 1 fen);
/// - `commission = gross × commission_rate`, rounded half up to the fen (the anchor is paid
///   as if there were no subsidy);
/// - `platform_fee = gross × fee_rate`, rounded half up;
/// - `supplier = gross − commission − platform_fee`: the remainder, so rounding never makes
///   the parts differ from the whole (the supplier, too, is paid as if there were no subsidy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceSplit {
    /// Price before subsidy, all units.
    pub gross: Fen,
    /// Platform subsidy, all units.
    pub subsidy: Fen,
    /// What the buyer pays.
    pub buyer_pays: Fen,
    /// The anchor's commission.
    pub commission: Fen,
    /// The platform's fee.
    pub platform_fee: Fen,
    /// What the supplier is owed.
    pub supplier: Fen,
}

impl PriceSplit {
    /// Splits an order of `quantity` units at `unit_price` with `subsidy_per_unit`.
    pub fn compute(
        unit_price: Fen,
        subsidy_per_unit: Fen,
        quantity: Quantity,
        commission: BasisPoints,
        policy: FeePolicy,
    ) -> Result<PriceSplit, OrderError> {
        let units = i64::from(quantity.get());
        let times = |amount: Fen| {
            amount
                .0
                .checked_mul(units)
                .map(Fen)
                .ok_or(MoneyError::Overflow)
        };
        let gross = times(Fen::price(unit_price.0)?)?;
        let subsidy = times(Fen::price(subsidy_per_unit.0)?)?;
        if subsidy >= gross {
            return Err(OrderError::SubsidyTooLarge);
        }
        let buyer_pays = gross.checked_sub(subsidy)?;
        let commission = gross.share(commission)?;
        let platform_fee = gross.share(policy.platform_fee)?;
        let supplier = gross.checked_sub(commission)?.checked_sub(platform_fee)?;
        if supplier.0 < 0 {
            return Err(OrderError::FeesExceedPrice);
        }
        Ok(PriceSplit {
            gross,
            subsidy,
            buyer_pays,
            commission,
            platform_fee,
            supplier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantity_and_key() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(100).is_err());
        assert_eq!(Quantity::parse(3).map(Quantity::get), Ok(3));
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("2f1c-uuid-like").is_ok());
    }

    #[test]
    fn air_conditioner_split() {
        // ¥8,999 flash price, ¥1,000 subsidy, 20% commission, 5% fee.
        let split = PriceSplit::compute(
            Fen(899_900),
            Fen(100_000),
            Quantity(1),
            BasisPoints(2_000),
            FeePolicy::default(),
        )
        .expect("split");
        assert_eq!(split.buyer_pays, Fen(799_900));
        assert_eq!(split.commission, Fen(179_980));
        assert_eq!(split.platform_fee, Fen(44_995));
        assert_eq!(split.supplier, Fen(674_925));
    }

    #[test]
    fn rounding_goes_half_up_and_the_supplier_takes_the_remainder() {
        // 3 × 33 fen = 99 fen; 10% → 9.9 → 10; 5% → 4.95 → 5; supplier 84.
        let split = PriceSplit::compute(
            Fen(33),
            Fen(0),
            Quantity(3),
            BasisPoints(1_000),
            FeePolicy::default(),
        )
        .expect("split");
        assert_eq!((split.commission, split.platform_fee), (Fen(10), Fen(5)));
        assert_eq!(split.supplier, Fen(84));
    }

    #[test]
    fn subsidy_must_leave_something_to_pay() {
        let split = PriceSplit::compute(
            Fen(100),
            Fen(100),
            Quantity(1),
            BasisPoints(1_000),
            FeePolicy::default(),
        );
        assert_eq!(split, Err(OrderError::SubsidyTooLarge));
    }

    #[test]
    fn statuses_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::from_db(status.as_str()), Some(status));
        }
    }

    #[test]
    fn the_happy_path_and_a_late_payment() {
        let done = OrderStatus::Reserved
            .pay()
            .and_then(OrderStatus::route)
            .and_then(OrderStatus::ship)
            .and_then(OrderStatus::deliver)
            .and_then(OrderStatus::complete);
        assert_eq!(done, Ok(OrderStatus::Completed));
        assert_eq!(
            OrderStatus::Reserved
                .cancel()
                .and_then(|s| s.pay_late(true)),
            Ok(OrderStatus::Paid)
        );
        assert_eq!(
            OrderStatus::Reserved
                .cancel()
                .and_then(|s| s.pay_late(false)),
            Ok(OrderStatus::RefundPending)
        );
        assert_eq!(
            OrderStatus::Shipped.cancel().map_err(|e| e.code()),
            Err("order_state")
        );
    }

    #[derive(Debug, Clone, Copy)]
    enum Action {
        Reserve,
        Pay,
        PayLate(bool),
        Cancel,
        Route,
        Ship,
        Deliver,
        Complete,
        StartRefund,
        RefundOk,
        RefundFail,
    }

    fn apply(status: OrderStatus, action: Action) -> Result<OrderStatus, OrderError> {
        match action {
            Action::Reserve => status.reserve(),
            Action::Pay => status.pay(),
            Action::PayLate(unit) => status.pay_late(unit),
            Action::Cancel => status.cancel(),
            Action::Route => status.route(),
            Action::Ship => status.ship(),
            Action::Deliver => status.deliver(),
            Action::Complete => status.complete(),
            Action::StartRefund => status.start_refund(),
            Action::RefundOk => status.refund_succeeded(),
            Action::RefundFail => status.refund_failed(),
        }
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Reserve),
            Just(Action::Pay),
            any::<bool>().prop_map(Action::PayLate),
            Just(Action::Cancel),
            Just(Action::Route),
            Just(Action::Ship),
            Just(Action::Deliver),
            Just(Action::Complete),
            Just(Action::StartRefund),
            Just(Action::RefundOk),
            Just(Action::RefundFail),
        ]
    }

    proptest! {
        /// Any sequence of actions keeps the order's life lawful: a refused action changes
        /// nothing; completed and refunded are final; goods never move (route, ship, deliver)
        /// unless the money was received; money is only ever returned through a refund.
        #[test]
        fn every_path_is_lawful(actions in prop::collection::vec(action(), 0..40)) {
            let mut status = OrderStatus::Created;
            let mut paid_ever = false;
            for a in actions {
                let before = status;
                match apply(status, a) {
                    Ok(next) => {
                        prop_assert!(!matches!(before, OrderStatus::Completed | OrderStatus::Refunded));
                        if matches!(a, Action::Route | Action::Ship | Action::Deliver | Action::Complete) {
                            prop_assert!(before.money_received() && next.money_received());
                        }
                        if before.money_received() && !next.money_received() {
                            prop_assert_eq!(next, OrderStatus::RefundPending);
                        }
                        if next == OrderStatus::Refunded {
                            prop_assert!(paid_ever);
                        }
                        paid_ever |= next.money_received() || next == OrderStatus::RefundPending;
                        status = next;
                    }
                    Err(OrderError::Transition { from, .. }) => prop_assert_eq!(from, before),
                    Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                }
            }
        }

        /// The parts of every split add up to the whole, both ways, and none is negative.
        #[test]
        fn splits_add_up(
            price in 1i64..10_000_000,
            subsidy in 0i64..10_000_000,
            quantity in 1u32..=ORDER_QUANTITY_MAX,
            commission in 0u32..=5_000,
            fee in 0u32..=5_000,
        ) {
            let split = PriceSplit::compute(
                Fen(price), Fen(subsidy), Quantity(quantity), BasisPoints(commission),
                FeePolicy { platform_fee: BasisPoints(fee) },
            );
            match split {
                Ok(s) => {
                    prop_assert_eq!(s.buyer_pays.0 + s.subsidy.0, s.gross.0);
                    prop_assert_eq!(s.supplier.0 + s.commission.0 + s.platform_fee.0, s.gross.0);
                    prop_assert_eq!(s.gross.0, price * i64::from(quantity));
                    prop_assert!(s.buyer_pays.0 >= 1 && s.supplier.0 >= 0);
                    prop_assert!(s.commission.0 >= 0 && s.platform_fee.0 >= 0);
                }
                Err(e) => prop_assert!(matches!(e, OrderError::SubsidyTooLarge) && subsidy >= price),
            }
        }
    }
}
