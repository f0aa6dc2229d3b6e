//! Reads for the anchor's console that no API use case had: a session's live dashboard
//! (sales so far as totals and a series, the room's counters and who is online now), the
//! mutes of a session with the viewers' names, and an anchor's earnings in brief.
//!
//! Each read enforces who may see it, as every service does: a session's dashboard and
//! mutes are for its own anchor (and operators), earnings for the anchor whose they are.

use crate::live::{LiveSessionView, MuteView};
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::{LiveSessionId, UserId};
use daihuo_store::anchor_pages as store;
use daihuo_store::live as store_live;
use daihuo_store::now_ms;
use serde::Serialize;
use std::collections::HashMap;

/// The most points a sales series has: a three-hour stream is drawn at one point per
/// minute, a day-long one at one per eight minutes.
pub const SALES_POINTS_MAX: i64 = 200;
/// The narrowest bucket of a sales series.
pub const SALES_BUCKET_MIN_MS: i64 = 60_000;

/// Orders paid in one stretch of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SalesPoint {
    /// The stretch's start, Unix ms.
    pub from_ms: i64,
    /// Orders paid in it.
    pub orders: i64,
    /// Their value before subsidy, fen.
    pub gmv_fen: i64,
}

/// A session as its anchor watches it: the stored counters, who is online now, and what
/// has sold.
#[derive(Debug, Clone, Serialize)]
pub struct LiveDashboard {
    /// The session with its stored counters (peak online, unique viewers, likes,
    /// comments; written by the room hub about once a second).
    pub session: LiveSessionView,
    /// The room's own counters now (online, and likes and comments before the hub has
    /// written them to the session, which it does about once a second); `None` when no
    /// room of the session is open on this node.
    pub room_now: Option<RoomNow>,
    /// Orders paid so far.
    pub paid_orders: i64,
    /// Units in them.
    pub units: i64,
    /// GMV so far: the paid orders' value at the room's prices before subsidy, fen.
    pub gmv_fen: i64,
    /// Orders reserved and not yet paid.
    pub awaiting_payment: i64,
    /// The width of each point of `series`, ms.
    pub bucket_ms: i64,
    /// Orders paid per stretch since the session went live, every stretch present (empty
    /// ones as zero); empty before it goes live.
    pub series: Vec<SalesPoint>,
}

/// A room's counters as its viewers see them now, over all nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RoomNow {
    /// Viewers connected now.
    pub online: u64,
    /// Likes since the session was created.
    pub likes: u64,
    /// Comments since the session was created.
    pub comments: u64,
}

impl LiveDashboard {
    /// Viewers online now (none when no room is open here).
    pub fn online(&self) -> u64 {
        self.room_now.map_or(0, |room| room.online)
    }

    /// The most viewers online at once: the stored peak, or more if more are online now.
    pub fn peak_online(&self) -> i64 {
        let online = i64::try_from(self.online()).unwrap_or(i64::MAX);
        self.session.counters.peak_online.max(online)
    }

    /// Likes so far: the room's count when it is open here, which is ahead of the stored one.
    pub fn likes(&self) -> i64 {
        let stored = self.session.counters.likes;
        self.room_now.map_or(stored, |room| {
            stored.max(i64::try_from(room.likes).unwrap_or(i64::MAX))
        })
    }

    /// Comments so far, as [`LiveDashboard::likes`].
    pub fn comments(&self) -> i64 {
        let stored = self.session.counters.comments;
        self.room_now.map_or(stored, |room| {
            stored.max(i64::try_from(room.comments).unwrap_or(i64::MAX))
        })
    }
}

/// A viewer muted in a session, with the name comments show.
#[derive(Debug, Clone, Serialize)]
pub struct MutedViewer {
    /// The mute.
    pub mute: MuteView,
    /// The viewer's display name ("" when the account is gone).
    pub display_name: String,
}

/// An anchor's commission in brief, fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EarningsSummary {
    /// Earned on orders not yet settled (inside the return window).
    pub pending_fen: i64,
    /// Settled and not yet paid out (negative: owed to the platform).
    pub payable_fen: i64,
    /// Paid out so far.
    pub paid_out_fen: i64,
}

/// The width of a series' buckets so that `span_ms` fits in [`SALES_POINTS_MAX`] points
/// (`span_ms / width + 1` of them): whole minutes, at least one.
pub fn bucket_width_ms(span_ms: i64) -> i64 {
    let covered = span_ms.max(0).saturating_add(1);
    let per_point = ceil_div(covered, SALES_POINTS_MAX);
    ceil_div(per_point, SALES_BUCKET_MIN_MS).max(1) * SALES_BUCKET_MIN_MS
}

/// `a ÷ b` rounded up, for `a ≥ 0` and `b > 0`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

impl Services {
    /// A session's live dashboard, for its anchor and operators.
    pub async fn live_dashboard(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<LiveDashboard> {
        let row = store_live::session_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        if row.anchor_id != actor.user_id && actor.role != Role::Operator {
            return Err(ServiceError::Forbidden);
        }
        let session = LiveSessionView::from(row);
        let totals = store::session_sales(self.store.pool(), id).await?;
        let (bucket_ms, series) = match session.went_live_at_ms {
            None => (SALES_BUCKET_MIN_MS, Vec::new()),
            Some(since) => {
                let until = session.ended_at_ms.unwrap_or_else(now_ms).max(since);
                let width = bucket_width_ms(until - since);
                let count = (until - since) / width + 1;
                let rows =
                    store::session_sales_by_bucket(self.store.pool(), id, since, width, count)
                        .await?;
                let mut series: Vec<SalesPoint> = (0..count)
                    .map(|n| SalesPoint {
                        from_ms: since + n * width,
                        orders: 0,
                        gmv_fen: 0,
                    })
                    .collect();
                for bucket in rows {
                    let slot = usize::try_from(bucket.bucket)
                        .ok()
                        .and_then(|n| series.get_mut(n));
                    if let Some(point) = slot {
                        point.orders = bucket.orders;
                        point.gmv_fen = bucket.gmv_fen;
                    }
                }
                (width, series)
            }
        };
        Ok(LiveDashboard {
            room_now: self.rooms.counters(id).map(|c| RoomNow {
                online: c.online,
                likes: c.likes,
                comments: c.comments,
            }),
            session,
            paid_orders: totals.paid_orders,
            units: totals.units,
            gmv_fen: totals.gmv_fen,
            awaiting_payment: totals.awaiting_payment,
            bucket_ms,
            series,
        })
    }

    /// The mutes in force in a session with the muted viewers' names, for its anchor and
    /// operators.
    pub async fn muted_viewers(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<Vec<MutedViewer>> {
        let mutes = self.session_mutes(actor, id).await?;
        let ids: Vec<UserId> = mutes.iter().map(|m| m.user_id).collect();
        let names: HashMap<UserId, String> = store::display_names(self.store.pool(), &ids)
            .await?
            .into_iter()
            .collect();
        Ok(mutes
            .into_iter()
            .map(|mute| MutedViewer {
                display_name: names.get(&mute.user_id).cloned().unwrap_or_default(),
                mute,
            })
            .collect())
    }

    /// The anchor's own commission now: pending, payable and paid out.
    pub async fn anchor_earnings(&self, actor: &Actor) -> ServiceResult<EarningsSummary> {
        let anchor = actor.require_anchor()?;
        let now = now_ms();
        // An empty period ending now: its opening balances are the balances now.
        let statement = self.statement(actor, None, Some(now), Some(now)).await?;
        let paid_out_fen = store::anchor_paid_out_fen(self.store.pool(), anchor).await?;
        Ok(EarningsSummary {
            pending_fen: statement.opening.pending_fen,
            payable_fen: statement.opening.payable_fen,
            paid_out_fen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_never_has_more_points_than_the_limit() {
        assert_eq!(bucket_width_ms(0), SALES_BUCKET_MIN_MS);
        // A three-hour stream: one point a minute.
        assert_eq!(bucket_width_ms(3 * 3_600_000), SALES_BUCKET_MIN_MS);
        assert_eq!(bucket_width_ms(24 * 3_600_000), 8 * SALES_BUCKET_MIN_MS);
        for span in [
            3 * 3_600_000 + 1,
            24 * 3_600_000,
            7 * 24 * 3_600_000 + 12_345,
        ] {
            let width = bucket_width_ms(span);
            assert_eq!(width % SALES_BUCKET_MIN_MS, 0);
            assert!(span / width < SALES_POINTS_MAX, "{span} in {width}");
        }
    }
}
