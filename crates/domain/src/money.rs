//! Money in fen (1/100 yuan) with checked arithmetic, and rates in basis points.
//!
//! Every amount is an integer of fen: floating point never touches money. Every split says
//! how it rounds, and the parts always add up to the whole.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// An amount of money in fen. Prices are never negative; ledger amounts may be.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Why an amount of money was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// A price was below zero.
    #[error("amount must not be negative: {0} fen")]
    Negative(i64),
    /// Arithmetic would overflow 64 bits.
    #[error("amount overflows")]
    Overflow,
}

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// A price: a non-negative amount.
    pub fn price(fen: i64) -> Result<Fen, MoneyError> {
        if fen < 0 {
            return Err(MoneyError::Negative(fen));
        }
        Ok(Fen(fen))
    }

    /// Adds, failing on overflow.
    pub fn checked_add(self, other: Fen) -> Result<Fen, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// Subtracts, failing on overflow.
    pub fn checked_sub(self, other: Fen) -> Result<Fen, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The share of this amount at `rate`, rounded half up to the fen
    /// (`floor((amount * bps + 5000) / 10000)` for non-negative amounts).
    ///
    /// The caller that splits an amount into parts computes all but one part with this and
    /// gives the remainder to the last part, so the parts add up to the whole.
    pub fn share(self, rate: BasisPoints) -> Result<Fen, MoneyError> {
        let product = i128::from(self.0) * i128::from(rate.0);
        let rounded = if product >= 0 {
            (product + 5_000) / 10_000
        } else {
            (product - 5_000) / 10_000
        };
        i64::try_from(rounded)
            .map(Fen)
            .map_err(|_| MoneyError::Overflow)
    }

    /// The amount in yuan with two decimals, for people to read.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan_string())
    }
}

/// A rate in basis points: 1 bp = 0.01%, 10,000 bp = 100%.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct BasisPoints(pub u32);

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate must be between 0 and 10000 basis points: {0}")]
pub struct RateError(pub i64);

impl BasisPoints {
    /// The whole: 100%.
    pub const WHOLE: BasisPoints = BasisPoints(10_000);

    /// A rate between 0% and 100%.
    pub fn parse(bps: i64) -> Result<BasisPoints, RateError> {
        match u32::try_from(bps) {
            Ok(value) if value <= Self::WHOLE.0 => Ok(BasisPoints(value)),
            _ => Err(RateError(bps)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn share_rounds_half_up() {
        assert_eq!(Fen(1_000).share(BasisPoints(1_500)), Ok(Fen(150)));
        assert_eq!(Fen(3).share(BasisPoints(5_000)), Ok(Fen(2)));
        assert_eq!(Fen(1).share(BasisPoints(4_999)), Ok(Fen(0)));
    }

    #[test]
    fn negative_price_is_refused() {
        assert_eq!(Fen::price(-1), Err(MoneyError::Negative(-1)));
        assert_eq!(Fen(899_900).to_yuan_string(), "8999.00");
    }

    #[test]
    fn rate_bounds() {
        assert!(BasisPoints::parse(10_001).is_err());
        assert!(BasisPoints::parse(-1).is_err());
        assert_eq!(BasisPoints::parse(250), Ok(BasisPoints(250)));
    }

    proptest! {
        #[test]
        fn share_never_exceeds_whole(amount in 0i64..10_000_000_000, bps in 0u32..=10_000) {
            let part = Fen(amount).share(BasisPoints(bps)).unwrap_or(Fen(-1));
            prop_assert!(part.0 >= 0 && part.0 <= amount);
            let rest = Fen(amount).checked_sub(part).unwrap_or(Fen(-1));
            prop_assert_eq!(part.0 + rest.0, amount);
        }
    }
}
