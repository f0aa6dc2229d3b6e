//! The live sell-out nowcast: for each SKU a live session sells (and each of its flash
//! sales), how fast it sells now, when its stock runs out at that pace, and whether that is
//! before the session ends; alerts to the supplier and the anchor when it is; and, once the
//! session is over, the overstock flag. The maths is `daihuo_domain::nowcast`; the rules and
//! their reasons are in docs/NOWCAST.md.
//!
//! # When it is evaluated
//! A round runs on one node at a time every [`NowcastPolicy::every`] (15 s): each node's
//! [`Services::spawn_nowcaster`] checks every [`NOWCAST_CHECK`] and runs a round only after
//! claiming it with a compare-and-set on `nowcast_clock`. A round reads the live sessions, their
//! SKUs' stock and their last 30 minutes of paid orders with a handful of statements, and
//! writes only when an alert is due. It is not evaluated on each paid order: the payment path
//! is the flash sale's hot path, and a pace changes little within seconds.
//!
//! # Who may see it
//! The session's anchor and operators see every SKU; a supplier's staff (or API token) the
//! supplier's own SKUs of a session that sells any; anyone else is refused.
//!
//! # Telling
//! A due alert is recorded (a compare-and-set on the alert count, so racing nodes send it
//! once) and written to the outbox as `stock.sellout_projected` for the SKU's supplier in one
//! transaction, with the event id `stock.sellout_projected-{session}-{sku}-{n}`; the anchor
//! sees it on the live control page and in [`Services::session_nowcast`]. After a session
//! ends (and [`NowcastPolicy::settle`] has passed, so reservations made before the end have
//! had their time to be paid), its end is assessed once: per SKU the stock left and the units
//! sold are kept, and `stock.overstock_flagged` goes to the supplier of each flagged SKU
//! (event id `stock.overstock_flagged-{session}-{sku}`).

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::nowcast::{
    alert_due, overstock, pace, project, session_length, AlertRecord, LengthSource, NowcastRules,
    Pace, PlannedLength, Projection, SalesBucket, SessionLength,
};
use daihuo_domain::{FlashSaleId, LiveSessionId, SkuId, SupplierId, UserId};
use daihuo_store::fulfilment as ful_store;
use daihuo_store::live as store_live;
use daihuo_store::now_ms;
use daihuo_store::nowcast::{
    self as store, AlertWrite, AssessmentWrite, NowcastItemRow, NowcastSaleRow, NowcastSessionRow,
    NowcastSkuRow, Scope,
};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use utoipa::ToSchema;

/// The event that tells a supplier a SKU's stock will run out before a live session ends.
pub const KIND_SELLOUT_PROJECTED: &str = "stock.sellout_projected";
/// The event that tells a supplier a session left a SKU with likely more stock than it needs.
pub const KIND_OVERSTOCK_FLAGGED: &str = "stock.overstock_flagged";
/// How often each node asks whether a round is due.
pub const NOWCAST_CHECK: Duration = Duration::from_secs(5);
/// The most live sessions one round evaluates (the longest-running first): a round must end
/// well within its interval.
pub const NOWCAST_SESSIONS_MAX: i64 = 2_000;
/// The most ended sessions one round assesses; the rest wait for the next round.
pub const ASSESSMENTS_PER_ROUND_MAX: i64 = 100;
/// How long after its end a session is still assessed: a node that was down longer than a
/// day has missed the moment when a flag would have helped.
pub const ASSESS_WITHIN_MS: i64 = 24 * 3_600_000;

/// When the nowcast runs.
#[derive(Debug, Clone, Copy)]
pub struct NowcastPolicy {
    /// How often a round runs, across all nodes.
    pub every: Duration,
    /// How long after a session's end its overstock is assessed.
    pub settle: Duration,
}

impl Default for NowcastPolicy {
    /// A round every 15 seconds: an alert comes within a quarter of a minute of the pace
    /// that justifies it, which is soon enough to move stock or pin something else, and a
    /// round costs a few statements. Overstock five minutes after the end: the pay window of
    /// an ordinary purchase, so the reservations of the session's last minutes are paid or
    /// released by then.
    fn default() -> Self {
        NowcastPolicy {
            every: Duration::from_secs(15),
            settle: Duration::from_secs(5 * 60),
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

/// The last sell-out alert about a SKU in a session.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct AlertView {
    /// Alerts sent so far about this SKU in this session.
    pub count: i64,
    /// When the last went out, Unix ms.
    pub alerted_at_ms: i64,
    /// The sell-out time it projected, Unix ms.
    pub sellout_at_ms: i64,
}

/// A SKU's stock after its session, as assessed once the session was over.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct OverstockView {
    /// When it was assessed, Unix ms.
    pub assessed_at_ms: i64,
    /// Sellable stock left then.
    pub stock_left: i64,
    /// Units the session sold.
    pub sold_units: i64,
    /// Stock left ÷ units sold; absent when nothing sold.
    pub sessions_of_cover: Option<f64>,
    /// Likely overstock: see docs/NOWCAST.md.
    pub flagged: bool,
}

/// One SKU of a session in the nowcast.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuNowcast {
    /// The SKU.
    pub sku_id: SkuId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The supplier's code for it.
    pub code: String,
    /// Title.
    pub title: String,
    /// Sellable stock now across the supplier's warehouses: on hand, less units promised
    /// to buyers and set aside for flash sales.
    pub stock_left: i64,
    /// Paid orders of it in this session, flash sales included.
    pub sold_orders: i64,
    /// Units in them.
    pub sold_units: i64,
    /// This session's pace (ordinary purchases at the live price).
    pub session_pace: Pace,
    /// The stock's pace: every live session selling it, this one included.
    pub stock_pace: Pace,
    /// Where the stock stands at the end at the stock's pace; only while live.
    pub projection: Option<Projection>,
    /// The last sell-out alert, if any was sent.
    pub alert: Option<AlertView>,
    /// After the session: the assessment of its stock (once made).
    pub overstock: Option<OverstockView>,
}

/// A flash sale of a session in the nowcast: its own units, its own pace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlashSaleNowcast {
    /// The sale.
    pub sale_id: FlashSaleId,
    /// Its SKU.
    pub sku_id: SkuId,
    /// Units on offer.
    pub quantity: i64,
    /// Units neither held nor sold.
    pub remaining: i64,
    /// Units paid for.
    pub sold: i64,
    /// Opening, Unix ms.
    pub starts_at_ms: i64,
    /// Closing, Unix ms.
    pub ends_at_ms: i64,
    /// Its pace.
    pub pace: Pace,
    /// Its remaining units by its closing (or the session's end, if sooner); only while the
    /// session is live and the sale open.
    pub projection: Option<Projection>,
}

/// The nowcast of one session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionNowcast {
    /// The session.
    pub session_id: LiveSessionId,
    /// Its anchor.
    pub anchor_id: UserId,
    /// Scheduled, live or ended.
    pub status: SessionStatus,
    /// The server's clock when this was worked out, Unix ms.
    pub evaluated_at_ms: i64,
    /// When it went live.
    pub went_live_at_ms: Option<i64>,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
    /// How long it is expected to run from going live, ms.
    pub length_ms: i64,
    /// Where that length came from: `planned`, `anchor_typical` or `default`.
    pub length_source: LengthSource,
    /// When it is expected to end: going live (or the planned start, before) plus the
    /// length, Unix ms.
    pub planned_end_at_ms: i64,
    /// Its SKUs in shelf order (a supplier sees only its own).
    pub items: Vec<SkuNowcast>,
    /// Its flash sales (a supplier sees only its own SKUs').
    pub flash_sales: Vec<FlashSaleNowcast>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NowcastRound {
    /// Live sessions evaluated.
    pub sessions: usize,
    /// Sell-out alerts sent.
    pub alerts: usize,
    /// Ended sessions assessed.
    pub assessed: usize,
    /// SKUs flagged as overstock.
    pub overstock_flags: usize,
}

/// Everything a nowcast is worked out from, read with a few statements, and the paces
/// worked out once from the sales read.
struct Inputs {
    /// The SKUs of the sessions asked about.
    items: Vec<NowcastItemRow>,
    /// The flash sales of the sessions asked about.
    flash_sales: Vec<NowcastSaleRow>,
    /// Alerts and assessments so far.
    records: HashMap<(LiveSessionId, SkuId), NowcastSkuRow>,
    /// Every live session (at most [`NOWCAST_SESSIONS_MAX`]), by id.
    live: HashMap<LiveSessionId, NowcastSessionRow>,
    /// The pace of ordinary purchases per live session and SKU.
    session_paces: HashMap<(LiveSessionId, SkuId), Pace>,
    /// The pace at which each SKU's ordinary stock goes: the sum over live sessions.
    stock_paces: HashMap<SkuId, Pace>,
    /// Each flash sale's recent sales.
    sale_buckets: HashMap<FlashSaleId, Vec<SalesBucket>>,
}

impl Inputs {
    async fn read(services: &Services, scope: Scope, now: i64) -> ServiceResult<Inputs> {
        let rules = NowcastRules::default();
        let pool = services.store.pool();
        let live: HashMap<LiveSessionId, NowcastSessionRow> =
            store::live_sessions(pool, NOWCAST_SESSIONS_MAX)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
        let items = store::items(pool, scope).await?;
        let sales = store::recent_sales(pool, scope, now - rules.window_ms).await?;
        let flash_sales = store::flash_sales(pool, scope).await?;
        let records = store::sku_records(pool, scope)
            .await?
            .into_iter()
            .map(|r| ((r.session_id, r.sku_id), r))
            .collect();
        let mut ordinary: HashMap<(LiveSessionId, SkuId), Vec<SalesBucket>> = HashMap::new();
        let mut sale_buckets: HashMap<FlashSaleId, Vec<SalesBucket>> = HashMap::new();
        for row in &sales {
            let bucket = SalesBucket {
                at_ms: row.at_ms,
                units: row.units,
                orders: row.orders,
            };
            match row.flash_sale_id {
                Some(sale) => sale_buckets.entry(sale).or_default().push(bucket),
                None => ordinary
                    .entry((row.session_id, row.sku_id))
                    .or_default()
                    .push(bucket),
            }
        }
        let mut session_paces = HashMap::with_capacity(ordinary.len());
        let mut stock_paces: HashMap<SkuId, Pace> = HashMap::new();
        for ((session, sku), buckets) in ordinary {
            // A session past the round's limit has no row here; its sales are left out.
            let Some(since) = live.get(&session).and_then(|s| s.went_live_at_ms) else {
                continue;
            };
            let session_pace = pace(&buckets, since, now, &rules);
            session_paces.insert((session, sku), session_pace);
            let stock = stock_paces.entry(sku).or_default();
            *stock = stock.plus(session_pace);
        }
        Ok(Inputs {
            items,
            flash_sales,
            records,
            live,
            session_paces,
            stock_paces,
            sale_buckets,
        })
    }

    fn sale_pace(&self, sale: &NowcastSaleRow, now: i64) -> Pace {
        let went_live = self
            .live
            .get(&sale.session_id)
            .and_then(|s| s.went_live_at_ms)
            .unwrap_or(sale.starts_at_ms);
        let buckets = self
            .sale_buckets
            .get(&sale.id)
            .map_or(&[][..], Vec::as_slice);
        pace(
            buckets,
            sale.starts_at_ms.max(went_live),
            now,
            &NowcastRules::default(),
        )
    }
}

fn alert_of(record: Option<&NowcastSkuRow>) -> Option<AlertView> {
    let record = record.filter(|r| r.alerts > 0)?;
    Some(AlertView {
        count: record.alerts,
        alerted_at_ms: record.alerted_at_ms?,
        sellout_at_ms: record.alert_sellout_at_ms?,
    })
}

fn overstock_of(record: Option<&NowcastSkuRow>) -> Option<OverstockView> {
    let record = record?;
    let (assessed_at_ms, stock_left, sold_units) = (
        record.assessed_at_ms?,
        record.stock_left?,
        record.sold_units?,
    );
    Some(OverstockView {
        assessed_at_ms,
        stock_left,
        sold_units,
        sessions_of_cover: overstock(stock_left, sold_units, &NowcastRules::default())
            .sessions_of_cover,
        flagged: record.overstock.unwrap_or(false),
    })
}

/// A session's timing: its length and when it is expected to end.
#[derive(Debug, Clone, Copy)]
struct Timing {
    length: SessionLength,
    end_ms: i64,
}

impl Services {
    /// The session's expected length and end: its plan, else its anchor's typical length,
    /// else the default; counted from going live (from the planned start before that).
    async fn timing(&self, session: &NowcastSessionRow) -> ServiceResult<Timing> {
        let rules = NowcastRules::default();
        let planned = session
            .planned_length_ms
            .map(|ms| PlannedLength::parse_minutes(ms / daihuo_domain::nowcast::MINUTE_MS))
            .transpose()
            .map_err(|e| internal(format!("stored planned length: {e}")))?;
        let past = if planned.is_none() {
            store::past_lengths(
                self.store.pool(),
                session.anchor_id,
                session.id,
                i64::try_from(rules.typical_sessions_max).unwrap_or(i64::MAX),
            )
            .await?
        } else {
            Vec::new()
        };
        let length = session_length(planned, &past, &rules);
        let start = session.went_live_at_ms.unwrap_or(session.starts_at_ms);
        Ok(Timing {
            length,
            end_ms: start.saturating_add(length.ms),
        })
    }

    /// The nowcast of a session: for its anchor and operators every SKU, for a supplier its
    /// own SKUs (refused when the session sells none of them); refused for anyone else.
    pub async fn session_nowcast(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionNowcast> {
        let session = store_live::session_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        let supplier_only = match actor.role {
            Role::Operator => None,
            Role::Anchor if session.anchor_id == actor.user_id => None,
            Role::SupplierStaff => Some(actor.require_supplier()?),
            _ => return Err(ServiceError::Forbidden),
        };
        let now = now_ms();
        let row = NowcastSessionRow {
            id,
            anchor_id: session.anchor_id,
            starts_at_ms: session.starts_at_ms,
            went_live_at_ms: session.went_live_at_ms,
            ended_at_ms: session.ended_at_ms,
            planned_length_ms: session.planned_length_ms,
        };
        let inputs = Inputs::read(self, Scope::Session(id), now).await?;
        let sold: HashMap<SkuId, store::SoldRow> = store::session_sold(self.store.pool(), id)
            .await?
            .into_iter()
            .map(|s| (s.sku_id, s))
            .collect();
        let timing = self.timing(&row).await?;
        let live = session.status == SessionStatus::Live;
        let mut nowcast = nowcast_of(&row, session.status, &inputs, timing, live, now);
        for item in &mut nowcast.items {
            if let Some(sold) = sold.get(&item.sku_id) {
                item.sold_orders = sold.orders;
                item.sold_units = sold.units;
            }
        }
        if let Some(supplier) = supplier_only {
            nowcast.items.retain(|item| item.supplier_id == supplier);
            if nowcast.items.is_empty() {
                return Err(ServiceError::Forbidden);
            }
            let skus: Vec<SkuId> = nowcast.items.iter().map(|item| item.sku_id).collect();
            nowcast
                .flash_sales
                .retain(|sale| skus.contains(&sale.sku_id));
        }
        Ok(nowcast)
    }

    /// Runs the nowcast on this node until the task is aborted: every [`NOWCAST_CHECK`] it
    /// claims the round if one is due across nodes, and runs it.
    pub fn spawn_nowcaster(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(NOWCAST_CHECK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match services.claim_nowcast_round().await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        tracing::warn!(code = error.code(), %error, "nowcast round not claimed");
                        continue;
                    }
                }
                match services.evaluate_nowcasts().await {
                    Ok(round) if round.alerts + round.overstock_flags > 0 => {
                        tracing::info!(?round, "nowcast round told suppliers");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(code = error.code(), %error, "nowcast round failed");
                    }
                }
            }
        })
    }

    async fn claim_nowcast_round(&self) -> ServiceResult<bool> {
        let now = now_ms();
        let next = now.saturating_add(millis(self.config.nowcast.every));
        let mut tx = self.store.begin_write().await?;
        let claimed = store::claim_round(tx.conn(), now, next).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// One round of the nowcast, as the node's task runs it: evaluates every live session
    /// and sends the alerts due, then assesses the sessions that ended at least
    /// [`NowcastPolicy::settle`] ago. Safe to run on several nodes at once: every alert and
    /// assessment is claimed with a compare-and-set.
    pub async fn evaluate_nowcasts(&self) -> ServiceResult<NowcastRound> {
        let now = now_ms();
        let rules = NowcastRules::default();
        let mut round = NowcastRound::default();
        let inputs = Inputs::read(self, Scope::Live, now).await?;
        // By id, so that rounds on any node walk the sessions in the same order.
        let mut sessions: Vec<&NowcastSessionRow> = inputs.live.values().collect();
        sessions.sort_by_key(|s| s.id);
        for session in sessions {
            round.sessions += 1;
            let timing = self.timing(session).await?;
            let nowcast = nowcast_of(session, SessionStatus::Live, &inputs, timing, true, now);
            for item in &nowcast.items {
                let Some(projection) = &item.projection else {
                    continue;
                };
                let record = inputs.records.get(&(session.id, item.sku_id));
                let previous = record.and_then(|r| {
                    Some(AlertRecord {
                        count: r.alerts,
                        alerted_at_ms: r.alerted_at_ms?,
                        sellout_at_ms: r.alert_sellout_at_ms?,
                    })
                });
                let Some(sellout_at_ms) = alert_due(
                    projection,
                    &item.stock_pace,
                    timing.end_ms,
                    previous.as_ref().filter(|p| p.count > 0),
                    now,
                    &rules,
                ) else {
                    continue;
                };
                let alert = AlertWrite {
                    session_id: session.id,
                    sku_id: item.sku_id,
                    supplier_id: item.supplier_id,
                    previous_alerts: record.map_or(0, |r| r.alerts),
                    alerted_at_ms: now,
                    sellout_at_ms,
                };
                if self.send_alert(&nowcast, item, &alert, projection).await? {
                    round.alerts += 1;
                }
            }
        }
        let settled = now.saturating_sub(millis(self.config.nowcast.settle));
        let ended = store::sessions_to_assess(
            self.store.pool(),
            now - ASSESS_WITHIN_MS,
            settled.saturating_add(1),
            ASSESSMENTS_PER_ROUND_MAX,
        )
        .await?;
        for session in ended {
            if let Some(flags) = self.assess_end(&session, now).await? {
                round.assessed += 1;
                round.overstock_flags += flags;
            }
        }
        Ok(round)
    }

    /// Records alert `alert` and writes its event in one transaction; false when another
    /// node recorded one first.
    async fn send_alert(
        &self,
        nowcast: &SessionNowcast,
        item: &SkuNowcast,
        alert: &AlertWrite,
        projection: &Projection,
    ) -> ServiceResult<bool> {
        let number = alert.previous_alerts + 1;
        let data = serde_json::json!({
            "session_id": nowcast.session_id,
            "anchor_id": nowcast.anchor_id,
            "sku_id": item.sku_id,
            "sku_code": item.code,
            "title": item.title,
            "alert": number,
            "outlook": projection.outlook,
            "stock_left": item.stock_left,
            "units_per_hour": item.stock_pace.units_per_hour,
            "session_units_per_hour": item.session_pace.units_per_hour,
            "projected_sellout_at_ms": alert.sellout_at_ms,
            "shortfall_units": projection.shortfall_units,
            "planned_end_at_ms": nowcast.planned_end_at_ms,
            "length_source": nowcast.length_source,
            "evaluated_at_ms": alert.alerted_at_ms,
        });
        let event_id = format!(
            "{KIND_SELLOUT_PROJECTED}-{}-{}-{number}",
            alert.session_id, alert.sku_id
        );
        let mut tx = self.store.begin_write().await?;
        if !store::record_alert(tx.conn(), alert).await? {
            return Ok(false);
        }
        ful_store::insert_outbox(
            tx.conn(),
            &event_id,
            alert.supplier_id,
            KIND_SELLOUT_PROJECTED,
            &data.to_string(),
            alert.alerted_at_ms,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(session = %alert.session_id, sku = %alert.sku_id, number,
            sellout_at_ms = alert.sellout_at_ms, "sell-out alert sent");
        Ok(true)
    }

    /// Assesses the end of `session` once across nodes: keeps each SKU's stock left and
    /// units sold, and flags overstock to the supplier. Returns how many SKUs were flagged,
    /// or `None` when another node assessed it.
    async fn assess_end(
        &self,
        session: &NowcastSessionRow,
        now: i64,
    ) -> ServiceResult<Option<usize>> {
        let rules = NowcastRules::default();
        let pool = self.store.pool();
        let items = store::items(pool, Scope::Session(session.id)).await?;
        let sold: HashMap<SkuId, i64> = store::session_sold(pool, session.id)
            .await?
            .into_iter()
            .map(|s| (s.sku_id, s.units))
            .collect();
        let timing = self.timing(session).await?;
        let mut tx = self.store.begin_write().await?;
        if !store::claim_assessment(tx.conn(), session.id, now).await? {
            return Ok(None);
        }
        let mut flagged = 0;
        for item in &items {
            let stock_left = (item.stock_total - item.units_held).max(0);
            let sold_units = sold.get(&item.sku_id).copied().unwrap_or(0);
            let call = overstock(stock_left, sold_units, &rules);
            store::record_assessment(
                tx.conn(),
                &AssessmentWrite {
                    session_id: session.id,
                    sku_id: item.sku_id,
                    supplier_id: item.supplier_id,
                    stock_left,
                    sold_units,
                    overstock: call.flagged,
                    assessed_at_ms: now,
                },
            )
            .await?;
            if !call.flagged {
                continue;
            }
            flagged += 1;
            let data = serde_json::json!({
                "session_id": session.id,
                "anchor_id": session.anchor_id,
                "sku_id": item.sku_id,
                "sku_code": item.code,
                "title": item.title,
                "stock_left": stock_left,
                "sold_units": sold_units,
                "sessions_of_cover": call.sessions_of_cover,
                "went_live_at_ms": session.went_live_at_ms,
                "ended_at_ms": session.ended_at_ms,
                "length_source": timing.length.source,
                "assessed_at_ms": now,
            });
            ful_store::insert_outbox(
                tx.conn(),
                &format!("{KIND_OVERSTOCK_FLAGGED}-{}-{}", session.id, item.sku_id),
                item.supplier_id,
                KIND_OVERSTOCK_FLAGGED,
                &data.to_string(),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(session = %session.id, flagged, "session end assessed");
        Ok(Some(flagged))
    }
}

/// The nowcast of `session` from `inputs`; projections only when `live`. Sold totals are
/// left at zero (the caller fills them when it needs them).
fn nowcast_of(
    session: &NowcastSessionRow,
    status: SessionStatus,
    inputs: &Inputs,
    timing: Timing,
    live: bool,
    now: i64,
) -> SessionNowcast {
    let items = inputs
        .items
        .iter()
        .filter(|item| item.session_id == session.id)
        .map(|item| {
            let stock_left = (item.stock_total - item.units_held).max(0);
            let stock_pace = inputs
                .stock_paces
                .get(&item.sku_id)
                .copied()
                .unwrap_or_default();
            let record = inputs.records.get(&(session.id, item.sku_id));
            SkuNowcast {
                sku_id: item.sku_id,
                supplier_id: item.supplier_id,
                code: item.code.clone(),
                title: item.title.clone(),
                stock_left,
                sold_orders: 0,
                sold_units: 0,
                session_pace: inputs
                    .session_paces
                    .get(&(session.id, item.sku_id))
                    .copied()
                    .unwrap_or_default(),
                stock_pace,
                projection: live
                    .then(|| project(stock_left, stock_pace.units_per_hour, now, timing.end_ms)),
                alert: alert_of(record),
                overstock: overstock_of(record),
            }
        })
        .collect();
    let flash_sales = inputs
        .flash_sales
        .iter()
        .filter(|sale| sale.session_id == session.id)
        .map(|sale| {
            let sale_pace = inputs.sale_pace(sale, now);
            let remaining = (sale.quantity - sale.taken).max(0);
            let open = live && now < sale.ends_at_ms;
            FlashSaleNowcast {
                sale_id: sale.id,
                sku_id: sale.sku_id,
                quantity: sale.quantity,
                remaining,
                sold: sale.sold,
                starts_at_ms: sale.starts_at_ms,
                ends_at_ms: sale.ends_at_ms,
                pace: sale_pace,
                projection: open.then(|| {
                    project(
                        remaining,
                        sale_pace.units_per_hour,
                        now,
                        sale.ends_at_ms.min(timing.end_ms),
                    )
                }),
            }
        })
        .collect();
    SessionNowcast {
        session_id: session.id,
        anchor_id: session.anchor_id,
        status,
        evaluated_at_ms: now,
        went_live_at_ms: session.went_live_at_ms,
        ended_at_ms: session.ended_at_ms,
        length_ms: timing.length.ms,
        length_source: timing.length.source,
        planned_end_at_ms: timing.end_ms,
        items,
        flash_sales,
    }
}
