//! What a live room sees of selling: each flash sale's stage (announced, counting down,
//! started, stock left, sold out, ended) and the orders ticker ("someone in 杭州 bought …").
//!
//! Both are thinned at the source, before they reach the room hub: a sale selling thousands
//! of units a second tells its room the stock left at most every [`STOCK_EVERY_MS`], and a
//! room's ticker shows at most one order every [`TICKER_EVERY_MS`]. The hub then treats the
//! sale as last-value state and the ticker as a low-priority lane, as it does comments.
//!
//! Stages that come from the clock (counting down, started, ended) are announced by every
//! node's sweeper, and a compare-and-set on the sale's `announced_stage` lets exactly one
//! node publish each, even across restarts. Stock left and sold out come from whichever node
//! sold or released the units.

use crate::checkout::FlashSaleView;
use crate::Services;
use daihuo_domain::flash::FlashPhase;
use daihuo_domain::{FlashSaleId, LiveSessionId};
use daihuo_room::RoomEvent;
use daihuo_store::checkout::{self as store, FlashSaleRow};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most often a room is told one sale's stock left: four times a second is smoother than a
/// person reads a number, and a room of 100k viewers must not get one frame per order.
pub const STOCK_EVERY_MS: i64 = 250;

/// Most often a room's orders ticker moves: five lines a second is as fast as one can read.
pub const TICKER_EVERY_MS: i64 = 200;

/// How long before opening a sale's room is told that the countdown is on (the last ten
/// seconds, when viewers get ready to tap).
pub const COUNTDOWN_MS: i64 = 10_000;

/// Most sales one sweep announces a clock stage for; the rest wait for the next sweep.
const STAGES_PER_SWEEP: i64 = 100;

/// Where a flash sale is, as its room shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleStage {
    /// Created; opening later than the countdown.
    Announced,
    /// Opening within [`COUNTDOWN_MS`].
    CountingDown,
    /// Open, with units left.
    Started,
    /// Open, and units were taken or came back: `remaining` is new.
    StockLeft,
    /// Open, with no unit left (units may still come back from unpaid reservations).
    SoldOut,
    /// Closed.
    Ended,
}

impl SaleStage {
    /// The stage a sale is in at `now`, by its clock and its units.
    pub fn of(view: &FlashSaleView, now: i64) -> SaleStage {
        match view.phase {
            FlashPhase::Ended => SaleStage::Ended,
            FlashPhase::Running if view.remaining <= 0 => SaleStage::SoldOut,
            FlashPhase::Running => SaleStage::Started,
            FlashPhase::Upcoming if view.starts_at_ms - now <= COUNTDOWN_MS => {
                SaleStage::CountingDown
            }
            FlashPhase::Upcoming => SaleStage::Announced,
        }
    }

    /// The stage announced by the clock at `now` (never stock left or sold out).
    fn by_clock(row: &FlashSaleRow, now: i64) -> SaleStage {
        if now >= row.ends_at_ms {
            SaleStage::Ended
        } else if now >= row.starts_at_ms {
            SaleStage::Started
        } else if row.starts_at_ms - now <= COUNTDOWN_MS {
            SaleStage::CountingDown
        } else {
            SaleStage::Announced
        }
    }

    /// The name stored in `flash_sales.announced_stage` and sent to rooms.
    pub fn as_str(self) -> &'static str {
        match self {
            SaleStage::Announced => "announced",
            SaleStage::CountingDown => "counting_down",
            SaleStage::Started => "started",
            SaleStage::StockLeft => "stock_left",
            SaleStage::SoldOut => "sold_out",
            SaleStage::Ended => "ended",
        }
    }

    fn from_stored(raw: &str) -> SaleStage {
        match raw {
            "counting_down" => SaleStage::CountingDown,
            "started" => SaleStage::Started,
            "ended" => SaleStage::Ended,
            _ => SaleStage::Announced,
        }
    }
}

/// A flash sale as its room shows it: the sale and the stage it is in.
#[derive(Debug, Serialize)]
struct RoomSale<'a> {
    stage: SaleStage,
    #[serde(flatten)]
    sale: &'a FlashSaleView,
}

/// The room value of a sale at a stage.
fn room_value(view: &FlashSaleView, stage: SaleStage) -> serde_json::Value {
    serde_json::to_value(RoomSale { stage, sale: view }).unwrap_or_default()
}

/// What one sale last told its room of its stock, on this node.
#[derive(Debug, Default)]
struct StockSent {
    /// When stock left was last published.
    at_ms: i64,
    /// The units left then (`None` before the first).
    remaining: Option<i64>,
    /// A newer view held back by [`STOCK_EVERY_MS`], published by the next sweep.
    pending: Option<FlashSaleView>,
}

/// This node's throttles of what selling tells rooms.
#[derive(Debug, Default)]
pub struct RoomGate {
    /// Per sale: the stock last told and any newer value held back.
    stock: Mutex<HashMap<FlashSaleId, StockSent>>,
    /// Per room: when its ticker last moved.
    ticker: Mutex<HashMap<LiveSessionId, i64>>,
}

impl RoomGate {
    /// Whether `view` should go to the room now: sold out (or back from it) at once, other
    /// stock changes at most every [`STOCK_EVERY_MS`]; a held-back view waits in `pending`.
    fn offer_stock(&self, view: FlashSaleView, now: i64) -> Option<FlashSaleView> {
        let mut stock = lock(&self.stock);
        let sent = stock.entry(view.id).or_default();
        if sent.remaining == Some(view.remaining) {
            sent.pending = None;
            return None;
        }
        let crosses_zero = (view.remaining <= 0) != sent.remaining.is_some_and(|r| r <= 0);
        if crosses_zero || now - sent.at_ms >= STOCK_EVERY_MS {
            sent.at_ms = now;
            sent.remaining = Some(view.remaining);
            sent.pending = None;
            Some(view)
        } else {
            sent.pending = Some(view);
            None
        }
    }

    /// The held-back views whose wait is over, marked as sent.
    fn due_stock(&self, now: i64) -> Vec<FlashSaleView> {
        let mut stock = lock(&self.stock);
        let mut due = Vec::new();
        for sent in stock.values_mut() {
            if now - sent.at_ms < STOCK_EVERY_MS {
                continue;
            }
            if let Some(view) = sent.pending.take() {
                sent.at_ms = now;
                sent.remaining = Some(view.remaining);
                due.push(view);
            }
        }
        due
    }

    /// Whether the room's ticker may move now (and if so, notes that it did).
    fn ticker_due(&self, session_id: LiveSessionId, now: i64) -> bool {
        let mut ticker = lock(&self.ticker);
        let last = ticker.entry(session_id).or_insert(i64::MIN / 2);
        if now - *last >= TICKER_EVERY_MS {
            *last = now;
            true
        } else {
            false
        }
    }

    /// Forgets a sale that has ended.
    fn forget(&self, sale: FlashSaleId) {
        lock(&self.stock).remove(&sale);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A buyer's city for the ticker, never more precise: 杭州市 for a county of Hangzhou, the
/// municipality for a district of Beijing.
fn ticker_city(county_code: u32) -> String {
    let divisions = daihuo_refdata::divisions::divisions();
    let city = divisions.city_of(county_code);
    match city {
        Some(city) if city.is_grouping_city() => divisions
            .province_of(county_code)
            .map(|p| p.name.to_owned())
            .unwrap_or_default(),
        Some(city) => city.name.to_owned(),
        None => String::new(),
    }
}

impl Services {
    /// Tells a sale's room of it at `stage` (last value wins). Logged, not returned: the sale
    /// is stored either way, and a room opened later reads it.
    pub(crate) async fn announce_sale(&self, view: &FlashSaleView, stage: SaleStage) {
        let event = RoomEvent::FlashSale {
            sale: room_value(view, stage),
        };
        if let Err(error) = self.rooms.publish(view.session_id, event).await {
            tracing::warn!(session = %view.session_id, %error, "room not told of a flash sale");
        }
    }

    /// A sale's units changed (sold, held or given back): its room hears of it, thinned.
    pub(crate) async fn sale_stock_changed(&self, row: &FlashSaleRow, now: i64) {
        let view = FlashSaleView::of(row, now);
        if view.phase != FlashPhase::Running {
            return;
        }
        if let Some(view) = self.flash.room.offer_stock(view, now) {
            let stage = if view.remaining <= 0 {
                SaleStage::SoldOut
            } else {
                SaleStage::StockLeft
            };
            self.announce_sale(&view, stage).await;
        }
    }

    /// Someone bought in a room: its ticker shows the buyer's city and the product, at most
    /// every [`TICKER_EVERY_MS`].
    pub(crate) async fn tick_order(
        &self,
        session_id: LiveSessionId,
        county_code: u32,
        title: &str,
    ) {
        if !self
            .flash
            .room
            .ticker_due(session_id, daihuo_store::now_ms())
        {
            return;
        }
        let event = RoomEvent::Order {
            city: ticker_city(county_code),
            title: title.to_owned(),
        };
        if let Err(error) = self.rooms.publish(session_id, event).await {
            tracing::warn!(session = %session_id, %error, "orders ticker not moved");
        }
    }

    /// The sweeper's part: publishes stock views that were held back, and the stages the
    /// clock has reached (each claimed by one node only).
    pub(crate) async fn announce_sale_stages(&self, now: i64) -> crate::ServiceResult<()> {
        for view in self.flash.room.due_stock(now) {
            let stage = if view.remaining <= 0 {
                SaleStage::SoldOut
            } else {
                SaleStage::StockLeft
            };
            self.announce_sale(&view, stage).await;
        }
        let due =
            store::sales_due_stage(self.store.pool(), now + COUNTDOWN_MS, STAGES_PER_SWEEP).await?;
        for (row, stored) in due {
            let from = SaleStage::from_stored(&stored);
            let to = SaleStage::by_clock(&row, now);
            if to <= from {
                continue;
            }
            if !store::claim_stage(self.store.pool(), row.id, from.as_str(), to.as_str()).await? {
                continue;
            }
            let view = FlashSaleView::of(&row, now);
            // A sale that opens already sold out (never: units are set aside) or whose units
            // went while this sweep read it is shown by its units, not only its clock.
            let stage = if to == SaleStage::Started {
                SaleStage::of(&view, now)
            } else {
                to
            };
            self.announce_sale(&view, stage).await;
            if to == SaleStage::Ended {
                self.flash.room.forget(row.id);
            }
        }
        Ok(())
    }
}

/// The sale a room opens with: the one open now (the newest if several), else the next to
/// open, else the last to close; `null` for a session without sales.
pub(crate) async fn room_sale(
    db: &daihuo_store::Store,
    session_id: LiveSessionId,
    now: i64,
) -> daihuo_store::StoreResult<serde_json::Value> {
    let rows = store::flash_sales_of_session(db.pool(), session_id).await?;
    let views: Vec<FlashSaleView> = rows.iter().map(|r| FlashSaleView::of(r, now)).collect();
    let open = views.iter().rev().find(|v| v.phase == FlashPhase::Running);
    let next = views
        .iter()
        .filter(|v| v.phase == FlashPhase::Upcoming)
        .min_by_key(|v| (v.starts_at_ms, v.id.0));
    let last = views.iter().max_by_key(|v| (v.ends_at_ms, v.id.0));
    Ok(match open.or(next).or(last) {
        Some(view) => room_value(view, SaleStage::of(view, now)),
        None => serde_json::Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use daihuo_domain::{Fen, SkuId};

    fn view(remaining: i64) -> FlashSaleView {
        FlashSaleView {
            id: FlashSaleId(1),
            session_id: LiveSessionId(1),
            sku_id: SkuId(1),
            price_fen: Fen(100),
            subsidy_fen: Fen(0),
            buyer_price_fen: Fen(100),
            quantity: 10,
            remaining,
            sold: 0,
            per_user_limit: 1,
            starts_at_ms: 0,
            ends_at_ms: 1_000_000,
            pay_window_ms: 1_000,
            phase: FlashPhase::Running,
            as_of_ms: 0,
        }
    }

    #[test]
    fn stock_is_thinned_but_the_last_value_and_sold_out_always_go_out() {
        let gate = RoomGate::default();
        assert_eq!(
            gate.offer_stock(view(9), 1_000).map(|v| v.remaining),
            Some(9)
        );
        // Within the wait: held back, and only the newest is kept.
        assert!(gate.offer_stock(view(8), 1_010).is_none());
        assert!(gate.offer_stock(view(7), 1_020).is_none());
        assert!(gate.due_stock(1_100).is_empty());
        let due: Vec<i64> = gate
            .due_stock(1_000 + STOCK_EVERY_MS)
            .iter()
            .map(|v| v.remaining)
            .collect();
        assert_eq!(due, vec![7]);
        // Sold out goes at once, however soon after.
        assert_eq!(
            gate.offer_stock(view(0), 1_260).map(|v| v.remaining),
            Some(0)
        );
        // So does coming back from it.
        assert_eq!(
            gate.offer_stock(view(1), 1_270).map(|v| v.remaining),
            Some(1)
        );
        // The same value twice is not news.
        assert!(gate.offer_stock(view(1), 2_000).is_none());
        assert!(gate.due_stock(3_000).is_empty());
    }

    #[test]
    fn the_ticker_moves_at_most_every_interval_per_room() {
        let gate = RoomGate::default();
        assert!(gate.ticker_due(LiveSessionId(1), 0));
        assert!(!gate.ticker_due(LiveSessionId(1), TICKER_EVERY_MS - 1));
        assert!(gate.ticker_due(LiveSessionId(2), 1));
        assert!(gate.ticker_due(LiveSessionId(1), TICKER_EVERY_MS));
    }

    #[test]
    fn stages_follow_the_clock_and_the_units() {
        let mut v = view(5);
        v.phase = FlashPhase::Upcoming;
        v.starts_at_ms = 100_000;
        assert_eq!(SaleStage::of(&v, 0), SaleStage::Announced);
        assert_eq!(
            SaleStage::of(&v, 100_000 - COUNTDOWN_MS),
            SaleStage::CountingDown
        );
        v.phase = FlashPhase::Running;
        assert_eq!(SaleStage::of(&v, 100_000), SaleStage::Started);
        v.remaining = 0;
        assert_eq!(SaleStage::of(&v, 100_000), SaleStage::SoldOut);
        v.phase = FlashPhase::Ended;
        assert_eq!(SaleStage::of(&v, 2_000_000), SaleStage::Ended);
    }

    #[test]
    fn the_ticker_names_a_city_never_a_district() {
        assert_eq!(ticker_city(330106), "杭州市");
        assert_eq!(ticker_city(110101), "北京市");
    }
}
