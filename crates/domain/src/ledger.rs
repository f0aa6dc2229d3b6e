//! The settlement ledger: double-entry, append-only, in fen.
//!
//! Every movement of money is a [`Posting`]: a set of [`Entry`]s whose debits equal their
//! credits, refused at construction otherwise. Balances change only by applying postings
//! ([`Balances::apply`]); nothing is ever edited or deleted, a mistake is corrected by a
//! further posting. The functions here only build postings: the store appends them, in the
//! transaction of the change they record.
//!
//! One order's money moves like this (`B` buyer pays, `S` subsidy, `G = B + S` gross, `C`
//! commission, `F` platform fee, `P = G − C − F` supplier):
//!
//! ```text
//! paid        Dr buyer_payments B, Dr platform_subsidy S │ Cr supplier_pending P,
//!                                                         │ Cr commission_pending C, Cr platform_fee F
//! refund r    Dr supplier_* p, Dr commission_* c, Dr platform_fee f │ Cr refunds_owed r, Cr platform_subsidy s
//! refund sent Dr refunds_owed r                            │ Cr buyer_payments r
//! settled     Dr supplier_pending, Dr commission_pending   │ Cr supplier_payable, Cr commission_payable
//! late ship   Dr supplier_* k                              │ Cr compensation_owed k
//! comp. sent  Dr compensation_owed k                       │ Cr buyer_payments k
//! payout      Dr supplier_payable or commission_payable    │ Cr payouts
//! ```
//!
//! A balance is debits minus credits, so what the platform owes a party is a negative
//! balance. Refunds and compensation after settlement are taken from the payable accounts,
//! and may leave them negative: the party then owes the platform, which nets it against the
//! next payout.

use crate::ids::{OrderId, SupplierId, UserId};
use crate::money::{Fen, MoneyError};
use crate::order::PriceSplit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most entries one posting may hold. The largest posting built here has six; the cap
/// stops a bug from building an unbounded one.
pub const POSTING_ENTRIES_MAX: usize = 16;

/// Why a posting was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A posting had no entries.
    #[error("a posting must have at least one debit and one credit")]
    EmptyPosting,
    /// A posting had more entries than the cap.
    #[error("a posting may hold at most 16 entries")]
    TooManyEntries,
    /// An entry's amount, or an amount asked for, was zero or negative.
    #[error("amounts must be at least 1 fen: {0}")]
    NotPositive(Fen),
    /// Debits and credits differ.
    #[error("debits {debits} and credits {credits} differ")]
    Unbalanced {
        /// The sum of the debits.
        debits: Fen,
        /// The sum of the credits.
        credits: Fen,
    },
    /// A sum overflowed 64 bits.
    #[error("the amounts overflow")]
    Overflow,
    /// An order's split does not add up (`buyer_pays + subsidy = gross = supplier +
    /// commission + platform_fee`, none negative, the buyer paying at least 1 fen).
    #[error("the order's amounts do not add up")]
    SplitMismatch,
    /// A refund asked for more than the buyer paid and has not had back.
    #[error("refund of {asked} exceeds the {refundable} left to refund")]
    RefundExceedsPaid {
        /// The refund asked for.
        asked: Fen,
        /// What the buyer paid and has not had back.
        refundable: Fen,
    },
    /// More was sent to the buyer than was owed to them.
    #[error("sending {asked} exceeds the {owed} owed")]
    SendExceedsOwed {
        /// The amount asked to send.
        asked: Fen,
        /// What is owed and not yet sent.
        owed: Fen,
    },
    /// Compensation would exceed what the buyer paid for the order.
    #[error("compensation of {asked} exceeds the {limit} the buyer paid")]
    CompensationExceedsOrder {
        /// The compensation asked for, in total.
        asked: Fen,
        /// What the buyer paid.
        limit: Fen,
    },
    /// The order was settled already.
    #[error("the order is already settled")]
    AlreadySettled,
    /// The party owes the platform (refunds or compensation after settlement exceeded what
    /// it was owed): nothing may be paid out until later earnings cover the debt.
    #[error("the party owes the platform {owes}; nothing is payable")]
    PartyOwes {
        /// What the party owes.
        owes: Fen,
    },
    /// A payout asked for more than the party's payable balance.
    #[error("payout of {asked} exceeds the {payable} payable")]
    PayoutExceedsPayable {
        /// The payout asked for.
        asked: Fen,
        /// What the platform owes the party now.
        payable: Fen,
    },
}

impl LedgerError {
    /// The stable snake_case code for API clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::EmptyPosting => "posting_empty",
            LedgerError::TooManyEntries => "posting_too_large",
            LedgerError::NotPositive(_) => "amount_not_positive",
            LedgerError::Unbalanced { .. } => "posting_unbalanced",
            LedgerError::Overflow => "amount_overflow",
            LedgerError::SplitMismatch => "split_mismatch",
            LedgerError::RefundExceedsPaid { .. } => "refund_exceeds_paid",
            LedgerError::SendExceedsOwed { .. } => "send_exceeds_owed",
            LedgerError::CompensationExceedsOrder { .. } => "compensation_exceeds_order",
            LedgerError::AlreadySettled => "already_settled",
            LedgerError::PartyOwes { .. } => "party_owes_platform",
            LedgerError::PayoutExceedsPayable { .. } => "payout_exceeds_payable",
        }
    }
}

impl From<MoneyError> for LedgerError {
    fn from(_: MoneyError) -> Self {
        LedgerError::Overflow
    }
}

/// A party the platform owes money to and pays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A supplier organisation, paid what its goods earned.
    Supplier(SupplierId),
    /// An anchor, paid commission.
    Anchor(UserId),
}

/// A ledger account. Party accounts carry the party, so a statement is the entries of that
/// party's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// Money buyers paid, held for the platform by the payment gateway. Refunds and
    /// compensation sent to buyers go out of it; reconciliation compares it with the
    /// gateway's own records.
    BuyerPayments,
    /// What the platform spent on campaign subsidies; a refund of a subsidised order gives
    /// the platform its share back.
    PlatformSubsidy,
    /// What a supplier earned on orders still inside their return window: not yet payable.
    SupplierPending(SupplierId),
    /// What a supplier is owed after settlement and may be paid out.
    SupplierPayable(SupplierId),
    /// An anchor's commission on orders still inside their return window.
    CommissionPending(UserId),
    /// An anchor's commission after settlement, which may be paid out.
    CommissionPayable(UserId),
    /// The platform's fee revenue.
    PlatformFee,
    /// Refunds decided but not yet confirmed sent by the gateway.
    RefundsOwed,
    /// Late-shipment compensation owed to buyers and not yet sent.
    CompensationOwed,
    /// Money sent out to suppliers' and anchors' bank accounts: each payout credits it, so
    /// its balance is minus everything ever paid out.
    Payouts,
}

impl Account {
    /// The stored name of the account's kind (the party, if any, is stored beside it).
    pub fn name(&self) -> &'static str {
        match self {
            Account::BuyerPayments => "buyer_payments",
            Account::PlatformSubsidy => "platform_subsidy",
            Account::SupplierPending(_) => "supplier_pending",
            Account::SupplierPayable(_) => "supplier_payable",
            Account::CommissionPending(_) => "commission_pending",
            Account::CommissionPayable(_) => "commission_payable",
            Account::PlatformFee => "platform_fee",
            Account::RefundsOwed => "refunds_owed",
            Account::CompensationOwed => "compensation_owed",
            Account::Payouts => "payouts",
        }
    }

    /// The party whose account this is, if it belongs to one.
    pub fn party(&self) -> Option<Party> {
        match *self {
            Account::SupplierPending(s) | Account::SupplierPayable(s) => Some(Party::Supplier(s)),
            Account::CommissionPending(a) | Account::CommissionPayable(a) => Some(Party::Anchor(a)),
            _ => None,
        }
    }

    /// The account a party's settled money waits in until it is paid out.
    pub fn payable(party: Party) -> Account {
        match party {
            Party::Supplier(s) => Account::SupplierPayable(s),
            Party::Anchor(a) => Account::CommissionPayable(a),
        }
    }
}

/// Which side of an account an entry is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Raises the account's balance.
    Debit,
    /// Lowers the account's balance.
    Credit,
}

/// One line of a posting. Only a [`Posting`] checks entries, so an entry alone proves
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The account moved.
    pub account: Account,
    /// Debit or credit.
    pub side: Side,
    /// How much, at least 1 fen.
    pub amount: Fen,
}

impl Entry {
    /// A debit of `amount` to `account`.
    pub fn debit(account: Account, amount: Fen) -> Entry {
        Entry {
            account,
            side: Side::Debit,
            amount,
        }
    }

    /// A credit of `amount` to `account`.
    pub fn credit(account: Account, amount: Fen) -> Entry {
        Entry {
            account,
            side: Side::Credit,
            amount,
        }
    }

    /// The entry's effect on its account's balance: plus for a debit, minus for a credit.
    pub fn signed(&self) -> i64 {
        match self.side {
            Side::Debit => self.amount.0,
            Side::Credit => -self.amount.0,
        }
    }
}

/// Why money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    /// A buyer paid an order.
    Payment,
    /// A refund was decided: the sale is reversed in part or in full.
    Refund,
    /// The gateway confirmed a refund sent to the buyer.
    RefundSent,
    /// The return window closed: pending amounts became payable.
    Settlement,
    /// A late shipment owes the buyer compensation, at the supplier's cost.
    Compensation,
    /// Compensation was sent to the buyer.
    CompensationSent,
    /// Money was sent to a supplier or an anchor.
    Payout,
}

impl PostingKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostingKind::Payment => "payment",
            PostingKind::Refund => "refund",
            PostingKind::RefundSent => "refund_sent",
            PostingKind::Settlement => "settlement",
            PostingKind::Compensation => "compensation",
            PostingKind::CompensationSent => "compensation_sent",
            PostingKind::Payout => "payout",
        }
    }
}

/// A balanced set of entries: the only thing that changes a balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    /// Why the money moved.
    kind: PostingKind,
    /// The order it concerns; payouts concern a party, not an order.
    order: Option<OrderId>,
    /// At least two entries, debits equal to credits.
    entries: Vec<Entry>,
}

impl Posting {
    /// Checks that the entries are 1 to [`POSTING_ENTRIES_MAX`], each of at least 1 fen, and
    /// that debits equal credits without overflow.
    pub fn new(
        kind: PostingKind,
        order: Option<OrderId>,
        entries: Vec<Entry>,
    ) -> Result<Posting, LedgerError> {
        if entries.is_empty() {
            return Err(LedgerError::EmptyPosting);
        }
        if entries.len() > POSTING_ENTRIES_MAX {
            return Err(LedgerError::TooManyEntries);
        }
        let mut debits = Fen::ZERO;
        let mut credits = Fen::ZERO;
        for entry in &entries {
            if entry.amount.0 <= 0 {
                return Err(LedgerError::NotPositive(entry.amount));
            }
            match entry.side {
                Side::Debit => debits = debits.checked_add(entry.amount)?,
                Side::Credit => credits = credits.checked_add(entry.amount)?,
            }
        }
        if debits != credits {
            return Err(LedgerError::Unbalanced { debits, credits });
        }
        Ok(Posting {
            kind,
            order,
            entries,
        })
    }

    /// Builds a posting from entries some of which may be zero: the builders below leave out
    /// a zero part (an order with no subsidy has no subsidy entry) rather than refuse it.
    fn without_zeros(
        kind: PostingKind,
        order: Option<OrderId>,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Result<Posting, LedgerError> {
        let entries = entries.into_iter().filter(|e| e.amount.0 != 0).collect();
        Posting::new(kind, order, entries)
    }

    /// Why the money moved.
    pub fn kind(&self) -> PostingKind {
        self.kind
    }

    /// The order it concerns, if any.
    pub fn order(&self) -> Option<OrderId> {
        self.order
    }

    /// The entries, in the order they were built.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The amount moved: the sum of the debits (equal to the sum of the credits).
    pub fn total(&self) -> Fen {
        Fen(self
            .entries
            .iter()
            .filter(|e| e.side == Side::Debit)
            .map(|e| e.amount.0)
            .sum())
    }
}

/// Balances per account, folded from postings. The map is private and only
/// [`Balances::apply`] changes it, so every balance is explained by postings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    /// Debits minus credits per account; accounts at zero are left out, so two ledgers with
    /// the same balances compare equal however they got there.
    by_account: BTreeMap<Account, i64>,
}

impl Balances {
    /// No postings yet: every balance zero.
    pub fn new() -> Balances {
        Balances::default()
    }

    /// Folds postings, in order, into balances.
    pub fn fold<'a>(
        postings: impl IntoIterator<Item = &'a Posting>,
    ) -> Result<Balances, LedgerError> {
        let mut balances = Balances::new();
        for posting in postings {
            balances.apply(posting)?;
        }
        Ok(balances)
    }

    /// Applies one posting. On overflow nothing changes.
    pub fn apply(&mut self, posting: &Posting) -> Result<(), LedgerError> {
        let mut next = self.by_account.clone();
        for entry in posting.entries() {
            let balance = next.entry(entry.account).or_insert(0);
            *balance = balance
                .checked_add(entry.signed())
                .ok_or(LedgerError::Overflow)?;
        }
        next.retain(|_, balance| *balance != 0);
        self.by_account = next;
        Ok(())
    }

    /// An account's balance: debits minus credits.
    pub fn balance(&self, account: Account) -> Fen {
        Fen(self.by_account.get(&account).copied().unwrap_or(0))
    }

    /// What the platform owes a party now and may pay out: minus its payable balance.
    pub fn payable(&self, party: Party) -> Fen {
        Fen(-self.balance(Account::payable(party)).0)
    }

    /// Every account with a balance other than zero, in account order.
    pub fn iter(&self) -> impl Iterator<Item = (Account, Fen)> + '_ {
        self.by_account.iter().map(|(a, b)| (*a, Fen(*b)))
    }

    /// Whether every balance is zero.
    pub fn is_zero(&self) -> bool {
        self.by_account.is_empty()
    }
}

/// How much of one order a series of refunds has reversed, cumulatively.
///
/// `gross = buyer + subsidy = supplier + commission + platform_fee` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    /// Refunded to the buyer.
    pub buyer: Fen,
    /// Subsidy given back to the platform.
    pub subsidy: Fen,
    /// Taken back from the supplier.
    pub supplier: Fen,
    /// Commission taken back from the anchor.
    pub commission: Fen,
    /// Fee the platform gives up.
    pub platform_fee: Fen,
}

impl Reversal {
    /// Nothing refunded yet.
    pub const NONE: Reversal = Reversal {
        buyer: Fen::ZERO,
        subsidy: Fen::ZERO,
        supplier: Fen::ZERO,
        commission: Fen::ZERO,
        platform_fee: Fen::ZERO,
    };
}

/// The cumulative reversal once `refunded` of the buyer's `split.buyer_pays` has been
/// refunded in total.
///
/// Rounding rule: the reversal is always computed from the *total* refunded so far, never
/// from one refund alone, and every part is a monotone function of that total that reaches
/// its whole exactly at a full refund:
///
/// 1. `subsidy = floor(S × refunded / B)`; the gross reversed is `g = refunded + subsidy`;
/// 2. `commission = floor(C × g / G)`, the rest `g − commission` is `ceil((G − C) × g / G)`;
/// 3. `platform_fee = floor(F × rest / (G − C))`, and the supplier takes what remains,
///    `ceil(P × rest / (G − C))`.
///
/// So the subsidy, the commission and the fee are reversed rounded down, the supplier
/// rounded up; each refund posts the difference between two cumulative values, which is
/// never negative, so repeated partial refunds never reverse more than was posted, and a full
/// refund reverses exactly what was posted, whatever the steps.
pub fn reversal_for(split: &PriceSplit, refunded: Fen) -> Result<Reversal, LedgerError> {
    check_split(split)?;
    if refunded.0 < 0 || refunded > split.buyer_pays {
        return Err(LedgerError::RefundExceedsPaid {
            asked: refunded,
            refundable: split.buyer_pays,
        });
    }
    let floor_share = |whole: Fen, part: i64, of: i64| -> i64 {
        // `part ≤ of` and every amount is below 2^63, so the product fits in i128 and the
        // quotient is at most `whole`.
        if of == 0 {
            0
        } else {
            let quotient = i128::from(whole.0) * i128::from(part) / i128::from(of);
            i64::try_from(quotient).unwrap_or(whole.0)
        }
    };
    let subsidy = floor_share(split.subsidy, refunded.0, split.buyer_pays.0);
    let gross = refunded.0 + subsidy;
    let commission = floor_share(split.commission, gross, split.gross.0);
    let rest = gross - commission;
    let rest_whole = split.gross.0 - split.commission.0;
    let platform_fee = floor_share(split.platform_fee, rest, rest_whole);
    Ok(Reversal {
        buyer: refunded,
        subsidy: Fen(subsidy),
        supplier: Fen(rest - platform_fee),
        commission: Fen(commission),
        platform_fee: Fen(platform_fee),
    })
}

/// Refuses a split whose parts do not add up, so a caller's arithmetic slip is caught before
/// anything is posted.
fn check_split(split: &PriceSplit) -> Result<(), LedgerError> {
    let parts = [
        split.subsidy,
        split.supplier,
        split.commission,
        split.platform_fee,
    ];
    let adds_up = split.buyer_pays.0 >= 1
        && parts.iter().all(|p| p.0 >= 0)
        && split.buyer_pays.checked_add(split.subsidy) == Ok(split.gross)
        && split
            .supplier
            .checked_add(split.commission)
            .and_then(|sum| sum.checked_add(split.platform_fee))
            == Ok(split.gross);
    if adds_up {
        Ok(())
    } else {
        Err(LedgerError::SplitMismatch)
    }
}

/// What the ledger has posted for one order: the state its posting builders need. The store
/// keeps it beside the order and saves it with each posting, in one transaction.
///
/// Every builder either returns a posting and updates this record, or refuses and changes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderMoney {
    /// The order.
    order: OrderId,
    /// Who supplied the goods.
    supplier: SupplierId,
    /// Who sold them and earns the commission.
    anchor: UserId,
    /// How the order's money split when it was paid.
    split: PriceSplit,
    /// What refunds have reversed so far, cumulatively.
    reversed: Reversal,
    /// Refunds the gateway confirmed sent.
    refunds_sent: Fen,
    /// Compensation charged to the supplier so far.
    compensation: Fen,
    /// Compensation sent to the buyer so far.
    compensation_sent: Fen,
    /// Whether the return window closed and pending amounts moved to payable.
    settled: bool,
}

impl OrderMoney {
    /// The order was paid: posts the buyer's payment and the subsidy against what the
    /// supplier, the anchor and the platform earn, all pending until settlement.
    pub fn pay(
        order: OrderId,
        supplier: SupplierId,
        anchor: UserId,
        split: PriceSplit,
    ) -> Result<(OrderMoney, Posting), LedgerError> {
        check_split(&split)?;
        let posting = Posting::without_zeros(
            PostingKind::Payment,
            Some(order),
            [
                Entry::debit(Account::BuyerPayments, split.buyer_pays),
                Entry::debit(Account::PlatformSubsidy, split.subsidy),
                Entry::credit(Account::SupplierPending(supplier), split.supplier),
                Entry::credit(Account::CommissionPending(anchor), split.commission),
                Entry::credit(Account::PlatformFee, split.platform_fee),
            ],
        )?;
        let money = OrderMoney {
            order,
            supplier,
            anchor,
            split,
            reversed: Reversal::NONE,
            refunds_sent: Fen::ZERO,
            compensation: Fen::ZERO,
            compensation_sent: Fen::ZERO,
            settled: false,
        };
        Ok((money, posting))
    }

    /// The order's split.
    pub fn split(&self) -> &PriceSplit {
        &self.split
    }

    /// What refunds have reversed so far.
    pub fn reversed(&self) -> &Reversal {
        &self.reversed
    }

    /// What the buyer paid and has not been refunded.
    pub fn refundable(&self) -> Fen {
        Fen(self.split.buyer_pays.0 - self.reversed.buyer.0)
    }

    /// Compensation charged to the supplier so far.
    pub fn compensation(&self) -> Fen {
        self.compensation
    }

    /// Whether the order has been settled.
    pub fn is_settled(&self) -> bool {
        self.settled
    }

    /// The supplier's account this order's money sits in now.
    fn supplier_account(&self) -> Account {
        if self.settled {
            Account::SupplierPayable(self.supplier)
        } else {
            Account::SupplierPending(self.supplier)
        }
    }

    /// The anchor's account this order's commission sits in now.
    fn commission_account(&self) -> Account {
        if self.settled {
            Account::CommissionPayable(self.anchor)
        } else {
            Account::CommissionPending(self.anchor)
        }
    }

    /// A refund of `amount` to the buyer was decided: reverses the sale pro rata (see
    /// [`reversal_for`] for the rounding) and owes the buyer the amount until the gateway
    /// confirms it sent. After settlement the reversal comes out of the payable accounts.
    pub fn refund(&mut self, amount: Fen) -> Result<Posting, LedgerError> {
        if amount.0 <= 0 {
            return Err(LedgerError::NotPositive(amount));
        }
        let refundable = self.refundable();
        if amount > refundable {
            return Err(LedgerError::RefundExceedsPaid {
                asked: amount,
                refundable,
            });
        }
        let target = reversal_for(&self.split, self.reversed.buyer.checked_add(amount)?)?;
        let delta = |now: Fen, before: Fen| Fen(now.0 - before.0);
        let before = self.reversed;
        let posting = Posting::without_zeros(
            PostingKind::Refund,
            Some(self.order),
            [
                Entry::debit(
                    self.supplier_account(),
                    delta(target.supplier, before.supplier),
                ),
                Entry::debit(
                    self.commission_account(),
                    delta(target.commission, before.commission),
                ),
                Entry::debit(
                    Account::PlatformFee,
                    delta(target.platform_fee, before.platform_fee),
                ),
                Entry::credit(Account::RefundsOwed, amount),
                Entry::credit(
                    Account::PlatformSubsidy,
                    delta(target.subsidy, before.subsidy),
                ),
            ],
        )?;
        self.reversed = target;
        Ok(posting)
    }

    /// The gateway confirmed `amount` of a decided refund sent back to the buyer.
    pub fn refund_sent(&mut self, amount: Fen) -> Result<Posting, LedgerError> {
        let owed = Fen(self.reversed.buyer.0 - self.refunds_sent.0);
        let posting = self.send(PostingKind::RefundSent, Account::RefundsOwed, amount, owed)?;
        self.refunds_sent = self.refunds_sent.checked_add(amount)?;
        Ok(posting)
    }

    /// The shipment was late: the buyer is owed `amount` of compensation, charged to the
    /// supplier (never to the anchor). In total it may not exceed what the buyer paid.
    pub fn compensate(&mut self, amount: Fen) -> Result<Posting, LedgerError> {
        if amount.0 <= 0 {
            return Err(LedgerError::NotPositive(amount));
        }
        let total = self.compensation.checked_add(amount)?;
        if total > self.split.buyer_pays {
            return Err(LedgerError::CompensationExceedsOrder {
                asked: total,
                limit: self.split.buyer_pays,
            });
        }
        let posting = Posting::new(
            PostingKind::Compensation,
            Some(self.order),
            vec![
                Entry::debit(self.supplier_account(), amount),
                Entry::credit(Account::CompensationOwed, amount),
            ],
        )?;
        self.compensation = total;
        Ok(posting)
    }

    /// `amount` of owed compensation was sent to the buyer.
    pub fn compensation_sent(&mut self, amount: Fen) -> Result<Posting, LedgerError> {
        let owed = Fen(self.compensation.0 - self.compensation_sent.0);
        let posting = self.send(
            PostingKind::CompensationSent,
            Account::CompensationOwed,
            amount,
            owed,
        )?;
        self.compensation_sent = self.compensation_sent.checked_add(amount)?;
        Ok(posting)
    }

    /// Money owed to the buyer left through the gateway.
    fn send(
        &self,
        kind: PostingKind,
        owed_account: Account,
        amount: Fen,
        owed: Fen,
    ) -> Result<Posting, LedgerError> {
        if amount.0 <= 0 {
            return Err(LedgerError::NotPositive(amount));
        }
        if amount > owed {
            return Err(LedgerError::SendExceedsOwed {
                asked: amount,
                owed,
            });
        }
        Posting::new(
            kind,
            Some(self.order),
            vec![
                Entry::debit(owed_account, amount),
                Entry::credit(Account::BuyerPayments, amount),
            ],
        )
    }

    /// The return window closed: what the supplier and the anchor still hold pending for
    /// this order becomes payable. `None` when nothing is left to move (a fully refunded
    /// order); the order counts as settled either way, and settling twice is refused.
    pub fn settle(&mut self) -> Result<Option<Posting>, LedgerError> {
        if self.settled {
            return Err(LedgerError::AlreadySettled);
        }
        let supplier_pending = self
            .split
            .supplier
            .checked_sub(self.reversed.supplier)?
            .checked_sub(self.compensation)?;
        let commission_pending = self
            .split
            .commission
            .checked_sub(self.reversed.commission)?;
        let mut entries = Vec::with_capacity(4);
        for (pending, payable, owed) in [
            (
                Account::SupplierPending(self.supplier),
                Account::SupplierPayable(self.supplier),
                supplier_pending,
            ),
            (
                Account::CommissionPending(self.anchor),
                Account::CommissionPayable(self.anchor),
                commission_pending,
            ),
        ] {
            // A supplier whose compensation exceeded its share owes the platform: the debt
            // moves to payable the same way, in the other direction.
            if owed.0 > 0 {
                entries.push(Entry::debit(pending, owed));
                entries.push(Entry::credit(payable, owed));
            } else if owed.0 < 0 {
                entries.push(Entry::debit(payable, Fen(-owed.0)));
                entries.push(Entry::credit(pending, Fen(-owed.0)));
            }
        }
        let posting = if entries.is_empty() {
            None
        } else {
            Some(Posting::new(
                PostingKind::Settlement,
                Some(self.order),
                entries,
            )?)
        };
        self.settled = true;
        Ok(posting)
    }
}

/// Pays `amount` out to a party, refusing more than the party's payable balance, so the
/// platform never pays out money it does not owe; a party whose payable balance is negative
/// owes the platform and is refused as such.
pub fn payout(party: Party, amount: Fen, balances: &Balances) -> Result<Posting, LedgerError> {
    payout_of_payable(party, amount, balances.payable(party))
}

/// [`payout`] for a store that sums the party's payable account itself rather than folding
/// every posting: `payable` is what the platform owes the party now (minus the account's
/// balance).
pub fn payout_of_payable(party: Party, amount: Fen, payable: Fen) -> Result<Posting, LedgerError> {
    if amount.0 <= 0 {
        return Err(LedgerError::NotPositive(amount));
    }
    if payable.0 < 0 {
        return Err(LedgerError::PartyOwes {
            owes: Fen(-payable.0),
        });
    }
    if amount > payable {
        return Err(LedgerError::PayoutExceedsPayable {
            asked: amount,
            payable,
        });
    }
    Posting::new(
        PostingKind::Payout,
        None,
        vec![
            Entry::debit(Account::payable(party), amount),
            Entry::credit(Account::Payouts, amount),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::BasisPoints;
    use crate::order::{FeePolicy, Quantity};
    use proptest::prelude::*;

    const SUPPLIER: SupplierId = SupplierId(7);
    const ANCHOR: UserId = UserId(11);
    const ORDER: OrderId = OrderId(42);

    fn split(price: i64, subsidy: i64, quantity: i64, commission: u32, fee: u32) -> PriceSplit {
        PriceSplit::compute(
            Fen(price),
            Fen(subsidy),
            Quantity::parse(quantity).expect("quantity"),
            BasisPoints(commission),
            FeePolicy {
                platform_fee: BasisPoints(fee),
            },
        )
        .expect("split")
    }

    fn air_conditioner() -> PriceSplit {
        // ¥8,999 flash price, ¥1,000 subsidy, 20% commission, 5% fee.
        split(899_900, 100_000, 1, 2_000, 500)
    }

    #[test]
    fn a_posting_must_balance() {
        let a = Account::BuyerPayments;
        let b = Account::PlatformFee;
        let refused = |entries: Vec<Entry>| {
            Posting::new(PostingKind::Payment, None, entries).map_err(|e| e.code())
        };
        assert_eq!(refused(vec![]), Err("posting_empty"));
        assert_eq!(
            refused(vec![Entry::debit(a, Fen(5)), Entry::credit(b, Fen(4))]),
            Err("posting_unbalanced")
        );
        assert_eq!(
            refused(vec![Entry::debit(a, Fen(0)), Entry::credit(b, Fen(0))]),
            Err("amount_not_positive")
        );
        assert_eq!(
            refused(vec![Entry::debit(a, Fen(-5)), Entry::credit(b, Fen(-5))]),
            Err("amount_not_positive")
        );
        assert_eq!(
            refused(vec![
                Entry::debit(a, Fen(i64::MAX)),
                Entry::debit(a, Fen(1)),
                Entry::credit(b, Fen(1)),
            ]),
            Err("amount_overflow")
        );
        assert_eq!(
            refused(vec![Entry::debit(a, Fen(1)); POSTING_ENTRIES_MAX + 1]),
            Err("posting_too_large")
        );
        let ok = Posting::new(
            PostingKind::Payment,
            None,
            vec![Entry::debit(a, Fen(5)), Entry::credit(b, Fen(5))],
        )
        .expect("balanced");
        assert_eq!(ok.total(), Fen(5));
    }

    #[test]
    fn a_paid_order_posts_its_split() {
        let (_, posting) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, air_conditioner()).expect("pay");
        let balances = Balances::fold([&posting]).expect("fold");
        assert_eq!(balances.balance(Account::BuyerPayments), Fen(799_900));
        assert_eq!(balances.balance(Account::PlatformSubsidy), Fen(100_000));
        assert_eq!(
            balances.balance(Account::SupplierPending(SUPPLIER)),
            Fen(-674_925)
        );
        assert_eq!(
            balances.balance(Account::CommissionPending(ANCHOR)),
            Fen(-179_980)
        );
        assert_eq!(balances.balance(Account::PlatformFee), Fen(-44_995));
    }

    #[test]
    fn a_split_that_does_not_add_up_is_refused() {
        let mut bad = air_conditioner();
        bad.supplier = Fen(bad.supplier.0 + 1);
        assert_eq!(
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, bad).map_err(|e| e.code()),
            Err("split_mismatch")
        );
    }

    #[test]
    fn partial_refunds_round_down_for_commission_and_fee() {
        // 99 fen, 10% commission (10 fen), 5% fee (5 fen), supplier 84 fen, no subsidy.
        let (mut money, _) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, split(33, 0, 3, 1_000, 500)).expect("pay");
        money.refund(Fen(33)).expect("refund one unit");
        // One third: commission floor(10 × 33 / 99) = 3, fee floor(5 × 30 / 89) = 1.
        assert_eq!(money.reversed().commission, Fen(3));
        assert_eq!(money.reversed().platform_fee, Fen(1));
        assert_eq!(money.reversed().supplier, Fen(29));
        money.refund(Fen(33)).expect("refund a second unit");
        money.refund(Fen(33)).expect("refund the last unit");
        assert_eq!(
            *money.reversed(),
            Reversal {
                buyer: Fen(99),
                subsidy: Fen(0),
                supplier: Fen(84),
                commission: Fen(10),
                platform_fee: Fen(5),
            }
        );
        assert_eq!(
            money.refund(Fen(1)).map_err(|e| e.code()),
            Err("refund_exceeds_paid")
        );
    }

    #[test]
    fn late_shipment_is_charged_to_the_supplier_and_settles_as_a_debt() {
        let (mut money, paid) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, split(10_000, 0, 1, 1_000, 500)).expect("pay");
        let compensation = money.compensate(Fen(3_000)).expect("compensate");
        assert_eq!(
            compensation.entries()[0],
            Entry::debit(Account::SupplierPending(SUPPLIER), Fen(3_000))
        );
        let full = money.refundable();
        let refund = money.refund(full).expect("refund");
        let settled = money.settle().expect("settle").expect("a debt to move");
        assert_eq!(money.settle().map_err(|e| e.code()), Err("already_settled"));
        let balances = Balances::fold([&paid, &compensation, &refund, &settled]).expect("fold");
        // The supplier owes the compensation; the anchor neither earns nor pays anything.
        assert_eq!(
            balances.balance(Account::SupplierPayable(SUPPLIER)),
            Fen(3_000)
        );
        assert_eq!(balances.balance(Account::CommissionPayable(ANCHOR)), Fen(0));
        assert_eq!(balances.balance(Account::CommissionPending(ANCHOR)), Fen(0));
        assert_eq!(
            money.compensate(Fen(10_000)).map_err(|e| e.code()),
            Err("compensation_exceeds_order")
        );
    }

    #[test]
    fn payouts_never_exceed_what_is_payable() {
        let (mut money, paid) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, air_conditioner()).expect("pay");
        let supplier = Party::Supplier(SUPPLIER);
        let before = Balances::fold([&paid]).expect("fold");
        assert_eq!(
            payout(supplier, Fen(1), &before).map_err(|e| e.code()),
            Err("payout_exceeds_payable")
        );
        let settled = money.settle().expect("settle").expect("something to move");
        let mut balances = Balances::fold([&paid, &settled]).expect("fold");
        assert_eq!(balances.payable(supplier), Fen(674_925));
        let paid_out = payout(supplier, Fen(674_925), &balances).expect("payout");
        balances.apply(&paid_out).expect("apply");
        assert_eq!(balances.payable(supplier), Fen(0));
        assert_eq!(balances.balance(Account::Payouts), Fen(-674_925));
        assert_eq!(
            payout(Party::Anchor(ANCHOR), Fen(0), &balances).map_err(|e| e.code()),
            Err("amount_not_positive")
        );
    }

    #[test]
    fn a_party_that_owes_the_platform_is_paid_nothing() {
        // Settled and paid out, then refunded in full: the supplier owes its share back.
        let (mut money, paid) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, air_conditioner()).expect("pay");
        let settled = money.settle().expect("settle").expect("something to move");
        let supplier = Party::Supplier(SUPPLIER);
        let mut balances = Balances::fold([&paid, &settled]).expect("fold");
        let out = payout(supplier, Fen(674_925), &balances).expect("payout");
        balances.apply(&out).expect("apply");
        let refund = money.refund(money.refundable()).expect("refund");
        balances.apply(&refund).expect("apply");
        assert_eq!(balances.payable(supplier), Fen(-674_925));
        assert_eq!(
            payout(supplier, Fen(1), &balances).map_err(|e| e.code()),
            Err("party_owes_platform")
        );
    }

    #[test]
    fn sending_more_than_owed_is_refused() {
        let (mut money, _) =
            OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, air_conditioner()).expect("pay");
        assert_eq!(
            money.refund_sent(Fen(1)).map_err(|e| e.code()),
            Err("send_exceeds_owed")
        );
        money.refund(Fen(500)).expect("refund");
        assert!(money.refund_sent(Fen(500)).is_ok());
        assert_eq!(
            money.compensation_sent(Fen(1)).map_err(|e| e.code()),
            Err("send_exceeds_owed")
        );
    }

    /// Something that may happen to a paid order.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// Refund this share (in thousandths) of what is left, at least 1 fen.
        Refund(u16),
        /// Send every decided refund.
        SendRefunds,
        /// Compensate this many fen.
        Compensate(i64),
        /// Send owed compensation.
        SendCompensation,
        /// Close the return window.
        Settle,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (1u16..=1_000).prop_map(Step::Refund),
            1 => Just(Step::SendRefunds),
            1 => (1i64..5_000).prop_map(Step::Compensate),
            1 => Just(Step::SendCompensation),
            1 => Just(Step::Settle),
        ]
    }

    fn any_split() -> impl Strategy<Value = PriceSplit> {
        (
            1i64..2_000_000,
            0i64..2_000_000,
            1i64..=99,
            0u32..=5_000,
            0u32..=5_000,
        )
            .prop_filter_map("subsidy leaves something to pay", |(p, s, q, c, f)| {
                let q = Quantity::parse(q).ok()?;
                PriceSplit::compute(
                    Fen(p),
                    Fen(s),
                    q,
                    BasisPoints(c),
                    FeePolicy {
                        platform_fee: BasisPoints(f),
                    },
                )
                .ok()
            })
    }

    /// Applies a step; a refused step must change nothing.
    fn run(money: &mut OrderMoney, step: Step) -> Option<Posting> {
        let before = money.clone();
        let result = match step {
            Step::Refund(thousandths) => {
                let left = money.refundable().0;
                let amount = (left * i64::from(thousandths) / 1_000).max(1);
                money.refund(Fen(amount)).map(Some)
            }
            Step::SendRefunds => {
                let owed = money.reversed.buyer.0 - money.refunds_sent.0;
                money.refund_sent(Fen(owed)).map(Some)
            }
            Step::Compensate(fen) => money.compensate(Fen(fen)).map(Some),
            Step::SendCompensation => {
                let owed = money.compensation.0 - money.compensation_sent.0;
                money.compensation_sent(Fen(owed)).map(Some)
            }
            Step::Settle => money.settle(),
        };
        match result {
            Ok(posting) => posting,
            Err(_) => {
                assert_eq!(*money, before, "a refused step changed the order's record");
                None
            }
        }
    }

    fn sum_of_balances(balances: &Balances) -> i64 {
        balances.iter().map(|(_, b)| b.0).sum()
    }

    proptest! {
        /// Whatever happens to an order, every posting balances, the ledger as a whole sums
        /// to zero, no refund or part of one is ever negative, and no part of the sale is
        /// reversed beyond what was posted.
        #[test]
        fn every_posting_balances(split in any_split(), steps in prop::collection::vec(step(), 0..30)) {
            let (mut money, paid) = OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, split).expect("pay");
            let mut postings = vec![paid];
            for step in steps {
                let before = *money.reversed();
                postings.extend(run(&mut money, step));
                let after = *money.reversed();
                for (b, a, whole) in [
                    (before.buyer, after.buyer, split.buyer_pays),
                    (before.subsidy, after.subsidy, split.subsidy),
                    (before.supplier, after.supplier, split.supplier),
                    (before.commission, after.commission, split.commission),
                    (before.platform_fee, after.platform_fee, split.platform_fee),
                ] {
                    prop_assert!(b <= a && a <= whole);
                }
                prop_assert_eq!(after.buyer.0 + after.subsidy.0,
                    after.supplier.0 + after.commission.0 + after.platform_fee.0);
            }
            for posting in &postings {
                let net: i64 = posting.entries().iter().map(Entry::signed).sum();
                prop_assert_eq!(net, 0);
                prop_assert!(posting.entries().iter().all(|e| e.amount.0 > 0));
            }
            let balances = Balances::fold(&postings).expect("fold");
            prop_assert_eq!(sum_of_balances(&balances), 0);
        }

        /// Balances are exactly the sum of the postings' entries, and applying one posting
        /// changes only the accounts it names, by their net amounts.
        #[test]
        fn balances_change_only_through_postings(
            raw in prop::collection::vec(
                (
                    prop::collection::vec((0usize..6, any::<bool>(), -3i64..1_000), 0..6),
                    prop::option::of(0usize..6),
                ),
                0..20,
            )
        ) {
            let accounts = [
                Account::BuyerPayments,
                Account::PlatformFee,
                Account::SupplierPending(SUPPLIER),
                Account::CommissionPayable(ANCHOR),
                Account::RefundsOwed,
                Account::Payouts,
            ];
            let mut balances = Balances::new();
            let mut expected: BTreeMap<Account, i64> = BTreeMap::new();
            for (entries, balancing) in raw {
                let mut entries: Vec<Entry> = entries
                    .into_iter()
                    .map(|(a, debit, fen)| {
                        if debit { Entry::debit(accounts[a], Fen(fen)) } else { Entry::credit(accounts[a], Fen(fen)) }
                    })
                    .collect();
                // Most generated postings are made to balance, so that both the accepted and
                // the refused paths are exercised.
                let net: i64 = entries.iter().map(Entry::signed).sum();
                if let Some(a) = balancing {
                    if net > 0 {
                        entries.push(Entry::credit(accounts[a], Fen(net)));
                    } else if net < 0 {
                        entries.push(Entry::debit(accounts[a], Fen(-net)));
                    }
                }
                let net: i64 = entries.iter().map(Entry::signed).sum();
                let positive = entries.iter().all(|e| e.amount.0 > 0);
                match Posting::new(PostingKind::Payment, None, entries.clone()) {
                    Ok(posting) => {
                        prop_assert!(!entries.is_empty() && positive && net == 0);
                        let before = balances.clone();
                        balances.apply(&posting).expect("apply");
                        for account in accounts {
                            let moved: i64 = entries.iter().filter(|e| e.account == account).map(Entry::signed).sum();
                            prop_assert_eq!(balances.balance(account).0 - before.balance(account).0, moved);
                            *expected.entry(account).or_insert(0) += moved;
                        }
                    }
                    Err(_) => prop_assert!(entries.is_empty() || !positive || net != 0),
                }
            }
            for account in accounts {
                prop_assert_eq!(balances.balance(account).0, expected.get(&account).copied().unwrap_or(0));
            }
            prop_assert_eq!(sum_of_balances(&balances), 0);
        }

        /// Settling before, between or after the refunds ends with the same balances.
        #[test]
        fn refund_then_settle_equals_settle_then_refund(
            split in any_split(),
            refunds in prop::collection::vec(1u16..=1_000, 0..6),
            settle_at in 0usize..7,
        ) {
            let run_with_settlement_at = |at: usize| -> Balances {
                let (mut money, paid) = OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, split).expect("pay");
                let mut postings = vec![paid];
                for (i, share) in refunds.iter().enumerate() {
                    if i == at {
                        postings.extend(money.settle().expect("settle"));
                    }
                    postings.extend(run(&mut money, Step::Refund(*share)));
                }
                if !money.is_settled() {
                    postings.extend(money.settle().expect("settle"));
                }
                Balances::fold(&postings).expect("fold")
            };
            let settled_last = run_with_settlement_at(usize::MAX);
            prop_assert_eq!(run_with_settlement_at(0), settled_last.clone());
            prop_assert_eq!(run_with_settlement_at(settle_at), settled_last);
        }

        /// Any sequence of partial refunds stays within what the buyer paid, and refunding
        /// the rest (and sending it) brings every account of the order back to zero,
        /// settled or not.
        #[test]
        fn a_full_refund_returns_every_account_to_zero(
            split in any_split(),
            refunds in prop::collection::vec(1i64..2_000_000, 0..8),
            settle_first in any::<bool>(),
        ) {
            let (mut money, paid) = OrderMoney::pay(ORDER, SUPPLIER, ANCHOR, split).expect("pay");
            let mut postings = vec![paid];
            if settle_first {
                postings.extend(money.settle().expect("settle"));
            }
            for fen in refunds {
                let left = money.refundable();
                match money.refund(Fen(fen)) {
                    Ok(posting) => {
                        prop_assert!(fen <= left.0);
                        postings.push(posting);
                    }
                    Err(e) => prop_assert!(fen > left.0, "refused {fen} of {left}: {e}"),
                }
                prop_assert!(money.reversed().buyer <= split.buyer_pays);
            }
            let rest = money.refundable();
            if rest.0 > 0 {
                postings.push(money.refund(rest).expect("refund the rest"));
            }
            prop_assert_eq!(*money.reversed(), Reversal {
                buyer: split.buyer_pays,
                subsidy: split.subsidy,
                supplier: split.supplier,
                commission: split.commission,
                platform_fee: split.platform_fee,
            });
            postings.push(money.refund_sent(split.buyer_pays).expect("send"));
            if !settle_first {
                postings.extend(money.settle().expect("settle"));
            }
            let balances = Balances::fold(&postings).expect("fold");
            prop_assert!(balances.is_zero(), "left over: {:?}", balances);
        }
    }
}
