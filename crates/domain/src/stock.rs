//! Versioned stock updates from a supplier's warehouse system.
//!
//! A supplier's system sends "warehouse W holds N units of SKU S, as of version V". Updates
//! can arrive late, twice or out of order; the version decides, so an update is applied at
//! most once and a stale one never overwrites a newer one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most units one warehouse may report for one SKU; larger is a unit error upstream.
pub const STOCK_QUANTITY_MAX: i64 = 100_000_000;

/// What to do with an incoming stock update, given what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockDecision {
    /// Newer than what is stored: write it.
    Apply,
    /// The same version and quantity as stored: a replay, nothing to do.
    Replay,
    /// Older than what is stored, or the same version with another quantity: refused.
    Stale,
}

/// A stock update that is malformed in itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// Quantity below zero or above the maximum.
    #[error("quantity must be between 0 and 100000000")]
    QuantityOutOfRange,
    /// Version below one.
    #[error("version must be a positive integer")]
    InvalidVersion,
}

/// A checked stock level report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    /// Units on hand.
    pub quantity: i64,
    /// The supplier's monotonically increasing version of this level.
    pub version: i64,
}

impl StockLevel {
    /// Checks the ranges.
    pub fn parse(quantity: i64, version: i64) -> Result<StockLevel, StockError> {
        if !(0..=STOCK_QUANTITY_MAX).contains(&quantity) {
            return Err(StockError::QuantityOutOfRange);
        }
        if version < 1 {
            return Err(StockError::InvalidVersion);
        }
        Ok(StockLevel { quantity, version })
    }

    /// Decides an incoming level against the stored one (if any).
    pub fn decide(self, stored: Option<StockLevel>) -> StockDecision {
        match stored {
            None => StockDecision::Apply,
            Some(current) if self.version > current.version => StockDecision::Apply,
            Some(current) if self == current => StockDecision::Replay,
            Some(_) => StockDecision::Stale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn versions_decide() {
        let level = |q, v| StockLevel {
            quantity: q,
            version: v,
        };
        assert_eq!(level(5, 1).decide(None), StockDecision::Apply);
        assert_eq!(level(5, 2).decide(Some(level(9, 1))), StockDecision::Apply);
        assert_eq!(level(5, 2).decide(Some(level(5, 2))), StockDecision::Replay);
        assert_eq!(level(6, 2).decide(Some(level(5, 2))), StockDecision::Stale);
        assert_eq!(level(6, 1).decide(Some(level(5, 2))), StockDecision::Stale);
        assert!(StockLevel::parse(-1, 1).is_err());
        assert!(StockLevel::parse(1, 0).is_err());
    }

    proptest! {
        /// Applying any sequence of updates in any order ends at the highest version's level,
        /// and each version is applied at most once.
        #[test]
        fn order_does_not_matter(mut versions in proptest::collection::vec(1i64..50, 1..40)) {
            let mut stored: Option<StockLevel> = None;
            let mut applied = std::collections::HashSet::new();
            for &v in &versions {
                let update = StockLevel { quantity: v * 10, version: v };
                if update.decide(stored) == StockDecision::Apply {
                    prop_assert!(applied.insert(v));
                    stored = Some(update);
                }
            }
            versions.sort_unstable();
            let highest = versions[versions.len() - 1];
            prop_assert_eq!(stored.map(|s| s.version), Some(highest));
        }
    }
}
