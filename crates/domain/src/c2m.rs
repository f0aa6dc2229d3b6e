//! The C2M export (customer to manufacturer): what buyers took, net of what they gave back,
//! aggregated by what a manufacturer plans with: a SKU's attributes (colour, size, …), the
//! price band of what buyers paid per unit, and the buyer's province. docs/NOWCAST.md,
//! "C2M", gives the definitions.
//!
//! The services read demand lines (one per SKU, buyer county and unit price) from the orders;
//! this module checks the period asked for and folds the lines into the export's tables, so
//! that every table adds up to the same totals.

use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A day, in milliseconds.
pub const DAY_MS: i64 = 24 * 3_600_000;
/// The longest period one export covers: a quarter. Longer periods are asked quarter by
/// quarter, so one request never scans a year of orders.
pub const PERIOD_MAX_MS: i64 = 92 * DAY_MS;
/// The period an export covers when none is given: the last 30 days.
pub const PERIOD_DEFAULT_MS: i64 = 30 * DAY_MS;

/// Why an export's input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum C2mError {
    /// The period does not end after it starts, or starts before 1970.
    #[error("the period needs 0 ≤ from_ms < to_ms (Unix milliseconds)")]
    InvalidPeriod,
    /// The period is longer than a quarter.
    #[error("an export covers at most 92 days; ask for longer periods quarter by quarter")]
    PeriodTooLong,
}

impl C2mError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            C2mError::InvalidPeriod => "invalid_period",
            C2mError::PeriodTooLong => "period_too_long",
        }
    }
}

/// Checks an export's period `[from, to)`: an absent end is `now_ms`, an absent start 30
/// days before the end.
pub fn check_period(
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    now_ms: i64,
) -> Result<(i64, i64), C2mError> {
    let (from, to) = match (from_ms, to_ms) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, now_ms),
        (None, Some(to)) => (to.saturating_sub(PERIOD_DEFAULT_MS).max(0), to),
        (None, None) => ((now_ms - PERIOD_DEFAULT_MS).max(0), now_ms),
    };
    if from < 0 || to <= from {
        return Err(C2mError::InvalidPeriod);
    }
    if to - from > PERIOD_MAX_MS {
        return Err(C2mError::PeriodTooLong);
    }
    Ok((from, to))
}

/// Bands of the price a buyer paid per unit (the live or flash price, before any subsidy),
/// in yuan; each includes its lower bound and excludes its upper one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum PriceBand {
    /// Under ¥50.
    #[serde(rename = "0-50")]
    Under50,
    /// ¥50 to under ¥100.
    #[serde(rename = "50-100")]
    From50,
    /// ¥100 to under ¥200.
    #[serde(rename = "100-200")]
    From100,
    /// ¥200 to under ¥500.
    #[serde(rename = "200-500")]
    From200,
    /// ¥500 to under ¥1,000.
    #[serde(rename = "500-1000")]
    From500,
    /// ¥1,000 to under ¥2,000.
    #[serde(rename = "1000-2000")]
    From1000,
    /// ¥2,000 to under ¥5,000.
    #[serde(rename = "2000-5000")]
    From2000,
    /// ¥5,000 and more.
    #[serde(rename = "5000+")]
    From5000,
}

impl PriceBand {
    /// Every band, cheapest first.
    pub const ALL: [PriceBand; 8] = [
        PriceBand::Under50,
        PriceBand::From50,
        PriceBand::From100,
        PriceBand::From200,
        PriceBand::From500,
        PriceBand::From1000,
        PriceBand::From2000,
        PriceBand::From5000,
    ];

    /// The band's lower bound, fen.
    pub fn from_fen(self) -> Fen {
        Fen(match self {
            PriceBand::Under50 => 0,
            PriceBand::From50 => 5_000,
            PriceBand::From100 => 10_000,
            PriceBand::From200 => 20_000,
            PriceBand::From500 => 50_000,
            PriceBand::From1000 => 100_000,
            PriceBand::From2000 => 200_000,
            PriceBand::From5000 => 500_000,
        })
    }

    /// The next band's lower bound, fen; none for the top band.
    pub fn to_fen(self) -> Option<Fen> {
        let index = PriceBand::ALL.iter().position(|band| *band == self)?;
        PriceBand::ALL.get(index + 1).map(|next| next.from_fen())
    }

    /// The band a unit price falls in.
    pub fn of(unit_price: Fen) -> PriceBand {
        PriceBand::ALL
            .iter()
            .rev()
            .copied()
            .find(|band| unit_price >= band.from_fen())
            .unwrap_or(PriceBand::Under50)
    }

    /// The stable code, as JSON and CSV show it: `0-50` … `5000+`.
    pub fn code(self) -> &'static str {
        match self {
            PriceBand::Under50 => "0-50",
            PriceBand::From50 => "50-100",
            PriceBand::From100 => "100-200",
            PriceBand::From200 => "200-500",
            PriceBand::From500 => "500-1000",
            PriceBand::From1000 => "1000-2000",
            PriceBand::From2000 => "2000-5000",
            PriceBand::From5000 => "5000+",
        }
    }
}

/// Paid orders of one SKU from one county at one unit price, as the store sums them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandLine {
    /// The SKU's attribute pairs, as its supplier wrote them.
    pub attributes: Vec<(String, String)>,
    /// What a buyer paid per unit, before subsidy.
    pub unit_price: Fen,
    /// The buyers' province (GB/T 2260, e.g. 330000); 0 when the county is unknown.
    pub province_code: u32,
    /// Orders that kept at least one unit after refunds.
    pub orders: i64,
    /// Units paid for.
    pub paid_units: i64,
    /// Units of those refunded since (never more than were paid, per order).
    pub refunded_units: i64,
}

/// Demand in one cell of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Orders that kept at least one unit.
    pub orders: i64,
    /// Units paid for in the period.
    pub paid_units: i64,
    /// Units of those refunded since.
    pub refunded_units: i64,
    /// Units kept: paid less refunded.
    pub units: i64,
    /// The kept units at the price paid per unit (before subsidy), fen.
    pub gmv_fen: i64,
}

impl Figures {
    fn of(line: &DemandLine) -> Figures {
        let units = line.paid_units - line.refunded_units;
        Figures {
            orders: line.orders,
            paid_units: line.paid_units,
            refunded_units: line.refunded_units,
            units,
            gmv_fen: line.unit_price.0.saturating_mul(units),
        }
    }

    fn add(&mut self, other: &Figures) {
        self.orders += other.orders;
        self.paid_units += other.paid_units;
        self.refunded_units += other.refunded_units;
        self.units += other.units;
        self.gmv_fen = self.gmv_fen.saturating_add(other.gmv_fen);
    }
}

/// An attribute pair, or none for SKUs that carry no attribute.
pub type AttributeKey = Option<(String, String)>;

/// Demand folded every way an export shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandCube {
    /// Everything.
    pub totals: Figures,
    /// By price band: adds up to the totals.
    pub by_price_band: BTreeMap<PriceBand, Figures>,
    /// By province code (0: unknown): adds up to the totals.
    pub by_province: BTreeMap<u32, Figures>,
    /// By attribute pair: for each attribute name, its values add up to the demand for the
    /// SKUs that carry it; `None` collects the SKUs with no attribute at all.
    pub by_attribute: BTreeMap<AttributeKey, Figures>,
    /// By attribute pair, price band and province: the finest cut, from which the others
    /// follow.
    pub cells: BTreeMap<(AttributeKey, PriceBand, u32), Figures>,
}

/// Folds demand lines into an export's tables. A SKU that names the same pair twice counts
/// once under it.
pub fn aggregate(lines: &[DemandLine]) -> DemandCube {
    let mut cube = DemandCube::default();
    for line in lines {
        let figures = Figures::of(line);
        let band = PriceBand::of(line.unit_price);
        cube.totals.add(&figures);
        cube.by_price_band.entry(band).or_default().add(&figures);
        cube.by_province
            .entry(line.province_code)
            .or_default()
            .add(&figures);
        let pairs: BTreeSet<&(String, String)> = line.attributes.iter().collect();
        let keys: Vec<AttributeKey> = if pairs.is_empty() {
            vec![None]
        } else {
            pairs.into_iter().cloned().map(Some).collect()
        };
        for key in keys {
            cube.by_attribute
                .entry(key.clone())
                .or_default()
                .add(&figures);
            cube.cells
                .entry((key, band, line.province_code))
                .or_default()
                .add(&figures);
        }
    }
    cube
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn periods_default_to_thirty_days_and_stay_within_a_quarter() {
        assert_eq!(check_period(None, None, NOW), Ok((NOW - 30 * DAY_MS, NOW)));
        assert_eq!(
            check_period(Some(NOW - DAY_MS), None, NOW),
            Ok((NOW - DAY_MS, NOW))
        );
        assert_eq!(
            check_period(None, Some(NOW - DAY_MS), NOW),
            Ok((NOW - 31 * DAY_MS, NOW - DAY_MS))
        );
        assert_eq!(
            check_period(Some(NOW - 92 * DAY_MS), Some(NOW), NOW),
            Ok((NOW - 92 * DAY_MS, NOW))
        );
        assert_eq!(
            check_period(Some(NOW - 92 * DAY_MS - 1), Some(NOW), NOW),
            Err(C2mError::PeriodTooLong)
        );
        assert_eq!(
            check_period(Some(NOW - 93 * DAY_MS), None, NOW),
            Err(C2mError::PeriodTooLong)
        );
        assert_eq!(
            check_period(Some(NOW + 1), None, NOW),
            Err(C2mError::InvalidPeriod)
        );
        assert_eq!(
            check_period(Some(NOW), Some(NOW), NOW),
            Err(C2mError::InvalidPeriod)
        );
        assert_eq!(
            check_period(Some(-1), Some(NOW), NOW),
            Err(C2mError::InvalidPeriod)
        );
        assert_eq!(C2mError::PeriodTooLong.code(), "period_too_long");
    }

    #[test]
    fn price_bands_include_their_lower_bound() {
        assert_eq!(PriceBand::of(Fen(0)), PriceBand::Under50);
        assert_eq!(PriceBand::of(Fen(4_999)), PriceBand::Under50);
        assert_eq!(PriceBand::of(Fen(5_000)), PriceBand::From50);
        assert_eq!(PriceBand::of(Fen(899_900)), PriceBand::From5000);
        assert_eq!(PriceBand::of(Fen(499_999)), PriceBand::From2000);
        assert_eq!(PriceBand::From50.to_fen(), Some(Fen(10_000)));
        assert_eq!(PriceBand::From5000.to_fen(), None);
        let mut codes = BTreeSet::new();
        for band in PriceBand::ALL {
            assert_eq!(PriceBand::of(band.from_fen()), band);
            assert!(codes.insert(band.code()), "{} twice", band.code());
        }
    }

    fn line(
        attributes: &[(&str, &str)],
        price: i64,
        province: u32,
        paid: i64,
        refunded: i64,
    ) -> DemandLine {
        DemandLine {
            attributes: attributes
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            unit_price: Fen(price),
            province_code: province,
            orders: i64::from(paid > refunded),
            paid_units: paid,
            refunded_units: refunded,
        }
    }

    #[test]
    fn every_table_adds_up_to_the_totals() {
        let lines = vec![
            line(&[("颜色", "红"), ("尺码", "M")], 9_900, 330_000, 3, 1),
            line(&[("颜色", "蓝"), ("尺码", "M")], 9_900, 110_000, 2, 0),
            line(&[("颜色", "红"), ("颜色", "红")], 899_900, 330_000, 1, 0),
            line(&[], 2_000, 0, 4, 4),
        ];
        let cube = aggregate(&lines);
        assert_eq!(
            cube.totals,
            Figures {
                orders: 3,
                paid_units: 10,
                refunded_units: 5,
                units: 5,
                gmv_fen: 2 * 9_900 + 2 * 9_900 + 899_900,
            }
        );
        let sum = |figures: Vec<&Figures>| {
            let mut total = Figures::default();
            for f in figures {
                total.add(f);
            }
            total
        };
        assert_eq!(sum(cube.by_price_band.values().collect()), cube.totals);
        assert_eq!(sum(cube.by_province.values().collect()), cube.totals);
        assert_eq!(cube.by_price_band[&PriceBand::From50].units, 4);
        assert_eq!(cube.by_province[&330_000].units, 3);
        // Colour: red (2 kept + 1 kept, the duplicate pair counted once) and blue (2).
        let red = Some(("颜色".to_owned(), "红".to_owned()));
        assert_eq!(cube.by_attribute[&red].units, 3);
        assert_eq!(cube.by_attribute[&red].paid_units, 4);
        let colours: Vec<&Figures> = cube
            .by_attribute
            .iter()
            .filter(|(k, _)| k.as_ref().is_some_and(|(n, _)| n == "颜色"))
            .map(|(_, f)| f)
            .collect();
        assert_eq!(sum(colours).units, 5);
        assert_eq!(cube.by_attribute[&None].refunded_units, 4);
        // The cells add up to each attribute's row.
        let red_cells: Vec<&Figures> = cube
            .cells
            .iter()
            .filter(|((k, _, _), _)| *k == red)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(sum(red_cells), cube.by_attribute[&red]);
    }
}
