//! A supplier's quality record (per supplier and per SKU), as anchors see it in the selection
//! centre before they put a product on their shelf: how often its orders ship late, come
//! back, or draw a quality complaint.
//!
//! The counts are kept by the services as orders move; this module turns them into rates and
//! says when there are too few orders for a rate to mean much, so a new SKU with one late
//! parcel is not shown as "100% late" without that caveat.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Below this many orders a rate is shown but marked as not yet telling.
pub const ORDERS_FOR_A_RATE: i64 = 20;

/// What happened to a supplier's (or a SKU's) orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualityCounts {
    /// Orders routed to the supplier's warehouses (each carries a shipping promise).
    pub routed: i64,
    /// Orders the buyer received.
    pub delivered: i64,
    /// Orders shipped after their promise, or not shipped by it.
    pub late: i64,
    /// After-sales requests that sent goods back (no-reason returns and quality returns),
    /// once approved.
    pub returns: i64,
    /// Quality complaints filed, however they ended.
    pub complaints: i64,
}

impl QualityCounts {
    /// Adds another set of counts (a supplier's record is the sum of its SKUs').
    pub fn add(&mut self, other: &QualityCounts) {
        self.routed += other.routed;
        self.delivered += other.delivered;
        self.late += other.late;
        self.returns += other.returns;
        self.complaints += other.complaints;
    }

    /// The rates anchors are shown.
    pub fn record(&self) -> QualityRecord {
        QualityRecord {
            counts: *self,
            late_rate_bps: rate_bps(self.late, self.routed),
            return_rate_bps: rate_bps(self.returns, self.delivered),
            complaint_rate_bps: rate_bps(self.complaints, self.delivered),
            telling: self.routed >= ORDERS_FOR_A_RATE,
        }
    }
}

/// Rates of a quality record, in basis points (1/100 of a percent), with the counts behind
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualityRecord {
    /// The counts.
    pub counts: QualityCounts,
    /// Late ÷ routed; `None` before any order was routed.
    pub late_rate_bps: Option<u32>,
    /// Returns ÷ delivered; `None` before any delivery.
    pub return_rate_bps: Option<u32>,
    /// Complaints ÷ delivered; `None` before any delivery.
    pub complaint_rate_bps: Option<u32>,
    /// Whether there are enough orders ([`ORDERS_FOR_A_RATE`]) for the rates to tell much.
    pub telling: bool,
}

/// `part ÷ whole` in basis points, rounded half up and capped at 100% (a return may be
/// counted before its order's delivery is, when events arrive out of order); `None` when
/// `whole` is not positive.
pub fn rate_bps(part: i64, whole: i64) -> Option<u32> {
    if whole <= 0 {
        return None;
    }
    let part = i128::from(part.clamp(0, whole));
    let whole = i128::from(whole);
    let bps = (part * 10_000 * 2 + whole) / (whole * 2);
    u32::try_from(bps).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rates_round_half_up_and_need_a_whole() {
        assert_eq!(rate_bps(1, 3), Some(3_333));
        assert_eq!(rate_bps(2, 3), Some(6_667));
        assert_eq!(rate_bps(1, 20_000), Some(1));
        assert_eq!(rate_bps(0, 5), Some(0));
        assert_eq!(rate_bps(3, 0), None);
    }

    #[test]
    fn a_record_says_when_it_is_too_young_to_tell() {
        let young = QualityCounts {
            routed: 1,
            late: 1,
            ..QualityCounts::default()
        }
        .record();
        assert_eq!(young.late_rate_bps, Some(10_000));
        assert!(!young.telling);
        assert_eq!(young.return_rate_bps, None);
        let grown = QualityCounts {
            routed: 40,
            delivered: 38,
            late: 2,
            returns: 3,
            complaints: 1,
        }
        .record();
        assert!(grown.telling);
        assert_eq!(grown.late_rate_bps, Some(500));
        assert_eq!(grown.return_rate_bps, Some(789));
        assert_eq!(grown.complaint_rate_bps, Some(263));
    }

    proptest! {
        #[test]
        fn a_rate_is_a_share_between_zero_and_all(part in -5i64..1_000_000, whole in 1i64..1_000_000) {
            let bps = rate_bps(part, whole).expect("a positive whole has a rate");
            prop_assert!(bps <= 10_000);
            let exact = part.clamp(0, whole) as f64 * 10_000.0 / whole as f64;
            prop_assert!((f64::from(bps) - exact).abs() <= 0.5);
        }

        #[test]
        fn summing_records_sums_their_counts(a in 0i64..1_000, b in 0i64..1_000) {
            let mut total = QualityCounts { routed: a, late: a / 2, ..QualityCounts::default() };
            total.add(&QualityCounts { routed: b, late: b / 3, ..QualityCounts::default() });
            prop_assert_eq!(total.routed, a + b);
            prop_assert_eq!(total.late, a / 2 + b / 3);
        }
    }
}
