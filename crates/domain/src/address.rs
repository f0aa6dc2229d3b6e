//! Delivery addresses: who receives, a mainland mobile number, the county (GB/T 2260) and the
//! street detail. Whether the county code names a real county is checked by the caller
//! against the shipped division list; this module checks everything else.

use crate::place::CountyCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest recipient name, in characters.
pub const RECIPIENT_MAX_CHARS: usize = 20;
/// The longest street detail, in characters.
pub const ADDRESS_DETAIL_MAX_CHARS: usize = 120;

/// Why an address was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The recipient was empty or too long.
    #[error("recipient must be 1 to 20 characters")]
    InvalidRecipient,
    /// Not an 11-digit mainland mobile number (optionally with +86).
    #[error("phone must be an 11-digit mainland mobile number starting 13-19")]
    InvalidPhone,
    /// The county code had the wrong shape or names no county.
    #[error("county_code must be the six-digit code of a county (GB/T 2260)")]
    InvalidCounty,
    /// The street detail was too short or too long.
    #[error("detail must be 2 to 120 characters")]
    InvalidDetail,
}

impl AddressError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AddressError::InvalidRecipient => "invalid_recipient",
            AddressError::InvalidPhone => "invalid_phone",
            AddressError::InvalidCounty => "invalid_county",
            AddressError::InvalidDetail => "invalid_address_detail",
        }
    }
}

/// A mainland mobile number, stored as its 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Accepts `13812345678`, `+86 138 1234 5678` and `138-1234-5678`.
    pub fn parse(raw: &str) -> Result<Phone, AddressError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits = compact.strip_prefix("+86").unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let ok = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if ok {
            Ok(Phone(digits.to_owned()))
        } else {
            Err(AddressError::InvalidPhone)
        }
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as parties other than the fulfilling supplier see it: `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A checked delivery address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Who receives the parcel.
    pub recipient: String,
    /// Their mobile number.
    pub phone: Phone,
    /// The county the address is in.
    pub county: CountyCode,
    /// Street, building, room.
    pub detail: String,
}

impl Address {
    /// Checks every part. `county_exists` answers whether a code names a real county (the
    /// caller looks it up in the shipped division list).
    pub fn parse(
        recipient: &str,
        phone: &str,
        county_code: &str,
        detail: &str,
        county_exists: impl Fn(CountyCode) -> bool,
    ) -> Result<Address, AddressError> {
        let recipient = recipient.trim();
        if recipient.is_empty() || recipient.chars().count() > RECIPIENT_MAX_CHARS {
            return Err(AddressError::InvalidRecipient);
        }
        let phone = Phone::parse(phone)?;
        let county = CountyCode::parse(county_code.trim())
            .ok()
            .filter(|c| county_exists(*c))
            .ok_or(AddressError::InvalidCounty)?;
        let detail = detail.trim();
        let detail_chars = detail.chars().count();
        if !(2..=ADDRESS_DETAIL_MAX_CHARS).contains(&detail_chars) {
            return Err(AddressError::InvalidDetail);
        }
        Ok(Address {
            recipient: recipient.to_owned(),
            phone,
            county,
            detail: detail.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("+86 138-1234-5678").map(|p| p.masked()),
            Ok("138****5678".to_owned())
        );
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert!(Phone::parse("1381234567x").is_err());
    }

    #[test]
    fn addresses() {
        let real = |c: CountyCode| c.0 == 330106;
        let ok = Address::parse(" 张三 ", "13812345678", "330106", "文三路 1 号", real);
        assert_eq!(ok.map(|a| a.recipient), Ok("张三".to_owned()));
        let err = |r: Result<Address, AddressError>| r.map_err(|e| e.code()).err();
        assert_eq!(
            err(Address::parse(
                "张三",
                "13812345678",
                "330199",
                "文三路",
                real
            )),
            Some("invalid_county")
        );
        assert_eq!(
            err(Address::parse("", "13812345678", "330106", "文三路", real)),
            Some("invalid_recipient")
        );
        assert_eq!(
            err(Address::parse("张三", "13812345678", "330106", "x", real)),
            Some("invalid_address_detail")
        );
    }
}
