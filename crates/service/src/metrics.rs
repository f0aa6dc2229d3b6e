//! Live-session metrics (docs/METRICS.md): a session's minute series with its totals, per-SKU
//! figures and buyer regions; the post-session report (JSON and CSV); an anchor's sessions
//! in figures; a supplier's sales across anchors; the platform's live rooms and current hour.
//!
//! Who sees what is decided here, as every service does: an anchor sees its own sessions,
//! an operator every session, and supplier staff (or a supplier's API token) the sessions
//! that sell or sold its SKUs, narrowed to those SKUs: their orders, units, GMV, buyers and
//! regions, beside the room's audience counts (online, viewers, likes, comments: numbers
//! the room shows anyway). Nobody sees a viewer's or buyer's identity here.
//!
//! The minute rows are written by the room hub's flush ([`crate::room`]) and by the
//! transaction that applies a payment ([`count_paid`]); per-SKU buyers, refunds and regions
//! are summed from the session's paid orders when asked.

use crate::live::{ListPage, LiveSessionView};
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::metrics::{
    average_order_fen, conversion_bps, minute_series, minute_start, point_minutes, AudienceMinute,
    MinutePoint, SalesMinute, MINUTE_MS,
};
use daihuo_domain::{LiveSessionId, SkuId, SupplierId};
use daihuo_store::live as store_live;
use daihuo_store::live::LiveSessionRow;
use daihuo_store::metrics as store;
use daihuo_store::now_ms;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use utoipa::ToSchema;

/// Audience minutes read for one session: 31 days. A session live longer than that shows its
/// first month; nothing else is cut.
pub const AUDIENCE_ROWS_MAX: i64 = 31 * 24 * 60;
/// Sales rows (one per SKU per minute sold) read for one session: a 100-SKU session selling
/// every SKU every minute for 16 hours.
pub const SALES_ROWS_MAX: i64 = 100_000;
/// Days a supplier's sales view may cover, and the default.
pub const SUPPLIER_DAYS_MAX: i64 = 90;
/// The supplier's period unless it asks for another.
pub const SUPPLIER_DAYS_DEFAULT: i64 = 30;
/// Rows in each of the supplier's rankings (SKUs, sessions, anchors): the head, not a list.
pub const SUPPLIER_ROWS_MAX: i64 = 100;
/// Live sessions a supplier's view follows with their series.
pub const SUPPLIER_LIVE_MAX: i64 = 10;
/// Live sessions the operator's view names one by one (the totals cover them all).
pub const PLATFORM_LIVE_MAX: i64 = 50;
/// Recently ended sessions the operator's view lists, for their reports.
pub const PLATFORM_ENDED_MAX: i64 = 20;
/// An audience row older than this is not "online now": a watched room writes every minute.
const ONLINE_FRESH_MS: i64 = 2 * MINUTE_MS;
/// One day, in milliseconds.
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
/// One hour, in milliseconds.
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// Whose figures a view holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    /// The whole session: its anchor's or an operator's view.
    Session,
    /// One supplier's SKUs in the session.
    Supplier,
}

/// A session's figures in total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionTotals {
    /// From going live to the end (or to now while live), ms; `None` if it never went live.
    pub duration_ms: Option<i64>,
    /// Viewers online now, while live (the room's count on this node, else the last minute
    /// written within two minutes); `None` once ended.
    pub online_now: Option<i64>,
    /// The most viewers online at once.
    pub peak_online: i64,
    /// Distinct viewers who joined (signed-in users once each, anonymous visitors by their
    /// visitor id).
    pub unique_viewers: i64,
    /// Likes.
    pub likes: i64,
    /// Comments.
    pub comments: i64,
    /// Orders paid (in the scope), whatever happened to them after.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// Their value at the room's prices before subsidy and before refunds, fen.
    pub gmv_fen: i64,
    /// Distinct buyers of those orders.
    pub buyers: i64,
    /// Paid conversion: buyers ÷ unique viewers, basis points, rounded half up.
    pub conversion_bps: Option<i64>,
    /// Average order value: GMV ÷ orders, fen, rounded half up.
    pub average_order_fen: Option<i64>,
}

/// Money and units given back on the scope's paid orders (never subtracted from GMV).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundTotals {
    /// Paid orders with a refund decided (after-sales) or refunded whole (unroutable).
    pub orders: i64,
    /// Units refunded.
    pub units: i64,
    /// Money refunded or due back to buyers, fen.
    pub fen: i64,
}

/// One SKU of a session in figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkuFigures {
    /// The SKU.
    pub sku_id: SkuId,
    /// Its title.
    pub title: String,
    /// Orders paid.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
    /// Distinct buyers.
    pub buyers: i64,
    /// Average order value, fen.
    pub average_order_fen: Option<i64>,
    /// Of the orders, those with money given back.
    pub refunded_orders: i64,
    /// Units refunded.
    pub refunded_units: i64,
    /// Money refunded or due back, fen.
    pub refunded_fen: i64,
    /// Units neither sold nor promised when the session ended; `None` while it has not.
    pub stock_left_at_end: Option<i64>,
    /// Its sales per point of the session's series (the same width), only points it sold in.
    pub series: Vec<SalesMinute>,
}

/// A session's paid orders sent to one province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegionFigures {
    /// The province's GB/T 2260 code, e.g. 330000.
    pub province_code: u32,
    /// Its name, e.g. 浙江省 ("" for a code the shipped divisions do not know).
    pub province: String,
    /// Distinct buyers with an order sent there.
    pub buyers: i64,
    /// Orders.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
}

/// A session's data: totals, the minute series, per-SKU figures and buyer regions. For an
/// ended session this is its post-session report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionData {
    /// The session (with its stored counters).
    pub session: LiveSessionView,
    /// Whose figures these are.
    pub scope: DataScope,
    /// The supplier a supplier's view is narrowed to.
    pub supplier_id: Option<SupplierId>,
    /// When it was read, Unix ms.
    pub as_of_ms: i64,
    /// Minutes per point of `series` (1 unless the session ran over twelve hours).
    pub point_minutes: i64,
    /// Totals.
    pub totals: SessionTotals,
    /// Refunds on the paid orders.
    pub refunds: RefundTotals,
    /// Every point from the first minute anything was counted (or the session went live) to
    /// its end (or now); the points add up to the totals.
    pub series: Vec<MinutePoint>,
    /// Each SKU sold, on sale or on sale at the end, by id.
    pub skus: Vec<SkuFigures>,
    /// Paid orders by the province they were sent to, the largest GMV first.
    pub regions: Vec<RegionFigures>,
}

/// A session with its figures in total, for lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSummary {
    /// The session.
    pub session: LiveSessionView,
    /// Totals (buyers, conversion and AOV over the whole session).
    pub totals: SessionTotals,
}

/// A page of an anchor's sessions in figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSummaryPage {
    /// The sessions, newest first.
    pub items: Vec<SessionSummary>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The offset to ask for next.
    pub next_offset: Option<i64>,
}

/// A supplier's sales gathered one way (by SKU, session or anchor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesGroup {
    /// The SKU's id, the session's id or the anchor's user id.
    pub id: i64,
    /// Title or name.
    pub name: String,
    /// A session's anchor; "" otherwise.
    pub anchor_name: String,
    /// When a session went live.
    pub went_live_at_ms: Option<i64>,
    /// Orders paid.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
}

impl From<store::SupplierSalesRow> for SalesGroup {
    fn from(row: store::SupplierSalesRow) -> Self {
        SalesGroup {
            id: row.id,
            name: row.name,
            anchor_name: row.anchor_name,
            went_live_at_ms: row.went_live_at_ms,
            orders: row.orders,
            units: row.units,
            gmv_fen: row.gmv_fen,
        }
    }
}

/// A supplier's sales in live rooms over a period, and the rooms selling its SKUs now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierData {
    /// The period's start (midnight in China, `days − 1` days before today's), Unix ms.
    pub since_ms: i64,
    /// The period in days.
    pub days: i64,
    /// When it was read, Unix ms.
    pub as_of_ms: i64,
    /// Totals over the period: orders, units, GMV.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
    /// Per SKU, the largest GMV first.
    pub skus: Vec<SalesGroup>,
    /// Per session, the largest GMV first.
    pub sessions: Vec<SalesGroup>,
    /// Per anchor, the largest GMV first.
    pub anchors: Vec<SalesGroup>,
    /// Sessions selling its SKUs now, with their series narrowed to its SKUs.
    pub live: Vec<SessionData>,
}

/// The platform's sales in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlatformMinute {
    /// The minute's start, Unix ms.
    pub minute_ms: i64,
    /// Orders paid in live rooms.
    pub orders: i64,
    /// Units.
    pub units: i64,
    /// GMV, fen.
    pub gmv_fen: i64,
}

/// The platform's live rooms now and its current hour by the minute.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformData {
    /// When it was read, Unix ms.
    pub as_of_ms: i64,
    /// The current hour's start, Unix ms (UTC hours are China's hours too).
    pub hour_starts_at_ms: i64,
    /// Each minute of the current hour up to now, zeros included.
    pub minutes: Vec<PlatformMinute>,
    /// Orders paid in live rooms this hour.
    pub hour_orders: i64,
    /// GMV this hour, fen.
    pub hour_gmv_fen: i64,
    /// Sessions live now.
    pub live_sessions: i64,
    /// Viewers online now over every live room: each room's last minute written within two
    /// minutes (a room writes within a second of a change), summed over all nodes.
    pub online_total: i64,
    /// The most recently started live sessions with their totals, at most
    /// [`PLATFORM_LIVE_MAX`].
    pub live: Vec<SessionSummary>,
    /// Recently ended sessions with their totals, at most [`PLATFORM_ENDED_MAX`].
    pub ended: Vec<SessionSummary>,
}

/// The CSV header of a report: one header for every row, told apart by `section` (`total`,
/// `sku`, `region`, `minute`); fields a section has no value for are empty.
pub const REPORT_CSV_HEADER: &str = "section,id,name,minute_ms,duration_ms,online,online_peak,\
new_viewers,viewers,likes,comments,orders,units,gmv_fen,buyers,conversion_bps,\
average_order_fen,refunded_orders,refunded_units,refunded_fen,stock_left_at_end";

/// A text field for CSV: quoted when it holds a comma, quote or line break, and prefixed with
/// `'` when a spreadsheet would take it for a formula (`=`, `+`, `-`, `@`): session titles,
/// SKU titles and attribute values are free text, and these files open in spreadsheets.
pub(crate) fn csv_text(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// An optional number as a CSV field.
fn opt(value: Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl SessionData {
    /// The report as CSV ([`REPORT_CSV_HEADER`]): one `total` row, a `sku` row per SKU, a
    /// `region` row per province and a `minute` row per point of the series (whose
    /// `buyers` is the running count).
    pub fn to_csv(&self) -> String {
        let mut csv = String::with_capacity(
            128 * (self.series.len() + self.skus.len() + self.regions.len() + 2),
        );
        csv.push_str(REPORT_CSV_HEADER);
        csv.push('\n');
        let t = &self.totals;
        // Writing to a String cannot fail.
        let _ = writeln!(
            csv,
            "total,{},{},,{},{},{},,{},{},{},{},{},{},{},{},{},{},{},{},",
            self.session.id.0,
            csv_text(&self.session.title),
            opt(t.duration_ms),
            opt(t.online_now),
            t.peak_online,
            t.unique_viewers,
            t.likes,
            t.comments,
            t.orders,
            t.units,
            t.gmv_fen,
            t.buyers,
            opt(t.conversion_bps),
            opt(t.average_order_fen),
            self.refunds.orders,
            self.refunds.units,
            self.refunds.fen,
        );
        for sku in &self.skus {
            let _ = writeln!(
                csv,
                "sku,{},{},,,,,,,,,{},{},{},{},,{},{},{},{},{}",
                sku.sku_id.0,
                csv_text(&sku.title),
                sku.orders,
                sku.units,
                sku.gmv_fen,
                sku.buyers,
                opt(sku.average_order_fen),
                sku.refunded_orders,
                sku.refunded_units,
                sku.refunded_fen,
                opt(sku.stock_left_at_end),
            );
        }
        for region in &self.regions {
            let _ = writeln!(
                csv,
                "region,{},{},,,,,,,,,{},{},{},{},,{},,,,",
                region.province_code,
                csv_text(&region.province),
                region.orders,
                region.units,
                region.gmv_fen,
                region.buyers,
                opt(average_order_fen(region.gmv_fen, region.orders)),
            );
        }
        for point in &self.series {
            let _ = writeln!(
                csv,
                "minute,,,{},{},{},{},{},{},{},{},{},{},{},{},{},{},,,,",
                point.minute_ms,
                self.point_minutes * MINUTE_MS,
                point.online,
                point.online_peak,
                point.new_viewers,
                point.viewers,
                point.likes,
                point.comments,
                point.orders,
                point.units,
                point.gmv_fen,
                opt(point.buyers),
                opt(point.conversion_bps),
                opt(point.average_order_fen),
            );
        }
        csv
    }
}

/// The province name of a GB/T 2260 province code, "" when unknown.
fn province_name(code: u32) -> String {
    daihuo_refdata::divisions::divisions()
        .get(code)
        .map(|division| division.name.to_owned())
        .unwrap_or_default()
}

/// A session's duration so far: from going live to its end, or to `now` while live.
fn duration_ms(row: &LiveSessionRow, now: i64) -> Option<i64> {
    let live = row.went_live_at_ms?;
    Some((row.ended_at_ms.unwrap_or(now) - live).max(0))
}

/// Totals of a session from its stored counters and its sales totals.
fn totals_of(
    row: &LiveSessionRow,
    sales: store::SalesTotals,
    buyers: i64,
    online_now: Option<i64>,
    now: i64,
) -> SessionTotals {
    SessionTotals {
        duration_ms: duration_ms(row, now),
        online_now: online_now.filter(|_| row.status == SessionStatus::Live),
        peak_online: row.peak_online,
        unique_viewers: row.unique_viewers,
        likes: row.likes,
        comments: row.comments,
        orders: sales.orders,
        units: sales.units,
        gmv_fen: sales.gmv_fen,
        buyers,
        conversion_bps: conversion_bps(buyers, row.unique_viewers),
        average_order_fen: average_order_fen(sales.gmv_fen, sales.orders),
    }
}

/// Counts a paid order of a session in its minute series: called by the transaction that
/// makes the order paid (`payments`), last, so its row locks are held the shortest. Orders
/// bought outside a session are not counted here.
pub(crate) async fn count_paid(
    conn: &mut daihuo_store::AnyConnection,
    order: &daihuo_store::checkout::OrderRow,
    now: i64,
) -> ServiceResult<()> {
    let Some(session_id) = order.session_id else {
        return Ok(());
    };
    let paid_at_ms = order.paid_at_ms.unwrap_or(now);
    store::add_paid_order(
        conn,
        &store::PaidOrder {
            session_id,
            sku_id: order.sku_id,
            supplier_id: order.supplier_id,
            buyer_id: order.buyer_id,
            paid_at_ms,
            minute_ms: minute_start(paid_at_ms),
            units: order.quantity,
            gmv_fen: order.split[0],
        },
    )
    .await?;
    Ok(())
}

/// Keeps the stock each SKU of a session has left as it ends: called by the transaction that
/// ends it.
pub(crate) async fn record_end_stock(
    conn: &mut daihuo_store::AnyConnection,
    session_id: LiveSessionId,
) -> ServiceResult<()> {
    store::record_end_stock(conn, session_id).await?;
    Ok(())
}

/// The audience of one flush as its minute's row: called by the room hub's flush.
pub(crate) fn audience_of(flush: &daihuo_room::CounterFlush, new_viewers: u64) -> AudienceMinute {
    let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    AudienceMinute {
        minute_ms: minute_start(flush.at_ms),
        online_last: count(flush.online_current),
        online_peak: count(flush.online_now),
        new_viewers: count(new_viewers),
        likes: count(flush.likes_delta),
        comments: count(flush.comments_delta),
    }
}

impl Services {
    /// Whose figures `actor` may see of a session: all of them (its anchor, operators), one
    /// supplier's (staff of a supplier whose SKUs it sells or sold), else `forbidden`.
    async fn data_scope(
        &self,
        actor: &Actor,
        row: &LiveSessionRow,
    ) -> ServiceResult<Option<SupplierId>> {
        match actor.role {
            Role::Operator => Ok(None),
            Role::Anchor if row.anchor_id == actor.user_id => Ok(None),
            Role::SupplierStaff => {
                let supplier = actor.require_supplier()?;
                if store::supplier_in_session(self.store.pool(), row.id, supplier).await? {
                    Ok(Some(supplier))
                } else {
                    Err(ServiceError::Forbidden)
                }
            }
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// Viewers online in a session now: the room's count when it is open on this node, else
    /// the last minute written within two minutes, else none.
    fn online_from(
        &self,
        session_id: LiveSessionId,
        latest: Option<(i64, i64)>,
        now: i64,
    ) -> Option<i64> {
        if let Some(counters) = self.rooms.counters(session_id) {
            return Some(i64::try_from(counters.online).unwrap_or(i64::MAX));
        }
        latest
            .filter(|(minute, _)| *minute >= minute_start(now) - ONLINE_FRESH_MS)
            .map(|(_, online)| online)
    }

    /// A session's data (its series, totals, SKUs and regions), as `actor` may see it.
    pub async fn session_data(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionData> {
        let row = store_live::session_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        let supplier = self.data_scope(actor, &row).await?;
        self.session_data_of(row, supplier).await
    }

    /// The post-session report of an ended session (the same figures as
    /// [`Services::session_data`]); a session not ended yet is `session_not_ended`.
    pub async fn session_report(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionData> {
        let data = self.session_data(actor, id).await?;
        if data.session.status != SessionStatus::Ended {
            return Err(ServiceError::conflict(
                "session_not_ended",
                "the report is made once the session has ended; its live data is at /api/data/sessions/{id}",
            ));
        }
        Ok(data)
    }

    async fn session_data_of(
        &self,
        row: LiveSessionRow,
        supplier: Option<SupplierId>,
    ) -> ServiceResult<SessionData> {
        let now = now_ms();
        let pool = self.store.pool();
        let id = row.id;
        let audience = store::audience_minutes(pool, id, AUDIENCE_ROWS_MAX).await?;
        let sales = store::sales_minutes(pool, id, supplier, AUDIENCE_ROWS_MAX).await?;
        let sku_minutes = store::sku_sales_minutes(pool, id, supplier, SALES_ROWS_MAX).await?;
        let sku_rows = store::session_skus(pool, id, supplier).await?;
        let sku_orders = store::sku_orders(pool, id, supplier).await?;
        let regions = store::regions(pool, id, supplier).await?;

        // The series spans every row and the session's live time.
        let firsts = [
            row.went_live_at_ms,
            audience.first().map(|m| m.minute_ms),
            sales.first().map(|m| m.minute_ms),
        ];
        let lasts = [
            row.went_live_at_ms.map(|_| row.ended_at_ms.unwrap_or(now)),
            audience.last().map(|m| m.minute_ms),
            sales.last().map(|m| m.minute_ms),
        ];
        let from = firsts.iter().flatten().min().copied();
        let to = lasts.iter().flatten().max().copied();
        let with_buyers = supplier.is_none();
        let (series, width) = match (from, to) {
            (Some(from), Some(to)) => (
                minute_series(&audience, &sales, from, to, with_buyers),
                point_minutes(from, to),
            ),
            _ => (Vec::new(), 1),
        };

        let sold = sales
            .iter()
            .fold(store::SalesTotals::default(), |mut t, m| {
                t.orders += m.orders;
                t.units += m.units;
                t.gmv_fen += m.gmv_fen;
                t.buyers += m.new_buyers;
                t
            });
        let buyers = match supplier {
            None => sold.buyers,
            Some(supplier) => store::supplier_buyers(pool, id, supplier).await?,
        };
        let latest = audience.last().map(|m| (m.minute_ms, m.online_last));
        let online = self.online_from(id, latest, now);
        let totals = totals_of(&row, sold, buyers, online, now);

        let skus = sku_figures(sku_rows, sku_orders, sku_minutes, series.first(), width);
        let refunds = skus.iter().fold(RefundTotals::default(), |mut r, sku| {
            r.orders += sku.refunded_orders;
            r.units += sku.refunded_units;
            r.fen += sku.refunded_fen;
            r
        });
        Ok(SessionData {
            session: LiveSessionView::from(row),
            scope: if supplier.is_some() {
                DataScope::Supplier
            } else {
                DataScope::Session
            },
            supplier_id: supplier,
            as_of_ms: now,
            point_minutes: width,
            totals,
            refunds,
            series,
            skus,
            regions: regions
                .into_iter()
                .map(|r| RegionFigures {
                    province: province_name(r.province_code),
                    province_code: r.province_code,
                    buyers: r.buyers,
                    orders: r.orders,
                    units: r.units,
                    gmv_fen: r.gmv_fen,
                })
                .collect(),
        })
    }

    /// The anchor's own sessions, newest first, each with its totals.
    pub async fn anchor_data_sessions(
        &self,
        actor: &Actor,
        page: ListPage,
    ) -> ServiceResult<SessionSummaryPage> {
        let anchor = actor.require_anchor()?;
        let sessions = self.anchor_sessions(anchor, page).await?;
        let rows = self.rows_of(sessions.items.iter().map(|s| s.id)).await?;
        Ok(SessionSummaryPage {
            items: self.summaries(rows).await?,
            has_more: sessions.has_more,
            next_offset: sessions.next_offset,
        })
    }

    /// Sessions by id, in the order given, from the store (the list views carry less).
    async fn rows_of(
        &self,
        ids: impl Iterator<Item = LiveSessionId>,
    ) -> ServiceResult<Vec<LiveSessionRow>> {
        let mut rows = Vec::new();
        for id in ids {
            if let Some(row) = store_live::session_by_id(self.store.pool(), id).await? {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Each session with its totals over the whole session (two reads for the whole list).
    async fn summaries(&self, rows: Vec<LiveSessionRow>) -> ServiceResult<Vec<SessionSummary>> {
        let now = now_ms();
        let ids: Vec<LiveSessionId> = rows.iter().map(|r| r.id).collect();
        let sales: HashMap<LiveSessionId, store::SalesTotals> =
            store::sales_totals(self.store.pool(), &ids, None)
                .await?
                .into_iter()
                .collect();
        let latest: HashMap<LiveSessionId, (i64, i64)> =
            store::latest_online(self.store.pool(), &ids, minute_start(now) - ONLINE_FRESH_MS)
                .await?
                .into_iter()
                .map(|(id, minute, online)| (id, (minute, online)))
                .collect();
        Ok(rows
            .into_iter()
            .map(|row| {
                let sold = sales.get(&row.id).copied().unwrap_or_default();
                let online = self.online_from(row.id, latest.get(&row.id).copied(), now);
                SessionSummary {
                    totals: totals_of(&row, sold, sold.buyers, online, now),
                    session: LiveSessionView::from(row),
                }
            })
            .collect())
    }

    /// A supplier's sales in live rooms over the last `days` days (China's days, today
    /// included; 1–90, default 30), and the rooms selling its SKUs now.
    pub async fn supplier_data(
        &self,
        actor: &Actor,
        days: Option<i64>,
    ) -> ServiceResult<SupplierData> {
        let supplier = actor.require_supplier()?;
        let days = days.unwrap_or(SUPPLIER_DAYS_DEFAULT);
        if !(1..=SUPPLIER_DAYS_MAX).contains(&days) {
            return Err(ServiceError::invalid(
                "invalid_days",
                format!("days must be 1 to {SUPPLIER_DAYS_MAX}"),
            ));
        }
        let now = now_ms();
        let since = china_midnight(now) - (days - 1) * DAY_MS;
        let pool = self.store.pool();
        let group =
            |grouping| store::supplier_sales(pool, supplier, since, grouping, SUPPLIER_ROWS_MAX);
        let skus = group(store::SupplierGrouping::Sku).await?;
        let sessions = group(store::SupplierGrouping::Session).await?;
        let anchors = group(store::SupplierGrouping::Anchor).await?;
        // Every sale is in exactly one anchor's group; there are rarely more anchors than
        // the ranking holds, and the totals say so when there are.
        let (orders, units, gmv_fen) = anchors.iter().fold((0, 0, 0), |(o, u, g), a| {
            (o + a.orders, u + a.units, g + a.gmv_fen)
        });
        let mut live = Vec::new();
        for id in store::supplier_live_sessions(pool, supplier, SUPPLIER_LIVE_MAX).await? {
            if let Some(row) = store_live::session_by_id(pool, id).await? {
                live.push(self.session_data_of(row, Some(supplier)).await?);
            }
        }
        Ok(SupplierData {
            since_ms: since,
            days,
            as_of_ms: now,
            orders,
            units,
            gmv_fen,
            skus: skus.into_iter().map(SalesGroup::from).collect(),
            sessions: sessions.into_iter().map(SalesGroup::from).collect(),
            anchors: anchors.into_iter().map(SalesGroup::from).collect(),
            live,
        })
    }

    /// Operators: the live rooms now (with the online total over all of them), the current
    /// hour's sales by the minute, and recently ended sessions.
    pub async fn platform_data(&self, actor: &Actor) -> ServiceResult<PlatformData> {
        actor.require_operator()?;
        let now = now_ms();
        let pool = self.store.pool();
        let hour = now.div_euclid(HOUR_MS) * HOUR_MS;
        let rows = store::platform_minutes(pool, hour).await?;
        let by_minute: HashMap<i64, SalesMinute> =
            rows.into_iter().map(|m| (m.minute_ms, m)).collect();
        let minutes: Vec<PlatformMinute> = (0..=(minute_start(now) - hour) / MINUTE_MS)
            .map(|n| {
                let minute_ms = hour + n * MINUTE_MS;
                let sold = by_minute.get(&minute_ms).copied().unwrap_or_default();
                PlatformMinute {
                    minute_ms,
                    orders: sold.orders,
                    units: sold.units,
                    gmv_fen: sold.gmv_fen,
                }
            })
            .collect();
        let (live_sessions, online_total) =
            store::platform_online(pool, minute_start(now) - ONLINE_FRESH_MS).await?;
        let live_rows = store_live::live_now(pool, PLATFORM_LIVE_MAX, 0).await?;
        let live = self.summaries(live_rows).await?;
        let ended_ids = store::recently_ended(pool, PLATFORM_ENDED_MAX).await?;
        let ended = self
            .summaries(self.rows_of(ended_ids.into_iter()).await?)
            .await?;
        Ok(PlatformData {
            as_of_ms: now,
            hour_starts_at_ms: hour,
            hour_orders: minutes.iter().map(|m| m.orders).sum(),
            hour_gmv_fen: minutes.iter().map(|m| m.gmv_fen).sum(),
            minutes,
            live_sessions,
            online_total,
            live,
            ended,
        })
    }
}

/// Midnight in China (UTC+8) of the day `now` falls in, Unix ms.
fn china_midnight(now: i64) -> i64 {
    const CHINA_OFFSET_MS: i64 = 8 * HOUR_MS;
    (now + CHINA_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - CHINA_OFFSET_MS
}

/// Per-SKU figures: the session's SKUs with their orders' sums, and each SKU's sales rows
/// gathered into the series' points (`width` minutes from the series' first point).
fn sku_figures(
    skus: Vec<store::SessionSkuRow>,
    orders: Vec<(SkuId, store::SkuOrders)>,
    minutes: Vec<(SkuId, SalesMinute)>,
    first: Option<&MinutePoint>,
    width: i64,
) -> Vec<SkuFigures> {
    let orders: HashMap<SkuId, store::SkuOrders> = orders.into_iter().collect();
    let mut series: HashMap<SkuId, Vec<SalesMinute>> = HashMap::new();
    let start = first.map_or(0, |p| p.minute_ms);
    let width_ms = width.max(1) * MINUTE_MS;
    for (sku, minute) in minutes {
        let point = start + (minute.minute_ms - start).div_euclid(width_ms) * width_ms;
        let points = series.entry(sku).or_default();
        match points.last_mut() {
            Some(last) if last.minute_ms == point => {
                last.orders += minute.orders;
                last.units += minute.units;
                last.gmv_fen += minute.gmv_fen;
                last.new_buyers += minute.new_buyers;
            }
            _ => points.push(SalesMinute {
                minute_ms: point,
                ..minute
            }),
        }
    }
    skus.into_iter()
        .map(|sku| {
            let sold = orders.get(&sku.sku_id).copied().unwrap_or_default();
            SkuFigures {
                sku_id: sku.sku_id,
                title: sku.title,
                orders: sold.orders,
                units: sold.units,
                gmv_fen: sold.gmv_fen,
                buyers: sold.buyers,
                average_order_fen: average_order_fen(sold.gmv_fen, sold.orders),
                refunded_orders: sold.refunded_orders,
                refunded_units: sold.refunded_units,
                refunded_fen: sold.refunded_fen,
                stock_left_at_end: sku.stock_left_at_end,
                series: series.remove(&sku.sku_id).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_days_start_at_midnight_in_beijing() {
        // 2026-11-23 12:00 UTC is 20:00 in Beijing; that day began at 16:00 UTC the day before.
        let now = 1_795_435_200_000;
        assert_eq!(china_midnight(now), now - 20 * HOUR_MS);
        assert_eq!(china_midnight(china_midnight(now)), china_midnight(now));
    }

    #[test]
    fn csv_text_is_quoted_and_never_a_formula() {
        assert_eq!(csv_text("格力 空调"), "格力 空调");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=1+1"), "'=1+1");
        assert_eq!(csv_text("-5,x"), "\"'-5,x\"");
    }

    #[test]
    fn every_report_row_has_the_header_s_fields() {
        let columns = REPORT_CSV_HEADER.split(',').count();
        let data = SessionData {
            session: LiveSessionView {
                id: LiveSessionId(7),
                anchor_id: daihuo_domain::UserId(1),
                anchor_name: "小王".into(),
                title: "a, \"title\"".into(),
                status: SessionStatus::Ended,
                starts_at_ms: 0,
                went_live_at_ms: Some(0),
                ended_at_ms: Some(MINUTE_MS),
                campaign_id: None,
                playback_url: None,
                planned_length_min: None,
                pinned_sku_id: None,
                counters: crate::live::SessionCounters {
                    peak_online: 1,
                    unique_viewers: 1,
                    likes: 0,
                    comments: 0,
                },
            },
            scope: DataScope::Session,
            supplier_id: None,
            as_of_ms: MINUTE_MS,
            point_minutes: 1,
            totals: SessionTotals::default(),
            refunds: RefundTotals::default(),
            series: vec![MinutePoint::default(); 2],
            skus: vec![SkuFigures {
                sku_id: SkuId(3),
                title: "x".into(),
                orders: 1,
                units: 1,
                gmv_fen: 100,
                buyers: 1,
                average_order_fen: Some(100),
                refunded_orders: 0,
                refunded_units: 0,
                refunded_fen: 0,
                stock_left_at_end: Some(4),
                series: Vec::new(),
            }],
            regions: vec![RegionFigures {
                province_code: 330_000,
                province: "浙江省".into(),
                buyers: 1,
                orders: 1,
                units: 1,
                gmv_fen: 100,
            }],
        };
        let csv = data.to_csv();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let mut sections = Vec::new();
        for record in reader.records() {
            let record = record.expect("a CSV record");
            assert_eq!(record.len(), columns, "{record:?}");
            sections.push(record[0].to_owned());
        }
        assert_eq!(sections, ["total", "sku", "region", "minute", "minute"]);
    }
}
