//! The product pool's rules: codes, GTINs, prices and commission, review status, and the
//! content of a SKU. Each parse function is the one place its input is checked.

use crate::money::{BasisPoints, Fen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest title a SKU may carry, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// The longest brand name, in characters.
pub const BRAND_MAX_CHARS: usize = 64;
/// The most images a SKU may list: a product page shows a handful, never hundreds.
pub const IMAGES_MAX: usize = 20;
/// The longest image URL, in bytes.
pub const IMAGE_URL_MAX_BYTES: usize = 1_024;
/// The most attributes a SKU may carry.
pub const ATTRIBUTES_MAX: usize = 32;
/// The longest attribute name or value, in characters.
pub const ATTRIBUTE_MAX_CHARS: usize = 128;
/// The longest supplier code (SPU, SKU or warehouse code), in bytes.
pub const CODE_MAX_BYTES: usize = 64;

/// Why a piece of catalogue input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A supplier code was empty, too long or held characters outside `[A-Za-z0-9_.-]`.
    #[error("{field} must be 1 to 64 characters of letters, digits, '_', '.' or '-'")]
    InvalidCode {
        /// Which code.
        field: &'static str,
    },
    /// The title was empty or too long.
    #[error("title must be 1 to 200 characters")]
    InvalidTitle,
    /// The brand was empty or too long.
    #[error("brand must be 1 to 64 characters")]
    InvalidBrand,
    /// A GTIN had the wrong length, non-digits or a wrong check digit.
    #[error("gtin {0:?} is not a valid GTIN-8, -12, -13 or -14 (check digit)")]
    InvalidGtin(String),
    /// An image URL was not http(s) or was too long, or there were too many.
    #[error("images must be at most 20 http(s) URLs of at most 1024 bytes")]
    InvalidImages,
    /// Too many attributes, or one too long or empty.
    #[error("attributes must be at most 32 non-empty name/value pairs of at most 128 characters")]
    InvalidAttributes,
    /// A price was zero or negative.
    #[error("{field} must be a positive number of fen")]
    NonPositivePrice {
        /// Which price.
        field: &'static str,
    },
    /// The supply price was not below the pool price.
    #[error("supply price {supply} must be below pool price {pool}")]
    SupplyNotBelowPool {
        /// Supply price.
        supply: Fen,
        /// Pool price.
        pool: Fen,
    },
    /// The floor price was above the pool price.
    #[error("floor price {floor} must not be above pool price {pool}")]
    FloorAbovePool {
        /// Floor price.
        floor: Fen,
        /// Pool price.
        pool: Fen,
    },
    /// The floor price was not above the supply price.
    #[error("floor price {floor} must be above supply price {supply}")]
    FloorNotAboveSupply {
        /// Floor price.
        floor: Fen,
        /// Supply price.
        supply: Fen,
    },
    /// The suggested retail price was below the pool price.
    #[error("suggested retail price {retail} must not be below pool price {pool}")]
    RetailBelowPool {
        /// Suggested retail price.
        retail: Fen,
        /// Pool price.
        pool: Fen,
    },
    /// The commission rate was outside the platform's policy.
    #[error("commission {rate} bp is outside the platform policy {min}..={max} bp")]
    CommissionOutOfPolicy {
        /// Requested rate.
        rate: u32,
        /// Policy minimum.
        min: u32,
        /// Policy maximum.
        max: u32,
    },
    /// The commission at the pool price would be larger than the margin over supply.
    #[error("commission {commission} at the pool price exceeds the margin {margin}")]
    CommissionExceedsMargin {
        /// Commission at the pool price.
        commission: Fen,
        /// Pool price minus supply price.
        margin: Fen,
    },
}

impl CatalogError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            CatalogError::InvalidCode { .. } => "invalid_code",
            CatalogError::InvalidTitle => "invalid_title",
            CatalogError::InvalidBrand => "invalid_brand",
            CatalogError::InvalidGtin(_) => "invalid_gtin",
            CatalogError::InvalidImages => "invalid_images",
            CatalogError::InvalidAttributes => "invalid_attributes",
            CatalogError::NonPositivePrice { .. } => "non_positive_price",
            CatalogError::SupplyNotBelowPool { .. } => "supply_not_below_pool",
            CatalogError::FloorAbovePool { .. } => "floor_above_pool",
            CatalogError::FloorNotAboveSupply { .. } => "floor_not_above_supply",
            CatalogError::RetailBelowPool { .. } => "retail_below_pool",
            CatalogError::CommissionOutOfPolicy { .. } => "commission_out_of_policy",
            CatalogError::CommissionExceedsMargin { .. } => "commission_exceeds_margin",
        }
    }
}

/// A supplier's own code for an SPU, SKU or warehouse: the key its systems use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    /// Checks a code; `field` names it in the error.
    pub fn parse(raw: &str, field: &'static str) -> Result<Code, CatalogError> {
        let valid = !raw.is_empty()
            && raw.len() <= CODE_MAX_BYTES
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if valid {
            Ok(Code(raw.to_owned()))
        } else {
            Err(CatalogError::InvalidCode { field })
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Global Trade Item Number whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Gtin(String);

impl Gtin {
    /// Checks length (8, 12, 13 or 14 digits) and the check digit.
    pub fn parse(raw: &str) -> Result<Gtin, CatalogError> {
        let valid = match raw.len() {
            8 => gtin_validate::gtin8::check(raw),
            12 => gtin_validate::gtin12::check(raw),
            13 => gtin_validate::gtin13::check(raw),
            14 => gtin_validate::gtin14::check(raw),
            _ => false,
        };
        if valid && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Gtin(raw.to_owned()))
        } else {
            Err(CatalogError::InvalidGtin(raw.chars().take(32).collect()))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The platform's commission policy: the range every SKU's rate must fall in. The same rate
/// applies to every anchor, which is what makes the pool fair to small anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommissionPolicy {
    /// Lowest rate a supplier may offer.
    pub min: BasisPoints,
    /// Highest rate a supplier may offer.
    pub max: BasisPoints,
}

impl Default for CommissionPolicy {
    /// 1% to 50%: below 1% no anchor would sell it; above 50% is a pricing error more often
    /// than an offer.
    fn default() -> Self {
        CommissionPolicy {
            min: BasisPoints(100),
            max: BasisPoints(5_000),
        }
    }
}

/// A SKU's prices and commission, checked against each other and the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkuPricing {
    /// What the supplier receives per unit.
    pub supply: Fen,
    /// The standard live price, the same for every anchor.
    pub pool: Fen,
    /// The lowest live price an anchor may set.
    pub floor: Fen,
    /// The suggested retail price shown as the "before" price.
    pub retail: Fen,
    /// Anchor commission on the pool price.
    pub commission: BasisPoints,
}

impl SkuPricing {
    /// Checks the rules in a fixed order and returns the first one broken:
    /// every price positive; supply < pool; floor ≤ pool; floor > supply; retail ≥ pool;
    /// commission within policy; commission at the pool price ≤ pool − supply.
    pub fn parse(
        supply: i64,
        pool: i64,
        floor: i64,
        retail: i64,
        commission_bps: i64,
        policy: CommissionPolicy,
    ) -> Result<SkuPricing, CatalogError> {
        for (field, value) in [
            ("supply_price_fen", supply),
            ("pool_price_fen", pool),
            ("floor_price_fen", floor),
            ("retail_price_fen", retail),
        ] {
            if value <= 0 {
                return Err(CatalogError::NonPositivePrice { field });
            }
        }
        let (supply, pool, floor, retail) = (Fen(supply), Fen(pool), Fen(floor), Fen(retail));
        if supply >= pool {
            return Err(CatalogError::SupplyNotBelowPool { supply, pool });
        }
        if floor > pool {
            return Err(CatalogError::FloorAbovePool { floor, pool });
        }
        if floor <= supply {
            return Err(CatalogError::FloorNotAboveSupply { floor, supply });
        }
        if retail < pool {
            return Err(CatalogError::RetailBelowPool { retail, pool });
        }
        let out_of_policy = CatalogError::CommissionOutOfPolicy {
            rate: u32::try_from(commission_bps.clamp(0, i64::from(u32::MAX))).unwrap_or(u32::MAX),
            min: policy.min.0,
            max: policy.max.0,
        };
        let commission = BasisPoints::parse(commission_bps).map_err(|_| out_of_policy.clone())?;
        if commission < policy.min || commission > policy.max {
            return Err(out_of_policy);
        }
        let commission_fen =
            pool.share(commission)
                .map_err(|_| CatalogError::NonPositivePrice {
                    field: "pool_price_fen",
                })?;
        let margin = Fen(pool.0 - supply.0);
        if commission_fen > margin {
            return Err(CatalogError::CommissionExceedsMargin {
                commission: commission_fen,
                margin,
            });
        }
        Ok(SkuPricing {
            supply,
            pool,
            floor,
            retail,
            commission,
        })
    }
}

/// Where a SKU stands in operator review. Only `Approved` SKUs are in the pool anchors see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkuStatus {
    /// Waiting for an operator.
    PendingReview,
    /// In the pool.
    Approved,
    /// Refused, with a reason; the supplier may edit and resubmit.
    Rejected,
    /// Withdrawn by the supplier; no longer offered.
    Delisted,
}

/// A status change that the review rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a SKU that is {from} cannot be {action}")]
pub struct StatusTransitionError {
    /// Status before.
    pub from: &'static str,
    /// What was attempted.
    pub action: &'static str,
}

impl SkuStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            SkuStatus::PendingReview => "pending_review",
            SkuStatus::Approved => "approved",
            SkuStatus::Rejected => "rejected",
            SkuStatus::Delisted => "delisted",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<SkuStatus> {
        Some(match raw {
            "pending_review" => SkuStatus::PendingReview,
            "approved" => SkuStatus::Approved,
            "rejected" => SkuStatus::Rejected,
            "delisted" => SkuStatus::Delisted,
            _ => return None,
        })
    }

    /// An operator approves a SKU waiting for review.
    pub fn approve(self) -> Result<SkuStatus, StatusTransitionError> {
        match self {
            SkuStatus::PendingReview => Ok(SkuStatus::Approved),
            _ => Err(self.refuse("approved")),
        }
    }

    /// An operator rejects a SKU waiting for review.
    pub fn reject(self) -> Result<SkuStatus, StatusTransitionError> {
        match self {
            SkuStatus::PendingReview => Ok(SkuStatus::Rejected),
            _ => Err(self.refuse("rejected")),
        }
    }

    /// The supplier changed what a buyer sees (title, images, category…): it goes back to
    /// review, unless it was delisted, which only `relist` undoes.
    pub fn content_changed(self) -> SkuStatus {
        match self {
            SkuStatus::Delisted => SkuStatus::Delisted,
            _ => SkuStatus::PendingReview,
        }
    }

    /// The supplier withdraws the SKU from the pool.
    pub fn delist(self) -> Result<SkuStatus, StatusTransitionError> {
        match self {
            SkuStatus::Delisted => Err(self.refuse("delisted")),
            _ => Ok(SkuStatus::Delisted),
        }
    }

    /// The supplier offers a delisted SKU again; it is reviewed again.
    pub fn relist(self) -> Result<SkuStatus, StatusTransitionError> {
        match self {
            SkuStatus::Delisted => Ok(SkuStatus::PendingReview),
            _ => Err(self.refuse("relisted")),
        }
    }

    fn refuse(self, action: &'static str) -> StatusTransitionError {
        StatusTransitionError {
            from: self.as_str(),
            action,
        }
    }
}

/// What a buyer sees of a SKU, checked. Changing any of it sends the SKU back to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkuContent {
    /// Product title, Chinese or English.
    pub title: String,
    /// Brand name.
    pub brand: String,
    /// Google product taxonomy id (checked against the taxonomy by the caller).
    pub category_id: u32,
    /// Optional GTIN.
    pub gtin: Option<Gtin>,
    /// Image URLs.
    pub images: Vec<String>,
    /// Attribute name/value pairs in the supplier's order (colour, size, …).
    pub attributes: Vec<(String, String)>,
}

impl SkuContent {
    /// Checks every field's shape and limits.
    pub fn parse(
        title: &str,
        brand: &str,
        category_id: u32,
        gtin: Option<&str>,
        images: Vec<String>,
        attributes: Vec<(String, String)>,
    ) -> Result<SkuContent, CatalogError> {
        let title = title.trim();
        let title_chars = title.chars().count();
        if title_chars == 0 || title_chars > TITLE_MAX_CHARS {
            return Err(CatalogError::InvalidTitle);
        }
        let brand = brand.trim();
        let brand_chars = brand.chars().count();
        if brand_chars == 0 || brand_chars > BRAND_MAX_CHARS {
            return Err(CatalogError::InvalidBrand);
        }
        let gtin = match gtin.map(str::trim).filter(|g| !g.is_empty()) {
            Some(raw) => Some(Gtin::parse(raw)?),
            None => None,
        };
        let images_ok = images.len() <= IMAGES_MAX
            && images.iter().all(|url| {
                url.len() <= IMAGE_URL_MAX_BYTES
                    && (url.starts_with("https://") || url.starts_with("http://"))
                    && !url.chars().any(char::is_whitespace)
            });
        if !images_ok {
            return Err(CatalogError::InvalidImages);
        }
        let attributes_ok = attributes.len() <= ATTRIBUTES_MAX
            && attributes.iter().all(|(name, value)| {
                let (n, v) = (name.chars().count(), value.chars().count());
                (1..=ATTRIBUTE_MAX_CHARS).contains(&n) && (1..=ATTRIBUTE_MAX_CHARS).contains(&v)
            });
        if !attributes_ok {
            return Err(CatalogError::InvalidAttributes);
        }
        Ok(SkuContent {
            title: title.to_owned(),
            brand: brand.to_owned(),
            category_id,
            gtin,
            images,
            attributes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing(
        supply: i64,
        pool: i64,
        floor: i64,
        retail: i64,
        bps: i64,
    ) -> Result<SkuPricing, CatalogError> {
        SkuPricing::parse(
            supply,
            pool,
            floor,
            retail,
            bps,
            CommissionPolicy::default(),
        )
    }

    #[test]
    fn price_rules_have_stable_codes() {
        assert!(pricing(500_000, 899_900, 850_000, 1_589_900, 1_000).is_ok());
        let code = |r: Result<SkuPricing, CatalogError>| r.err().map(|e| e.code());
        assert_eq!(
            code(pricing(0, 100, 90, 100, 100)),
            Some("non_positive_price")
        );
        assert_eq!(
            code(pricing(100, 100, 100, 100, 100)),
            Some("supply_not_below_pool")
        );
        assert_eq!(
            code(pricing(50, 100, 101, 120, 100)),
            Some("floor_above_pool")
        );
        assert_eq!(
            code(pricing(50, 100, 50, 120, 100)),
            Some("floor_not_above_supply")
        );
        assert_eq!(
            code(pricing(50, 100, 90, 99, 100)),
            Some("retail_below_pool")
        );
        assert_eq!(
            code(pricing(50, 100, 90, 120, 99)),
            Some("commission_out_of_policy")
        );
        assert_eq!(
            code(pricing(50, 100, 90, 120, 20_000)),
            Some("commission_out_of_policy")
        );
        assert_eq!(
            code(pricing(90, 100, 95, 120, 2_000)),
            Some("commission_exceeds_margin")
        );
    }

    #[test]
    fn gtin_check_digit() {
        assert!(Gtin::parse("6901234567892").is_ok());
        assert!(Gtin::parse("6901234567893").is_err());
        assert!(Gtin::parse("69012345678").is_err());
        assert!(Gtin::parse("96385074").is_ok());
    }

    #[test]
    fn codes_are_restricted() {
        assert!(Code::parse("GREE-KFR35.1_a", "sku_code").is_ok());
        assert!(Code::parse("", "sku_code").is_err());
        assert!(Code::parse("空调", "sku_code").is_err());
        assert!(Code::parse(&"a".repeat(65), "sku_code").is_err());
    }

    #[test]
    fn status_transitions() {
        use SkuStatus::*;
        assert_eq!(PendingReview.approve(), Ok(Approved));
        assert!(Approved.approve().is_err());
        assert_eq!(PendingReview.reject(), Ok(Rejected));
        assert!(Rejected.approve().is_err());
        assert_eq!(Approved.content_changed(), PendingReview);
        assert_eq!(Rejected.content_changed(), PendingReview);
        assert_eq!(Delisted.content_changed(), Delisted);
        assert_eq!(Approved.delist(), Ok(Delisted));
        assert_eq!(Delisted.relist(), Ok(PendingReview));
        for status in [PendingReview, Approved, Rejected, Delisted] {
            assert_eq!(SkuStatus::from_db(status.as_str()), Some(status));
        }
    }

    #[test]
    fn content_limits() {
        let ok = SkuContent::parse(
            "格力 变频空调",
            "格力",
            605,
            Some("6901234567892"),
            vec!["https://img.example/1.jpg".into()],
            vec![("颜色".into(), "白".into())],
        );
        assert!(ok.is_ok());
        let long_title = "空".repeat(201);
        assert_eq!(
            SkuContent::parse(&long_title, "b", 1, None, vec![], vec![])
                .err()
                .map(|e| e.code()),
            Some("invalid_title")
        );
        assert_eq!(
            SkuContent::parse("t", "b", 1, None, vec!["ftp://x".into()], vec![])
                .err()
                .map(|e| e.code()),
            Some("invalid_images")
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone, Copy)]
        enum Action {
            Approve,
            Reject,
            ContentChanged,
            Delist,
            Relist,
        }

        fn action() -> impl Strategy<Value = Action> {
            prop_oneof![
                Just(Action::Approve),
                Just(Action::Reject),
                Just(Action::ContentChanged),
                Just(Action::Delist),
                Just(Action::Relist),
            ]
        }

        proptest! {
            /// Whatever a supplier and an operator do, a SKU enters the pool only by an
            /// operator's approval of a SKU waiting for review, and a content change always
            /// takes it out of the pool.
            #[test]
            fn only_review_admits(actions in proptest::collection::vec(action(), 0..40)) {
                let mut status = SkuStatus::PendingReview;
                for action in actions {
                    let before = status;
                    status = match action {
                        Action::Approve => status.approve().unwrap_or(status),
                        Action::Reject => status.reject().unwrap_or(status),
                        Action::ContentChanged => status.content_changed(),
                        Action::Delist => status.delist().unwrap_or(status),
                        Action::Relist => status.relist().unwrap_or(status),
                    };
                    if status == SkuStatus::Approved && before != SkuStatus::Approved {
                        prop_assert!(matches!(action, Action::Approve));
                        prop_assert_eq!(before, SkuStatus::PendingReview);
                    }
                    if matches!(action, Action::ContentChanged) {
                        prop_assert_ne!(status, SkuStatus::Approved);
                    }
                }
            }

            /// Every accepted pricing keeps the platform whole: the anchor's commission at
            /// the pool price fits in the margin over supply, and the floor is above supply.
            #[test]
            fn accepted_pricing_is_consistent(
                supply in 1i64..2_000_000,
                pool in 1i64..2_000_000,
                floor in 1i64..2_000_000,
                retail in 1i64..3_000_000,
                bps in 0i64..12_000,
            ) {
                if let Ok(p) = SkuPricing::parse(supply, pool, floor, retail, bps, CommissionPolicy::default()) {
                    prop_assert!(p.supply < p.floor && p.floor <= p.pool && p.pool <= p.retail);
                    let commission = p.pool.share(p.commission).unwrap_or(Fen(i64::MAX));
                    prop_assert!(commission.0 <= p.pool.0 - p.supply.0);
                }
            }
        }
    }
}
