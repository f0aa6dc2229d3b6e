//! Flash sales (秒杀): their terms, and the decision over a batch of purchase attempts that
//! never oversells, never breaks a per-user limit, never overspends a subsidy budget and
//! answers a repeated idempotency key with the order it already made.
//!
//! The caller (the sale's owner in `daihuo-service`) gathers attempts, reads what the
//! database knows about them under the sale's lock, asks [`decide_batch`], and writes the
//! reservations of one batch in one transaction.

use crate::ids::{OrderId, UserId};
use crate::money::Fen;
use crate::order::{IdempotencyKey, Quantity, ORDER_QUANTITY_MAX};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The most units one flash sale may offer.
pub const FLASH_QUANTITY_MAX: i64 = 1_000_000;
/// The longest a flash sale may run.
pub const FLASH_LENGTH_MAX_MS: i64 = 24 * 3_600 * 1_000;
/// The shortest and longest time a buyer has to pay a reservation.
pub const PAY_WINDOW_MIN_MS: i64 = 1_000;
/// See [`PAY_WINDOW_MIN_MS`].
pub const PAY_WINDOW_MAX_MS: i64 = 30 * 60 * 1_000;
/// The default time to pay: 5 minutes.
pub const PAY_WINDOW_DEFAULT_MS: i64 = 5 * 60 * 1_000;

/// Why a flash sale's terms were refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlashSaleError {
    /// The quantity was below 1 or above the maximum.
    #[error("quantity must be 1 to 1,000,000 units")]
    InvalidQuantity,
    /// The per-user limit was below 1 or above the order maximum.
    #[error("per_user_limit must be 1 to 99")]
    InvalidLimit,
    /// The flash price was below the SKU's floor or above its pool price.
    #[error("flash price {price} must lie within the floor {floor} and the pool price {pool}")]
    PriceOutOfRange {
        /// Requested price.
        price: Fen,
        /// The SKU's floor.
        floor: Fen,
        /// The SKU's pool price.
        pool: Fen,
    },
    /// The subsidy was negative or left nothing to pay.
    #[error("subsidy per unit must be at least 0 and below the flash price")]
    InvalidSubsidy,
    /// The sale's end was not after its start, it ran too long, or it ended in the past.
    #[error("a flash sale must end after it starts, in the future, and last at most 24 hours")]
    InvalidWindow,
    /// The time to pay was out of range.
    #[error("pay_window_s must be 1 to 1800 seconds")]
    InvalidPayWindow,
}

impl FlashSaleError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            FlashSaleError::InvalidQuantity => "invalid_quantity",
            FlashSaleError::InvalidLimit => "invalid_per_user_limit",
            FlashSaleError::PriceOutOfRange { .. } => "flash_price_out_of_range",
            FlashSaleError::InvalidSubsidy => "invalid_subsidy",
            FlashSaleError::InvalidWindow => "invalid_sale_window",
            FlashSaleError::InvalidPayWindow => "invalid_pay_window",
        }
    }
}

/// A flash sale's checked terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashTerms {
    /// Price per unit before subsidy.
    pub price: Fen,
    /// Platform subsidy per unit (0 when none).
    pub subsidy_per_unit: Fen,
    /// Units on offer.
    pub quantity: u32,
    /// Most units one buyer may hold or have bought.
    pub per_user_limit: u32,
    /// When buying opens.
    pub starts_at_ms: i64,
    /// When buying closes.
    pub ends_at_ms: i64,
    /// How long a reservation waits for payment.
    pub pay_window_ms: i64,
}

/// The raw terms as asked for.
#[derive(Debug, Clone, Copy)]
pub struct FlashTermsInput {
    /// Price per unit before subsidy, fen.
    pub price_fen: i64,
    /// Subsidy per unit, fen.
    pub subsidy_fen: i64,
    /// Units on offer.
    pub quantity: i64,
    /// Per-user limit.
    pub per_user_limit: i64,
    /// Opening time.
    pub starts_at_ms: i64,
    /// Closing time.
    pub ends_at_ms: i64,
    /// Time to pay, milliseconds.
    pub pay_window_ms: i64,
}

impl FlashTerms {
    /// Checks the terms against the SKU's floor and pool price at time `now_ms`.
    pub fn parse(
        input: FlashTermsInput,
        floor: Fen,
        pool: Fen,
        now_ms: i64,
    ) -> Result<FlashTerms, FlashSaleError> {
        let quantity = u32::try_from(input.quantity)
            .ok()
            .filter(|q| (1..=FLASH_QUANTITY_MAX).contains(&i64::from(*q)))
            .ok_or(FlashSaleError::InvalidQuantity)?;
        let per_user_limit = u32::try_from(input.per_user_limit)
            .ok()
            .filter(|l| (1..=ORDER_QUANTITY_MAX).contains(l))
            .ok_or(FlashSaleError::InvalidLimit)?;
        let price = Fen(input.price_fen);
        if price < floor || price > pool {
            return Err(FlashSaleError::PriceOutOfRange { price, floor, pool });
        }
        if input.subsidy_fen < 0 || input.subsidy_fen >= input.price_fen {
            return Err(FlashSaleError::InvalidSubsidy);
        }
        let length = input.ends_at_ms.saturating_sub(input.starts_at_ms);
        if length <= 0 || length > FLASH_LENGTH_MAX_MS || input.ends_at_ms <= now_ms {
            return Err(FlashSaleError::InvalidWindow);
        }
        if !(PAY_WINDOW_MIN_MS..=PAY_WINDOW_MAX_MS).contains(&input.pay_window_ms) {
            return Err(FlashSaleError::InvalidPayWindow);
        }
        Ok(FlashTerms {
            price,
            subsidy_per_unit: Fen(input.subsidy_fen),
            quantity,
            per_user_limit,
            starts_at_ms: input.starts_at_ms,
            ends_at_ms: input.ends_at_ms,
            pay_window_ms: input.pay_window_ms,
        })
    }

    /// Where the sale is at `now_ms`.
    pub fn phase(&self, now_ms: i64) -> FlashPhase {
        if now_ms < self.starts_at_ms {
            FlashPhase::Upcoming
        } else if now_ms < self.ends_at_ms {
            FlashPhase::Running
        } else {
            FlashPhase::Ended
        }
    }
}

/// Where a flash sale is in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlashPhase {
    /// Counting down.
    Upcoming,
    /// Buying is open.
    Running,
    /// Buying has closed.
    Ended,
}

/// One buyer's attempt, as the owner of the sale received it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The buyer.
    pub buyer: UserId,
    /// Units asked for.
    pub quantity: Quantity,
    /// The client's idempotency key.
    pub key: IdempotencyKey,
    /// A digest of the request body: the same key with another body is refused.
    pub request_hash: String,
}

/// What the database already holds for an idempotency key of this batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownKey {
    /// The digest of the request that first used the key.
    pub request_hash: String,
    /// The order it made.
    pub order: OrderId,
}

/// The sale's state, read under its lock at the start of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleState {
    /// Units neither held nor sold.
    pub remaining: u32,
    /// Subsidy budget left for this sale's campaign; `None` when the sale has no subsidy.
    pub budget_left: Option<Fen>,
    /// Units each buyer of this batch already holds or bought.
    pub bought: HashMap<UserId, u32>,
    /// Keys of this batch already used by the same buyer.
    pub known_keys: HashMap<(UserId, IdempotencyKey), KnownKey>,
}

/// The answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Reserve the units: a new order.
    Reserve,
    /// The key already made this order: answer with it again.
    Replay(OrderId),
    /// The key was used before with another request body.
    KeyReused,
    /// The same key is being decided in this very batch.
    InProgress,
    /// Buying has not opened yet.
    NotStarted,
    /// Buying has closed.
    Ended,
    /// Fewer units are left than asked for.
    SoldOut,
    /// The buyer would exceed the per-user limit.
    OverLimit {
        /// Units the buyer already holds or bought.
        bought: u32,
    },
    /// The campaign's subsidy budget cannot cover these units.
    BudgetExhausted,
}

/// Decides a batch of attempts in arrival order, updating `state` as units are taken. Pure:
/// the caller makes the `Reserve` verdicts durable in one transaction, or none of them.
pub fn decide_batch(
    terms: &FlashTerms,
    state: &mut SaleState,
    attempts: &[Attempt],
    now_ms: i64,
) -> Vec<Verdict> {
    let mut in_batch: HashMap<(UserId, &IdempotencyKey), &str> = HashMap::new();
    attempts
        .iter()
        .map(|attempt| {
            if let Some(known) = state.known_keys.get(&(attempt.buyer, attempt.key.clone())) {
                return if known.request_hash == attempt.request_hash {
                    Verdict::Replay(known.order)
                } else {
                    Verdict::KeyReused
                };
            }
            if let Some(hash) = in_batch.get(&(attempt.buyer, &attempt.key)) {
                return if *hash == attempt.request_hash {
                    Verdict::InProgress
                } else {
                    Verdict::KeyReused
                };
            }
            match terms.phase(now_ms) {
                FlashPhase::Upcoming => return Verdict::NotStarted,
                FlashPhase::Ended => return Verdict::Ended,
                FlashPhase::Running => {}
            }
            let units = attempt.quantity.get();
            let bought = state.bought.get(&attempt.buyer).copied().unwrap_or(0);
            if bought + units > terms.per_user_limit {
                return Verdict::OverLimit { bought };
            }
            if units > state.remaining {
                return Verdict::SoldOut;
            }
            let subsidy = Fen(terms.subsidy_per_unit.0 * i64::from(units));
            if let Some(left) = state.budget_left {
                if subsidy > left {
                    return Verdict::BudgetExhausted;
                }
                state.budget_left = Some(Fen(left.0 - subsidy.0));
            }
            state.remaining -= units;
            state.bought.insert(attempt.buyer, bought + units);
            in_batch.insert((attempt.buyer, &attempt.key), &attempt.request_hash);
            Verdict::Reserve
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(quantity: u32, limit: u32, subsidy: i64) -> FlashTerms {
        FlashTerms {
            price: Fen(899_900),
            subsidy_per_unit: Fen(subsidy),
            quantity,
            per_user_limit: limit,
            starts_at_ms: 1_000,
            ends_at_ms: 100_000,
            pay_window_ms: PAY_WINDOW_DEFAULT_MS,
        }
    }

    fn attempt(buyer: i64, quantity: u32, key: &str, body: &str) -> Attempt {
        Attempt {
            buyer: UserId(buyer),
            quantity: Quantity::parse(i64::from(quantity)).expect("quantity"),
            key: IdempotencyKey::parse(key).expect("key"),
            request_hash: body.to_owned(),
        }
    }

    fn fresh(remaining: u32, budget: Option<i64>) -> SaleState {
        SaleState {
            remaining,
            budget_left: budget.map(Fen),
            bought: HashMap::new(),
            known_keys: HashMap::new(),
        }
    }

    #[test]
    fn terms_are_checked() {
        let input = FlashTermsInput {
            price_fen: 800,
            subsidy_fen: 100,
            quantity: 1_000,
            per_user_limit: 1,
            starts_at_ms: 10_000,
            ends_at_ms: 20_000,
            pay_window_ms: PAY_WINDOW_DEFAULT_MS,
        };
        assert!(FlashTerms::parse(input, Fen(700), Fen(1_000), 0).is_ok());
        let code = |i: FlashTermsInput| FlashTerms::parse(i, Fen(700), Fen(1_000), 0).err();
        assert_eq!(
            code(FlashTermsInput {
                price_fen: 600,
                ..input
            })
            .map(|e| e.code()),
            Some("flash_price_out_of_range")
        );
        assert_eq!(
            code(FlashTermsInput {
                subsidy_fen: 800,
                ..input
            })
            .map(|e| e.code()),
            Some("invalid_subsidy")
        );
        assert_eq!(
            code(FlashTermsInput {
                ends_at_ms: 10_000,
                ..input
            })
            .map(|e| e.code()),
            Some("invalid_sale_window")
        );
        assert_eq!(
            code(FlashTermsInput {
                quantity: 0,
                ..input
            })
            .map(|e| e.code()),
            Some("invalid_quantity")
        );
    }

    #[test]
    fn a_batch_sells_out_respects_limits_and_keys() {
        let t = terms(2, 1, 0);
        let mut state = fresh(2, None);
        state.known_keys.insert(
            (UserId(9), IdempotencyKey::parse("old").expect("key")),
            KnownKey {
                request_hash: "b".into(),
                order: OrderId(77),
            },
        );
        let verdicts = decide_batch(
            &t,
            &mut state,
            &[
                attempt(1, 1, "k1", "b"),
                attempt(1, 1, "k1", "b"),
                attempt(1, 1, "k1", "other"),
                attempt(1, 1, "k2", "b"),
                attempt(2, 1, "k1", "b"),
                attempt(3, 1, "k1", "b"),
                attempt(9, 1, "old", "b"),
                attempt(9, 1, "old", "changed"),
            ],
            5_000,
        );
        assert_eq!(
            verdicts,
            vec![
                Verdict::Reserve,
                Verdict::InProgress,
                Verdict::KeyReused,
                Verdict::OverLimit { bought: 1 },
                Verdict::Reserve,
                Verdict::SoldOut,
                Verdict::Replay(OrderId(77)),
                Verdict::KeyReused,
            ]
        );
        assert_eq!(state.remaining, 0);
    }

    #[test]
    fn time_and_budget() {
        let t = terms(10, 5, 100);
        let mut state = fresh(10, Some(250));
        let early = decide_batch(&t, &mut state, &[attempt(1, 1, "a", "b")], 0);
        assert_eq!(early, vec![Verdict::NotStarted]);
        let late = decide_batch(&t, &mut state, &[attempt(1, 1, "a", "b")], 100_000);
        assert_eq!(late, vec![Verdict::Ended]);
        let verdicts = decide_batch(
            &t,
            &mut state,
            &[attempt(1, 2, "a", "b"), attempt(2, 1, "a", "b")],
            5_000,
        );
        assert_eq!(verdicts, vec![Verdict::Reserve, Verdict::BudgetExhausted]);
        assert_eq!(state.budget_left, Some(Fen(50)));
    }

    proptest! {
        /// Whatever the batch, no more units are reserved than remained, no buyer passes the
        /// limit, the budget never goes below zero, and each (buyer, key) reserves at most once.
        #[test]
        fn batches_never_oversell(
            remaining in 0u32..20,
            limit in 1u32..4,
            budget in prop::option::of(0i64..2_000),
            raw in prop::collection::vec((0i64..6, 1u32..4, 0u8..4, 0u8..2), 0..60),
        ) {
            let t = terms(remaining, limit, 100);
            let mut state = fresh(remaining, budget);
            let attempts: Vec<Attempt> = raw
                .iter()
                .map(|(buyer, q, key, body)| attempt(*buyer, *q, &format!("k{key}"), &format!("b{body}")))
                .collect();
            let verdicts = decide_batch(&t, &mut state, &attempts, 5_000);
            let mut units = 0u32;
            let mut per_buyer: HashMap<i64, u32> = HashMap::new();
            let mut keys = std::collections::HashSet::new();
            for (a, v) in attempts.iter().zip(&verdicts) {
                if *v == Verdict::Reserve {
                    units += a.quantity.get();
                    *per_buyer.entry(a.buyer.0).or_default() += a.quantity.get();
                    prop_assert!(keys.insert((a.buyer, a.key.clone())));
                }
            }
            prop_assert!(units <= remaining);
            prop_assert_eq!(state.remaining, remaining - units);
            prop_assert!(per_buyer.values().all(|u| *u <= limit));
            if let Some(b) = budget {
                prop_assert!(i64::from(units) * 100 <= b);
                prop_assert_eq!(state.budget_left, Some(Fen(b - i64::from(units) * 100)));
            }
        }
    }
}
