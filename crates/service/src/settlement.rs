//! Settlement, payouts, statements and reconciliation (docs/SETTLEMENT.md).
//!
//! # Settlement (T + N)
//! T is the moment an order was completed (`orders.completed_at_ms`: the buyer confirmed
//! receipt, or it was confirmed automatically, see [`crate::receipt`]); N is
//! [`SettlementPolicy::settle_after`], 7 days by default. A settlement run settles every
//! order with `T + N ≤ now` that no run settled: it claims the order with a compare-and-set
//! of `orders.settled_at_ms`, so of several runs racing (on one node or many) exactly one
//! settles it, then posts `domain::ledger::OrderMoney::settle` (pending → payable for the
//! supplier and the anchor) and records what moved in `settled_orders`, all in one
//! transaction. Refunds after settlement are taken from payable by the domain.
//!
//! # Payouts
//! An operator pays a party out of its payable balance (`domain::ledger::payout_of_payable`),
//! with the bank transfer's reference; the same reference again is answered with the same
//! payout. A party that owes the platform is refused with `party_owes_platform`.
//!
//! # Statements and reconciliation
//! A statement lists every entry of a party's pending and payable accounts in a period with
//! running balances from the opening balance to the closing one. Reconciliation compares the
//! gateway's own list of payments and refunds with daihuo's records, and those with the
//! ledger's `buyer_payments`, per order.

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::ledger::{
    payout_of_payable, Account, LedgerError, OrderMoney, Party, Posting, Side,
};
use daihuo_domain::{Fen, OrderId, SupplierId, UserId};
use daihuo_payment::{GatewayTransaction, TransactionKind};
use daihuo_store::fulfilment as ful_store;
use daihuo_store::settlement::{
    self as settle_store, MoneyMoveRow, MoveKind, PartyAccounts, PayoutRow, RunRow, RunTotalRow,
    SettledOrderRow,
};
use daihuo_store::{checkout as store, now_ms, AnyConnection};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;
use utoipa::ToSchema;

/// Orders one settlement transaction claims, so a run commits its progress in steps and a
/// racing run on another node waits at most one step for a row.
const SETTLE_BATCH: i64 = 50;
/// The most orders one run settles; a larger backlog is left to the next run.
pub const RUN_ORDERS_MAX: usize = 100_000;
/// The most runs one page lists.
pub const RUNS_PAGE_MAX: i64 = 100;
/// The most payouts one page lists.
pub const PAYOUTS_PAGE_MAX: i64 = 100;
/// The longest payout reference: a bank transfer's reference, not a document.
pub const PAYOUT_REFERENCE_MAX_CHARS: usize = 64;
/// The most lines one statement holds; a longer period is asked for in parts.
pub const STATEMENT_LINES_MAX: i64 = 10_000;
/// The most payments (and, separately, refunds) one reconciliation compares on each side.
pub const RECONCILE_ROWS_MAX: i64 = 100_000;
/// How far before a period reconciliation reads the gateway's records: daihuo records a
/// payment when its notification arrives, which the gateway retries for about a day, so a
/// payment recorded in the period may have happened at the gateway up to a day before it.
pub const RECONCILE_LOOKBACK_MS: i64 = 24 * 3_600 * 1_000;

/// When receipt is confirmed automatically and when completed orders settle.
#[derive(Debug, Clone, Copy)]
pub struct SettlementPolicy {
    /// A delivered order the buyer has not confirmed is completed this long after daihuo
    /// recorded it delivered.
    pub receipt_after: Duration,
    /// N of T + N: an order settles this long after it was completed.
    pub settle_after: Duration,
    /// How often the sweepers start a settlement run (across all nodes, read from the runs
    /// table); `None`: only operators start runs.
    pub run_every: Option<Duration>,
}

impl Default for SettlementPolicy {
    /// Receipt 7 days after delivery, as the platforms confirm it; settlement 7 days after
    /// completion, so a buyer who confirms at once still has the 7-day no-reason return
    /// window before the money is payable, and an order confirmed automatically is payable
    /// about 14 days after delivery (the platforms pay ~15 days after delivery); a run every
    /// hour.
    fn default() -> Self {
        SettlementPolicy {
            receipt_after: Duration::from_secs(7 * 24 * 3_600),
            settle_after: Duration::from_secs(7 * 24 * 3_600),
            run_every: Some(Duration::from_secs(3_600)),
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

fn busy() -> ServiceError {
    ServiceError::Unavailable {
        code: "busy",
        message: "the order's money changed meanwhile; try again".into(),
    }
}

/// Which kind of party.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A supplier organisation.
    Supplier,
    /// An anchor.
    Anchor,
}

impl PartyKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Supplier => "supplier",
            PartyKind::Anchor => "anchor",
        }
    }

    fn from_db(raw: &str) -> ServiceResult<PartyKind> {
        match raw {
            "supplier" => Ok(PartyKind::Supplier),
            "anchor" => Ok(PartyKind::Anchor),
            other => Err(internal(format!("stored party kind {other}"))),
        }
    }
}

/// A party the platform owes: a supplier or an anchor, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartyRef {
    /// Supplier or anchor.
    pub kind: PartyKind,
    /// The supplier's id, or the anchor's user id.
    pub id: i64,
}

impl PartyRef {
    fn domain(self) -> Party {
        match self.kind {
            PartyKind::Supplier => Party::Supplier(SupplierId(self.id)),
            PartyKind::Anchor => Party::Anchor(UserId(self.id)),
        }
    }

    fn accounts(self) -> PartyAccounts {
        let (pending, payable) = match self.kind {
            PartyKind::Supplier => (
                Account::SupplierPending(SupplierId(self.id)),
                Account::SupplierPayable(SupplierId(self.id)),
            ),
            PartyKind::Anchor => (
                Account::CommissionPending(UserId(self.id)),
                Account::CommissionPayable(UserId(self.id)),
            ),
        };
        PartyAccounts {
            pending: pending.name(),
            payable: payable.name(),
            party_id: self.id,
        }
    }
}

/// What one run moved to one party's payable.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyTotal {
    /// The party.
    pub party: PartyRef,
    /// Orders of the party the run settled.
    pub orders: i64,
    /// Moved to the party's payable, fen; negative when a debt moved (compensation beyond
    /// the party's share).
    pub fen: i64,
}

/// A settlement run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    /// Key.
    pub id: i64,
    /// `sweeper` (a node's periodic sweep) or `operator`.
    pub trigger: String,
    /// The operator who started it.
    pub started_by: Option<UserId>,
    /// When it started.
    pub started_at_ms: i64,
    /// It settled the orders completed at or before this (start − N).
    pub cutoff_ms: i64,
    /// When it finished; absent while it runs (or if its node died mid-run: what it settled
    /// stays settled and the rest is left to the next run).
    pub finished_at_ms: Option<i64>,
    /// Orders it settled.
    pub orders: i64,
    /// Moved to suppliers' payable, fen.
    pub supplier_fen: i64,
    /// Moved to anchors' payable, fen.
    pub commission_fen: i64,
    /// Per party.
    pub totals: Vec<PartyTotal>,
}

impl RunView {
    fn of(row: RunRow, totals: &[RunTotalRow]) -> ServiceResult<RunView> {
        let mut view = RunView {
            id: row.id,
            trigger: row.trigger,
            started_by: row.started_by,
            started_at_ms: row.started_at_ms,
            cutoff_ms: row.cutoff_ms,
            finished_at_ms: row.finished_at_ms,
            orders: row.orders,
            supplier_fen: 0,
            commission_fen: 0,
            totals: Vec::new(),
        };
        for total in totals.iter().filter(|t| t.run_id == row.id) {
            let kind = PartyKind::from_db(&total.party_kind)?;
            match kind {
                PartyKind::Supplier => view.supplier_fen += total.fen,
                PartyKind::Anchor => view.commission_fen += total.fen,
            }
            view.totals.push(PartyTotal {
                party: PartyRef {
                    kind,
                    id: total.party_id,
                },
                orders: total.orders,
                fen: total.fen,
            });
        }
        Ok(view)
    }
}

/// An operator pays a party.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PayoutInput {
    /// Who is paid.
    pub party: PartyRef,
    /// Fen, at least 1 and at most what is payable.
    pub amount_fen: i64,
    /// The bank transfer's reference, 1–64 characters, unique per party: the same reference
    /// again is answered with the payout it made.
    pub reference: String,
}

/// A payout.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    /// Key.
    pub id: i64,
    /// Who was paid.
    pub party: PartyRef,
    /// Fen.
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

impl PayoutView {
    fn of(row: PayoutRow) -> ServiceResult<PayoutView> {
        Ok(PayoutView {
            id: row.id,
            party: PartyRef {
                kind: PartyKind::from_db(&row.party_kind)?,
                id: row.party_id,
            },
            amount_fen: row.amount_fen,
            reference: row.reference,
            posting_id: row.posting_id,
            created_by: row.created_by,
            created_at_ms: row.created_at_ms,
        })
    }
}

/// A party's two balances, from the party's side: what the platform owes it (negative: what
/// it owes the platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct PartyBalances {
    /// Earned on orders not yet settled, fen.
    pub pending_fen: i64,
    /// Settled and not yet paid out, fen.
    pub payable_fen: i64,
}

/// Which of a party's accounts a statement line moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementAccount {
    /// Earned, inside the return window.
    Pending,
    /// Settled, to be paid out.
    Payable,
}

impl StatementAccount {
    fn as_str(self) -> &'static str {
        match self {
            StatementAccount::Pending => "pending",
            StatementAccount::Payable => "payable",
        }
    }
}

/// One ledger entry on a party's account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    /// The ledger posting.
    pub posting_id: i64,
    /// When it was posted.
    pub at_ms: i64,
    /// The order it concerns (absent for payouts).
    pub order_id: Option<OrderId>,
    /// Why money moved: `payment`, `refund`, `settlement`, `compensation`, `payout`, …
    pub kind: String,
    /// The account moved.
    pub account: StatementAccount,
    /// Fen, from the party's side: positive raises what the platform owes it.
    pub amount_fen: i64,
    /// The pending balance after this line.
    pub pending_balance_fen: i64,
    /// The payable balance after this line.
    pub payable_balance_fen: i64,
}

/// A party's statement for a period: opening balances, every line, closing balances;
/// `closing = opening + Σ lines` for each account, to the fen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    /// Whose.
    pub party: PartyRef,
    /// The period's start, inclusive, Unix ms.
    pub from_ms: i64,
    /// The period's end, exclusive, Unix ms.
    pub to_ms: i64,
    /// Balances before the period.
    pub opening: PartyBalances,
    /// The period's entries, in the order they were posted.
    pub lines: Vec<StatementLine>,
    /// Balances at the end of the period.
    pub closing: PartyBalances,
}

/// The CSV header of a statement.
pub const STATEMENT_CSV_HEADER: &str =
    "posting_id,at_ms,order_id,kind,account,amount_fen,pending_balance_fen,payable_balance_fen";

impl Statement {
    /// The statement as CSV: a header row, an `opening` row, one row per line and a
    /// `closing` row. Every field is a number or a fixed word, so nothing needs quoting.
    pub fn to_csv(&self) -> String {
        let mut csv = String::with_capacity(64 * (self.lines.len() + 3));
        csv.push_str(STATEMENT_CSV_HEADER);
        csv.push('\n');
        let _ = writeln!(
            csv,
            ",{},,opening,,,{},{}",
            self.from_ms, self.opening.pending_fen, self.opening.payable_fen
        );
        for line in &self.lines {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{}",
                line.posting_id,
                line.at_ms,
                line.order_id.map(|o| o.0.to_string()).unwrap_or_default(),
                line.kind,
                line.account.as_str(),
                line.amount_fen,
                line.pending_balance_fen,
                line.payable_balance_fen
            );
        }
        let _ = writeln!(
            csv,
            ",{},,closing,,,{},{}",
            self.to_ms, self.closing.pending_fen, self.closing.payable_fen
        );
        csv
    }
}

/// One payment or refund found on one side only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconItem {
    /// The key compared: the gateway payment id for payments, the merchant refund id for
    /// refunds.
    pub key: String,
    /// The gateway's payment id.
    pub gateway_payment_id: String,
    /// The order, when daihuo knows it.
    pub order_id: Option<OrderId>,
    /// Fen.
    pub amount_fen: i64,
    /// When it happened (gateway) or was recorded (daihuo).
    pub at_ms: i64,
}

/// One payment or refund both sides hold with different amounts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconMismatch {
    /// The key compared.
    pub key: String,
    /// The order.
    pub order_id: OrderId,
    /// The gateway's amount, fen.
    pub gateway_fen: i64,
    /// daihuo's amount, fen.
    pub daihuo_fen: i64,
}

/// The gateway's payments (or refunds) against daihuo's.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReconSection {
    /// Held by both with the same amount.
    pub matched_count: i64,
    /// Their sum, fen.
    pub matched_fen: i64,
    /// At the gateway in the period, unknown to daihuo.
    pub missing_in_daihuo: Vec<ReconItem>,
    /// Recorded by daihuo in the period, unknown to the gateway.
    pub missing_at_gateway: Vec<ReconItem>,
    /// Held by both, amounts differ.
    pub amount_mismatches: Vec<ReconMismatch>,
}

impl ReconSection {
    fn clean(&self) -> bool {
        self.missing_in_daihuo.is_empty()
            && self.missing_at_gateway.is_empty()
            && self.amount_mismatches.is_empty()
    }
}

/// An order whose ledger `buyer_payments` differs from its recorded payments less refunds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerMismatch {
    /// The order.
    pub order_id: OrderId,
    /// Succeeded payments less succeeded refunds daihuo recorded, fen.
    pub recorded_fen: i64,
    /// The ledger's `buyer_payments` balance for the order, fen.
    pub ledger_fen: i64,
}

/// daihuo's payment records against the ledger, per order.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LedgerSection {
    /// Orders with a payment or refund in the period.
    pub orders_checked: i64,
    /// Orders whose ledger agrees.
    pub matched_orders: i64,
    /// Their ledger `buyer_payments` in total, fen.
    pub matched_fen: i64,
    /// Orders whose ledger disagrees (a refund in flight for a payment the order did not
    /// need shows here until it succeeds: money the ledger never held).
    pub mismatches: Vec<LedgerMismatch>,
}

/// The reconciliation of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reconciliation {
    /// The period's start, inclusive, Unix ms.
    pub from_ms: i64,
    /// The period's end, exclusive, Unix ms.
    pub to_ms: i64,
    /// Payments: the gateway's against daihuo's `payments`.
    pub payments: ReconSection,
    /// Refunds: the gateway's against daihuo's `refunds`.
    pub refunds: ReconSection,
    /// daihuo's records against the ledger's `buyer_payments`.
    pub ledger: LedgerSection,
    /// Nothing is missing or differs anywhere.
    pub clean: bool,
}

/// The CSV header of a reconciliation.
pub const RECONCILIATION_CSV_HEADER: &str =
    "section,status,key,order_id,count,gateway_fen,daihuo_fen,ledger_fen";

impl Reconciliation {
    /// The report as CSV: a header row, then per section a `matched` summary row and one row
    /// per finding (`missing_in_daihuo`, `missing_at_gateway`, `amount_mismatch`,
    /// `ledger_mismatch`). Keys are gateway and merchant ids (printable ASCII without commas,
    /// as the gateway requires), so nothing needs quoting.
    pub fn to_csv(&self) -> String {
        let mut csv = String::new();
        csv.push_str(RECONCILIATION_CSV_HEADER);
        csv.push('\n');
        let order = |o: Option<OrderId>| o.map(|o| o.0.to_string()).unwrap_or_default();
        for (name, section) in [("payments", &self.payments), ("refunds", &self.refunds)] {
            let _ = writeln!(
                csv,
                "{name},matched,,,{},{},{},",
                section.matched_count, section.matched_fen, section.matched_fen
            );
            for item in &section.missing_in_daihuo {
                let _ = writeln!(
                    csv,
                    "{name},missing_in_daihuo,{},{},1,{},,",
                    csv_safe(&item.key),
                    order(item.order_id),
                    item.amount_fen
                );
            }
            for item in &section.missing_at_gateway {
                let _ = writeln!(
                    csv,
                    "{name},missing_at_gateway,{},{},1,,{},",
                    csv_safe(&item.key),
                    order(item.order_id),
                    item.amount_fen
                );
            }
            for m in &section.amount_mismatches {
                let _ = writeln!(
                    csv,
                    "{name},amount_mismatch,{},{},1,{},{},",
                    csv_safe(&m.key),
                    m.order_id,
                    m.gateway_fen,
                    m.daihuo_fen
                );
            }
        }
        let _ = writeln!(
            csv,
            "ledger,matched,,,{},,{},{}",
            self.ledger.matched_orders, self.ledger.matched_fen, self.ledger.matched_fen
        );
        for m in &self.ledger.mismatches {
            let _ = writeln!(
                csv,
                "ledger,ledger_mismatch,,{},1,,{},{}",
                m.order_id, m.recorded_fen, m.ledger_fen
            );
        }
        csv
    }
}

/// Keeps a CSV field one field: ids from a gateway are printable ASCII, but a field is
/// never trusted to be free of separators.
fn csv_safe(field: &str) -> String {
    field
        .chars()
        .map(|c| {
            if c == ',' || c == '"' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Checks a period: `0 ≤ from ≤ to`.
fn period(from_ms: Option<i64>, to_ms: Option<i64>, now: i64) -> ServiceResult<(i64, i64)> {
    let from = from_ms.unwrap_or(0);
    let to = to_ms.unwrap_or(now.saturating_add(1));
    if from < 0 || to < from {
        return Err(ServiceError::invalid(
            "invalid_period",
            "the period needs 0 ≤ from_ms ≤ to_ms (Unix milliseconds)",
        ));
    }
    Ok((from, to))
}

/// What a settlement posting moved to the supplier's and the anchor's payable accounts.
fn moved_to_payable(posting: &Posting) -> (i64, i64) {
    let mut supplier = 0;
    let mut anchor = 0;
    for entry in posting.entries() {
        // A credit raises what the platform owes the party.
        let owed = match entry.side {
            Side::Credit => entry.amount.0,
            Side::Debit => -entry.amount.0,
        };
        match entry.account {
            Account::SupplierPayable(_) => supplier += owed,
            Account::CommissionPayable(_) => anchor += owed,
            _ => {}
        }
    }
    (supplier, anchor)
}

/// Settles one order in `conn`'s transaction if this run claims it; returns what moved.
async fn settle_order(
    conn: &mut AnyConnection,
    run_id: i64,
    id: OrderId,
    cutoff_ms: i64,
    now: i64,
) -> ServiceResult<Option<SettledOrderRow>> {
    // The claim is the order row's lock (the lock order: the order before its money).
    if !settle_store::claim_for_settlement(conn, id, cutoff_ms, now).await? {
        return Ok(None);
    }
    let order = store::order_by_id(&mut *conn, id)
        .await?
        .ok_or(ServiceError::NotFound("order"))?;
    let (mut supplier_fen, mut commission_fen) = (0, 0);
    if let Some(json) = ful_store::order_money(&mut *conn, id).await? {
        let mut money: OrderMoney =
            serde_json::from_str(&json).map_err(|e| internal(format!("order money {id}: {e}")))?;
        match money.settle() {
            Ok(posting) => {
                if let Some(posting) = &posting {
                    (supplier_fen, commission_fen) = moved_to_payable(posting);
                    crate::fulfilment::append(conn, posting, now).await?;
                }
                let next = serde_json::to_string(&money).map_err(|e| internal(e.to_string()))?;
                if !settle_store::replace_order_money(conn, id, &json, &next, now).await? {
                    return Err(busy());
                }
            }
            Err(LedgerError::AlreadySettled) => {
                tracing::warn!(order = %id, "order money settled before its claim; nothing posted");
            }
            Err(error) => return Err(error.into()),
        }
    }
    let row = SettledOrderRow {
        order_id: id,
        run_id,
        supplier_id: order.supplier_id,
        supplier_fen,
        anchor_id: order.anchor_id,
        commission_fen,
    };
    settle_store::insert_settled_order(conn, &row, now).await?;
    Ok(Some(row))
}

impl Services {
    /// The part of the checkout sweep that confirms receipts whose window closed and, when
    /// the policy says a run is due and some order is, starts a settlement run in a task of
    /// its own. Safe on every node at once.
    pub(crate) async fn sweep_settlement(&self) -> ServiceResult<()> {
        let now = now_ms();
        self.confirm_due_receipts(now).await?;
        let Some(every) = self.config.settlement.run_every else {
            return Ok(());
        };
        let latest = settle_store::latest_sweeper_run_ms(self.store.pool()).await?;
        if latest.is_some_and(|at| now - at < millis(every)) {
            return Ok(());
        }
        let cutoff = now.saturating_sub(millis(self.config.settlement.settle_after));
        if settle_store::orders_due_settlement(self.store.pool(), cutoff, 1)
            .await?
            .is_empty()
        {
            return Ok(());
        }
        // The run goes on beside the sweep, so a large backlog never holds up the release of
        // unpaid reservations; the next sweeps see it started and leave it alone.
        let services = self.clone();
        tokio::spawn(async move {
            match services.run_settlement("sweeper", None).await {
                Ok(run) => {
                    tracing::info!(
                        run = run.id,
                        orders = run.orders,
                        "settlement run by the sweeper"
                    )
                }
                Err(error) => {
                    tracing::warn!(code = error.code(), %error, "settlement run failed; the next run goes on")
                }
            }
        });
        Ok(())
    }

    /// Runs settlement now: settles every order completed at least N ago that no run
    /// settled, exactly once whatever runs race it.
    async fn run_settlement(
        &self,
        trigger: &str,
        started_by: Option<UserId>,
    ) -> ServiceResult<RunView> {
        let started = now_ms();
        let cutoff = started.saturating_sub(millis(self.config.settlement.settle_after));
        let mut tx = self.store.begin_write().await?;
        let run_id =
            settle_store::insert_run(tx.conn(), trigger, started_by, cutoff, started).await?;
        tx.commit().await?;
        let mut settled = 0usize;
        while settled < RUN_ORDERS_MAX {
            let due = settle_store::orders_due_settlement(self.store.pool(), cutoff, SETTLE_BATCH)
                .await?;
            if due.is_empty() {
                break;
            }
            let now = now_ms();
            let mut tx = self.store.begin_write().await?;
            for id in &due {
                if settle_order(tx.conn(), run_id, *id, cutoff, now)
                    .await?
                    .is_some()
                {
                    settled += 1;
                }
            }
            tx.commit().await?;
            // Every order read was either claimed here or by another run, so none of them
            // is due any more: the loop ends when the backlog does.
            if i64::try_from(due.len()).unwrap_or(i64::MAX) < SETTLE_BATCH {
                break;
            }
        }
        let mut tx = self.store.begin_write().await?;
        settle_store::finish_run(tx.conn(), run_id, now_ms()).await?;
        tx.commit().await?;
        self.run_view(run_id).await
    }

    async fn run_view(&self, id: i64) -> ServiceResult<RunView> {
        let row = settle_store::run_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("settlement run"))?;
        let totals = settle_store::run_totals(self.store.pool(), id, id).await?;
        RunView::of(row, &totals)
    }

    /// Operator: starts a settlement run now and answers when it finished.
    pub async fn start_settlement_run(&self, actor: &Actor) -> ServiceResult<RunView> {
        actor.require_operator()?;
        let run = self.run_settlement("operator", Some(actor.user_id)).await?;
        tracing::info!(run = run.id, orders = run.orders, operator = %actor.user_id,
            "settlement run by an operator");
        Ok(run)
    }

    /// Operator: settlement runs with an id below `before` (all when absent), newest first.
    pub async fn settlement_runs(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<Vec<RunView>> {
        actor.require_operator()?;
        let rows = settle_store::runs(
            self.store.pool(),
            before.unwrap_or(i64::MAX),
            limit.clamp(1, RUNS_PAGE_MAX),
        )
        .await?;
        let (Some(newest), Some(oldest)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let totals = settle_store::run_totals(self.store.pool(), oldest.id, newest.id).await?;
        rows.into_iter().map(|r| RunView::of(r, &totals)).collect()
    }

    /// Operator: one settlement run.
    pub async fn settlement_run(&self, actor: &Actor, id: i64) -> ServiceResult<RunView> {
        actor.require_operator()?;
        self.run_view(id).await
    }

    /// Refuses a party that does not exist (an anchor must be an anchor).
    async fn check_party(&self, party: PartyRef) -> ServiceResult<()> {
        let exists = match party.kind {
            PartyKind::Supplier => {
                daihuo_store::supplier_by_id(self.store.pool(), SupplierId(party.id))
                    .await?
                    .is_some()
            }
            PartyKind::Anchor => daihuo_store::user_by_id(self.store.pool(), UserId(party.id))
                .await?
                .is_some_and(|u| u.role == Role::Anchor),
        };
        if exists {
            Ok(())
        } else {
            Err(ServiceError::NotFound("party"))
        }
    }

    /// Operator: pays a party out of its payable balance, recorded with the transfer's
    /// reference. The same reference and amount again answers the payout it made.
    pub async fn payout(&self, actor: &Actor, input: PayoutInput) -> ServiceResult<PayoutView> {
        actor.require_operator()?;
        let reference = input.reference.trim().to_owned();
        if reference.is_empty()
            || reference.chars().count() > PAYOUT_REFERENCE_MAX_CHARS
            || reference.chars().any(char::is_control)
        {
            return Err(ServiceError::invalid(
                "invalid_payout_reference",
                "the reference is 1 to 64 characters without control characters",
            ));
        }
        self.check_party(input.party).await?;
        let party = input.party;
        let accounts = party.accounts();
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        settle_store::lock_payout_party(tx.conn(), party.kind.as_str(), party.id).await?;
        if let Some(done) =
            settle_store::payout_by_reference(tx.conn(), party.kind.as_str(), party.id, &reference)
                .await?
        {
            return if done.amount_fen == input.amount_fen {
                PayoutView::of(done)
            } else {
                Err(ServiceError::conflict(
                    "payout_reference_used",
                    format!(
                        "reference {reference} paid {} fen to this party already",
                        done.amount_fen
                    ),
                ))
            };
        }
        let balance =
            settle_store::account_balance(tx.conn(), accounts.payable, party.id, i64::MAX).await?;
        let posting = payout_of_payable(party.domain(), Fen(input.amount_fen), Fen(-balance))
            .map_err(|error| match error {
                LedgerError::NotPositive(_) => {
                    ServiceError::invalid(error.code(), error.to_string())
                }
                LedgerError::PartyOwes { .. } | LedgerError::PayoutExceedsPayable { .. } => {
                    ServiceError::conflict(error.code(), error.to_string())
                }
                other => other.into(),
            })?;
        let posting_id = crate::fulfilment::append(tx.conn(), &posting, now).await?;
        let row = settle_store::insert_payout(
            tx.conn(),
            party.kind.as_str(),
            party.id,
            input.amount_fen,
            &reference,
            posting_id,
            actor.user_id,
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(party = ?party, amount_fen = input.amount_fen, %reference, "payout");
        PayoutView::of(row)
    }

    /// Operator: a party's payouts, newest first.
    pub async fn payouts(
        &self,
        actor: &Actor,
        party: PartyRef,
        limit: i64,
    ) -> ServiceResult<Vec<PayoutView>> {
        actor.require_operator()?;
        let rows = settle_store::payouts_of(
            self.store.pool(),
            party.kind.as_str(),
            party.id,
            limit.clamp(1, PAYOUTS_PAGE_MAX),
        )
        .await?;
        rows.into_iter().map(PayoutView::of).collect()
    }

    /// A party's statement for `[from_ms, to_ms)` (from the start, to now, when absent).
    /// Without `party`, the actor's own: a supplier's staff get their organisation's, an
    /// anchor their own. Operators may name any party.
    pub async fn statement(
        &self,
        actor: &Actor,
        party: Option<PartyRef>,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> ServiceResult<Statement> {
        let party = match party {
            Some(party) => {
                actor.require_operator()?;
                self.check_party(party).await?;
                party
            }
            None => match actor.role {
                Role::SupplierStaff => PartyRef {
                    kind: PartyKind::Supplier,
                    id: actor.require_supplier()?.0,
                },
                Role::Anchor => PartyRef {
                    kind: PartyKind::Anchor,
                    id: actor.user_id.0,
                },
                _ => return Err(ServiceError::Forbidden),
            },
        };
        let (from, to) = period(from_ms, to_ms, now_ms())?;
        let accounts = party.accounts();
        let pool = self.store.pool();
        // Balances are stored as debits minus credits; the party's side is the opposite.
        let opening = PartyBalances {
            pending_fen: -settle_store::account_balance(pool, accounts.pending, party.id, from)
                .await?,
            payable_fen: -settle_store::account_balance(pool, accounts.payable, party.id, from)
                .await?,
        };
        let entries =
            settle_store::party_entries(pool, accounts, from, to, STATEMENT_LINES_MAX + 1).await?;
        if i64::try_from(entries.len()).unwrap_or(i64::MAX) > STATEMENT_LINES_MAX {
            return Err(ServiceError::invalid(
                "statement_too_large",
                "the period has more than 10000 lines; ask for shorter periods",
            ));
        }
        let mut running = opening;
        let mut lines = Vec::with_capacity(entries.len());
        for entry in entries {
            let amount = match entry.side.as_str() {
                "credit" => entry.amount_fen,
                _ => -entry.amount_fen,
            };
            let account = if entry.account == accounts.payable {
                running.payable_fen += amount;
                StatementAccount::Payable
            } else {
                running.pending_fen += amount;
                StatementAccount::Pending
            };
            lines.push(StatementLine {
                posting_id: entry.posting_id,
                at_ms: entry.created_at_ms,
                order_id: entry.order_id,
                kind: entry.kind,
                account,
                amount_fen: amount,
                pending_balance_fen: running.pending_fen,
                payable_balance_fen: running.payable_fen,
            });
        }
        Ok(Statement {
            party,
            from_ms: from,
            to_ms: to,
            opening,
            lines,
            closing: running,
        })
    }

    /// Operator: the gateway's payments and refunds in `[from_ms, to_ms)` against daihuo's
    /// records, and those against the ledger.
    pub async fn reconciliation(
        &self,
        actor: &Actor,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> ServiceResult<Reconciliation> {
        actor.require_operator()?;
        let setup = self.payments.clone().ok_or(ServiceError::Unavailable {
            code: "payments_unavailable",
            message: "this node has no payment gateway".into(),
        })?;
        let (from, to) = period(from_ms, to_ms, now_ms())?;
        let gateway = setup
            .gateway
            .transactions(from.saturating_sub(RECONCILE_LOOKBACK_MS), to)
            .await?;
        let pool = self.store.pool();
        let too_large = || {
            ServiceError::invalid(
                "period_too_large",
                "the period holds more than 100000 payments or refunds; ask for shorter periods",
            )
        };
        let rows = RECONCILE_ROWS_MAX + 1;
        let payments =
            settle_store::succeeded_between(pool, MoveKind::Payment, from, to, rows).await?;
        let refunds =
            settle_store::succeeded_between(pool, MoveKind::Refund, from, to, rows).await?;
        let limit = usize::try_from(RECONCILE_ROWS_MAX).unwrap_or(usize::MAX);
        if payments.len() > limit || refunds.len() > limit {
            return Err(too_large());
        }
        let mut orders: BTreeSet<OrderId> = BTreeSet::new();
        let payment_side = self
            .compare(
                TransactionKind::Payment,
                &gateway,
                &payments,
                from,
                &mut orders,
            )
            .await?;
        let refund_side = self
            .compare(
                TransactionKind::Refund,
                &gateway,
                &refunds,
                from,
                &mut orders,
            )
            .await?;
        let mut ledger = LedgerSection::default();
        for order in orders {
            let net = settle_store::order_net(pool, order).await?;
            ledger.orders_checked += 1;
            if net.ledger_fen == net.recorded_fen {
                ledger.matched_orders += 1;
                ledger.matched_fen += net.ledger_fen;
            } else {
                ledger.mismatches.push(LedgerMismatch {
                    order_id: order,
                    recorded_fen: net.recorded_fen,
                    ledger_fen: net.ledger_fen,
                });
            }
        }
        let clean = payment_side.clean() && refund_side.clean() && ledger.mismatches.is_empty();
        if !clean {
            tracing::warn!(from, to, "reconciliation found differences");
        }
        Ok(Reconciliation {
            from_ms: from,
            to_ms: to,
            payments: payment_side,
            refunds: refund_side,
            ledger,
            clean,
        })
    }

    /// Compares the gateway's transactions of one kind with daihuo's rows recorded in the
    /// period. A gateway transaction of the period that daihuo recorded outside it is looked
    /// up by its key; the orders met are added to `orders` for the ledger check.
    async fn compare(
        &self,
        kind: TransactionKind,
        gateway: &[GatewayTransaction],
        recorded: &[MoneyMoveRow],
        from: i64,
        orders: &mut BTreeSet<OrderId>,
    ) -> ServiceResult<ReconSection> {
        let key_of = |t: &GatewayTransaction| -> Option<String> {
            match kind {
                TransactionKind::Payment => Some(t.gateway_payment_id.clone()),
                TransactionKind::Refund => t.merchant_refund_id.clone(),
            }
        };
        let recorded_key = |r: &MoneyMoveRow| -> String {
            match kind {
                TransactionKind::Payment => r.gateway_payment_id.clone(),
                TransactionKind::Refund => r.key.clone(),
            }
        };
        let mut at_gateway: HashMap<String, &GatewayTransaction> = HashMap::new();
        for transaction in gateway.iter().filter(|t| t.kind == kind) {
            if let Some(key) = key_of(transaction) {
                at_gateway.insert(key, transaction);
            }
        }
        let mut section = ReconSection::default();
        let mut seen: HashSet<String> = HashSet::new();
        let tally =
            |section: &mut ReconSection, key: String, gateway_fen: i64, row: &MoneyMoveRow| {
                if gateway_fen == row.amount_fen {
                    section.matched_count += 1;
                    section.matched_fen += gateway_fen;
                } else {
                    section.amount_mismatches.push(ReconMismatch {
                        key,
                        order_id: row.order_id,
                        gateway_fen,
                        daihuo_fen: row.amount_fen,
                    });
                }
            };
        for row in recorded {
            let key = recorded_key(row);
            orders.insert(row.order_id);
            match at_gateway.get(&key) {
                Some(transaction) => {
                    seen.insert(key.clone());
                    tally(&mut section, key, transaction.amount_fen, row);
                }
                None => section.missing_at_gateway.push(ReconItem {
                    key,
                    gateway_payment_id: row.gateway_payment_id.clone(),
                    order_id: Some(row.order_id),
                    amount_fen: row.amount_fen,
                    at_ms: row.recorded_at_ms,
                }),
            }
        }
        // The gateway's transactions of the period that no row of the period matched.
        let pool = self.store.pool();
        let mut unmatched: Vec<(&String, &&GatewayTransaction)> = at_gateway
            .iter()
            .filter(|(key, t)| t.occurred_at_ms >= from && !seen.contains(*key))
            .collect();
        unmatched.sort_by_key(|(key, t)| (t.occurred_at_ms, (*key).clone()));
        for (key, transaction) in unmatched {
            let moves = match kind {
                TransactionKind::Payment => MoveKind::Payment,
                TransactionKind::Refund => MoveKind::Refund,
            };
            let row = settle_store::succeeded_by_key(pool, moves, key).await?;
            match row {
                Some(row) => {
                    orders.insert(row.order_id);
                    tally(&mut section, key.clone(), transaction.amount_fen, &row);
                }
                None => section.missing_in_daihuo.push(ReconItem {
                    key: key.clone(),
                    gateway_payment_id: transaction.gateway_payment_id.clone(),
                    order_id: None,
                    amount_fen: transaction.amount_fen,
                    at_ms: transaction.occurred_at_ms,
                }),
            }
        }
        Ok(section)
    }
}
