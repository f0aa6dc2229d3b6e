//! Replenishment before a live session: where a SKU's forecast demand will come from, which
//! of the supplier's warehouses will ship it, and what to move or top up so each of them
//! holds what it will be asked for.
//!
//! The rules, in order:
//! 1. **Plan for the upper end.** The quantity planned is the forecast interval's upper end
//!    rounded up ([`planned_units`]): with the forecast's 80% interval that is its 90th
//!    percentile, so stock runs short in about one session of ten rather than one of two. A
//!    stream that sells out early loses its hottest minutes; a few units left over are sold
//!    on the shelf afterwards.
//! 2. **Spread it over the buyers' regions.** Each region's share of the plan is its share
//!    of past buyers' units; each region is served by the supplier's warehouse nearest to it
//!    (great-circle distance, as [`crate::fulfilment::route`] ranks warehouses, ties by id),
//!    so a warehouse's need is the sum of its regions' shares, in whole units by largest
//!    remainder so the needs add up to the plan exactly. With no buyer history at all the
//!    plan is spread over the warehouses in proportion to the stock they have free, which
//!    asks for no move, only for a top-up if the total falls short.
//! 3. **Count only free stock.** A warehouse's free stock is what it has on hand less what
//!    routed orders have claimed there, less its share (in proportion to its free stock) of
//!    what is promised but not yet placed in any warehouse: unpaid reservations, flash-sale
//!    set-asides of other sessions, earlier sessions' plans.
//! 4. **Move before topping up.** A warehouse short of its need is filled from the surplus
//!    of the others, nearest surplus first, the largest shortfall first; what no surplus can
//!    cover is a top-up at the warehouse that needs it. So the units moved are the smaller of
//!    the total shortfall and the total surplus, and the units topped up are exactly what the
//!    supplier lacks overall.

use crate::forecast::Interval;
use crate::fulfilment::{GeoPoint, ROUTE_WAREHOUSES_MAX};
use crate::ids::WarehouseId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most units one SKU's plan may ask for: ten million units of one SKU in one stream is
/// beyond any recorded live sale, so a larger figure is a broken forecast, not a plan.
pub const PLANNED_UNITS_MAX: u32 = 10_000_000;
/// The most buyer regions one plan weighs: China has 34 provincial divisions and about 2,900
/// counties; the cap bounds the work of one call.
pub const REGIONS_MAX: usize = 5_000;

/// Why replenishment input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplenishError {
    /// More warehouses than routing weighs.
    #[error("at most 2000 warehouses may be weighed at once")]
    TooManyWarehouses,
    /// More regions than the cap.
    #[error("at most 5000 buyer regions may be weighed at once")]
    TooManyRegions,
    /// A warehouse listed twice.
    #[error("warehouse {0} is listed twice")]
    DuplicateWarehouse(WarehouseId),
    /// A region's weight is negative or not a number.
    #[error("a region's units must be a finite number of at least 0")]
    InvalidRegionUnits,
}

impl ReplenishError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            ReplenishError::TooManyWarehouses => "too_many_warehouses",
            ReplenishError::TooManyRegions => "too_many_regions",
            ReplenishError::DuplicateWarehouse(_) => "duplicate_warehouse",
            ReplenishError::InvalidRegionUnits => "invalid_region_units",
        }
    }
}

/// The units to plan for: the interval's upper end rounded up, at most
/// [`PLANNED_UNITS_MAX`]; 0 for an interval that is not a number.
pub fn planned_units(interval: &Interval) -> u32 {
    let upper = interval.upper.max(interval.mean);
    if !upper.is_finite() || upper <= 0.0 {
        return 0;
    }
    // Within 0..=PLANNED_UNITS_MAX after the clamp, so the cast is exact.
    upper.ceil().min(f64::from(PLANNED_UNITS_MAX)) as u32
}

/// Where past buyers were, and how many units they bought there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuyerRegion {
    /// The region's point (a county's centroid).
    pub location: GeoPoint,
    /// Units bought there: only the shares matter.
    pub units: f64,
}

/// One of the supplier's warehouses with its stock of the SKU.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Depot {
    /// The warehouse.
    pub warehouse: WarehouseId,
    /// Where it is.
    pub location: GeoPoint,
    /// Units on hand.
    pub on_hand: u32,
    /// Units routed orders have claimed there and not shipped yet.
    pub claimed: u32,
}

/// What one warehouse has and will be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The warehouse.
    pub warehouse: WarehouseId,
    /// Free stock: on hand, less what is claimed and its share of what is promised.
    pub free: u32,
    /// The units of the plan its regions will ask of it.
    pub need: u32,
}

/// Units to move from one warehouse to another before the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// From the warehouse with a surplus.
    pub from: WarehouseId,
    /// To the warehouse short of its need.
    pub to: WarehouseId,
    /// How many units.
    pub units: u32,
    /// How far apart the two are, in whole metres.
    pub distance_m: u64,
}

/// Units to add at a warehouse: the supplier lacks them altogether.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUp {
    /// The warehouse short of its need after every move.
    pub warehouse: WarehouseId,
    /// How many units.
    pub units: u32,
}

/// What to do before a session for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// The units planned for.
    pub planned_units: u32,
    /// Each warehouse's free stock and need, in warehouse id order.
    pub positions: Vec<Position>,
    /// Moves, the largest shortfall's first.
    pub moves: Vec<Move>,
    /// Top-ups, in warehouse id order.
    pub top_ups: Vec<TopUp>,
    /// Units of the plan no warehouse can take: the supplier has none.
    pub unplaced: u32,
}

/// Splits `total` into whole parts in proportion to `weights` (largest remainder, ties to
/// the earlier index); all parts equal shares when every weight is 0. The parts add up to
/// `total` exactly.
pub fn apportion(total: u32, weights: &[f64]) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: f64 = weights.iter().sum();
    let weights: Vec<f64> = if sum > 0.0 {
        weights.to_vec()
    } else {
        vec![1.0; weights.len()]
    };
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| f64::from(total) * w / sum).collect();
    // Each floor is within 0..=total, so the casts are exact.
    let mut parts: Vec<u32> = quotas.iter().map(|q| q.floor() as u32).collect();
    let given: u64 = parts.iter().map(|p| u64::from(*p)).sum();
    let mut left = u64::from(total).saturating_sub(given);
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| {
        let ra = quotas[*a] - quotas[*a].floor();
        let rb = quotas[*b] - quotas[*b].floor();
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    for index in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[*index] += 1;
        left -= 1;
    }
    parts
}

/// The distance between two points in whole metres, as routing ranks them.
fn metres(a: GeoPoint, b: GeoPoint) -> u64 {
    // Finite and below half the Earth's circumference, so the cast is exact.
    a.distance_m(b).round() as u64
}

/// Advises how to place `planned` units of a SKU over `depots` for buyers spread as
/// `regions`, given `unplaced_promised` units already promised but not placed in any
/// warehouse. See the module's rules.
pub fn advise(
    planned: u32,
    regions: &[BuyerRegion],
    depots: &[Depot],
    unplaced_promised: u32,
) -> Result<Advice, ReplenishError> {
    if depots.len() > ROUTE_WAREHOUSES_MAX {
        return Err(ReplenishError::TooManyWarehouses);
    }
    if regions.len() > REGIONS_MAX {
        return Err(ReplenishError::TooManyRegions);
    }
    if regions
        .iter()
        .any(|r| !r.units.is_finite() || r.units < 0.0)
    {
        return Err(ReplenishError::InvalidRegionUnits);
    }
    let mut depots = depots.to_vec();
    depots.sort_by_key(|d| d.warehouse);
    if let Some(pair) = depots
        .windows(2)
        .find(|pair| pair[0].warehouse == pair[1].warehouse)
    {
        return Err(ReplenishError::DuplicateWarehouse(pair[0].warehouse));
    }
    if depots.is_empty() {
        return Ok(Advice {
            planned_units: planned,
            positions: Vec::new(),
            moves: Vec::new(),
            top_ups: Vec::new(),
            unplaced: planned,
        });
    }

    // Free stock: on hand less claims, less a share of what is promised but unplaced.
    let unclaimed: Vec<u32> = depots
        .iter()
        .map(|d| d.on_hand.saturating_sub(d.claimed))
        .collect();
    let unclaimed_total: u64 = unclaimed.iter().map(|u| u64::from(*u)).sum();
    let promised = u32::try_from(u64::from(unplaced_promised).min(unclaimed_total))
        .unwrap_or(unplaced_promised);
    let weights: Vec<f64> = unclaimed.iter().map(|u| f64::from(*u)).collect();
    let promised_shares = if unclaimed_total == 0 {
        vec![0; depots.len()]
    } else {
        apportion(promised, &weights)
    };
    let free: Vec<u32> = unclaimed
        .iter()
        .zip(&promised_shares)
        .map(|(u, p)| u.saturating_sub(*p))
        .collect();

    // Need: each region's share of the plan goes to its nearest warehouse.
    let mut pull = vec![0.0; depots.len()];
    let mut any_buyers = false;
    for region in regions.iter().filter(|r| r.units > 0.0) {
        any_buyers = true;
        let nearest = depots
            .iter()
            .enumerate()
            .min_by_key(|(_, d)| (metres(region.location, d.location), d.warehouse))
            .map(|(i, _)| i)
            .unwrap_or(0);
        pull[nearest] += region.units;
    }
    if !any_buyers {
        pull = free.iter().map(|f| f64::from(*f)).collect();
    }
    let need = apportion(planned, &pull);

    // Surpluses fill shortfalls, nearest first; the rest is topped up.
    let mut surplus: Vec<u32> = free
        .iter()
        .zip(&need)
        .map(|(f, n)| f.saturating_sub(*n))
        .collect();
    let mut short: Vec<(usize, u32)> = need
        .iter()
        .zip(&free)
        .enumerate()
        .filter(|(_, (n, f))| n > f)
        .map(|(i, (n, f))| (i, n - f))
        .collect();
    short.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(depots[a.0].warehouse.cmp(&depots[b.0].warehouse))
    });
    let mut moves = Vec::new();
    let mut top_ups: BTreeMap<WarehouseId, u32> = BTreeMap::new();
    for (to, mut lacking) in short {
        let mut sources: Vec<(u64, usize)> = (0..depots.len())
            .filter(|i| surplus[*i] > 0)
            .map(|i| (metres(depots[to].location, depots[i].location), i))
            .collect();
        sources.sort_by_key(|(distance, i)| (*distance, depots[*i].warehouse));
        for (distance_m, from) in sources {
            if lacking == 0 {
                break;
            }
            let units = lacking.min(surplus[from]);
            surplus[from] -= units;
            lacking -= units;
            moves.push(Move {
                from: depots[from].warehouse,
                to: depots[to].warehouse,
                units,
                distance_m,
            });
        }
        if lacking > 0 {
            top_ups.insert(depots[to].warehouse, lacking);
        }
    }
    Ok(Advice {
        planned_units: planned,
        positions: depots
            .iter()
            .zip(free.iter().zip(&need))
            .map(|(d, (free, need))| Position {
                warehouse: d.warehouse,
                free: *free,
                need: *need,
            })
            .collect(),
        moves,
        top_ups: top_ups
            .into_iter()
            .map(|(warehouse, units)| TopUp { warehouse, units })
            .collect(),
        unplaced: 0,
    })
}

/// What a warehouse has left free after a session that sells as planned: its free stock
/// after the moves and top-ups, less its need. Later sessions' plans start from it.
pub fn left_after(advice: &Advice) -> BTreeMap<WarehouseId, u32> {
    let mut left: BTreeMap<WarehouseId, i64> = advice
        .positions
        .iter()
        .map(|p| (p.warehouse, i64::from(p.free) - i64::from(p.need)))
        .collect();
    for m in &advice.moves {
        *left.entry(m.from).or_insert(0) -= i64::from(m.units);
        *left.entry(m.to).or_insert(0) += i64::from(m.units);
    }
    for t in &advice.top_ups {
        *left.entry(t.warehouse).or_insert(0) += i64::from(t.units);
    }
    left.into_iter()
        .map(|(w, units)| (w, u32::try_from(units.max(0)).unwrap_or(u32::MAX)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHANGHAI: (f64, f64) = (31.2304, 121.4737);
    const GUANGZHOU: (f64, f64) = (23.1291, 113.2644);
    const BEIJING: (f64, f64) = (39.9042, 116.4074);
    const SHENZHEN: (f64, f64) = (22.5431, 114.0579);

    fn at((lat, lon): (f64, f64)) -> GeoPoint {
        GeoPoint::parse(lat, lon).expect("point")
    }

    fn depot(id: i64, place: (f64, f64), on_hand: u32, claimed: u32) -> Depot {
        Depot {
            warehouse: WarehouseId(id),
            location: at(place),
            on_hand,
            claimed,
        }
    }

    fn region(place: (f64, f64), units: f64) -> BuyerRegion {
        BuyerRegion {
            location: at(place),
            units,
        }
    }

    #[test]
    fn the_plan_is_the_upper_end_rounded_up() {
        let interval = Interval {
            mean: 80.0,
            lower: 40.0,
            upper: 119.2,
        };
        assert_eq!(planned_units(&interval), 120);
        let broken = Interval {
            mean: f64::NAN,
            lower: 0.0,
            upper: f64::INFINITY,
        };
        assert_eq!(planned_units(&broken), 0);
        let huge = Interval {
            mean: 1e12,
            lower: 0.0,
            upper: 1e12,
        };
        assert_eq!(planned_units(&huge), PLANNED_UNITS_MAX);
    }

    #[test]
    fn stock_moves_toward_the_buyers() {
        // Buyers are in the south; the stock is in Shanghai.
        let depots = [depot(1, SHANGHAI, 200, 0), depot(2, GUANGZHOU, 10, 0)];
        let regions = [region(SHENZHEN, 90.0), region(SHANGHAI, 10.0)];
        let advice = advise(120, &regions, &depots, 0).expect("advice");
        assert_eq!(
            advice.positions,
            vec![
                Position {
                    warehouse: WarehouseId(1),
                    free: 200,
                    need: 12
                },
                Position {
                    warehouse: WarehouseId(2),
                    free: 10,
                    need: 108
                },
            ]
        );
        assert_eq!(advice.moves.len(), 1);
        let m = advice.moves[0];
        assert_eq!(
            (m.from, m.to, m.units),
            (WarehouseId(1), WarehouseId(2), 98)
        );
        assert!((1_100_000..1_300_000).contains(&m.distance_m), "{m:?}");
        assert!(advice.top_ups.is_empty());
        assert_eq!(advice.unplaced, 0);
    }

    #[test]
    fn what_is_lacking_overall_is_topped_up_and_claims_count() {
        let depots = [depot(1, SHANGHAI, 50, 20), depot(2, GUANGZHOU, 10, 0)];
        let regions = [region(GUANGZHOU, 1.0)];
        let advice = advise(100, &regions, &depots, 0).expect("advice");
        // Shanghai's 30 free units move south; 60 more are lacking altogether.
        assert_eq!(advice.moves[0].units, 30);
        assert_eq!(
            advice.top_ups,
            vec![TopUp {
                warehouse: WarehouseId(2),
                units: 60
            }]
        );
        // Units promised but unplaced take their share of free stock first.
        let advice = advise(100, &regions, &depots, 20).expect("advice");
        let moved: u32 = advice.moves.iter().map(|m| m.units).sum();
        let topped: u32 = advice.top_ups.iter().map(|t| t.units).sum();
        // Of 40 unclaimed units, 20 are promised (15 from Shanghai, 5 from Guangzhou).
        assert_eq!((moved, topped), (15, 80));
    }

    #[test]
    fn no_buyers_means_no_moves_and_no_warehouses_means_nothing_placed() {
        let depots = [depot(1, SHANGHAI, 30, 0), depot(2, BEIJING, 10, 0)];
        let advice = advise(60, &[], &depots, 0).expect("advice");
        assert!(advice.moves.is_empty(), "{advice:?}");
        let topped: u32 = advice.top_ups.iter().map(|t| t.units).sum();
        assert_eq!(topped, 20);
        let empty = advise(60, &[region(BEIJING, 1.0)], &[], 0).expect("advice");
        assert_eq!(empty.unplaced, 60);
        assert_eq!(
            advise(1, &[], &[depots[0], depots[0]], 0).map_err(|e| e.code()),
            Err("duplicate_warehouse")
        );
        assert_eq!(
            advise(1, &[region(BEIJING, -1.0)], &depots, 0).map_err(|e| e.code()),
            Err("invalid_region_units")
        );
    }

    #[test]
    fn left_after_counts_the_moves() {
        let depots = [depot(1, SHANGHAI, 200, 0), depot(2, GUANGZHOU, 10, 0)];
        let advice = advise(120, &[region(GUANGZHOU, 1.0)], &depots, 0).expect("advice");
        let left = left_after(&advice);
        assert_eq!(left[&WarehouseId(1)], 90);
        assert_eq!(left[&WarehouseId(2)], 0);
    }

    proptest! {
        /// Needs add up to the plan; after the moves and top-ups every warehouse holds its
        /// need; no move takes more than a surplus; moves are the smaller of the shortfall
        /// and the surplus; top-ups are exactly what is lacking overall.
        #[test]
        fn advice_balances(
            planned in 0u32..5_000,
            raw_depots in prop::collection::vec((18.0f64..50.0, 75.0f64..130.0, 0u32..2_000, 0u32..500), 1..8),
            raw_regions in prop::collection::vec((18.0f64..50.0, 75.0f64..130.0, 0.0f64..100.0), 0..12),
            promised in 0u32..1_000,
        ) {
            let depots: Vec<Depot> = raw_depots.iter().enumerate()
                .map(|(i, (lat, lon, on_hand, claimed))| Depot {
                    warehouse: WarehouseId(i as i64 + 1),
                    location: at((*lat, *lon)),
                    on_hand: *on_hand,
                    claimed: *claimed,
                })
                .collect();
            let regions: Vec<BuyerRegion> = raw_regions.iter()
                .map(|(lat, lon, units)| region((*lat, *lon), *units))
                .collect();
            let advice = advise(planned, &regions, &depots, promised).expect("advice");
            let need: u64 = advice.positions.iter().map(|p| u64::from(p.need)).sum();
            prop_assert_eq!(need, u64::from(planned));
            let mut held: BTreeMap<WarehouseId, i64> = advice.positions.iter()
                .map(|p| (p.warehouse, i64::from(p.free))).collect();
            let mut surplus_total = 0i64;
            let mut short_total = 0i64;
            for p in &advice.positions {
                let d = i64::from(p.free) - i64::from(p.need);
                if d > 0 { surplus_total += d } else { short_total -= d }
            }
            for m in &advice.moves {
                prop_assert!(m.units > 0);
                *held.get_mut(&m.from).expect("from") -= i64::from(m.units);
                *held.get_mut(&m.to).expect("to") += i64::from(m.units);
            }
            for t in &advice.top_ups {
                *held.get_mut(&t.warehouse).expect("warehouse") += i64::from(t.units);
            }
            for p in &advice.positions {
                let now = held[&p.warehouse];
                prop_assert!(now >= i64::from(p.need), "{:?} holds {}", p, now);
                // A source never gives away units its own buyers need.
                prop_assert!(now >= 0);
            }
            let moved: i64 = advice.moves.iter().map(|m| i64::from(m.units)).sum();
            let topped: i64 = advice.top_ups.iter().map(|t| i64::from(t.units)).sum();
            prop_assert_eq!(moved, short_total.min(surplus_total));
            prop_assert_eq!(topped, (short_total - surplus_total).max(0));
        }

        /// Apportioned parts add up to the total.
        #[test]
        fn apportion_is_exact(total in 0u32..100_000, weights in prop::collection::vec(0.0f64..1_000.0, 1..20)) {
            let parts = apportion(total, &weights);
            prop_assert_eq!(parts.iter().map(|p| u64::from(*p)).sum::<u64>(), u64::from(total));
        }
    }
}
