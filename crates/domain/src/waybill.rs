//! Carriers and waybill numbers: a supplier confirms a shipment with a carrier and the
//! carrier's waybill number, checked here against that carrier's format.
//!
//! The formats, as the carriers' current electronic waybills and common validators have them
//! (input is trimmed and upper-cased first; nothing but ASCII letters and digits is allowed):
//!
//! | carrier | code | accepted |
//! | --- | --- | --- |
//! | SF Express (顺丰) | `sf` | `SF` + 12 or 13 digits; or 12 digits (older waybills) |
//! | JD Logistics (京东物流) | `jd` | `JDV` + 1 letter + 11 digits, or `JDX`/`JDK` + 12 digits |
//! | ZTO (中通) | `zto` | 12 or 14 digits |
//! | YTO (圆通) | `yto` | `YT` + 13 digits |
//! | STO (申通) | `sto` | 12 to 15 digits |
//! | Yunda (韵达) | `yunda` | 13 or 15 digits |
//! | EMS (中国邮政 EMS) | `ems` | 13 digits (domestic), or UPU S10 `EE123456789CN` |
//!
//! Only the S10 form carries a check digit (UPU S10: weights 8 6 4 2 3 5 9 7 over the eight
//! serial digits, `11 − sum mod 11`, with 10 written 0 and 11 written 5). The domestic formats
//! publish none, so for them a mistyped digit of the right shape is found only when the
//! carrier's tracking never knows the number.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest raw waybill input looked at, in bytes. The longest format is 15 characters;
/// the margin allows for surrounding spaces, and the cap keeps errors short.
pub const WAYBILL_RAW_MAX_BYTES: usize = 40;

/// The UPU S10 weights of the eight serial digits.
const S10_WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

/// Why a carrier or waybill number was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaybillError {
    /// The carrier code is not one daihuo knows.
    #[error("unknown carrier {0:?}")]
    UnknownCarrier(String),
    /// The number was empty or longer than any waybill.
    #[error("waybill number must be 1 to 40 characters")]
    Length,
    /// The number does not have the carrier's shape.
    #[error("{carrier} waybill numbers are {expected}")]
    Format {
        /// The carrier asked for.
        carrier: Carrier,
        /// The accepted shapes, for people.
        expected: &'static str,
    },
    /// An S10 number whose check digit does not match its serial.
    #[error("the check digit of S10 number {0} does not match")]
    CheckDigit(String),
}

impl WaybillError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            WaybillError::UnknownCarrier(_) => "unknown_carrier",
            WaybillError::Length => "waybill_length",
            WaybillError::Format { .. } => "waybill_format",
            WaybillError::CheckDigit(_) => "waybill_check_digit",
        }
    }
}

/// A carrier daihuo accepts shipments with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// SF Express (顺丰速运).
    Sf,
    /// JD Logistics (京东物流).
    Jd,
    /// ZTO Express (中通快递).
    Zto,
    /// YTO Express (圆通速递).
    Yto,
    /// STO Express (申通快递).
    Sto,
    /// Yunda Express (韵达快递).
    Yunda,
    /// China Post EMS.
    Ems,
}

impl std::fmt::Display for Carrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Carrier {
    /// Every carrier.
    pub const ALL: [Carrier; 7] = [
        Carrier::Sf,
        Carrier::Jd,
        Carrier::Zto,
        Carrier::Yto,
        Carrier::Sto,
        Carrier::Yunda,
        Carrier::Ems,
    ];

    /// The stable code, stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Sf => "sf",
            Carrier::Jd => "jd",
            Carrier::Zto => "zto",
            Carrier::Yto => "yto",
            Carrier::Sto => "sto",
            Carrier::Yunda => "yunda",
            Carrier::Ems => "ems",
        }
    }

    /// Reads a code (case-insensitive, so a supplier's `SF` is accepted).
    pub fn parse(raw: &str) -> Result<Carrier, WaybillError> {
        let lower = raw.trim().to_ascii_lowercase();
        Carrier::ALL
            .into_iter()
            .find(|c| c.as_str() == lower)
            .ok_or_else(|| WaybillError::UnknownCarrier(raw.chars().take(16).collect()))
    }

    /// The accepted shapes, for error messages.
    fn expected(self) -> &'static str {
        match self {
            Carrier::Sf => "SF and 12 or 13 digits, or 12 digits",
            Carrier::Jd => "JDV, a letter and 11 digits, or JDX or JDK and 12 digits",
            Carrier::Zto => "12 or 14 digits",
            Carrier::Yto => "YT and 13 digits",
            Carrier::Sto => "12 to 15 digits",
            Carrier::Yunda => "13 or 15 digits",
            Carrier::Ems => "13 digits, or two letters, 9 digits and two letters (S10)",
        }
    }

    /// Whether `number` (trimmed, upper-case, letters and digits only) has this carrier's
    /// shape. The S10 check digit is checked separately.
    fn has_shape(self, number: &str) -> bool {
        let digits = |s: &str, lengths: &[usize]| {
            lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        let after = |prefix: &str| number.strip_prefix(prefix);
        match self {
            Carrier::Sf => {
                after("SF").is_some_and(|rest| digits(rest, &[12, 13])) || digits(number, &[12])
            }
            Carrier::Jd => {
                after("JDV").is_some_and(|rest| {
                    rest.len() == 12
                        && rest.as_bytes()[0].is_ascii_uppercase()
                        && digits(&rest[1..], &[11])
                }) || after("JDX")
                    .or_else(|| after("JDK"))
                    .is_some_and(|rest| digits(rest, &[12]))
            }
            Carrier::Zto => digits(number, &[12, 14]),
            Carrier::Yto => after("YT").is_some_and(|rest| digits(rest, &[13])),
            Carrier::Sto => digits(number, &[12, 13, 14, 15]),
            Carrier::Yunda => digits(number, &[13, 15]),
            Carrier::Ems => digits(number, &[13]) || is_s10_shape(number),
        }
    }
}

/// Two letters, nine digits, two letters: the UPU S10 shape.
fn is_s10_shape(number: &str) -> bool {
    let b = number.as_bytes();
    b.len() == 13
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(u8::is_ascii_digit)
        && b[11..].iter().all(u8::is_ascii_uppercase)
}

/// The UPU S10 check digit of an eight-digit serial number, or `None` if `serial` is not
/// eight ASCII digits.
pub fn s10_check_digit(serial: &str) -> Option<u8> {
    if serial.len() != 8 || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = serial
        .bytes()
        .zip(S10_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        check => check as u8,
    })
}

/// A carrier's waybill number in its checked, normal form (trimmed and upper-case).
///
/// It is not `Deserialize`: the only way to one is [`Waybill::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct Waybill {
    /// Who carries the parcel.
    carrier: Carrier,
    /// The number, upper-case, letters and digits only.
    number: String,
}

impl Waybill {
    /// Checks `raw` against the carrier's format (see the module's table). Spaces around the
    /// number are dropped and letters upper-cased, since people copy numbers with both.
    pub fn parse(carrier: Carrier, raw: &str) -> Result<Waybill, WaybillError> {
        if raw.len() > WAYBILL_RAW_MAX_BYTES {
            return Err(WaybillError::Length);
        }
        let number = raw.trim().to_ascii_uppercase();
        if number.is_empty() {
            return Err(WaybillError::Length);
        }
        if !number.bytes().all(|b| b.is_ascii_alphanumeric()) || !carrier.has_shape(&number) {
            return Err(WaybillError::Format {
                carrier,
                expected: carrier.expected(),
            });
        }
        if carrier == Carrier::Ems && is_s10_shape(&number) {
            let check = s10_check_digit(&number[2..10]);
            if check != Some(number.as_bytes()[10] - b'0') {
                return Err(WaybillError::CheckDigit(number));
            }
        }
        Ok(Waybill { carrier, number })
    }

    /// The carrier.
    pub fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The number in normal form.
    pub fn as_str(&self) -> &str {
        &self.number
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn carriers_round_trip_their_codes() {
        for carrier in Carrier::ALL {
            assert_eq!(Carrier::parse(carrier.as_str()), Ok(carrier));
        }
        assert_eq!(Carrier::parse(" SF "), Ok(Carrier::Sf));
        assert_eq!(
            Carrier::parse("dhl").map_err(|e| e.code()),
            Err("unknown_carrier")
        );
    }

    #[test]
    fn each_carrier_accepts_its_own_shapes() {
        let good = [
            (Carrier::Sf, "SF1234567890123"),
            (Carrier::Sf, "sf123456789012"),
            (Carrier::Sf, "123456789012"),
            (Carrier::Jd, "JDVA11408814483"),
            (Carrier::Jd, "JDX123456789012"),
            (Carrier::Zto, "78123456789012"),
            (Carrier::Zto, "731234567890"),
            (Carrier::Yto, "YT7512345678901"),
            (Carrier::Sto, "773165231258961"),
            (Carrier::Yunda, "4625987794705"),
            (Carrier::Yunda, "462598779470531"),
            (Carrier::Ems, "1240921381750"),
            (Carrier::Ems, "EB000717595HK"),
            (Carrier::Ems, " ee471108151fr "),
        ];
        for (carrier, raw) in good {
            assert!(Waybill::parse(carrier, raw).is_ok(), "{carrier} {raw}");
        }
        assert_eq!(
            Waybill::parse(Carrier::Ems, " ee471108151fr ").map(|w| w.number),
            Ok("EE471108151FR".to_owned())
        );
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let bad = [
            (Carrier::Sf, "SF12345678901"),
            (Carrier::Sf, "JD1234567890123"),
            (Carrier::Jd, "JDV111408814483"),
            (Carrier::Jd, "JD12345678901234"),
            (Carrier::Zto, "7812345678901"),
            (Carrier::Yto, "YT751234567890"),
            (Carrier::Sto, "77316523125"),
            (Carrier::Yunda, "46259877947053"),
            (Carrier::Ems, "124092138175"),
            (Carrier::Ems, "E1000717595HK"),
            (Carrier::Zto, "7812345678 9012"),
            (Carrier::Zto, "７８１２３４５６７８９０"),
        ];
        for (carrier, raw) in bad {
            assert_eq!(
                Waybill::parse(carrier, raw).map_err(|e| e.code()),
                Err("waybill_format"),
                "{carrier} {raw}"
            );
        }
        assert_eq!(
            Waybill::parse(Carrier::Sf, "  ").map_err(|e| e.code()),
            Err("waybill_length")
        );
        assert_eq!(
            Waybill::parse(Carrier::Sf, &"1".repeat(41)).map_err(|e| e.code()),
            Err("waybill_length")
        );
    }

    #[test]
    fn the_s10_check_digit_is_checked() {
        // Published examples: EB000717595HK and EE471108151FR are valid.
        assert_eq!(s10_check_digit("00071759"), Some(5));
        assert_eq!(s10_check_digit("47110815"), Some(1));
        assert_eq!(s10_check_digit("0007175"), None);
        assert_eq!(
            Waybill::parse(Carrier::Ems, "EB000717594HK").map_err(|e| e.code()),
            Err("waybill_check_digit")
        );
    }

    #[test]
    fn the_s10_blind_spot_is_what_the_standard_says() {
        // Weighted sums ≡ 0 and ≡ 6 (mod 11) both give check digit 5, so a change that moves
        // the sum between them passes: 00000000 (sum 0) and 01000000 (sum 6) share it.
        assert_eq!(s10_check_digit("00000000"), Some(5));
        assert_eq!(s10_check_digit("01000000"), Some(5));
        assert!(Waybill::parse(Carrier::Ems, "EE000000005CN").is_ok());
        assert!(Waybill::parse(Carrier::Ems, "EE010000005CN").is_ok());
    }

    /// A valid number for `carrier`, built from random digits.
    fn valid_number(carrier: Carrier) -> BoxedStrategy<String> {
        let digits = |n: usize| {
            prop::collection::vec(0u8..10, n).prop_map(|d| {
                d.into_iter()
                    .map(|x| char::from(b'0' + x))
                    .collect::<String>()
            })
        };
        match carrier {
            Carrier::Sf => prop_oneof![
                (12usize..=13)
                    .prop_flat_map(digits)
                    .prop_map(|d| format!("SF{d}")),
                digits(12),
            ]
            .boxed(),
            Carrier::Jd => prop_oneof![
                (b'A'..=b'Z', digits(11)).prop_map(|(l, d)| format!("JDV{}{d}", char::from(l))),
                (prop::bool::ANY, digits(12))
                    .prop_map(|(x, d)| format!("JD{}{d}", if x { 'X' } else { 'K' })),
            ]
            .boxed(),
            Carrier::Zto => prop_oneof![digits(12), digits(14)].boxed(),
            Carrier::Yto => digits(13).prop_map(|d| format!("YT{d}")).boxed(),
            Carrier::Sto => (12usize..=15).prop_flat_map(digits).boxed(),
            Carrier::Yunda => prop_oneof![digits(13), digits(15)].boxed(),
            Carrier::Ems => prop_oneof![digits(13), s10()].boxed(),
        }
    }

    /// A valid S10 number.
    fn s10() -> impl Strategy<Value = String> {
        let letter = || (b'A'..=b'Z').prop_map(char::from);
        (
            letter(),
            letter(),
            prop::collection::vec(0u8..10, 8),
            letter(),
            letter(),
        )
            .prop_map(|(a, b, serial, c, d)| {
                let serial: String = serial.into_iter().map(|x| char::from(b'0' + x)).collect();
                let check = s10_check_digit(&serial).unwrap_or(99);
                format!("{a}{b}{serial}{check}{c}{d}")
            })
    }

    fn any_valid() -> impl Strategy<Value = (Carrier, String)> {
        prop::sample::select(Carrier::ALL.to_vec())
            .prop_flat_map(|c| valid_number(c).prop_map(move |n| (c, n)))
    }

    proptest! {
        /// A valid number parses, keeps its normal form, and parses again to the same value,
        /// also when sent lower-case with spaces around it.
        #[test]
        fn a_valid_number_round_trips((carrier, number) in any_valid()) {
            let waybill = Waybill::parse(carrier, &number).expect("valid");
            prop_assert_eq!(waybill.as_str(), number.as_str());
            prop_assert_eq!(waybill.carrier(), carrier);
            prop_assert_eq!(Waybill::parse(carrier, waybill.as_str()), Ok(waybill.clone()));
            let sloppy = format!("  {}\t", number.to_ascii_lowercase());
            prop_assert_eq!(Waybill::parse(carrier, &sloppy), Ok(waybill));
        }

        /// In an S10 number, changing the check digit is always refused, and changing one
        /// serial digit is refused unless the change moves the weighted sum between the two
        /// remainders (0 and 6) that share check digit 5: the one blind spot of S10.
        #[test]
        fn one_changed_digit_of_an_s10_number_is_refused(
            number in s10(),
            position in 2usize..11,
            shift in 1u8..10,
        ) {
            let mut bytes = number.clone().into_bytes();
            let old = bytes[position] - b'0';
            bytes[position] = b'0' + (old + shift) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            let result = Waybill::parse(Carrier::Ems, &changed);
            if position == 10 {
                prop_assert_eq!(result.map_err(|e| e.code()), Err("waybill_check_digit"));
            } else {
                let rest = |s: &str| -> u32 {
                    let sum: u32 = s[2..10].bytes().zip(S10_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
                    sum % 11
                };
                let blind = matches!((rest(&number), rest(&changed)), (0, 6) | (6, 0));
                prop_assert_eq!(result.is_ok(), blind, "{}", changed);
            }
        }

        /// A letter or symbol in place of any digit of a digits-only format is refused.
        #[test]
        fn a_foreign_character_is_refused(
            (carrier, number) in any_valid(),
            position in 0usize..15,
            foreign in prop::sample::select(vec!['-', '#', '.', '/', '中']),
        ) {
            let mut chars: Vec<char> = number.chars().collect();
            let position = position % chars.len();
            chars[position] = foreign;
            let changed: String = chars.into_iter().collect();
            prop_assert!(Waybill::parse(carrier, &changed).is_err(), "{} {}", carrier, changed);
        }
    }
}
