//! The reads behind the operator's console that no other module makes: the platform
//! dashboard's figures, the supplier list, campaigns with their subsidy budgets, the orders
//! behind disputes, and party balances and names.
//!
//! Every statement is read-only and written once for both stores. Sums are cast to BIGINT,
//! since PostgreSQL sums a BIGINT column into NUMERIC, which the `Any` driver cannot carry.
//!
//! What each read costs, since a dashboard is looked at often:
//! - paid orders in a window start from the partial index `payments_succeeded` (a payment's
//!   success is written with the same clock reading as its order's `paid_at_ms`, and is never
//!   changed after), so a day's figures read a day's payments, not every order;
//! - orders by status is one pass over `orders` (there is no index by status for every
//!   status); it is the one read here that grows with all orders ever placed;
//! - party balances read the party accounts through `ledger_entries_account`.

use crate::{col, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};
use std::fmt::Write as _;

/// The paid orders of one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRow {
    /// Hours since the window's start (0 is the first hour).
    pub hour: i64,
    /// Orders paid in the hour.
    pub orders: i64,
    /// Their value before subsidy (`gross_fen`), fen.
    pub gmv_fen: i64,
}

/// The ids of orders paid since `$1`, found through the payments that succeeded since then.
/// An order paid at `t` has a payment that succeeded at exactly `t`, so this is a superset of
/// the orders paid in any window starting at `$1`; callers filter on `o.paid_at_ms`.
const PAID_SINCE: &str = "o.id IN (SELECT p.order_id FROM payments p \
    WHERE p.status = 'succeeded' AND p.updated_at_ms >= $1)";

/// Orders paid in `[from_ms, to_ms)` per hour from `from_ms`, hours without orders left out.
pub async fn paid_by_hour<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<HourRow>> {
    let sql = format!(
        "SELECT t.hour, COUNT(*) AS orders, CAST(SUM(t.gross_fen) AS BIGINT) AS gmv_fen \
         FROM (SELECT CAST((o.paid_at_ms - $1) / 3600000 AS BIGINT) AS hour, o.gross_fen \
               FROM orders o WHERE {PAID_SINCE} AND o.paid_at_ms >= $1 AND o.paid_at_ms < $2) t \
         GROUP BY t.hour ORDER BY t.hour"
    );
    let rows = sqlx::query(&sql)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(HourRow {
                hour: col(row, "hour")?,
                orders: col(row, "orders")?,
                gmv_fen: col(row, "gmv_fen")?,
            })
        })
        .collect()
}

/// A party ranked by what it sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankRow {
    /// The anchor's user id or the supplier's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Orders paid.
    pub orders: i64,
    /// Their value before subsidy, fen.
    pub gmv_fen: i64,
}

fn rank_from_row(row: &AnyRow) -> StoreResult<RankRow> {
    Ok(RankRow {
        id: col(row, "id")?,
        name: col(row, "name")?,
        orders: col(row, "orders")?,
        gmv_fen: col(row, "gmv_fen")?,
    })
}

/// The anchors who sold the most (by value of orders paid since `from_ms`), best first.
pub async fn top_anchors<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_ms: i64,
    limit: i64,
) -> StoreResult<Vec<RankRow>> {
    let sql = format!(
        "SELECT o.anchor_id AS id, u.display_name AS name, COUNT(*) AS orders, \
         CAST(SUM(o.gross_fen) AS BIGINT) AS gmv_fen \
         FROM orders o JOIN users u ON u.id = o.anchor_id \
         WHERE {PAID_SINCE} AND o.paid_at_ms >= $1 \
         GROUP BY o.anchor_id, u.display_name ORDER BY gmv_fen DESC, o.anchor_id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(from_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(rank_from_row).collect()
}

/// The suppliers whose goods sold the most since `from_ms`, best first.
pub async fn top_suppliers<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_ms: i64,
    limit: i64,
) -> StoreResult<Vec<RankRow>> {
    let sql = format!(
        "SELECT o.supplier_id AS id, s.name AS name, COUNT(*) AS orders, \
         CAST(SUM(o.gross_fen) AS BIGINT) AS gmv_fen \
         FROM orders o JOIN suppliers s ON s.id = o.supplier_id \
         WHERE {PAID_SINCE} AND o.paid_at_ms >= $1 \
         GROUP BY o.supplier_id, s.name ORDER BY gmv_fen DESC, o.supplier_id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(from_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(rank_from_row).collect()
}

/// The orders in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The stored status.
    pub status: String,
    /// Orders in it, of all time.
    pub orders: i64,
    /// Of those, placed at or after the given time.
    pub placed_since: i64,
    /// Of those placed since then, the ones that were paid.
    pub paid_since: i64,
}

/// Every order by status, in one pass, with how many of each were placed (and paid) since
/// `since_ms`.
pub async fn orders_by_status<'e, E: Executor<'e, Database = Any>>(
    db: E,
    since_ms: i64,
) -> StoreResult<Vec<StatusRow>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS orders, \
         CAST(SUM(CASE WHEN created_at_ms >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS placed_since, \
         CAST(SUM(CASE WHEN created_at_ms >= $1 AND paid_at_ms IS NOT NULL THEN 1 ELSE 0 END) \
              AS BIGINT) AS paid_since \
         FROM orders GROUP BY status ORDER BY status",
    )
    .bind(since_ms)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StatusRow {
                status: col(row, "status")?,
                orders: col(row, "orders")?,
                placed_since: col(row, "placed_since")?,
                paid_since: col(row, "paid_since")?,
            })
        })
        .collect()
}

/// Counts the operator's attention is wanted for, and the sessions live now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformCounts {
    /// Sessions live now.
    pub live_sessions: i64,
    /// After-sales requests waiting for arbitration.
    pub open_disputes: i64,
    /// Supplier events given up on.
    pub dead_letters: i64,
    /// SKUs waiting for review.
    pub pending_review: i64,
}

/// Each count through its own partial index.
pub async fn platform_counts<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<PlatformCounts> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM live_sessions WHERE status = 'live') AS live_sessions, \
         (SELECT COUNT(*) FROM after_sales WHERE status = 'disputed') AS open_disputes, \
         (SELECT COUNT(*) FROM outbox WHERE dead_at_ms IS NOT NULL) AS dead_letters, \
         (SELECT COUNT(*) FROM skus WHERE status = 'pending_review') AS pending_review",
    )
    .fetch_one(db)
    .await?;
    Ok(PlatformCounts {
        live_sessions: col(&row, "live_sessions")?,
        open_disputes: col(&row, "open_disputes")?,
        dead_letters: col(&row, "dead_letters")?,
        pending_review: col(&row, "pending_review")?,
    })
}

/// A campaign with its subsidy budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignBudgetRow {
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
    /// Paid out on paid orders, fen.
    pub spent_fen: i64,
    /// Its shipping window, if it set one.
    pub ship_window_ms: Option<i64>,
}

const CAMPAIGN_BUDGET_COLUMNS: &str = "id, name, starts_at_ms, ends_at_ms, subsidy_budget_fen, \
    subsidy_held_fen, subsidy_spent_fen, ship_window_ms";

fn campaign_budget_from_row(row: &AnyRow) -> StoreResult<CampaignBudgetRow> {
    Ok(CampaignBudgetRow {
        id: col(row, "id")?,
        name: col(row, "name")?,
        starts_at_ms: col(row, "starts_at_ms")?,
        ends_at_ms: col(row, "ends_at_ms")?,
        budget_fen: col(row, "subsidy_budget_fen")?,
        held_fen: col(row, "subsidy_held_fen")?,
        spent_fen: col(row, "subsidy_spent_fen")?,
        ship_window_ms: col(row, "ship_window_ms")?,
    })
}

/// Campaigns with an id below `before_id`, newest first.
pub async fn campaign_budgets<'e, E: Executor<'e, Database = Any>>(
    db: E,
    before_id: i64,
    limit: i64,
) -> StoreResult<Vec<CampaignBudgetRow>> {
    let sql = format!(
        "SELECT {CAMPAIGN_BUDGET_COLUMNS} FROM campaigns WHERE id < $1 ORDER BY id DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(before_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(campaign_budget_from_row).collect()
}

/// Campaigns that end at or after `ends_after_ms` (running, coming, or recently over),
/// soonest start first.
pub async fn current_campaign_budgets<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ends_after_ms: i64,
    limit: i64,
) -> StoreResult<Vec<CampaignBudgetRow>> {
    let sql = format!(
        "SELECT {CAMPAIGN_BUDGET_COLUMNS} FROM campaigns WHERE ends_at_ms >= $1 \
         ORDER BY starts_at_ms, id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(ends_after_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(campaign_budget_from_row).collect()
}

/// A supplier organisation as the operator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSummaryRow {
    /// Key.
    pub id: i64,
    /// Name.
    pub name: String,
    /// When it was created.
    pub created_at_ms: i64,
    /// Its own shipping window, if it set one.
    pub ship_window_ms: Option<i64>,
    /// Staff accounts.
    pub staff: i64,
    /// The username of its first staff account.
    pub first_staff: Option<String>,
    /// Warehouses.
    pub warehouses: i64,
    /// SKUs in any status.
    pub skus: i64,
    /// Its webhook URL, if it set one.
    pub webhook_url: Option<String>,
}

/// Suppliers with an id below `before_id`, newest first. Staff are counted in one pass over
/// `users` for the page's id range (users has no index by supplier); warehouses and SKUs
/// through their supplier indexes.
pub async fn supplier_summaries<'e, E: Executor<'e, Database = Any> + Copy>(
    db: E,
    before_id: i64,
    limit: i64,
) -> StoreResult<Vec<SupplierSummaryRow>> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.created_at_ms, s.ship_window_ms, \
         (SELECT COUNT(*) FROM warehouses w WHERE w.supplier_id = s.id) AS warehouses, \
         (SELECT COUNT(*) FROM skus k WHERE k.supplier_id = s.id) AS skus, \
         (SELECT h.url FROM supplier_webhooks h WHERE h.supplier_id = s.id) AS webhook_url \
         FROM suppliers s WHERE s.id < $1 ORDER BY s.id DESC LIMIT $2",
    )
    .bind(before_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    let mut summaries = rows
        .iter()
        .map(|row| {
            Ok(SupplierSummaryRow {
                id: col(row, "id")?,
                name: col(row, "name")?,
                created_at_ms: col(row, "created_at_ms")?,
                ship_window_ms: col(row, "ship_window_ms")?,
                staff: 0,
                first_staff: None,
                warehouses: col(row, "warehouses")?,
                skus: col(row, "skus")?,
                webhook_url: col(row, "webhook_url")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let (Some(newest), Some(oldest)) = (summaries.first(), summaries.last()) else {
        return Ok(summaries);
    };
    let staff = sqlx::query(
        "SELECT u.supplier_id, COUNT(*) AS staff, MIN(u.id) AS first_id FROM users u \
         WHERE u.supplier_id >= $1 AND u.supplier_id <= $2 GROUP BY u.supplier_id",
    )
    .bind(oldest.id)
    .bind(newest.id)
    .fetch_all(db)
    .await?;
    let mut first_ids = Vec::new();
    for row in &staff {
        let supplier: i64 = col(row, "supplier_id")?;
        let first_id: i64 = col(row, "first_id")?;
        if let Some(summary) = summaries.iter_mut().find(|s| s.id == supplier) {
            summary.staff = col(row, "staff")?;
            first_ids.push((supplier, first_id));
        }
    }
    let ids: Vec<i64> = first_ids.iter().map(|(_, user)| *user).collect();
    for (id, username) in usernames(db, &ids).await? {
        if let Some((supplier, _)) = first_ids.iter().find(|(_, user)| *user == id) {
            if let Some(summary) = summaries.iter_mut().find(|s| s.id == *supplier) {
                summary.first_staff = Some(username);
            }
        }
    }
    Ok(summaries)
}

/// `$first, $first+1, …` for `count` parameters.
fn list(count: usize, first: usize) -> String {
    let mut sql = String::new();
    for i in 0..count {
        let separator = if i == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(sql, "{separator}${}", first + i);
    }
    sql
}

/// (id, text) pairs of a query over a list of ids.
async fn id_texts<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sql_before_list: &str,
    ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{sql_before_list} ({})", list(ids.len(), 1));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| Ok((col(row, "id")?, col(row, "text")?)))
        .collect()
}

/// The usernames of users by id.
async fn usernames<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    id_texts(
        db,
        "SELECT id, username AS text FROM users WHERE id IN",
        ids,
    )
    .await
}

/// The display names of users by id (unknown ids are left out).
pub async fn user_names<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    id_texts(
        db,
        "SELECT id, display_name AS text FROM users WHERE id IN",
        ids,
    )
    .await
}

/// The names of suppliers by id (unknown ids are left out).
pub async fn supplier_names<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    id_texts(
        db,
        "SELECT id, name AS text FROM suppliers WHERE id IN",
        ids,
    )
    .await
}

/// What an operator arbitrating a request needs to know of its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputedOrderRow {
    /// The order.
    pub order_id: i64,
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
    pub status: String,
    /// The buyer's display name.
    pub buyer_name: String,
    /// The anchor's display name.
    pub anchor_name: String,
    /// The supplier's name.
    pub supplier_name: String,
}

/// The orders of `order_ids` with their people's names.
pub async fn disputed_orders<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order_ids: &[i64],
) -> StoreResult<Vec<DisputedOrderRow>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT o.id, o.order_no, o.sku_id, k.title, o.quantity, o.buyer_pays_fen, o.status, \
         b.display_name AS buyer_name, a.display_name AS anchor_name, s.name AS supplier_name \
         FROM orders o JOIN skus k ON k.id = o.sku_id JOIN users b ON b.id = o.buyer_id \
         JOIN users a ON a.id = o.anchor_id JOIN suppliers s ON s.id = o.supplier_id \
         WHERE o.id IN ({})",
        list(order_ids.len(), 1)
    );
    let mut query = sqlx::query(&sql);
    for id in order_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(DisputedOrderRow {
                order_id: col(row, "id")?,
                order_no: col(row, "order_no")?,
                sku_id: col(row, "sku_id")?,
                sku_title: col(row, "title")?,
                quantity: col(row, "quantity")?,
                buyer_pays_fen: col(row, "buyer_pays_fen")?,
                status: col(row, "status")?,
                buyer_name: col(row, "buyer_name")?,
                anchor_name: col(row, "anchor_name")?,
                supplier_name: col(row, "supplier_name")?,
            })
        })
        .collect()
}

/// One party account's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyAccountRow {
    /// `supplier_pending`, `supplier_payable`, `commission_pending` or `commission_payable`.
    pub account: String,
    /// The supplier's id or the anchor's user id.
    pub party_id: i64,
    /// Debits minus credits, fen (negative: the platform owes the party).
    pub balance_fen: i64,
}

/// The balance of every party account that has entries.
pub async fn party_accounts<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<Vec<PartyAccountRow>> {
    let rows = sqlx::query(
        "SELECT e.account, e.party_id, CAST(SUM(CASE WHEN e.side = 'debit' THEN e.amount_fen \
         ELSE -e.amount_fen END) AS BIGINT) AS balance_fen FROM ledger_entries e \
         WHERE e.account IN ('supplier_pending', 'supplier_payable', 'commission_pending', \
         'commission_payable') AND e.party_id IS NOT NULL \
         GROUP BY e.account, e.party_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PartyAccountRow {
                account: col(row, "account")?,
                party_id: col(row, "party_id")?,
                balance_fen: col(row, "balance_fen")?,
            })
        })
        .collect()
}

/// The balance of one of the platform's own accounts (`platform_fee`, `payouts`,
/// `platform_subsidy`, …): debits minus credits, fen.
pub async fn platform_account<'e, E: Executor<'e, Database = Any>>(
    db: E,
    account: &str,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN side = 'debit' THEN amount_fen \
         ELSE -amount_fen END), 0) AS BIGINT) AS balance_fen FROM ledger_entries \
         WHERE account = $1",
    )
    .bind(account)
    .fetch_one(db)
    .await?;
    col(&row, "balance_fen")
}
