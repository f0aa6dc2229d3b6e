//! Demand before a live session: how many units of each shelved SKU a scheduled session is
//! expected to sell, from which history, and how big its audience will be.
//!
//! The forecasting itself is [`crate::forecast::forecast`], the one model that is also
//! measured on real retail panels. This module is the glue around it:
//!
//! - **The audience.** A session sells to whoever watches, so every past session is first
//!   rescaled to the audience the coming session is expected to have: its units times
//!   expected viewers ÷ the viewers it had (conversion is assumed to stay the same). The
//!   expected audience comes from the anchor's own recent sessions (recent ones and ones at
//!   the same time of day weigh more), adjusted for how the anchor's followers have grown
//!   since; a new anchor's comes from its followers times the platform's usual viewers per
//!   follower; an anchor with no followers gets the platform's usual audience.
//! - **The history level.** The most specific history with enough sessions wins: this anchor
//!   with this SKU; this SKU with any anchor; this anchor with the SKU's category; the
//!   platform's sessions in that category; and otherwise nothing, which forecasts nothing
//!   and says so. The answer always names the level it used ([`Basis`]).
//! - **The conditions.** Each past session is one observation with price = the price paid
//!   (or the live price when nothing sold) ÷ the pool price, and promotion = 1 for a flash
//!   sale of the SKU, ½ for a session in a campaign, 0 otherwise; the coming session's
//!   conditions are written the same way, so the model's price elasticity and promotion lift,
//!   learnt from the history, move the forecast with the discount depth and the campaign.

use crate::forecast::{forecast, Conditions, Interval, Observation, Settings};
use crate::ids::LiveSessionId;
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most past sessions one history level uses: the most recent ones. Sixty sessions are
/// months of an active anchor; older ones say little about the next stream.
pub const HISTORY_SESSIONS_MAX: usize = 60;
/// The fewest past sessions a history level needs before it is used: one session could be
/// a fluke, and the level below (broader but with more sessions) is the safer guess.
pub const HISTORY_SESSIONS_MIN: usize = 2;
/// The most of the anchor's recent sessions its expected audience is averaged over.
pub const AUDIENCE_SESSIONS_MAX: usize = 10;
/// Each older session weighs this much of the next newer one in the expected audience.
pub const AUDIENCE_RECENCY_DECAY: f64 = 0.8;
/// Sessions that started within this many hours of the coming one's time of day (in China)
/// weigh fully in its expected audience; others weigh [`AUDIENCE_OTHER_HOURS_WEIGHT`].
pub const AUDIENCE_SAME_HOURS: i64 = 2;
/// The weight of a session at another time of day: an evening stream draws more than a
/// morning one, but a morning stream is still evidence of the anchor's reach.
pub const AUDIENCE_OTHER_HOURS_WEIGHT: f64 = 0.5;
/// Follower growth since the anchor's recent sessions scales the expected audience, but
/// never below half or above double: a follower bought in bulk is not a viewer.
pub const FOLLOWER_GROWTH_MIN: f64 = 0.5;
/// See [`FOLLOWER_GROWTH_MIN`].
pub const FOLLOWER_GROWTH_MAX: f64 = 2.0;
/// Promotion intensity of a flash sale of the SKU in the session.
pub const PROMO_FLASH_SALE: f64 = 1.0;
/// Promotion intensity of a session in a platform campaign without a flash sale of the SKU.
pub const PROMO_CAMPAIGN: f64 = 0.5;
/// The share of outcomes the prediction interval covers: 80%, so the upper end is the 90th
/// percentile that replenishment plans for.
pub const COVERAGE: f64 = 0.8;
/// China's offset from UTC: time of day is the anchor's audience's.
const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
/// An hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// Which history a forecast was made from, the most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// This anchor's past sessions that sold this SKU.
    AnchorSku,
    /// This SKU's past sessions with any anchor (a new anchor, or a SKU new to this one).
    SkuAcrossAnchors,
    /// This anchor's past sessions, per SKU of this SKU's category (a SKU new to the pool).
    AnchorCategory,
    /// Every anchor's past sessions, per SKU of this SKU's category: the platform's prior.
    PlatformCategory,
    /// No history at all: nothing is forecast.
    NoHistory,
}

impl Basis {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::AnchorSku => "anchor_sku",
            Basis::SkuAcrossAnchors => "sku_across_anchors",
            Basis::AnchorCategory => "anchor_category",
            Basis::PlatformCategory => "platform_category",
            Basis::NoHistory => "no_history",
        }
    }
}

/// Where the expected audience came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceBasis {
    /// The anchor's own recent sessions, adjusted for follower growth.
    AnchorSessions,
    /// The anchor's followers times the platform's usual viewers per follower.
    Followers,
    /// The platform's usual audience per session (an anchor with no sessions and no
    /// followers).
    Platform,
    /// No session on the platform has counted its viewers: history is used unscaled.
    Unknown,
}

/// One past session's audience.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PastAudience {
    /// When it went live, Unix ms.
    pub started_at_ms: i64,
    /// Distinct viewers who joined it.
    pub unique_viewers: u64,
    /// The anchor's followers when it went live.
    pub followers: u64,
}

/// The audience a coming session is expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Audience {
    /// Expected distinct viewers; `None` when nothing on the platform says.
    pub expected_viewers: Option<f64>,
    /// Where that came from.
    pub basis: AudienceBasis,
}

/// Hour of the day in China, 0–23.
fn hour_in_china(ms: i64) -> i64 {
    (ms + CHINA_OFFSET_MS).div_euclid(HOUR_MS).rem_euclid(24)
}

/// Hours between two times of day, going round the clock the short way (0–12).
fn hours_apart(a: i64, b: i64) -> i64 {
    let d = (hour_in_china(a) - hour_in_china(b)).rem_euclid(24);
    d.min(24 - d)
}

/// The median of finite values; `None` for none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The audience expected for a session of an anchor starting at `starts_at_ms`.
///
/// `anchor` is the anchor's past sessions and `platform` every anchor's recent past sessions,
/// each oldest first; `followers_now` the anchor's followers today. Sessions with no viewers
/// counted still count for the anchor's own audience (nobody came), but not for the
/// platform's ratios, which they cannot inform.
pub fn expected_audience(
    anchor: &[PastAudience],
    platform: &[PastAudience],
    followers_now: u64,
    starts_at_ms: i64,
) -> Audience {
    let recent = &anchor[anchor.len().saturating_sub(AUDIENCE_SESSIONS_MAX)..];
    if !recent.is_empty() {
        let mut weight_sum = 0.0;
        let mut viewers = 0.0;
        let mut followers = 0.0;
        let mut recency = 1.0;
        for session in recent.iter().rev() {
            let hours = if hours_apart(session.started_at_ms, starts_at_ms) <= AUDIENCE_SAME_HOURS {
                1.0
            } else {
                AUDIENCE_OTHER_HOURS_WEIGHT
            };
            let weight = recency * hours;
            weight_sum += weight;
            viewers += weight * session.unique_viewers as f64;
            followers += weight * session.followers as f64;
            recency *= AUDIENCE_RECENCY_DECAY;
        }
        let viewers = viewers / weight_sum;
        let followers = followers / weight_sum;
        let growth = if followers > 0.0 {
            (followers_now as f64 / followers).clamp(FOLLOWER_GROWTH_MIN, FOLLOWER_GROWTH_MAX)
        } else {
            1.0
        };
        if viewers > 0.0 {
            return Audience {
                expected_viewers: Some(viewers * growth),
                basis: AudienceBasis::AnchorSessions,
            };
        }
        // The anchor's sessions counted nobody: either nobody came, or nothing was
        // counted; the platform's figures below are the better guess only if the platform
        // counts viewers at all.
    }
    let watched: Vec<&PastAudience> = platform.iter().filter(|s| s.unique_viewers > 0).collect();
    if followers_now > 0 {
        let per_follower = median(
            watched
                .iter()
                .filter(|s| s.followers > 0)
                .map(|s| s.unique_viewers as f64 / s.followers as f64)
                .collect(),
        );
        if let Some(ratio) = per_follower {
            return Audience {
                expected_viewers: Some(ratio * followers_now as f64),
                basis: AudienceBasis::Followers,
            };
        }
    }
    match median(watched.iter().map(|s| s.unique_viewers as f64).collect()) {
        Some(viewers) => Audience {
            expected_viewers: Some(viewers),
            basis: AudienceBasis::Platform,
        },
        None => Audience {
            expected_viewers: None,
            basis: AudienceBasis::Unknown,
        },
    }
}

/// One past session of a history level: what sold, to how many viewers, on what terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PastSale {
    /// When it went live, Unix ms (histories are given oldest first).
    pub started_at_ms: i64,
    /// Distinct viewers who joined it.
    pub unique_viewers: u64,
    /// Units paid for (per SKU, for the category levels).
    pub units: f64,
    /// Its conditions: price ÷ pool price and promotion.
    pub conditions: Conditions,
}

/// The histories a SKU's forecast may use, each oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Histories {
    /// This anchor's sessions that sold this SKU.
    pub anchor_sku: Vec<PastSale>,
    /// This SKU's sessions with any anchor.
    pub sku_across_anchors: Vec<PastSale>,
    /// This anchor's sessions with SKUs of the category, per SKU.
    pub anchor_category: Vec<PastSale>,
    /// Every anchor's sessions with SKUs of the category, per SKU.
    pub platform_category: Vec<PastSale>,
}

/// A SKU's forecast for a coming session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DemandForecast {
    /// Expected units and the prediction interval ([`COVERAGE`]).
    pub interval: Interval,
    /// The history it came from.
    pub basis: Basis,
    /// How many past sessions that history held.
    pub sessions: usize,
}

/// The conditions of a session for the model: price as a ratio to the pool price, and
/// promotion ([`PROMO_FLASH_SALE`], [`PROMO_CAMPAIGN`] or none). `price` is what buyers
/// pay (or will pay): the flash price when there is a flash sale, the live price otherwise.
pub fn conditions(price: Fen, pool: Fen, flash_sale: bool, campaign: bool) -> Conditions {
    let ratio = (pool.0 > 0 && price.0 > 0).then(|| price.0 as f64 / pool.0 as f64);
    let promo = if flash_sale {
        PROMO_FLASH_SALE
    } else if campaign {
        PROMO_CAMPAIGN
    } else {
        0.0
    };
    Conditions {
        price: ratio,
        promo: Some(promo),
    }
}

/// A past session as an observation at the expected audience: its units times expected ÷
/// actual viewers. A session whose viewers were not counted cannot be rescaled and is left
/// out, unless no audience is known at all, when units are taken as they are.
fn rescaled(sale: &PastSale, audience: &Audience) -> Option<Observation> {
    let units = match audience.expected_viewers {
        Some(expected) if sale.unique_viewers > 0 => {
            sale.units.max(0.0) * expected / sale.unique_viewers as f64
        }
        Some(_) => return None,
        None => sale.units.max(0.0),
    };
    Some(Observation {
        units,
        conditions: sale.conditions,
    })
}

/// Forecasts a SKU's units in a coming session with `planned` conditions, from the most
/// specific history that has at least [`HISTORY_SESSIONS_MIN`] usable sessions.
pub fn forecast_demand(
    histories: &Histories,
    audience: &Audience,
    planned: Conditions,
) -> DemandForecast {
    let levels = [
        (Basis::AnchorSku, &histories.anchor_sku),
        (Basis::SkuAcrossAnchors, &histories.sku_across_anchors),
        (Basis::AnchorCategory, &histories.anchor_category),
        (Basis::PlatformCategory, &histories.platform_category),
    ];
    let settings = Settings {
        season: 1,
        coverage: COVERAGE,
    };
    for (basis, history) in levels {
        let recent = &history[history.len().saturating_sub(HISTORY_SESSIONS_MAX)..];
        let observations: Vec<Observation> = recent
            .iter()
            .filter_map(|s| rescaled(s, audience))
            .collect();
        if observations.len() < HISTORY_SESSIONS_MIN {
            continue;
        }
        let interval = forecast(&observations, &[planned], &settings)
            .first()
            .copied()
            .unwrap_or(NOTHING);
        return DemandForecast {
            interval,
            basis,
            sessions: observations.len(),
        };
    }
    DemandForecast {
        interval: NOTHING,
        basis: Basis::NoHistory,
        sessions: 0,
    }
}

/// One SKU in one past session, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PastItem {
    /// The session (items of one session come together).
    pub session_id: LiveSessionId,
    /// When it went live, Unix ms.
    pub started_at_ms: i64,
    /// Distinct viewers who joined it.
    pub unique_viewers: u64,
    /// Whether the session took part in a campaign.
    pub in_campaign: bool,
    /// The SKU's live price in the session.
    pub live_price: Fen,
    /// The SKU's pool price.
    pub pool: Fen,
    /// Units paid for.
    pub units: u64,
    /// What they sold for before subsidy.
    pub gross: Fen,
    /// Whether the session ran a flash sale of the SKU.
    pub flash_sale: bool,
}

impl PastItem {
    /// Its conditions: the average price paid (the live price when nothing sold) ÷ the pool
    /// price, and its promotion.
    pub fn conditions(&self) -> Conditions {
        let promo = conditions(
            self.live_price,
            self.pool,
            self.flash_sale,
            self.in_campaign,
        )
        .promo;
        let price = if self.units > 0 && self.gross.0 > 0 {
            self.gross.0 as f64 / self.units as f64
        } else {
            self.live_price.0 as f64
        };
        Conditions {
            price: (self.pool.0 > 0 && price > 0.0).then(|| price / self.pool.0 as f64),
            promo,
        }
    }
}

/// Past sessions from their items, in the items' order: for one SKU, the SKU's own figures;
/// for a category, units per SKU of the category on the session's shelf, the mean price
/// ratio of those SKUs and the strongest promotion among them.
pub fn sales_per_session(items: &[PastItem]) -> Vec<PastSale> {
    let mut sales: Vec<PastSale> = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let session = items[start].session_id;
        let end = items[start..]
            .iter()
            .position(|i| i.session_id != session)
            .map_or(items.len(), |n| start + n);
        let group = &items[start..end];
        let skus = group.len() as f64;
        let units: f64 = group.iter().map(|i| i.units as f64).sum();
        let prices: Vec<f64> = group.iter().filter_map(|i| i.conditions().price).collect();
        let promo = group
            .iter()
            .filter_map(|i| i.conditions().promo)
            .fold(0.0, f64::max);
        sales.push(PastSale {
            started_at_ms: group[0].started_at_ms,
            unique_viewers: group[0].unique_viewers,
            units: units / skus,
            conditions: Conditions {
                price: (!prices.is_empty())
                    .then(|| prices.iter().sum::<f64>() / prices.len() as f64),
                promo: Some(promo),
            },
        });
        start = end;
    }
    sales
}

/// The forecast of nothing: no history, no units.
const NOTHING: Interval = Interval {
    mean: 0.0,
    lower: 0.0,
    upper: 0.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 24 * HOUR_MS;
    /// 2026-11-23 12:00 UTC, 20:00 in China.
    const EVENING: i64 = 1_795_435_200_000;

    fn audience_at(started_at_ms: i64, viewers: u64, followers: u64) -> PastAudience {
        PastAudience {
            started_at_ms,
            unique_viewers: viewers,
            followers,
        }
    }

    fn sale(day: i64, viewers: u64, units: f64, price: f64, promo: f64) -> PastSale {
        PastSale {
            started_at_ms: EVENING - (30 - day) * DAY_MS,
            unique_viewers: viewers,
            units,
            conditions: Conditions {
                price: Some(price),
                promo: Some(promo),
            },
        }
    }

    fn known(viewers: f64) -> Audience {
        Audience {
            expected_viewers: Some(viewers),
            basis: AudienceBasis::AnchorSessions,
        }
    }

    #[test]
    fn the_audience_follows_the_anchor_its_hours_and_its_followers() {
        let sessions: Vec<PastAudience> = (0..5)
            .map(|d| audience_at(EVENING - (5 - d) * DAY_MS, 1_000, 500))
            .collect();
        let same = expected_audience(&sessions, &[], 500, EVENING);
        assert_eq!(same.basis, AudienceBasis::AnchorSessions);
        assert!((same.expected_viewers.unwrap_or(0.0) - 1_000.0).abs() < 1e-6);
        // Twice the followers: twice the audience, and no more than that however many.
        let grown = expected_audience(&sessions, &[], 1_000, EVENING);
        assert!((grown.expected_viewers.unwrap_or(0.0) - 2_000.0).abs() < 1e-6);
        let capped = expected_audience(&sessions, &[], 50_000, EVENING);
        assert!((capped.expected_viewers.unwrap_or(0.0) - 2_000.0).abs() < 1e-6);
        // A morning session drew fewer; an evening forecast leans on evenings.
        let mut mixed = sessions.clone();
        mixed.push(audience_at(EVENING - 12 * HOUR_MS, 100, 500));
        let evening = expected_audience(&mixed, &[], 500, EVENING + DAY_MS);
        let morning = expected_audience(&mixed, &[], 500, EVENING + DAY_MS - 12 * HOUR_MS);
        let (e, m) = (
            evening.expected_viewers.unwrap_or(0.0),
            morning.expected_viewers.unwrap_or(0.0),
        );
        assert!(m < e && e < 1_000.0, "morning {m}, evening {e}");
    }

    #[test]
    fn a_new_anchor_borrows_the_platforms_audience() {
        let platform = [
            audience_at(EVENING, 1_000, 100),
            audience_at(EVENING, 3_000, 100),
            audience_at(EVENING, 0, 100),
        ];
        let followed = expected_audience(&[], &platform, 50, EVENING);
        assert_eq!(followed.basis, AudienceBasis::Followers);
        // The median of 10 and 30 viewers per follower, times 50 followers.
        assert!((followed.expected_viewers.unwrap_or(0.0) - 1_000.0).abs() < 1e-6);
        let unfollowed = expected_audience(&[], &platform, 0, EVENING);
        assert_eq!(unfollowed.basis, AudienceBasis::Platform);
        assert!((unfollowed.expected_viewers.unwrap_or(0.0) - 2_000.0).abs() < 1e-6);
        let nothing = expected_audience(&[], &[], 10, EVENING);
        assert_eq!(nothing.basis, AudienceBasis::Unknown);
        assert_eq!(nothing.expected_viewers, None);
    }

    #[test]
    fn the_most_specific_history_with_enough_sessions_wins() {
        let plain = conditions(Fen(10_000), Fen(10_000), false, false);
        let steady: Vec<PastSale> = (0..6).map(|d| sale(d, 1_000, 20.0, 1.0, 0.0)).collect();
        let one = vec![sale(1, 1_000, 500.0, 1.0, 0.0)];
        let histories = Histories {
            anchor_sku: one.clone(),
            sku_across_anchors: steady.clone(),
            anchor_category: steady.clone(),
            platform_category: steady.clone(),
        };
        let out = forecast_demand(&histories, &known(1_000.0), plain);
        // One session of the anchor with the SKU is not enough; the SKU's own history is.
        assert_eq!(out.basis, Basis::SkuAcrossAnchors);
        assert_eq!(out.sessions, 6);
        assert!((out.interval.mean - 20.0).abs() < 1.0, "{out:?}");
        assert!(out.interval.lower <= 20.0 && 20.0 <= out.interval.upper);

        let category_only = Histories {
            platform_category: steady,
            ..Histories::default()
        };
        let out = forecast_demand(&category_only, &known(1_000.0), plain);
        assert_eq!(out.basis, Basis::PlatformCategory);
        let none = forecast_demand(&Histories::default(), &known(1_000.0), plain);
        assert_eq!(none.basis, Basis::NoHistory);
        assert_eq!(none.interval.upper, 0.0);
    }

    #[test]
    fn history_is_rescaled_to_the_expected_audience() {
        // Another anchor's sessions to 10,000 viewers sold 100 units each: a session
        // expected to draw 1,000 viewers sells about 10.
        let big: Vec<PastSale> = (0..8).map(|d| sale(d, 10_000, 100.0, 1.0, 0.0)).collect();
        let histories = Histories {
            sku_across_anchors: big,
            ..Histories::default()
        };
        let plain = conditions(Fen(100), Fen(100), false, false);
        let out = forecast_demand(&histories, &known(1_000.0), plain);
        assert!((out.interval.mean - 10.0).abs() < 0.5, "{out:?}");
        // Sessions whose viewers were never counted cannot be rescaled and are left out...
        let uncounted: Vec<PastSale> = (0..8).map(|d| sale(d, 0, 100.0, 1.0, 0.0)).collect();
        let histories = Histories {
            sku_across_anchors: uncounted,
            ..Histories::default()
        };
        let out = forecast_demand(&histories, &known(1_000.0), plain);
        assert_eq!(out.basis, Basis::NoHistory);
        // ...unless no audience is known anywhere, when units are taken as they are.
        let unknown = Audience {
            expected_viewers: None,
            basis: AudienceBasis::Unknown,
        };
        let out = forecast_demand(&histories, &unknown, plain);
        assert_eq!(out.basis, Basis::SkuAcrossAnchors);
        assert!((out.interval.mean - 100.0).abs() < 1.0, "{out:?}");
    }

    #[test]
    fn a_deeper_discount_and_a_flash_sale_forecast_more() {
        // Past sessions at the pool price sold ~20; at 20% off, ~45: the elasticity is
        // learnt from them.
        let history: Vec<PastSale> = (0..12)
            .map(|d| {
                if d % 3 == 0 {
                    sale(d, 1_000, 45.0, 0.8, 0.0)
                } else {
                    sale(d, 1_000, 20.0, 1.0, 0.0)
                }
            })
            .collect();
        let histories = Histories {
            anchor_sku: history,
            ..Histories::default()
        };
        let full = conditions(Fen(10_000), Fen(10_000), false, false);
        let deep = conditions(Fen(8_000), Fen(10_000), false, false);
        let at_full = forecast_demand(&histories, &known(1_000.0), full);
        let at_deep = forecast_demand(&histories, &known(1_000.0), deep);
        assert!(
            at_deep.interval.mean > at_full.interval.mean * 1.2,
            "{at_full:?} {at_deep:?}"
        );
        assert_eq!(deep.price, Some(0.8));
        assert_eq!(
            conditions(Fen(1), Fen(1), true, true).promo,
            Some(PROMO_FLASH_SALE)
        );
        assert_eq!(
            conditions(Fen(1), Fen(1), false, true).promo,
            Some(PROMO_CAMPAIGN)
        );
        assert_eq!(conditions(Fen(1), Fen(0), false, false).price, None);
    }

    #[test]
    fn a_category_session_counts_units_per_sku_at_the_price_paid() {
        let item = |session: i64, units: u64, gross: i64, flash: bool| PastItem {
            session_id: LiveSessionId(session),
            started_at_ms: EVENING + session,
            unique_viewers: 500,
            in_campaign: false,
            live_price: Fen(900),
            pool: Fen(1_000),
            units,
            gross: Fen(gross),
            flash_sale: flash,
        };
        let sales = sales_per_session(&[
            item(1, 10, 8_000, false),
            item(1, 0, 0, true),
            item(2, 3, 2_700, false),
        ]);
        assert_eq!(sales.len(), 2);
        assert_eq!(sales[0].units, 5.0);
        // Sold at 800 (a flash price) and unsold at the live 900: a mean ratio of 0.85.
        assert!((sales[0].conditions.price.unwrap_or(0.0) - 0.85).abs() < 1e-9);
        assert_eq!(sales[0].conditions.promo, Some(PROMO_FLASH_SALE));
        assert_eq!(sales[1].units, 3.0);
        assert_eq!(sales[1].conditions.promo, Some(0.0));
    }

    #[test]
    fn time_of_day_is_chinas() {
        assert_eq!(hour_in_china(EVENING), 20);
        assert_eq!(hours_apart(EVENING, EVENING + 23 * HOUR_MS), 1);
        assert_eq!(hours_apart(EVENING, EVENING + 12 * HOUR_MS), 12);
    }
}
