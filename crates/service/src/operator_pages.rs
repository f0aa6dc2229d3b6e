//! Reads for the operator's console that the other services do not make: the platform
//! dashboard, the supplier list, campaigns with their subsidy budgets, the orders behind
//! disputes, and what the platform owes each party. Operators only, as every method checks.
//!
//! Every figure is one the database holds; nothing is estimated. GMV is the value of orders
//! paid, before subsidy and before refunds (the usual definition: a refunded order still
//! counts where it was sold), by the time daihuo recorded the payment.

use crate::live::{ListPage, LiveSessionView};
use crate::settlement::{PartyKind, PartyRef};
use crate::{Actor, ServiceResult, Services};
use daihuo_domain::order::OrderStatus;
use daihuo_domain::OrderId;
use daihuo_store::now_ms;
use daihuo_store::operator_pages as store;
use std::collections::HashMap;

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;
/// One day in milliseconds.
const DAY_MS: i64 = 24 * HOUR_MS;
/// The dashboard's chart covers this many hours, the current one last.
pub const DASHBOARD_HOURS: i64 = 24;
/// The days are China's (UTC+8): "today" starts at midnight in Beijing.
const CHINA_OFFSET_MS: i64 = 8 * HOUR_MS;
/// Anchors and suppliers in each ranking: a dashboard shows the head, not the list.
pub const TOP_MAX: i64 = 10;
/// Live rooms the dashboard names one by one; the count covers them all.
pub const LIVE_ROOMS_SHOWN: i64 = 20;
/// Campaigns the dashboard shows: those running, coming, or over for less than a week.
pub const DASHBOARD_CAMPAIGNS_MAX: i64 = 20;
/// How long after its end a campaign stays on the dashboard.
const CAMPAIGN_RECENT_MS: i64 = 7 * DAY_MS;
/// The most suppliers or campaigns one page lists.
pub const CONSOLE_PAGE_MAX: i64 = 100;
/// The most orders one call describes for the disputes page.
pub const DISPUTED_ORDERS_MAX: usize = 100;
/// The most parties one balances list shows, largest payable first.
pub const PARTY_BALANCES_MAX: usize = 200;

/// The paid orders of one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourFigures {
    /// The hour's start, Unix ms.
    pub starts_at_ms: i64,
    /// Orders paid in it.
    pub orders: i64,
    /// Their GMV, fen.
    pub gmv_fen: i64,
}

/// An anchor or a supplier with what it sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// The anchor's user id or the supplier's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Orders paid.
    pub orders: i64,
    /// Their GMV, fen.
    pub gmv_fen: i64,
}

impl From<store::RankRow> for Ranked {
    fn from(row: store::RankRow) -> Self {
        Ranked {
            id: row.id,
            name: row.name,
            orders: row.orders,
            gmv_fen: row.gmv_fen,
        }
    }
}

/// Orders in one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCount {
    /// The status.
    pub status: OrderStatus,
    /// Orders in it, of all time.
    pub orders: i64,
}

/// A live room as the dashboard shows it.
#[derive(Debug, Clone)]
pub struct LiveRoom {
    /// The session.
    pub session: LiveSessionView,
    /// Viewers connected now, as the room's counters show them; `None` when the room is not
    /// open on this node (nobody has joined it through this node).
    pub online: Option<u64>,
}

/// A campaign with its subsidy budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignBudget {
    /// Key.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Start, Unix ms.
    pub starts_at_ms: i64,
    /// End, Unix ms.
    pub ends_at_ms: i64,
    /// The budget, fen.
    pub budget_fen: i64,
    /// Held by unpaid reservations, fen.
    pub held_fen: i64,
    /// Spent on paid orders, fen.
    pub spent_fen: i64,
    /// Its shipping window, when it set one.
    pub ship_window_ms: Option<i64>,
}

impl From<store::CampaignBudgetRow> for CampaignBudget {
    fn from(row: store::CampaignBudgetRow) -> Self {
        CampaignBudget {
            id: row.id,
            name: row.name,
            starts_at_ms: row.starts_at_ms,
            ends_at_ms: row.ends_at_ms,
            budget_fen: row.budget_fen,
            held_fen: row.held_fen,
            spent_fen: row.spent_fen,
            ship_window_ms: row.ship_window_ms,
        }
    }
}

/// What the platform owes the parties, in total, from the parties' side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettlementTotals {
    /// Suppliers' shares of orders not settled yet, fen.
    pub supplier_pending_fen: i64,
    /// Suppliers' settled shares not paid out yet, fen.
    pub supplier_payable_fen: i64,
    /// Anchors' commission on orders not settled yet, fen.
    pub commission_pending_fen: i64,
    /// Anchors' settled commission not paid out yet, fen.
    pub commission_payable_fen: i64,
    /// Parties whose payable balance is negative: they owe the platform.
    pub parties_owing: i64,
    /// Paid out to parties so far, fen.
    pub paid_out_fen: i64,
    /// The platform's fees, net of reversals, fen.
    pub platform_fee_fen: i64,
    /// Subsidies the platform paid, net of reversals, fen.
    pub subsidy_fen: i64,
}

/// The platform dashboard.
#[derive(Debug, Clone)]
pub struct PlatformDashboard {
    /// When it was read, Unix ms.
    pub as_of_ms: i64,
    /// Today's start (midnight in China), Unix ms.
    pub today_starts_at_ms: i64,
    /// The last [`DASHBOARD_HOURS`] hours, oldest first, the current hour last; hours without
    /// orders are there with zeros.
    pub hours: Vec<HourFigures>,
    /// GMV of orders paid today, fen.
    pub gmv_today_fen: i64,
    /// Orders paid today.
    pub orders_paid_today: i64,
    /// Orders placed today (reserved, paid or since cancelled).
    pub orders_placed_today: i64,
    /// Of the orders placed today, those that were paid.
    pub placed_today_paid: i64,
    /// Every order by status, of all time; statuses without orders are left out.
    pub orders_by_status: Vec<StatusCount>,
    /// Sessions live now.
    pub live_sessions: i64,
    /// The most recently started of them, at most [`LIVE_ROOMS_SHOWN`].
    pub live_rooms: Vec<LiveRoom>,
    /// Viewers connected now to the rooms of `live_rooms` open on this node.
    pub viewers_online: u64,
    /// Rooms of `live_rooms` not open on this node, whose viewers are not in the count.
    pub rooms_not_open_here: i64,
    /// Anchors by GMV over the chart's hours, best first.
    pub top_anchors: Vec<Ranked>,
    /// Suppliers by GMV over the chart's hours, best first.
    pub top_suppliers: Vec<Ranked>,
    /// Campaigns running, coming or recently over, with their budgets.
    pub campaigns: Vec<CampaignBudget>,
    /// After-sales requests waiting for arbitration.
    pub open_disputes: i64,
    /// Supplier events given up on.
    pub dead_letters: i64,
    /// SKUs waiting for review.
    pub pending_review: i64,
    /// What the platform owes the parties.
    pub settlement: SettlementTotals,
}

/// A supplier organisation in the operator's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSummary {
    /// Key.
    pub id: i64,
    /// Name.
    pub name: String,
    /// When it was created.
    pub created_at_ms: i64,
    /// Its own shipping window, when it set one.
    pub ship_window_ms: Option<i64>,
    /// Staff accounts.
    pub staff: i64,
    /// The username of its first staff account.
    pub first_staff: Option<String>,
    /// Warehouses.
    pub warehouses: i64,
    /// SKUs in any status.
    pub skus: i64,
    /// Where its events are sent, when it set a webhook.
    pub webhook_url: Option<String>,
}

/// The order behind an after-sales request, with its people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputedOrder {
    /// The order.
    pub order_id: OrderId,
    /// Its public number.
    pub order_no: String,
    /// The SKU.
    pub sku_id: i64,
    /// The SKU's title.
    pub sku_title: String,
    /// Units.
    pub quantity: i64,
    /// What the buyer paid, fen.
    pub buyer_pays_fen: i64,
    /// The order's status.
    pub status: Option<OrderStatus>,
    /// The buyer's display name.
    pub buyer_name: String,
    /// The anchor's display name.
    pub anchor_name: String,
    /// The supplier's name.
    pub supplier_name: String,
}

/// One party's balances, from the party's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyBalance {
    /// The party.
    pub party: PartyRef,
    /// Its name.
    pub name: String,
    /// Earned on orders not settled yet, fen.
    pub pending_fen: i64,
    /// Settled and not paid out, fen; negative when the party owes the platform.
    pub payable_fen: i64,
}

/// The start of the hour `ms` falls in.
fn hour_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}

/// Midnight in China of the day `ms` falls in.
fn china_day_start(ms: i64) -> i64 {
    let local = ms + CHINA_OFFSET_MS;
    local - local.rem_euclid(DAY_MS) - CHINA_OFFSET_MS
}

/// The chart's hours from `first_hour_ms`, with the rows the store found filled in.
fn hours_of(first_hour_ms: i64, rows: &[store::HourRow]) -> Vec<HourFigures> {
    (0..DASHBOARD_HOURS)
        .map(|hour| {
            let found = rows.iter().find(|r| r.hour == hour);
            HourFigures {
                starts_at_ms: first_hour_ms + hour * HOUR_MS,
                orders: found.map_or(0, |r| r.orders),
                gmv_fen: found.map_or(0, |r| r.gmv_fen),
            }
        })
        .collect()
}

/// Party accounts (debits minus credits) into balances from the parties' side.
fn balances_of(rows: &[store::PartyAccountRow]) -> Vec<(PartyRef, i64, i64)> {
    let mut by_party: HashMap<(PartyKind, i64), (i64, i64)> = HashMap::new();
    for row in rows {
        let (kind, payable) = match row.account.as_str() {
            "supplier_pending" => (PartyKind::Supplier, false),
            "supplier_payable" => (PartyKind::Supplier, true),
            "commission_pending" => (PartyKind::Anchor, false),
            "commission_payable" => (PartyKind::Anchor, true),
            _ => continue,
        };
        let entry = by_party.entry((kind, row.party_id)).or_default();
        if payable {
            entry.1 -= row.balance_fen;
        } else {
            entry.0 -= row.balance_fen;
        }
    }
    let mut balances: Vec<(PartyRef, i64, i64)> = by_party
        .into_iter()
        .map(|((kind, id), (pending, payable))| (PartyRef { kind, id }, pending, payable))
        .collect();
    // Largest payable first; ties in a fixed order so the page does not reshuffle.
    balances.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then(a.0.kind.cmp(&b.0.kind))
            .then(a.0.id.cmp(&b.0.id))
    });
    balances
}

impl Services {
    /// Operator: the platform dashboard.
    pub async fn platform_dashboard(&self, actor: &Actor) -> ServiceResult<PlatformDashboard> {
        actor.require_operator()?;
        let pool = self.store.pool();
        let now = now_ms();
        let first_hour = hour_start(now) - (DASHBOARD_HOURS - 1) * HOUR_MS;
        let today = china_day_start(now);
        let hour_rows = store::paid_by_hour(pool, first_hour, now + 1).await?;
        let hours = hours_of(first_hour, &hour_rows);
        // Midnight is on an hour boundary inside the chart's day, so today is a tail of it.
        let today_hours = hours.iter().filter(|h| h.starts_at_ms >= today);
        let (orders_paid_today, gmv_today_fen) = today_hours.fold((0, 0), |(orders, gmv), h| {
            (orders + h.orders, gmv + h.gmv_fen)
        });
        let status_rows = store::orders_by_status(pool, today).await?;
        let orders_placed_today = status_rows.iter().map(|r| r.placed_since).sum();
        let placed_today_paid = status_rows.iter().map(|r| r.paid_since).sum();
        let orders_by_status = status_rows
            .iter()
            .filter_map(|r| {
                OrderStatus::from_db(&r.status).map(|status| StatusCount {
                    status,
                    orders: r.orders,
                })
            })
            .collect();
        let counts = store::platform_counts(pool).await?;
        let live = self
            .live_now(ListPage {
                limit: Some(LIVE_ROOMS_SHOWN),
                offset: None,
            })
            .await?;
        let live_rooms: Vec<LiveRoom> = live
            .items
            .into_iter()
            .map(|session| LiveRoom {
                online: self.rooms.counters(session.id).map(|c| c.online),
                session,
            })
            .collect();
        let viewers_online = live_rooms.iter().filter_map(|r| r.online).sum();
        let rooms_not_open_here = live_rooms.iter().filter(|r| r.online.is_none()).count();
        let top_anchors = store::top_anchors(pool, first_hour, TOP_MAX).await?;
        let top_suppliers = store::top_suppliers(pool, first_hour, TOP_MAX).await?;
        let campaigns = store::current_campaign_budgets(
            pool,
            now - CAMPAIGN_RECENT_MS,
            DASHBOARD_CAMPAIGNS_MAX,
        )
        .await?;
        Ok(PlatformDashboard {
            as_of_ms: now,
            today_starts_at_ms: today,
            hours,
            gmv_today_fen,
            orders_paid_today,
            orders_placed_today,
            placed_today_paid,
            orders_by_status,
            live_sessions: counts.live_sessions,
            live_rooms,
            viewers_online,
            rooms_not_open_here: i64::try_from(rooms_not_open_here).unwrap_or(i64::MAX),
            top_anchors: top_anchors.into_iter().map(Ranked::from).collect(),
            top_suppliers: top_suppliers.into_iter().map(Ranked::from).collect(),
            campaigns: campaigns.into_iter().map(CampaignBudget::from).collect(),
            open_disputes: counts.open_disputes,
            dead_letters: counts.dead_letters,
            pending_review: counts.pending_review,
            settlement: self.settlement_totals().await?,
        })
    }

    /// The platform's totals owed and paid; callers have checked the actor.
    async fn settlement_totals(&self) -> ServiceResult<SettlementTotals> {
        let pool = self.store.pool();
        let accounts = store::party_accounts(pool).await?;
        let mut totals = SettlementTotals::default();
        for row in &accounts {
            // Stored as debits minus credits; what the platform owes is the opposite.
            let owed = -row.balance_fen;
            match row.account.as_str() {
                "supplier_pending" => totals.supplier_pending_fen += owed,
                "supplier_payable" => totals.supplier_payable_fen += owed,
                "commission_pending" => totals.commission_pending_fen += owed,
                "commission_payable" => totals.commission_payable_fen += owed,
                _ => {}
            }
        }
        let owing = balances_of(&accounts)
            .iter()
            .filter(|(_, _, payable)| *payable < 0)
            .count();
        totals.parties_owing = i64::try_from(owing).unwrap_or(i64::MAX);
        totals.paid_out_fen = -store::platform_account(pool, "payouts").await?;
        totals.platform_fee_fen = -store::platform_account(pool, "platform_fee").await?;
        totals.subsidy_fen = store::platform_account(pool, "platform_subsidy").await?;
        Ok(totals)
    }

    /// Operator: supplier organisations with an id below `before` (all when absent), newest
    /// first.
    pub async fn supplier_list(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<Vec<SupplierSummary>> {
        actor.require_operator()?;
        let rows = store::supplier_summaries(
            self.store.pool(),
            before.unwrap_or(i64::MAX),
            limit.clamp(1, CONSOLE_PAGE_MAX),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| SupplierSummary {
                id: row.id,
                name: row.name,
                created_at_ms: row.created_at_ms,
                ship_window_ms: row.ship_window_ms,
                staff: row.staff,
                first_staff: row.first_staff,
                warehouses: row.warehouses,
                skus: row.skus,
                webhook_url: row.webhook_url,
            })
            .collect())
    }

    /// Operator: campaigns with an id below `before` (all when absent), newest first, with
    /// their subsidy budgets.
    pub async fn campaign_budgets(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<Vec<CampaignBudget>> {
        actor.require_operator()?;
        let rows = store::campaign_budgets(
            self.store.pool(),
            before.unwrap_or(i64::MAX),
            limit.clamp(1, CONSOLE_PAGE_MAX),
        )
        .await?;
        Ok(rows.into_iter().map(CampaignBudget::from).collect())
    }

    /// Operator: the orders of after-sales requests, with buyer, anchor and supplier names.
    /// At most [`DISPUTED_ORDERS_MAX`] orders are described; unknown ids are left out.
    pub async fn disputed_orders(
        &self,
        actor: &Actor,
        orders: &[OrderId],
    ) -> ServiceResult<Vec<DisputedOrder>> {
        actor.require_operator()?;
        let ids: Vec<i64> = orders
            .iter()
            .take(DISPUTED_ORDERS_MAX)
            .map(|o| o.0)
            .collect();
        let rows = store::disputed_orders(self.store.pool(), &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| DisputedOrder {
                order_id: OrderId(row.order_id),
                order_no: row.order_no,
                sku_id: row.sku_id,
                sku_title: row.sku_title,
                quantity: row.quantity,
                buyer_pays_fen: row.buyer_pays_fen,
                status: OrderStatus::from_db(&row.status),
                buyer_name: row.buyer_name,
                anchor_name: row.anchor_name,
                supplier_name: row.supplier_name,
            })
            .collect())
    }

    /// Operator: every party with a balance, largest payable first (at most
    /// [`PARTY_BALANCES_MAX`]), named.
    pub async fn party_balances(&self, actor: &Actor) -> ServiceResult<Vec<PartyBalance>> {
        actor.require_operator()?;
        let accounts = store::party_accounts(self.store.pool()).await?;
        let mut balances = balances_of(&accounts);
        balances.truncate(PARTY_BALANCES_MAX);
        let parties: Vec<PartyRef> = balances.iter().map(|(party, _, _)| *party).collect();
        let names = self.party_names(actor, &parties).await?;
        Ok(balances
            .into_iter()
            .map(|(party, pending_fen, payable_fen)| PartyBalance {
                name: name_of(&names, party),
                party,
                pending_fen,
                payable_fen,
            })
            .collect())
    }

    /// Operator: the names of parties (suppliers' names, anchors' display names); unknown
    /// parties are left out.
    pub async fn party_names(
        &self,
        actor: &Actor,
        parties: &[PartyRef],
    ) -> ServiceResult<Vec<(PartyRef, String)>> {
        actor.require_operator()?;
        let ids_of = |kind: PartyKind| -> Vec<i64> {
            let mut ids: Vec<i64> = parties
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let pool = self.store.pool();
        let suppliers = store::supplier_names(pool, &ids_of(PartyKind::Supplier)).await?;
        let anchors = store::user_names(pool, &ids_of(PartyKind::Anchor)).await?;
        let named =
            |kind: PartyKind| move |(id, name): (i64, String)| (PartyRef { kind, id }, name);
        Ok(suppliers
            .into_iter()
            .map(named(PartyKind::Supplier))
            .chain(anchors.into_iter().map(named(PartyKind::Anchor)))
            .collect())
    }
}

/// The name of `party` among `names`, or its id when it has none.
pub fn name_of(names: &[(PartyRef, String)], party: PartyRef) -> String {
    names
        .iter()
        .find(|(p, _)| *p == party)
        .map_or_else(|| format!("#{}", party.id), |(_, name)| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_in_china() {
        // 2026-11-23 12:00 UTC is 20:00 in Beijing; that day began at 16:00 UTC the day before.
        let ms = 1_795_435_200_000;
        assert_eq!(china_day_start(ms), ms - 20 * HOUR_MS);
        // 2026-11-23 17:00 UTC is already 01:00 on the 24th in Beijing.
        let after_midnight = ms + 5 * HOUR_MS;
        assert_eq!(china_day_start(after_midnight), after_midnight - HOUR_MS);
        assert_eq!(hour_start(ms + 59 * 60_000), ms);
    }

    #[test]
    fn hours_without_orders_are_zero_and_the_current_hour_is_last() {
        let first = 1_795_435_200_000;
        let rows = [store::HourRow {
            hour: 23,
            orders: 2,
            gmv_fen: 1_799_800,
        }];
        let hours = hours_of(first, &rows);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[0].orders, 0);
        assert_eq!(hours[23].starts_at_ms, first + 23 * HOUR_MS);
        assert_eq!(hours[23].gmv_fen, 1_799_800);
    }

    #[test]
    fn balances_are_from_the_parties_side_largest_payable_first() {
        let row = |account: &str, party_id, balance_fen| store::PartyAccountRow {
            account: account.to_owned(),
            party_id,
            balance_fen,
        };
        let balances = balances_of(&[
            row("supplier_pending", 1, -500),
            row("supplier_payable", 1, -100),
            row("commission_payable", 1, -300),
            row("supplier_payable", 2, 40),
        ]);
        let anchor = PartyRef {
            kind: PartyKind::Anchor,
            id: 1,
        };
        let first = PartyRef {
            kind: PartyKind::Supplier,
            id: 1,
        };
        let owing = PartyRef {
            kind: PartyKind::Supplier,
            id: 2,
        };
        assert_eq!(
            balances,
            vec![(anchor, 0, 300), (first, 500, 100), (owing, 0, -40)]
        );
    }
}
