//! The forecast before a scheduled session and the replenishment advice that follows from
//! it (docs/REPLENISHMENT.md).
//!
//! Who may see what:
//! - a session's forecast: its own anchor and operators (every SKU), and each supplier for
//!   its own SKUs in it; anyone else is refused;
//! - replenishment advice: suppliers only, for their own SKUs, per session or across their
//!   upcoming sessions.
//!
//! The maths is the domain's (`demand` picks the history and scales it to the expected
//! audience, `forecast` forecasts, `replenish` places the plan over the warehouses); this
//! module reads what they need and turns their answers into views.
//!
//! # Telling the supplier
//! When a session selling a supplier's SKUs is scheduled, edited, given new SKUs or prices
//! while still scheduled, or given a flash sale before it starts, the transaction of that
//! change also writes a `replenishment.advised` event per supplier to the outbox (webhook
//! and pull API). Its id ends in a digest of the advice, so a change that leaves a
//! supplier's advice as it was writes nothing new, and a replay writes nothing twice.

use crate::live::UPCOMING_GRACE_MS;
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::demand::{
    conditions, expected_audience, forecast_demand, sales_per_session, Audience, AudienceBasis,
    Basis, DemandForecast, Histories, PastAudience, PastItem, PastSale, COVERAGE,
    HISTORY_SESSIONS_MAX,
};
use daihuo_domain::forecast::Conditions;
use daihuo_domain::fulfilment::{GeoPoint, ROUTE_WAREHOUSES_MAX};
use daihuo_domain::live::SessionStatus;
use daihuo_domain::replenish::{self, BuyerRegion, Depot};
use daihuo_domain::{Fen, LiveSessionId, SkuId, SupplierId, UserId, WarehouseId};
use daihuo_store::forecast::{self as store, DepotRow, PastItemRow, PlanItemRow};
use daihuo_store::fulfilment as ful_store;
use daihuo_store::live::{self as store_live, LiveSessionRow};
use daihuo_store::{now_ms, AnyConnection, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// The outbox kind of replenishment advice.
pub const KIND_REPLENISHMENT_ADVISED: &str = "replenishment.advised";
/// How far ahead the supplier's advice looks: two weeks covers a campaign's build-up, and a
/// session further out will be advised again as its start nears and its shelf settles.
pub const ADVICE_AHEAD_MS: i64 = 14 * 24 * 3_600_000;
/// The most upcoming sessions one supplier's advice covers, the soonest first.
pub const ADVICE_SESSIONS_MAX: i64 = 20;
/// The most earlier sessions whose plans one session's advice counts against the stock: the
/// nearest before it that sell the same SKUs.
pub const EARLIER_SESSIONS_MAX: i64 = 10;
/// The platform's recent sessions read for a new anchor's audience and for the category
/// prior: enough to hold every category an active platform sells in a week.
pub const PLATFORM_SESSIONS_MAX: i64 = 500;
/// How far back buyers' regions are read: half a year of an anchor's audience.
pub const BUYER_HISTORY_MS: i64 = 180 * 24 * 3_600_000;
/// The most buyer counties weighed: China has about 2,900.
pub const BUYER_COUNTIES_MAX: i64 = 3_000;
/// Buyer regions (provinces) shown with the advice, the largest first.
pub const REGIONS_SHOWN_MAX: usize = 5;

/// How a forecast figure is shown: units to two decimal places, so the JSON (and the
/// digest of an advice) does not carry floating-point noise.
fn units(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One shelved SKU's forecast for a coming session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuForecast {
    /// The SKU.
    pub sku_id: SkuId,
    /// The supplier's code for it.
    pub sku_code: String,
    /// Title.
    pub title: String,
    /// Whose SKU it is.
    pub supplier_id: SupplierId,
    /// Its price in the session.
    pub live_price_fen: Fen,
    /// The standard pool price.
    pub pool_price_fen: Fen,
    /// The lowest price of a flash sale of it in the session, if one is planned.
    pub flash_price_fen: Option<Fen>,
    /// What buyers will pay ÷ the pool price: the discount depth the model sees.
    pub price_ratio: Option<f64>,
    /// Promotion intensity: 1 for a flash sale, 0.5 for a campaign session, 0 otherwise.
    pub promotion: f64,
    /// Expected units.
    pub mean_units: f64,
    /// The lower end of the 80% prediction interval.
    pub lower_units: f64,
    /// The upper end of the 80% prediction interval.
    pub upper_units: f64,
    /// Which history the forecast came from: `anchor_sku`, `sku_across_anchors`,
    /// `anchor_category`, `platform_category`, or `no_history` (nothing is forecast).
    pub basis: Basis,
    /// How many past sessions that history held.
    pub basis_sessions: u32,
}

/// A coming session's forecast.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionForecast {
    /// The session.
    pub session_id: LiveSessionId,
    /// Its anchor.
    pub anchor_id: UserId,
    /// The anchor's display name.
    pub anchor_name: String,
    /// Title.
    pub title: String,
    /// Scheduled, live or ended (a forecast is made for any, but only a scheduled one is
    /// still ahead).
    pub status: SessionStatus,
    /// Planned start, Unix ms.
    pub starts_at_ms: i64,
    /// Whether it takes part in a campaign.
    pub in_campaign: bool,
    /// Distinct viewers expected; `null` when the platform has never counted any.
    pub expected_viewers: Option<f64>,
    /// Where that came from: `anchor_sessions`, `followers`, `platform` or `unknown`.
    pub audience_basis: AudienceBasis,
    /// The share of outcomes each interval covers.
    pub coverage: f64,
    /// The SKUs the asker may see, in shelf order.
    pub items: Vec<SkuForecast>,
}

/// Whose buyers the plan is spread over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeographyBasis {
    /// The anchor's own past buyers.
    AnchorBuyers,
    /// The platform's buyers: the anchor has sold nothing yet.
    PlatformBuyers,
    /// Nobody has bought anything yet: the plan follows the stock, and only a shortfall is
    /// advised.
    None,
}

/// A province's share of the buyers a plan is spread over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionShare {
    /// The province's GB/T 2260 code.
    pub province_code: u32,
    /// Its name, e.g. 广东省.
    pub name: String,
    /// Its share of units bought, 0–1.
    pub share: f64,
}

/// A warehouse's stock of a SKU and what the plan asks of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarehousePlan {
    /// The warehouse.
    pub warehouse_id: WarehouseId,
    /// The supplier's code for it.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Units free for this session: on hand less claimed and promised (after earlier
    /// upcoming sessions' plans).
    pub free_units: u32,
    /// Units its buyers' regions will ask of it.
    pub need_units: u32,
}

/// Units to move between two warehouses before the session starts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockMove {
    /// From this warehouse.
    pub from_warehouse_id: WarehouseId,
    /// Its code.
    pub from_code: String,
    /// Its name.
    pub from_name: String,
    /// To this warehouse.
    pub to_warehouse_id: WarehouseId,
    /// Its code.
    pub to_code: String,
    /// Its name.
    pub to_name: String,
    /// How many units.
    pub units: u32,
    /// How far, in whole kilometres.
    pub distance_km: u64,
}

/// Units to add at a warehouse before the session starts: the supplier lacks them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockTopUp {
    /// The warehouse.
    pub warehouse_id: WarehouseId,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// How many units.
    pub units: u32,
}

/// What to do for one SKU before a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuAdvice {
    /// The forecast it rests on.
    pub forecast: SkuForecast,
    /// Units planned for: the forecast's upper end, rounded up.
    pub planned_units: u32,
    /// Each warehouse's free stock and need.
    pub warehouses: Vec<WarehousePlan>,
    /// Moves to make, the largest shortfall's first.
    pub moves: Vec<StockMove>,
    /// Top-ups to make.
    pub top_ups: Vec<StockTopUp>,
    /// Units of the plan no warehouse can take: the supplier has no warehouse.
    pub unplaced_units: u32,
}

/// What a supplier should do before one session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionAdvice {
    /// The session.
    pub session_id: LiveSessionId,
    /// Title.
    pub title: String,
    /// Its anchor.
    pub anchor_id: UserId,
    /// The anchor's display name.
    pub anchor_name: String,
    /// Planned start, Unix ms.
    pub starts_at_ms: i64,
    /// Moves and top-ups should be done by then: the session's start.
    pub act_by_ms: i64,
    /// Distinct viewers expected.
    pub expected_viewers: Option<f64>,
    /// Where that came from.
    pub audience_basis: AudienceBasis,
    /// Whose buyers the plan is spread over.
    pub geography_basis: GeographyBasis,
    /// The largest buyer provinces and their shares.
    pub buyer_regions: Vec<RegionShare>,
    /// The supplier's SKUs in the session, in shelf order.
    pub items: Vec<SkuAdvice>,
}

/// A supplier's advice across its upcoming sessions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierAdvice {
    /// Scheduled sessions in the next two weeks that sell the supplier's SKUs, the soonest
    /// first; each planned from the stock the earlier ones leave.
    pub sessions: Vec<SessionAdvice>,
}

/// Who sees which SKUs of a session's forecast.
enum Sight {
    /// Every SKU.
    All,
    /// A supplier's own.
    Supplier(SupplierId),
}

/// A SKU's forecast with what it came from.
struct ItemForecast {
    item: PlanItemRow,
    planned: Conditions,
    demand: DemandForecast,
}

/// Buyers' regions for one anchor's sessions.
#[derive(Clone)]
struct Geography {
    basis: GeographyBasis,
    regions: Vec<BuyerRegion>,
    shown: Vec<RegionShare>,
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn past_item(row: &PastItemRow) -> PastItem {
    PastItem {
        session_id: row.session_id,
        started_at_ms: row.went_live_at_ms,
        unique_viewers: count(row.unique_viewers),
        in_campaign: row.in_campaign,
        live_price: Fen(row.live_price_fen),
        pool: Fen(row.pool_fen),
        units: count(row.units),
        gross: Fen(row.gross_fen),
        flash_sale: row.flash_sale,
    }
}

fn sales(rows: &[PastItemRow]) -> Vec<PastSale> {
    let items: Vec<PastItem> = rows.iter().map(past_item).collect();
    sales_per_session(&items)
}

/// Reads what one session's forecasts share (its audience) and caches category histories
/// across the SKUs and sessions of one call.
#[derive(Default)]
struct Reader {
    /// Category histories by (category, anchor or 0 for the platform).
    categories: HashMap<(i64, i64), Vec<PastSale>>,
    /// The platform's recent audiences, read once.
    platform_audiences: Option<Vec<PastAudience>>,
    /// Buyers' regions by anchor, and the platform's under 0.
    geographies: HashMap<i64, Geography>,
}

fn audiences(rows: Vec<store::PastAudienceRow>) -> Vec<PastAudience> {
    rows.into_iter()
        .map(|r| PastAudience {
            started_at_ms: r.went_live_at_ms,
            unique_viewers: count(r.unique_viewers),
            followers: count(r.followers),
        })
        .collect()
}

impl Reader {
    async fn audience(
        &mut self,
        conn: &mut AnyConnection,
        session: &LiveSessionRow,
    ) -> ServiceResult<Audience> {
        let anchor = audiences(
            store::past_audiences(
                conn,
                Some(session.anchor_id),
                daihuo_domain::demand::AUDIENCE_SESSIONS_MAX as i64,
            )
            .await?,
        );
        if self.platform_audiences.is_none() {
            self.platform_audiences = Some(audiences(
                store::past_audiences(conn, None, PLATFORM_SESSIONS_MAX).await?,
            ));
        }
        let platform = self.platform_audiences.as_deref().unwrap_or_default();
        let followers = count(store::follower_count(conn, session.anchor_id).await?);
        Ok(expected_audience(
            &anchor,
            platform,
            followers,
            session.starts_at_ms,
        ))
    }

    async fn category(
        &mut self,
        conn: &mut AnyConnection,
        category: i64,
        anchor: Option<UserId>,
    ) -> ServiceResult<Vec<PastSale>> {
        let key = (category, anchor.map_or(0, |a| a.0));
        if let Some(found) = self.categories.get(&key) {
            return Ok(found.clone());
        }
        let limit = match anchor {
            Some(_) => HISTORY_SESSIONS_MAX as i64,
            None => PLATFORM_SESSIONS_MAX,
        };
        let rows = store::category_history(conn, category, anchor, limit).await?;
        let history = sales(&rows);
        self.categories.insert(key, history.clone());
        Ok(history)
    }

    /// Forecasts the SKUs of `session` that `keep` lets through.
    async fn forecast(
        &mut self,
        conn: &mut AnyConnection,
        session: &LiveSessionRow,
        keep: impl Fn(&PlanItemRow) -> bool,
    ) -> ServiceResult<(Audience, Vec<ItemForecast>)> {
        let items: Vec<PlanItemRow> = store::plan_items(conn, session.id)
            .await?
            .into_iter()
            .filter(|item| keep(item))
            .collect();
        let audience = self.audience(conn, session).await?;
        let limit = HISTORY_SESSIONS_MAX as i64;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let histories = Histories {
                anchor_sku: sales(
                    &store::sku_history(conn, item.sku_id, Some(session.anchor_id), limit).await?,
                ),
                sku_across_anchors: sales(
                    &store::sku_history(conn, item.sku_id, None, limit).await?,
                ),
                anchor_category: self
                    .category(conn, item.category, Some(session.anchor_id))
                    .await?,
                platform_category: self.category(conn, item.category, None).await?,
            };
            let price = item.flash_price_fen.unwrap_or(item.live_price_fen);
            let planned = conditions(
                Fen(price),
                Fen(item.pool_fen),
                item.flash_price_fen.is_some(),
                session.campaign_id.is_some(),
            );
            let demand = forecast_demand(&histories, &audience, planned);
            out.push(ItemForecast {
                item,
                planned,
                demand,
            });
        }
        Ok((audience, out))
    }

    /// Where the anchor's buyers live, or the platform's when the anchor has sold nothing.
    async fn geography(
        &mut self,
        conn: &mut AnyConnection,
        anchor: UserId,
        now: i64,
    ) -> ServiceResult<Geography> {
        if let Some(found) = self.geographies.get(&anchor.0) {
            return Ok(found.clone());
        }
        let since = now.saturating_sub(BUYER_HISTORY_MS);
        let mut basis = GeographyBasis::AnchorBuyers;
        let mut rows = store::buyer_counties(conn, Some(anchor), since, BUYER_COUNTIES_MAX).await?;
        if rows.is_empty() {
            basis = GeographyBasis::PlatformBuyers;
            rows = store::buyer_counties(conn, None, since, BUYER_COUNTIES_MAX).await?;
        }
        if rows.is_empty() {
            basis = GeographyBasis::None;
        }
        let divisions = daihuo_refdata::divisions::divisions();
        let mut regions = Vec::with_capacity(rows.len());
        let mut provinces: BTreeMap<u32, f64> = BTreeMap::new();
        let mut total = 0.0;
        for row in &rows {
            let Some(division) = u32::try_from(row.county_code)
                .ok()
                .and_then(|c| divisions.get(c))
            else {
                continue;
            };
            let Ok(location) = GeoPoint::parse(division.latitude, division.longitude) else {
                continue;
            };
            let bought = row.units.max(0) as f64;
            regions.push(BuyerRegion {
                location,
                units: bought,
            });
            if let Some(province) = divisions.province_of(division.code) {
                *provinces.entry(province.code).or_insert(0.0) += bought;
            }
            total += bought;
        }
        let mut shown: Vec<RegionShare> = provinces
            .into_iter()
            .filter(|_| total > 0.0)
            .map(|(code, bought)| RegionShare {
                province_code: code,
                name: divisions
                    .get(code)
                    .map_or_else(String::new, |d| d.name.to_owned()),
                share: (bought / total * 1_000.0).round() / 1_000.0,
            })
            .collect();
        shown.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then(a.province_code.cmp(&b.province_code))
        });
        shown.truncate(REGIONS_SHOWN_MAX);
        let geography = Geography {
            basis,
            regions,
            shown,
        };
        self.geographies.insert(anchor.0, geography.clone());
        Ok(geography)
    }

    /// Advice for `supplier` over `sessions` in start order, each planned from the stock the
    /// earlier ones leave; only SKUs in `only`, when given.
    async fn advise_chain(
        &mut self,
        conn: &mut AnyConnection,
        supplier: SupplierId,
        sessions: &[LiveSessionRow],
        only: Option<&HashSet<SkuId>>,
        now: i64,
    ) -> ServiceResult<Vec<SessionAdvice>> {
        let mut forecasts = Vec::with_capacity(sessions.len());
        let mut set_aside: HashMap<SkuId, i64> = HashMap::new();
        for session in sessions {
            let (audience, items) = self
                .forecast(conn, session, |item| {
                    item.supplier_id == supplier && only.is_none_or(|o| o.contains(&item.sku_id))
                })
                .await?;
            for f in &items {
                *set_aside.entry(f.item.sku_id).or_insert(0) += f.item.flash_set_aside;
            }
            forecasts.push((audience, items));
        }
        let mut stock: HashMap<SkuId, Vec<DepotRow>> = HashMap::new();
        let mut left: HashMap<SkuId, BTreeMap<WarehouseId, u32>> = HashMap::new();
        let mut out = Vec::with_capacity(sessions.len());
        for (session, (audience, items)) in sessions.iter().zip(forecasts) {
            let geography = self.geography(conn, session.anchor_id, now).await?;
            let mut advised = Vec::with_capacity(items.len());
            for f in items {
                let sku = f.item.sku_id;
                let rows: &[DepotRow] = match stock.entry(sku) {
                    Entry::Occupied(read) => read.into_mut(),
                    Entry::Vacant(unread) => unread.insert(
                        store::depots(conn, supplier, sku, ROUTE_WAREHOUSES_MAX as i64).await?,
                    ),
                };
                let (depots, promised) = match left.get(&sku) {
                    Some(carried) => (depots_left(rows, carried)?, 0),
                    None => {
                        let claimed: i64 = rows.iter().map(|r| r.reserved.max(0)).sum();
                        let promised =
                            f.item.units_held - claimed - set_aside.get(&sku).copied().unwrap_or(0);
                        (
                            depots_now(rows)?,
                            u32::try_from(promised.max(0)).unwrap_or(u32::MAX),
                        )
                    }
                };
                let planned = replenish::planned_units(&f.demand.interval);
                let advice = replenish::advise(planned, &geography.regions, &depots, promised)
                    .map_err(|e| internal(format!("replenishment advice: {e}")))?;
                left.insert(sku, replenish::left_after(&advice));
                advised.push(sku_advice(&f, &advice, rows));
            }
            out.push(SessionAdvice {
                session_id: session.id,
                title: session.title.clone(),
                anchor_id: session.anchor_id,
                anchor_name: session.anchor_name.clone(),
                starts_at_ms: session.starts_at_ms,
                act_by_ms: session.starts_at_ms,
                expected_viewers: audience.expected_viewers.map(units),
                audience_basis: audience.basis,
                geography_basis: geography.basis,
                buyer_regions: geography.shown.clone(),
                items: advised,
            });
        }
        Ok(out)
    }

    /// One supplier's advice for one session, counting the plans of the nearest earlier
    /// sessions that sell the same SKUs; `None` when the session sells none of its SKUs.
    async fn session_advice(
        &mut self,
        conn: &mut AnyConnection,
        session: &LiveSessionRow,
        supplier: SupplierId,
        now: i64,
    ) -> ServiceResult<Option<SessionAdvice>> {
        let mine: HashSet<SkuId> = store::plan_items(conn, session.id)
            .await?
            .into_iter()
            .filter(|item| item.supplier_id == supplier)
            .map(|item| item.sku_id)
            .collect();
        if mine.is_empty() {
            return Ok(None);
        }
        let earlier = store::earlier_sharing(
            conn,
            supplier,
            session.id,
            session.starts_at_ms,
            now.saturating_sub(UPCOMING_GRACE_MS),
            EARLIER_SESSIONS_MAX,
        )
        .await?;
        let mut chain = Vec::with_capacity(earlier.len() + 1);
        for id in earlier {
            if let Some(row) = store_live::session_by_id(&mut *conn, id).await? {
                chain.push(row);
            }
        }
        chain.push(session.clone());
        let mut advices = self
            .advise_chain(conn, supplier, &chain, Some(&mine), now)
            .await?;
        Ok(advices.pop())
    }
}

fn location(row: &DepotRow) -> ServiceResult<GeoPoint> {
    GeoPoint::parse(row.latitude, row.longitude)
        .map_err(|e| internal(format!("warehouse {}: {e}", row.warehouse_id)))
}

/// Warehouses as they stand now.
fn depots_now(rows: &[DepotRow]) -> ServiceResult<Vec<Depot>> {
    rows.iter()
        .map(|r| {
            Ok(Depot {
                warehouse: r.warehouse_id,
                location: location(r)?,
                on_hand: u32::try_from(r.quantity.max(0)).unwrap_or(u32::MAX),
                claimed: u32::try_from(r.reserved.max(0)).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Warehouses as an earlier session's plan leaves them: free stock only, nothing claimed.
fn depots_left(rows: &[DepotRow], left: &BTreeMap<WarehouseId, u32>) -> ServiceResult<Vec<Depot>> {
    rows.iter()
        .map(|r| {
            Ok(Depot {
                warehouse: r.warehouse_id,
                location: location(r)?,
                on_hand: left.get(&r.warehouse_id).copied().unwrap_or(0),
                claimed: 0,
            })
        })
        .collect()
}

fn sku_forecast(f: &ItemForecast) -> SkuForecast {
    let interval = f.demand.interval;
    SkuForecast {
        sku_id: f.item.sku_id,
        sku_code: f.item.code.clone(),
        title: f.item.title.clone(),
        supplier_id: f.item.supplier_id,
        live_price_fen: Fen(f.item.live_price_fen),
        pool_price_fen: Fen(f.item.pool_fen),
        flash_price_fen: f.item.flash_price_fen.map(Fen),
        price_ratio: f.planned.price.map(|p| (p * 10_000.0).round() / 10_000.0),
        promotion: f.planned.promo.unwrap_or(0.0),
        mean_units: units(interval.mean),
        lower_units: units(interval.lower),
        upper_units: units(interval.upper),
        basis: f.demand.basis,
        basis_sessions: u32::try_from(f.demand.sessions).unwrap_or(u32::MAX),
    }
}

fn sku_advice(f: &ItemForecast, advice: &replenish::Advice, rows: &[DepotRow]) -> SkuAdvice {
    let name = |id: WarehouseId| {
        rows.iter()
            .find(|r| r.warehouse_id == id)
            .map_or((String::new(), String::new()), |r| {
                (r.code.clone(), r.name.clone())
            })
    };
    SkuAdvice {
        forecast: sku_forecast(f),
        planned_units: advice.planned_units,
        warehouses: advice
            .positions
            .iter()
            .map(|p| {
                let (code, name) = name(p.warehouse);
                WarehousePlan {
                    warehouse_id: p.warehouse,
                    code,
                    name,
                    free_units: p.free,
                    need_units: p.need,
                }
            })
            .collect(),
        moves: advice
            .moves
            .iter()
            .map(|m| {
                let (from_code, from_name) = name(m.from);
                let (to_code, to_name) = name(m.to);
                StockMove {
                    from_warehouse_id: m.from,
                    from_code,
                    from_name,
                    to_warehouse_id: m.to,
                    to_code,
                    to_name,
                    units: m.units,
                    distance_km: (m.distance_m + 500) / 1_000,
                }
            })
            .collect(),
        top_ups: advice
            .top_ups
            .iter()
            .map(|t| {
                let (code, name) = name(t.warehouse);
                StockTopUp {
                    warehouse_id: t.warehouse,
                    code,
                    name,
                    units: t.units,
                }
            })
            .collect(),
        unplaced_units: advice.unplaced,
    }
}

/// Writes a `replenishment.advised` event for each supplier whose SKUs a scheduled session
/// sells, in the transaction of the change that calls it. The event id ends in a digest of
/// the advice: the same advice twice is one event.
pub(crate) async fn advise_suppliers(
    conn: &mut AnyConnection,
    session_id: LiveSessionId,
    now: i64,
) -> ServiceResult<()> {
    let Some(session) = store_live::session_by_id(&mut *conn, session_id).await? else {
        return Ok(());
    };
    if session.status != SessionStatus::Scheduled {
        return Ok(());
    }
    let mut reader = Reader::default();
    for supplier in store::session_suppliers(conn, session_id).await? {
        let Some(advice) = reader.session_advice(conn, &session, supplier, now).await? else {
            continue;
        };
        let payload =
            serde_json::to_string(&advice).map_err(|e| internal(format!("advice: {e}")))?;
        let digest = Sha256::digest(payload.as_bytes());
        let event_id = format!(
            "{KIND_REPLENISHMENT_ADVISED}-{session_id}-{supplier}-{}",
            hex::encode(&digest[..8])
        );
        ful_store::insert_outbox(
            conn,
            &event_id,
            supplier,
            KIND_REPLENISHMENT_ADVISED,
            &payload,
            now,
        )
        .await?;
    }
    Ok(())
}

impl Services {
    /// A session's forecast: expected units per shelved SKU with an 80% prediction
    /// interval and the history each came from. The session's anchor and operators see
    /// every SKU; a supplier sees its own (and is refused a session that sells none).
    pub async fn session_forecast(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionForecast> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        let session = store_live::session_by_id(&mut *conn, id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        let sight = match actor.role {
            Role::Operator => Sight::All,
            Role::Anchor if actor.user_id == session.anchor_id => Sight::All,
            Role::SupplierStaff => Sight::Supplier(actor.require_supplier()?),
            _ => return Err(ServiceError::Forbidden),
        };
        let mut reader = Reader::default();
        let (audience, items) = reader
            .forecast(&mut conn, &session, |item| match sight {
                Sight::All => true,
                Sight::Supplier(supplier) => item.supplier_id == supplier,
            })
            .await?;
        if items.is_empty() && matches!(sight, Sight::Supplier(_)) {
            return Err(ServiceError::Forbidden);
        }
        Ok(SessionForecast {
            session_id: session.id,
            anchor_id: session.anchor_id,
            anchor_name: session.anchor_name.clone(),
            title: session.title.clone(),
            status: session.status,
            starts_at_ms: session.starts_at_ms,
            in_campaign: session.campaign_id.is_some(),
            expected_viewers: audience.expected_viewers.map(units),
            audience_basis: audience.basis,
            coverage: COVERAGE,
            items: items.iter().map(sku_forecast).collect(),
        })
    }

    /// Supplier: what to move or top up before one scheduled session that sells its SKUs,
    /// counting the plans of earlier upcoming sessions selling the same SKUs.
    pub async fn session_replenishment(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionAdvice> {
        let supplier = actor.require_supplier()?;
        let now = now_ms();
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        let session = store_live::session_by_id(&mut *conn, id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        if session.status != SessionStatus::Scheduled {
            return Err(ServiceError::conflict(
                "session_not_scheduled",
                "replenishment is advised before a session starts",
            ));
        }
        Reader::default()
            .session_advice(&mut conn, &session, supplier, now)
            .await?
            .ok_or(ServiceError::Forbidden)
    }

    /// Supplier: what to move or top up before each of its upcoming sessions (scheduled in
    /// the next two weeks, at most twenty, the soonest first), each planned from the stock
    /// the earlier ones leave.
    pub async fn supplier_replenishment(&self, actor: &Actor) -> ServiceResult<SupplierAdvice> {
        let supplier = actor.require_supplier()?;
        let now = now_ms();
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        let ids = store::supplier_upcoming(
            &mut conn,
            supplier,
            now.saturating_sub(UPCOMING_GRACE_MS),
            now.saturating_add(ADVICE_AHEAD_MS),
            ADVICE_SESSIONS_MAX,
        )
        .await?;
        let mut sessions = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = store_live::session_by_id(&mut *conn, id).await? {
                sessions.push(row);
            }
        }
        let sessions = Reader::default()
            .advise_chain(&mut conn, supplier, &sessions, None, now)
            .await?;
        Ok(SupplierAdvice { sessions })
    }
}
