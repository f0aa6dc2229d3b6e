//! Places: a GB/T 2260 county code. Whether a code names a real county is checked against
//! the shipped division list by the caller; this type only guarantees the shape.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A six-digit GB/T 2260 code of the division an address or warehouse is in: a county-level
/// division (e.g. 330106, 西湖区), or a city that has no counties (e.g. 441900, 东莞市).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct CountyCode(pub u32);

/// A county code of the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("county code must be six digits naming a county, not a province: {0:?}")]
pub struct CountyCodeError(pub String);

impl CountyCode {
    /// Checks that the code has six digits and is below province level (a province's code
    /// ends in 0000).
    pub fn parse(raw: &str) -> Result<CountyCode, CountyCodeError> {
        let refuse = || CountyCodeError(raw.chars().take(16).collect());
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let code: u32 = raw.parse().map_err(|_| refuse())?;
        if code < 110_000 || code.is_multiple_of(10_000) {
            return Err(refuse());
        }
        Ok(CountyCode(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        assert_eq!(CountyCode::parse("330106"), Ok(CountyCode(330106)));
        assert!(CountyCode::parse("330000").is_err());
        assert!(CountyCode::parse("441900").is_ok());
        assert!(CountyCode::parse("33010").is_err());
        assert!(CountyCode::parse("33010x").is_err());
    }
}
