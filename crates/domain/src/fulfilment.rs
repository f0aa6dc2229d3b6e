//! Fulfilment: which warehouse ships what, by when, and what a late shipment costs the
//! supplier.
//!
//! Routing takes an order's lines and the candidate warehouses with their stock, and for each
//! supplier picks the nearest warehouse that can ship all of that supplier's lines; failing
//! that it splits them across warehouses nearest first; failing that it names what is short.
//! The caller reserves exactly what the plan says, in one transaction.

use crate::ids::{SkuId, SupplierId, WarehouseId};
use crate::money::{BasisPoints, Fen, MoneyError};
use crate::order::Quantity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The most lines one routing call takes. An order from a live room has one SKU; a cart of
/// a hundred is already far beyond anything a room sells.
pub const ROUTE_LINES_MAX: usize = 100;
/// The most candidate warehouses one routing call weighs. Large retailers run a few hundred
/// warehouses; the cap bounds the work of one call.
pub const ROUTE_WAREHOUSES_MAX: usize = 2_000;
/// The mean radius of the Earth in metres (IUGG), for great-circle distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// The default time from payment to shipment: 48 hours, the promise the platforms make.
pub const SHIP_WITHIN_DEFAULT_MS: i64 = 48 * 3_600 * 1_000;
/// The shortest shipping window a supplier or campaign may promise: a shorter one cannot be
/// kept by a warehouse that picks in waves.
pub const SHIP_WITHIN_MIN_MS: i64 = 3_600 * 1_000;
/// The longest shipping window for goods in stock: beyond 15 days it is a pre-sale and must
/// say its date.
pub const SHIP_WITHIN_MAX_MS: i64 = 15 * 24 * 3_600 * 1_000;
/// The furthest ahead a pre-sale may promise to ship: beyond that it is a back-order, not a
/// pre-sale.
pub const PRESALE_AHEAD_MAX_MS: i64 = 60 * 24 * 3_600 * 1_000;
/// The default late-shipment compensation: 30% of what the buyer paid for the line.
pub const LATE_COMPENSATION_RATE_DEFAULT: BasisPoints = BasisPoints(3_000);
/// The default cap on late-shipment compensation: ¥500.
pub const LATE_COMPENSATION_CAP_DEFAULT: Fen = Fen(50_000);

/// Why fulfilment input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FulfilmentError {
    /// A latitude or longitude was out of range or not a number.
    #[error("latitude must be within ±90 and longitude within ±180 degrees")]
    InvalidCoordinates,
    /// The order had no lines, or more than the cap.
    #[error("an order to route must have 1 to 100 lines")]
    InvalidLines,
    /// More candidate warehouses than the cap.
    #[error("at most 2000 warehouses may be weighed at once")]
    TooManyWarehouses,
    /// Two candidate warehouses had the same id.
    #[error("warehouse {0} is listed twice")]
    DuplicateWarehouse(WarehouseId),
    /// A shipping window out of range.
    #[error("a shipping window must be 1 hour to 15 days")]
    InvalidShipWindow,
    /// A pre-sale date too far ahead of the sale.
    #[error("a pre-sale must ship within 60 days")]
    InvalidPresaleDate,
    /// A compensation policy out of range.
    #[error("late compensation must be a rate of 0 to 100% with a cap of at least 0")]
    InvalidCompensationPolicy,
    /// Money arithmetic overflowed.
    #[error("the amount overflows")]
    Overflow,
}

impl FulfilmentError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            FulfilmentError::InvalidCoordinates => "invalid_coordinates",
            FulfilmentError::InvalidLines => "invalid_route_lines",
            FulfilmentError::TooManyWarehouses => "too_many_warehouses",
            FulfilmentError::DuplicateWarehouse(_) => "duplicate_warehouse",
            FulfilmentError::InvalidShipWindow => "invalid_ship_window",
            FulfilmentError::InvalidPresaleDate => "invalid_presale_date",
            FulfilmentError::InvalidCompensationPolicy => "invalid_compensation_policy",
            FulfilmentError::Overflow => "amount_overflow",
        }
    }
}

impl From<MoneyError> for FulfilmentError {
    fn from(_: MoneyError) -> Self {
        FulfilmentError::Overflow
    }
}

/// A point on the Earth in degrees (WGS-84 as the county centroids give it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GeoPoint {
    /// Latitude, −90 to 90.
    lat_deg: f64,
    /// Longitude, −180 to 180.
    lon_deg: f64,
}

impl GeoPoint {
    /// Checks the ranges (and refuses NaN).
    pub fn parse(lat_deg: f64, lon_deg: f64) -> Result<GeoPoint, FulfilmentError> {
        if (-90.0..=90.0).contains(&lat_deg) && (-180.0..=180.0).contains(&lon_deg) {
            Ok(GeoPoint { lat_deg, lon_deg })
        } else {
            Err(FulfilmentError::InvalidCoordinates)
        }
    }

    /// Latitude in degrees.
    pub fn lat_deg(self) -> f64 {
        self.lat_deg
    }

    /// Longitude in degrees.
    pub fn lon_deg(self) -> f64 {
        self.lon_deg
    }

    /// The great-circle distance to `other` in metres, by the haversine formula on a sphere
    /// of the Earth's mean radius (within 0.5% of the ellipsoid, plenty to rank warehouses).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.lon_deg - self.lon_deg).to_radians();
        let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// One line of an order to route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteLine {
    /// What to ship.
    pub sku: SkuId,
    /// How many units.
    pub quantity: Quantity,
    /// Whose SKU it is: only that supplier's warehouses may ship it.
    pub supplier: SupplierId,
}

/// A warehouse that might ship, with its stock as read under the routing transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warehouse {
    /// The warehouse.
    pub id: WarehouseId,
    /// Its supplier.
    pub supplier: SupplierId,
    /// Where it is.
    pub location: GeoPoint,
    /// Units available per SKU (on hand and not reserved).
    pub stock: BTreeMap<SkuId, u32>,
}

/// What one warehouse ships of one supplier's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The warehouse that ships.
    pub warehouse: WarehouseId,
    /// Its distance from the buyer, in whole metres.
    pub distance_m: u64,
    /// Units per SKU to reserve there and ship; every count at least 1.
    pub units: BTreeMap<SkuId, u32>,
}

/// A SKU a supplier cannot ship in full from all its warehouses together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    /// The SKU.
    pub sku: SkuId,
    /// Units the order wants.
    pub wanted: u32,
    /// Units all the supplier's warehouses have together.
    pub available: u32,
}

/// How one supplier's lines go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// One warehouse ships everything: the nearest that can.
    Single(Shipment),
    /// No single warehouse can; these do, nearest first.
    Split(Vec<Shipment>),
    /// Even all together the warehouses are short: nothing is reserved, the lines are
    /// cancelled and refunded.
    Unroutable(Vec<Shortage>),
}

/// The routing of one supplier's part of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierRouting {
    /// The supplier.
    pub supplier: SupplierId,
    /// Where its lines go.
    pub routing: Routing,
}

/// Routes an order's lines from the warehouses nearest `buyer`. Suppliers come out in id
/// order; warehouses at the same whole-metre distance are tried in id order, so the plan
/// depends only on the input, not on its order.
pub fn route(
    buyer: GeoPoint,
    lines: &[RouteLine],
    warehouses: &[Warehouse],
) -> Result<Vec<SupplierRouting>, FulfilmentError> {
    if lines.is_empty() || lines.len() > ROUTE_LINES_MAX {
        return Err(FulfilmentError::InvalidLines);
    }
    if warehouses.len() > ROUTE_WAREHOUSES_MAX {
        return Err(FulfilmentError::TooManyWarehouses);
    }
    let mut nearest: Vec<(u64, &Warehouse)> = warehouses
        .iter()
        // Rounded to whole metres so that floating-point noise never decides a tie; the
        // float is finite and below the Earth's half circumference, so the cast is exact.
        .map(|w| (buyer.distance_m(w.location).round() as u64, w))
        .collect();
    nearest.sort_by_key(|(distance, w)| (*distance, w.id));
    let mut ids: Vec<WarehouseId> = warehouses.iter().map(|w| w.id).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(FulfilmentError::DuplicateWarehouse(pair[0]));
    }
    // The same SKU on two lines is wanted once, in total.
    let mut wanted: BTreeMap<SupplierId, BTreeMap<SkuId, u32>> = BTreeMap::new();
    for line in lines {
        *wanted
            .entry(line.supplier)
            .or_default()
            .entry(line.sku)
            .or_insert(0) += line.quantity.get();
    }
    Ok(wanted
        .into_iter()
        .map(|(supplier, wanted)| {
            let candidates: Vec<(u64, &Warehouse)> = nearest
                .iter()
                .filter(|(_, w)| w.supplier == supplier)
                .copied()
                .collect();
            SupplierRouting {
                supplier,
                routing: route_supplier(&wanted, &candidates),
            }
        })
        .collect())
}

/// Routes one supplier's wanted units over its warehouses, given nearest first.
fn route_supplier(wanted: &BTreeMap<SkuId, u32>, nearest: &[(u64, &Warehouse)]) -> Routing {
    let has = |w: &Warehouse, sku: &SkuId| w.stock.get(sku).copied().unwrap_or(0);
    if let Some((distance, warehouse)) = nearest
        .iter()
        .find(|(_, w)| wanted.iter().all(|(sku, units)| has(w, sku) >= *units))
    {
        return Routing::Single(Shipment {
            warehouse: warehouse.id,
            distance_m: *distance,
            units: wanted.clone(),
        });
    }
    let shortages: Vec<Shortage> = wanted
        .iter()
        .filter_map(|(sku, units)| {
            let available = nearest
                .iter()
                .fold(0u32, |sum, (_, w)| sum.saturating_add(has(w, sku)));
            (available < *units).then_some(Shortage {
                sku: *sku,
                wanted: *units,
                available,
            })
        })
        .collect();
    if !shortages.is_empty() {
        return Routing::Unroutable(shortages);
    }
    let mut left = wanted.clone();
    let mut shipments = Vec::new();
    for (distance, warehouse) in nearest {
        let units: BTreeMap<SkuId, u32> = left
            .iter_mut()
            .filter_map(|(sku, need)| {
                let take = (*need).min(has(warehouse, sku));
                *need -= take;
                (take > 0).then_some((*sku, take))
            })
            .collect();
        left.retain(|_, need| *need > 0);
        if !units.is_empty() {
            shipments.push(Shipment {
                warehouse: warehouse.id,
                distance_m: *distance,
                units,
            });
        }
        if left.is_empty() {
            break;
        }
    }
    Routing::Split(shipments)
}

/// A checked shipping window: how long after payment a supplier has to ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct ShipWindow(i64);

impl ShipWindow {
    /// The default 48 hours.
    pub const DEFAULT: ShipWindow = ShipWindow(SHIP_WITHIN_DEFAULT_MS);

    /// Checks the range: 1 hour to 15 days.
    pub fn parse(ms: i64) -> Result<ShipWindow, FulfilmentError> {
        if (SHIP_WITHIN_MIN_MS..=SHIP_WITHIN_MAX_MS).contains(&ms) {
            Ok(ShipWindow(ms))
        } else {
            Err(FulfilmentError::InvalidShipWindow)
        }
    }

    /// Checks the range with a platform-chosen shortest window instead of
    /// [`SHIP_WITHIN_MIN_MS`] (at least 1 ms): the platform may accept shorter promises than
    /// the default policy does, never longer ones than [`SHIP_WITHIN_MAX_MS`].
    pub fn parse_with_floor(ms: i64, floor_ms: i64) -> Result<ShipWindow, FulfilmentError> {
        if (floor_ms.max(1)..=SHIP_WITHIN_MAX_MS).contains(&ms) {
            Ok(ShipWindow(ms))
        } else {
            Err(FulfilmentError::InvalidShipWindow)
        }
    }

    /// The window in milliseconds.
    pub fn as_ms(self) -> i64 {
        self.0
    }
}

/// Checks a pre-sale SKU's promised ship date as its supplier sets it at `now_ms`: in the
/// future, and at most [`PRESALE_AHEAD_MAX_MS`] ahead. Orders paid later resolve it with
/// [`ShipPromise::resolve`], which can then never refuse it.
pub fn check_presale_date(ship_by_ms: i64, now_ms: i64) -> Result<i64, FulfilmentError> {
    if ship_by_ms > now_ms && ship_by_ms.saturating_sub(now_ms) <= PRESALE_AHEAD_MAX_MS {
        Ok(ship_by_ms)
    } else {
        Err(FulfilmentError::InvalidPresaleDate)
    }
}

/// The shipping promise one order line carries, fixed when it is paid.
///
/// Precedence: a campaign's window overrides the supplier's, which overrides the default
/// 48 hours (a campaign speaks for the platform to every buyer in it, so it wins). A pre-sale
/// SKU's promised date then applies on top: the line must ship by the later of that date and
/// payment plus the window, so a buyer who pays after the pre-sale date gets the ordinary
/// promise, and a supplier is never given less than the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShipPromise {
    /// The window that applies.
    pub window: ShipWindow,
    /// A pre-sale's promised ship date, milliseconds since 1970.
    pub presale_ship_by_ms: Option<i64>,
}

impl ShipPromise {
    /// Resolves the promise from what applies to the line; `paid_at_ms` checks that a
    /// pre-sale date is at most [`PRESALE_AHEAD_MAX_MS`] ahead.
    pub fn resolve(
        supplier: Option<ShipWindow>,
        campaign: Option<ShipWindow>,
        presale_ship_by_ms: Option<i64>,
        paid_at_ms: i64,
    ) -> Result<ShipPromise, FulfilmentError> {
        if let Some(date) = presale_ship_by_ms {
            if date.saturating_sub(paid_at_ms) > PRESALE_AHEAD_MAX_MS {
                return Err(FulfilmentError::InvalidPresaleDate);
            }
        }
        Ok(ShipPromise {
            window: campaign.or(supplier).unwrap_or(ShipWindow::DEFAULT),
            presale_ship_by_ms,
        })
    }

    /// The deadline to ship a line paid at `paid_at_ms`.
    pub fn ship_by_ms(&self, paid_at_ms: i64) -> i64 {
        let by_window = paid_at_ms.saturating_add(self.window.as_ms());
        self.presale_ship_by_ms
            .map_or(by_window, |date| date.max(by_window))
    }

    /// Whether the line is late: shipped after the deadline, or not shipped and the deadline
    /// has passed at `now_ms`.
    pub fn is_late(&self, paid_at_ms: i64, shipped_at_ms: Option<i64>, now_ms: i64) -> bool {
        shipped_at_ms.unwrap_or(now_ms) > self.ship_by_ms(paid_at_ms)
    }
}

/// What a late shipment pays the buyer, at the supplier's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LateShipmentPolicy {
    /// Share of what the buyer paid for the line.
    pub rate: BasisPoints,
    /// The most one line pays.
    pub cap: Fen,
}

impl Default for LateShipmentPolicy {
    /// 30% of the line, at most ¥500.
    fn default() -> Self {
        LateShipmentPolicy {
            rate: LATE_COMPENSATION_RATE_DEFAULT,
            cap: LATE_COMPENSATION_CAP_DEFAULT,
        }
    }
}

impl LateShipmentPolicy {
    /// Checks a configured policy: a rate of at most 100% and a cap of at least 0.
    pub fn parse(rate_bps: i64, cap_fen: i64) -> Result<LateShipmentPolicy, FulfilmentError> {
        let rate =
            BasisPoints::parse(rate_bps).map_err(|_| FulfilmentError::InvalidCompensationPolicy)?;
        let cap = Fen::price(cap_fen).map_err(|_| FulfilmentError::InvalidCompensationPolicy)?;
        Ok(LateShipmentPolicy { rate, cap })
    }

    /// The compensation for a late line the buyer paid `buyer_paid` for (the subsidy is the
    /// platform's, not the buyer's, so it earns no compensation): `rate` of it rounded half
    /// up to the fen, at most `cap`. Never more than the buyer paid, since the rate is at
    /// most 100%.
    pub fn compensation(&self, buyer_paid: Fen) -> Result<Fen, FulfilmentError> {
        let share = Fen::price(buyer_paid.0)?.share(self.rate)?;
        Ok(share.min(self.cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HANGZHOU: (f64, f64) = (30.2741, 120.1551);
    const SHANGHAI: (f64, f64) = (31.2304, 121.4737);
    const BEIJING: (f64, f64) = (39.9042, 116.4074);
    const CHENGDU: (f64, f64) = (30.5728, 104.0668);

    fn at((lat, lon): (f64, f64)) -> GeoPoint {
        GeoPoint::parse(lat, lon).expect("point")
    }

    fn warehouse(id: i64, supplier: i64, place: (f64, f64), stock: &[(i64, u32)]) -> Warehouse {
        Warehouse {
            id: WarehouseId(id),
            supplier: SupplierId(supplier),
            location: at(place),
            stock: stock.iter().map(|(sku, n)| (SkuId(*sku), *n)).collect(),
        }
    }

    fn line(sku: i64, quantity: i64, supplier: i64) -> RouteLine {
        RouteLine {
            sku: SkuId(sku),
            quantity: Quantity::parse(quantity).expect("quantity"),
            supplier: SupplierId(supplier),
        }
    }

    #[test]
    fn distances_are_great_circle() {
        let km = at(BEIJING).distance_m(at(SHANGHAI)) / 1_000.0;
        assert!((1_060.0..1_075.0).contains(&km), "{km}");
        assert_eq!(at(HANGZHOU).distance_m(at(HANGZHOU)), 0.0);
        assert!(GeoPoint::parse(91.0, 0.0).is_err());
        assert!(GeoPoint::parse(0.0, f64::NAN).is_err());
    }

    #[test]
    fn the_nearest_warehouse_that_can_serve_everything_wins() {
        let warehouses = [
            warehouse(1, 1, SHANGHAI, &[(10, 5)]),
            warehouse(2, 1, BEIJING, &[(10, 5), (11, 5)]),
            warehouse(3, 1, CHENGDU, &[(10, 5), (11, 5)]),
        ];
        let plan =
            route(at(HANGZHOU), &[line(10, 2, 1), line(11, 1, 1)], &warehouses).expect("route");
        match &plan[0].routing {
            // Shanghai is nearest but lacks SKU 11; Beijing is nearer than Chengdu.
            Routing::Single(s) => assert_eq!(s.warehouse, WarehouseId(2)),
            other => panic!("expected one warehouse, got {other:?}"),
        }
    }

    #[test]
    fn a_split_goes_nearest_first_and_a_shortage_is_named() {
        let warehouses = [
            warehouse(1, 1, SHANGHAI, &[(10, 2)]),
            warehouse(2, 1, BEIJING, &[(10, 3)]),
            warehouse(3, 2, SHANGHAI, &[(20, 1)]),
        ];
        let plan =
            route(at(HANGZHOU), &[line(10, 4, 1), line(20, 3, 2)], &warehouses).expect("route");
        assert_eq!(plan.len(), 2);
        let Routing::Split(shipments) = &plan[0].routing else {
            panic!("expected a split, got {:?}", plan[0].routing);
        };
        let taken: Vec<(WarehouseId, u32)> = shipments
            .iter()
            .map(|s| (s.warehouse, s.units[&SkuId(10)]))
            .collect();
        assert_eq!(taken, vec![(WarehouseId(1), 2), (WarehouseId(2), 2)]);
        assert_eq!(
            plan[1].routing,
            Routing::Unroutable(vec![Shortage {
                sku: SkuId(20),
                wanted: 3,
                available: 1
            }])
        );
    }

    #[test]
    fn routing_input_is_checked() {
        let w = warehouse(1, 1, SHANGHAI, &[(10, 2)]);
        assert_eq!(
            route(at(HANGZHOU), &[], std::slice::from_ref(&w)).map_err(|e| e.code()),
            Err("invalid_route_lines")
        );
        assert_eq!(
            route(at(HANGZHOU), &[line(10, 1, 1)], &[w.clone(), w]).map_err(|e| e.code()),
            Err("duplicate_warehouse")
        );
    }

    #[test]
    fn the_promise_and_its_overrides() {
        let paid = 1_000_000;
        let hour = 3_600_000;
        let default = ShipPromise::resolve(None, None, None, paid).expect("promise");
        assert_eq!(default.ship_by_ms(paid), paid + 48 * hour);
        let supplier = ShipWindow::parse(24 * hour).expect("window");
        let campaign = ShipWindow::parse(72 * hour).expect("window");
        let both = ShipPromise::resolve(Some(supplier), Some(campaign), None, paid).expect("p");
        assert_eq!(both.ship_by_ms(paid), paid + 72 * hour);
        let presale = ShipPromise::resolve(Some(supplier), None, Some(paid + 240 * hour), paid)
            .expect("promise");
        assert_eq!(presale.ship_by_ms(paid), paid + 240 * hour);
        // Paid after the pre-sale date: the ordinary window from payment.
        assert_eq!(presale.ship_by_ms(paid + 300 * hour), paid + 324 * hour);
        assert!(presale.is_late(paid, None, paid + 241 * hour));
        assert!(!presale.is_late(paid, Some(paid + 239 * hour), paid + 500 * hour));
        assert_eq!(
            ShipWindow::parse(60_000).map_err(|e| e.code()),
            Err("invalid_ship_window")
        );
        assert_eq!(
            ShipPromise::resolve(None, None, Some(paid + 61 * 24 * hour), paid)
                .map_err(|e| e.code()),
            Err("invalid_presale_date")
        );
    }

    #[test]
    fn windows_with_a_floor_and_presale_dates() {
        let hour = 3_600_000;
        assert_eq!(
            ShipWindow::parse_with_floor(500, 100).map(ShipWindow::as_ms),
            Ok(500)
        );
        assert!(ShipWindow::parse_with_floor(99, 100).is_err());
        // The floor never lets a window be empty or negative, nor longer than 15 days.
        assert!(ShipWindow::parse_with_floor(0, -5).is_err());
        assert!(ShipWindow::parse_with_floor(SHIP_WITHIN_MAX_MS + 1, 1).is_err());
        let now = 1_000_000;
        assert_eq!(check_presale_date(now + hour, now), Ok(now + hour));
        assert_eq!(
            check_presale_date(now, now).map_err(|e| e.code()),
            Err("invalid_presale_date")
        );
        assert!(check_presale_date(now + PRESALE_AHEAD_MAX_MS, now).is_ok());
        assert!(check_presale_date(now + PRESALE_AHEAD_MAX_MS + 1, now).is_err());
        // A date accepted at `now` resolves for any payment after it.
        let date = check_presale_date(now + PRESALE_AHEAD_MAX_MS, now).expect("date");
        assert!(ShipPromise::resolve(None, None, Some(date), now + 1).is_ok());
    }

    #[test]
    fn late_compensation_is_a_capped_share() {
        let policy = LateShipmentPolicy::default();
        assert_eq!(policy.compensation(Fen(10_000)), Ok(Fen(3_000)));
        assert_eq!(policy.compensation(Fen(799_900)), Ok(Fen(50_000)));
        assert_eq!(policy.compensation(Fen(5)), Ok(Fen(2)));
        assert!(LateShipmentPolicy::parse(10_001, 0).is_err());
        assert!(LateShipmentPolicy::parse(3_000, -1).is_err());
    }

    /// Warehouses of two suppliers around China, with stock of three SKUs each.
    fn warehouses() -> impl Strategy<Value = Vec<Warehouse>> {
        prop::collection::vec(
            (
                1i64..=2,
                18.0f64..50.0,
                75.0f64..130.0,
                prop::collection::vec(0u32..6, 3),
            ),
            0..8,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (supplier, lat, lon, stock))| Warehouse {
                    id: WarehouseId(i as i64 + 1),
                    supplier: SupplierId(supplier),
                    location: GeoPoint::parse(lat, lon).expect("in range"),
                    stock: stock
                        .into_iter()
                        .enumerate()
                        .map(|(sku, n)| (SkuId(sku as i64 + 10 * supplier), n))
                        .collect(),
                })
                .collect()
        })
    }

    fn lines() -> impl Strategy<Value = Vec<RouteLine>> {
        prop::collection::vec((1i64..=2, 0i64..3, 1i64..8), 1..5).prop_map(|raw| {
            raw.into_iter()
                .map(|(supplier, sku, q)| line(sku + 10 * supplier, q, supplier))
                .collect()
        })
    }

    proptest! {
        /// No plan reserves more than a warehouse has; every wanted unit of a routed supplier
        /// is assigned exactly once, to that supplier's warehouses; an unroutable supplier
        /// really is short; a single warehouse is the nearest that could serve; and the plan
        /// does not depend on the order warehouses are listed in.
        #[test]
        fn plans_are_exact(
            (warehouses, shuffled) in warehouses().prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle())),
            lines in lines(),
            buyer in (18.0f64..50.0, 75.0f64..130.0),
        ) {
            let buyer = GeoPoint::parse(buyer.0, buyer.1).expect("in range");
            let plan = route(buyer, &lines, &warehouses).expect("route");
            prop_assert_eq!(&route(buyer, &lines, &shuffled).expect("route"), &plan);
            let by_id: BTreeMap<WarehouseId, &Warehouse> = warehouses.iter().map(|w| (w.id, w)).collect();
            let mut reserved: BTreeMap<(WarehouseId, SkuId), u32> = BTreeMap::new();
            for part in &plan {
                let mut wanted: BTreeMap<SkuId, u32> = BTreeMap::new();
                for l in lines.iter().filter(|l| l.supplier == part.supplier) {
                    *wanted.entry(l.sku).or_insert(0) += l.quantity.get();
                }
                let shipments = match &part.routing {
                    Routing::Single(s) => {
                        // No nearer warehouse of the supplier could have shipped it all.
                        for w in warehouses.iter().filter(|w| w.supplier == part.supplier) {
                            let can = wanted.iter().all(|(sku, n)| w.stock.get(sku).copied().unwrap_or(0) >= *n);
                            let d = buyer.distance_m(w.location).round() as u64;
                            prop_assert!(!can || (d, w.id) >= (s.distance_m, s.warehouse));
                        }
                        vec![s.clone()]
                    }
                    Routing::Split(list) => list.clone(),
                    Routing::Unroutable(shortages) => {
                        prop_assert!(!shortages.is_empty());
                        for s in shortages {
                            let total: u32 = warehouses.iter()
                                .filter(|w| w.supplier == part.supplier)
                                .map(|w| w.stock.get(&s.sku).copied().unwrap_or(0))
                                .sum();
                            prop_assert_eq!(total, s.available);
                            prop_assert!(s.available < s.wanted);
                        }
                        continue;
                    }
                };
                let mut assigned: BTreeMap<SkuId, u32> = BTreeMap::new();
                for s in &shipments {
                    let w = by_id[&s.warehouse];
                    prop_assert_eq!(w.supplier, part.supplier);
                    for (sku, n) in &s.units {
                        prop_assert!(*n >= 1);
                        *assigned.entry(*sku).or_insert(0) += n;
                        *reserved.entry((s.warehouse, *sku)).or_insert(0) += n;
                    }
                }
                prop_assert_eq!(assigned, wanted);
            }
            for ((warehouse, sku), n) in reserved {
                prop_assert!(n <= by_id[&warehouse].stock.get(&sku).copied().unwrap_or(0));
            }
        }

        /// A pre-sale date accepted when it was set resolves for every later payment, and the
        /// promise never gives the supplier less than the window nor less than the date.
        #[test]
        fn presale_promises_never_shorten_the_window(
            set_at in 0i64..1_000_000_000,
            ahead in 1i64..=PRESALE_AHEAD_MAX_MS,
            paid_after in 0i64..(2 * PRESALE_AHEAD_MAX_MS),
            window in SHIP_WITHIN_MIN_MS..=SHIP_WITHIN_MAX_MS,
            supplier_window in proptest::option::of(SHIP_WITHIN_MIN_MS..=SHIP_WITHIN_MAX_MS),
        ) {
            let date = check_presale_date(set_at + ahead, set_at).expect("a date ahead");
            let paid = set_at + paid_after;
            let campaign = ShipWindow::parse(window).expect("window");
            let supplier = supplier_window.map(|ms| ShipWindow::parse(ms).expect("window"));
            let promise = ShipPromise::resolve(supplier, Some(campaign), Some(date), paid)
                .expect("a date set before payment resolves");
            let by = promise.ship_by_ms(paid);
            prop_assert!(by >= paid + window);
            prop_assert!(by >= date);
            prop_assert!(by == paid + window || by == date);
        }

        /// Compensation is never negative, never above the cap, never above what was paid.
        #[test]
        fn compensation_is_bounded(paid in 0i64..100_000_000, rate in 0i64..=10_000, cap in 0i64..1_000_000) {
            let policy = LateShipmentPolicy::parse(rate, cap).expect("policy");
            let due = policy.compensation(Fen(paid)).expect("compensation");
            prop_assert!(due.0 >= 0 && due.0 <= cap && due.0 <= paid);
        }
    }
}
