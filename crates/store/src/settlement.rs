//! Receipt, settlement, payouts, statements and reconciliation: the SQL of migration 0011.
//!
//! Lock order (ARCHITECTURE.md): a settlement claims an order with one conditional `UPDATE`
//! of its row (which locks it on PostgreSQL) before it reads or writes the order's money, as
//! every writer of `order_money` locks the order's row first.

use crate::{col, StoreResult};
use daihuo_domain::{OrderId, SupplierId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// When an order was delivered, completed and settled, as daihuo recorded them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTimes {
    /// When daihuo recorded it delivered.
    pub delivered_at_ms: Option<i64>,
    /// When receipt was confirmed.
    pub completed_at_ms: Option<i64>,
    /// When a settlement run claimed it.
    pub settled_at_ms: Option<i64>,
}

/// An order's recorded times; `None` for an unknown order.
pub async fn order_times<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<Option<OrderTimes>> {
    let row = sqlx::query(
        "SELECT delivered_at_ms, completed_at_ms, settled_at_ms FROM orders WHERE id = $1",
    )
    .bind(order.0)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(OrderTimes {
            delivered_at_ms: col(&row, "delivered_at_ms")?,
            completed_at_ms: col(&row, "completed_at_ms")?,
            settled_at_ms: col(&row, "settled_at_ms")?,
        })
    })
    .transpose()
}

/// Delivered orders recorded delivered at or before `delivered_by_ms` with no after-sales
/// request open, oldest first: those whose receipt is confirmed automatically now. An open
/// request holds the receipt until it ends.
pub async fn orders_awaiting_receipt<'e, E: Executor<'e, Database = Any>>(
    db: E,
    delivered_by_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT o.id FROM orders o WHERE o.status = 'delivered' AND o.delivered_at_ms <= $1 \
         AND NOT EXISTS (SELECT 1 FROM after_sales a WHERE a.order_id = o.id \
         AND a.status NOT IN ('upheld', 'refunded', 'withdrawn')) \
         ORDER BY o.delivered_at_ms, o.id LIMIT $2",
    )
    .bind(delivered_by_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok(OrderId(col(row, "id")?)))
        .collect()
}

/// Orders completed at or before `cutoff_ms` that no run has settled, oldest first.
pub async fn orders_due_settlement<'e, E: Executor<'e, Database = Any>>(
    db: E,
    cutoff_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT id FROM orders WHERE completed_at_ms IS NOT NULL AND settled_at_ms IS NULL \
         AND completed_at_ms <= $1 ORDER BY completed_at_ms, id LIMIT $2",
    )
    .bind(cutoff_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok(OrderId(col(row, "id")?)))
        .collect()
}

/// Claims an order for settlement: a compare-and-set of `settled_at_ms` from NULL, only for
/// an order completed at or before `cutoff_ms`. Of two runs that race, exactly one claims
/// it (on PostgreSQL the second waits for the first's commit and then finds it set).
pub async fn claim_for_settlement(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    cutoff_ms: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE orders SET settled_at_ms = $3 WHERE id = $1 AND settled_at_ms IS NULL \
         AND completed_at_ms IS NOT NULL AND completed_at_ms <= $2",
    )
    .bind(order.0)
    .bind(cutoff_ms)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Saves an order's money only if it is still `seen_json` (compare and set); returns whether
/// it did. A writer that did not lock the order's row first cannot make a settlement lose
/// its update, or the other way round: the loser rolls back.
pub async fn replace_order_money(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    seen_json: &str,
    state_json: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE order_money SET state_json = $3, updated_at_ms = $4 \
         WHERE order_id = $1 AND state_json = $2",
    )
    .bind(order.0)
    .bind(seen_json)
    .bind(state_json)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Starts a settlement run; returns its id.
pub async fn insert_run(
    conn: &mut sqlx::AnyConnection,
    trigger: &str,
    started_by: Option<UserId>,
    cutoff_ms: i64,
    now_ms: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO settlement_runs (origin, started_by, started_at_ms, cutoff_ms) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(trigger)
    .bind(started_by.map(|u| u.0))
    .bind(now_ms)
    .bind(cutoff_ms)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Marks a run finished.
pub async fn finish_run(conn: &mut sqlx::AnyConnection, run: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE settlement_runs SET finished_at_ms = $2 WHERE id = $1")
        .bind(run)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// When the latest run the sweepers started began, if any did.
pub async fn latest_sweeper_run_ms<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT CAST(MAX(started_at_ms) AS BIGINT) AS latest FROM settlement_runs \
         WHERE origin = 'sweeper'",
    )
    .fetch_one(db)
    .await?;
    col(&row, "latest")
}

/// What one run moved for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledOrderRow {
    /// The order.
    pub order_id: OrderId,
    /// The run that settled it.
    pub run_id: i64,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// Moved to the supplier's payable (negative: a debt moved).
    pub supplier_fen: i64,
    /// Its anchor.
    pub anchor_id: UserId,
    /// Moved to the anchor's payable.
    pub commission_fen: i64,
}

/// Records what a run settled for an order.
pub async fn insert_settled_order(
    conn: &mut sqlx::AnyConnection,
    row: &SettledOrderRow,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settled_orders (order_id, run_id, supplier_id, supplier_fen, anchor_id, \
         commission_fen, settled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.order_id.0)
    .bind(row.run_id)
    .bind(row.supplier_id.0)
    .bind(row.supplier_fen)
    .bind(row.anchor_id.0)
    .bind(row.commission_fen)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A settlement run as stored, with how many orders it settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Key.
    pub id: i64,
    /// `sweeper` or `operator`.
    pub trigger: String,
    /// The operator who started it.
    pub started_by: Option<UserId>,
    /// When it started.
    pub started_at_ms: i64,
    /// It settled orders completed at or before this.
    pub cutoff_ms: i64,
    /// When it finished; `None` while running (or if its node died).
    pub finished_at_ms: Option<i64>,
    /// Orders it settled.
    pub orders: i64,
}

fn run_from_row(row: &AnyRow) -> StoreResult<RunRow> {
    Ok(RunRow {
        id: col(row, "id")?,
        trigger: col(row, "origin")?,
        started_by: col::<Option<i64>>(row, "started_by")?.map(UserId),
        started_at_ms: col(row, "started_at_ms")?,
        cutoff_ms: col(row, "cutoff_ms")?,
        finished_at_ms: col(row, "finished_at_ms")?,
        orders: col(row, "orders")?,
    })
}

const RUN_SELECT: &str = "SELECT r.id, r.origin, r.started_by, r.started_at_ms, r.cutoff_ms, \
    r.finished_at_ms, CAST((SELECT COUNT(*) FROM settled_orders s WHERE s.run_id = r.id) \
    AS BIGINT) AS orders FROM settlement_runs r";

/// Runs with an id below `before`, newest first.
pub async fn runs<'e, E: Executor<'e, Database = Any>>(
    db: E,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<RunRow>> {
    let sql = format!("{RUN_SELECT} WHERE r.id < $1 ORDER BY r.id DESC LIMIT $2");
    let rows = sqlx::query(&sql)
        .bind(before)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(run_from_row).collect()
}

/// One run.
pub async fn run_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
) -> StoreResult<Option<RunRow>> {
    let sql = format!("{RUN_SELECT} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db).await?;
    row.as_ref().map(run_from_row).transpose()
}

/// What a run moved to one party's payable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTotalRow {
    /// The run.
    pub run_id: i64,
    /// `supplier` or `anchor`.
    pub party_kind: String,
    /// The supplier's or the anchor's id.
    pub party_id: i64,
    /// Orders of this party the run settled.
    pub orders: i64,
    /// Moved to payable, fen (negative: a debt).
    pub fen: i64,
}

/// What the runs `from_id..=to_id` moved per party, by run and party.
pub async fn run_totals<'e, E: Executor<'e, Database = Any>>(
    db: E,
    from_id: i64,
    to_id: i64,
) -> StoreResult<Vec<RunTotalRow>> {
    let rows = sqlx::query(
        "SELECT run_id, 'supplier' AS party_kind, supplier_id AS party_id, \
         CAST(COUNT(*) AS BIGINT) AS orders, CAST(SUM(supplier_fen) AS BIGINT) AS fen \
         FROM settled_orders WHERE run_id BETWEEN $1 AND $2 GROUP BY run_id, supplier_id \
         UNION ALL \
         SELECT run_id, 'anchor' AS party_kind, anchor_id AS party_id, \
         CAST(COUNT(*) AS BIGINT) AS orders, CAST(SUM(commission_fen) AS BIGINT) AS fen \
         FROM settled_orders WHERE run_id BETWEEN $1 AND $2 GROUP BY run_id, anchor_id \
         ORDER BY run_id, party_kind, party_id",
    )
    .bind(from_id)
    .bind(to_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RunTotalRow {
                run_id: col(row, "run_id")?,
                party_kind: col(row, "party_kind")?,
                party_id: col(row, "party_id")?,
                orders: col(row, "orders")?,
                fen: col(row, "fen")?,
            })
        })
        .collect()
}

/// The ledger accounts of a party: its pending and its payable account's stored names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyAccounts {
    /// `supplier_pending` or `commission_pending`.
    pub pending: &'static str,
    /// `supplier_payable` or `commission_payable`.
    pub payable: &'static str,
    /// The supplier's or anchor's id, stored as the entries' `party_id`.
    pub party_id: i64,
}

/// One account's balance, debits minus credits, over the postings written before
/// `before_ms`.
pub async fn account_balance<'e, E: Executor<'e, Database = Any>>(
    db: E,
    account: &str,
    party_id: i64,
    before_ms: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN e.side = 'debit' THEN e.amount_fen \
         ELSE -e.amount_fen END), 0) AS BIGINT) AS balance FROM ledger_entries e \
         JOIN ledger_postings p ON p.id = e.posting_id \
         WHERE e.party_id = $1 AND e.account = $2 AND p.created_at_ms < $3",
    )
    .bind(party_id)
    .bind(account)
    .bind(before_ms)
    .fetch_one(db)
    .await?;
    col(&row, "balance")
}

/// One entry of a party's account, with its posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyEntryRow {
    /// The posting.
    pub posting_id: i64,
    /// When it was written.
    pub created_at_ms: i64,
    /// Why money moved (`payment`, `refund`, `settlement`, `payout`, …).
    pub kind: String,
    /// The order, if the posting concerns one.
    pub order_id: Option<OrderId>,
    /// The account's stored name.
    pub account: String,
    /// `debit` or `credit`.
    pub side: String,
    /// Fen, at least 1.
    pub amount_fen: i64,
}

/// The entries of a party's two accounts in postings written in `[from_ms, to_ms)`, in the
/// order they were written; at most `limit`.
pub async fn party_entries<'e, E: Executor<'e, Database = Any>>(
    db: E,
    accounts: PartyAccounts,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> StoreResult<Vec<PartyEntryRow>> {
    let rows = sqlx::query(
        "SELECT p.id AS posting_id, p.created_at_ms, p.kind, p.order_id, e.account, e.side, \
         e.amount_fen FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id \
         WHERE e.party_id = $1 AND e.account IN ($2, $3) \
         AND p.created_at_ms >= $4 AND p.created_at_ms < $5 \
         ORDER BY p.created_at_ms, p.id, e.line LIMIT $6",
    )
    .bind(accounts.party_id)
    .bind(accounts.pending)
    .bind(accounts.payable)
    .bind(from_ms)
    .bind(to_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PartyEntryRow {
                posting_id: col(row, "posting_id")?,
                created_at_ms: col(row, "created_at_ms")?,
                kind: col(row, "kind")?,
                order_id: col::<Option<i64>>(row, "order_id")?.map(OrderId),
                account: col(row, "account")?,
                side: col(row, "side")?,
                amount_fen: col(row, "amount_fen")?,
            })
        })
        .collect()
}

/// Locks a party for a payout (its `payout_parties` row, made on first use), so payouts to
/// one party take turns across nodes.
pub async fn lock_payout_party(
    conn: &mut sqlx::AnyConnection,
    party_kind: &str,
    party_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO payout_parties (party_kind, party_id, payouts) VALUES ($1, $2, 0) \
         ON CONFLICT (party_kind, party_id) DO UPDATE SET payouts = payout_parties.payouts",
    )
    .bind(party_kind)
    .bind(party_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A payout as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRow {
    /// Key.
    pub id: i64,
    /// `supplier` or `anchor`.
    pub party_kind: String,
    /// The party's id.
    pub party_id: i64,
    /// Fen paid out.
    pub amount_fen: i64,
    /// The bank transfer's reference.
    pub reference: String,
    /// The ledger posting.
    pub posting_id: i64,
    /// The operator who paid.
    pub created_by: UserId,
    /// When.
    pub created_at_ms: i64,
}

fn payout_from_row(row: &AnyRow) -> StoreResult<PayoutRow> {
    Ok(PayoutRow {
        id: col(row, "id")?,
        party_kind: col(row, "party_kind")?,
        party_id: col(row, "party_id")?,
        amount_fen: col(row, "amount_fen")?,
        reference: col(row, "reference")?,
        posting_id: col(row, "posting_id")?,
        created_by: UserId(col(row, "created_by")?),
        created_at_ms: col(row, "created_at_ms")?,
    })
}

const PAYOUT_COLUMNS: &str =
    "id, party_kind, party_id, amount_fen, reference, posting_id, created_by, created_at_ms";

/// A party's payout with this reference, if one was made.
pub async fn payout_by_reference<'e, E: Executor<'e, Database = Any>>(
    db: E,
    party_kind: &str,
    party_id: i64,
    reference: &str,
) -> StoreResult<Option<PayoutRow>> {
    let sql = format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts \
         WHERE party_kind = $1 AND party_id = $2 AND reference = $3"
    );
    let row = sqlx::query(&sql)
        .bind(party_kind)
        .bind(party_id)
        .bind(reference)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(payout_from_row).transpose()
}

/// Records a payout whose posting was appended; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_payout(
    conn: &mut sqlx::AnyConnection,
    party_kind: &str,
    party_id: i64,
    amount_fen: i64,
    reference: &str,
    posting_id: i64,
    created_by: UserId,
    now_ms: i64,
) -> StoreResult<PayoutRow> {
    let sql = format!(
        "INSERT INTO payouts (party_kind, party_id, amount_fen, reference, posting_id, \
         created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         RETURNING {PAYOUT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(party_kind)
        .bind(party_id)
        .bind(amount_fen)
        .bind(reference)
        .bind(posting_id)
        .bind(created_by.0)
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE payout_parties SET payouts = payouts + 1 WHERE party_kind = $1 AND party_id = $2",
    )
    .bind(party_kind)
    .bind(party_id)
    .execute(&mut *conn)
    .await?;
    payout_from_row(&row)
}

/// A party's payouts, newest first.
pub async fn payouts_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    party_kind: &str,
    party_id: i64,
    limit: i64,
) -> StoreResult<Vec<PayoutRow>> {
    let sql = format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE party_kind = $1 AND party_id = $2 \
         ORDER BY id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(party_kind)
        .bind(party_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(payout_from_row).collect()
}

/// A payment or refund daihuo recorded as succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyMoveRow {
    /// The order it belongs to.
    pub order_id: OrderId,
    /// The gateway's payment id (of the payment refunded, for a refund).
    pub gateway_payment_id: String,
    /// For a refund: daihuo's merchant refund id; for a payment: daihuo's payment id as text.
    pub key: String,
    /// Fen.
    pub amount_fen: i64,
    /// When daihuo recorded it succeeded.
    pub recorded_at_ms: i64,
}

fn move_from_row(row: &AnyRow) -> StoreResult<MoneyMoveRow> {
    Ok(MoneyMoveRow {
        order_id: OrderId(col(row, "order_id")?),
        gateway_payment_id: col(row, "gateway_payment_id")?,
        key: col(row, "move_key")?,
        amount_fen: col(row, "amount_fen")?,
        recorded_at_ms: col(row, "updated_at_ms")?,
    })
}

const PAYMENT_MOVE: &str = "SELECT order_id, gateway_payment_id, \
    CAST(id AS TEXT) AS move_key, amount_fen, updated_at_ms FROM payments \
    WHERE status = 'succeeded'";
const REFUND_MOVE: &str = "SELECT order_id, gateway_payment_id, \
    merchant_refund_id AS move_key, amount_fen, updated_at_ms FROM refunds \
    WHERE status = 'succeeded'";

/// Which of daihuo's money movements a reconciliation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    /// Payments in.
    Payment,
    /// Refunds out.
    Refund,
}

/// Payments or refunds daihuo recorded succeeded in `[from_ms, to_ms)`; at most `limit`.
pub async fn succeeded_between<'e, E: Executor<'e, Database = Any>>(
    db: E,
    kind: MoveKind,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> StoreResult<Vec<MoneyMoveRow>> {
    let moves = match kind {
        MoveKind::Payment => PAYMENT_MOVE,
        MoveKind::Refund => REFUND_MOVE,
    };
    let sql =
        format!("{moves} AND updated_at_ms >= $1 AND updated_at_ms < $2 ORDER BY id LIMIT $3");
    let rows = sqlx::query(&sql)
        .bind(from_ms)
        .bind(to_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(move_from_row).collect()
}

/// The succeeded payment (by gateway payment id) or refund (by merchant refund id) with
/// this key, whenever daihuo recorded it.
pub async fn succeeded_by_key<'e, E: Executor<'e, Database = Any>>(
    db: E,
    kind: MoveKind,
    key: &str,
) -> StoreResult<Option<MoneyMoveRow>> {
    let sql = match kind {
        MoveKind::Payment => format!("{PAYMENT_MOVE} AND gateway_payment_id = $1"),
        MoveKind::Refund => format!("{REFUND_MOVE} AND merchant_refund_id = $1"),
    };
    let row = sqlx::query(&sql).bind(key).fetch_optional(db).await?;
    row.as_ref().map(move_from_row).transpose()
}

/// One order's money in daihuo's payment records and in the ledger, over all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderNetRow {
    /// Succeeded payments less succeeded refunds, fen.
    pub recorded_fen: i64,
    /// The ledger's `buyer_payments` balance for the order (debits less credits), fen.
    pub ledger_fen: i64,
}

/// The order's net money as recorded and as the ledger holds it.
pub async fn order_net<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<OrderNetRow> {
    let row = sqlx::query(
        "SELECT \
         CAST(COALESCE((SELECT SUM(amount_fen) FROM payments \
             WHERE order_id = $1 AND status = 'succeeded'), 0) \
         - COALESCE((SELECT SUM(amount_fen) FROM refunds \
             WHERE order_id = $1 AND status = 'succeeded'), 0) AS BIGINT) AS recorded, \
         CAST(COALESCE((SELECT SUM(CASE WHEN e.side = 'debit' THEN e.amount_fen \
             ELSE -e.amount_fen END) FROM ledger_entries e \
             JOIN ledger_postings p ON p.id = e.posting_id \
             WHERE p.order_id = $1 AND e.account = 'buyer_payments'), 0) AS BIGINT) AS ledger",
    )
    .bind(order.0)
    .fetch_one(db)
    .await?;
    Ok(OrderNetRow {
        recorded_fen: col(&row, "recorded")?,
        ledger_fen: col(&row, "ledger")?,
    })
}
