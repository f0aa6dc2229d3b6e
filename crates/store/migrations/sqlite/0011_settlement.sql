-- Receipt, settlement, payouts, statements and reconciliation (SQLite). Money is integer
-- fen; times are Unix milliseconds. docs/SETTLEMENT.md describes the design.

-- When daihuo recorded the order delivered (the carrier's own scan time is in
-- tracking_events), when it was completed (the buyer confirmed receipt, or it was confirmed
-- automatically), and when a settlement run claimed it. Time rules read these columns and
-- never re-derive them from the timeline.
ALTER TABLE orders ADD COLUMN delivered_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN completed_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN settled_at_ms INTEGER;
-- Delivered orders waiting for receipt, oldest first.
CREATE INDEX orders_awaiting_receipt ON orders(delivered_at_ms) WHERE status = 'delivered';
-- Completed orders not yet settled: the index shrinks as orders settle.
CREATE INDEX orders_unsettled ON orders(completed_at_ms)
    WHERE completed_at_ms IS NOT NULL AND settled_at_ms IS NULL;

-- One settlement run: started (origin) by the sweeper of a node or by an operator; it settles the
-- orders completed at or before cutoff_ms that no other run settled.
CREATE TABLE settlement_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL CHECK (origin IN ('sweeper', 'operator')),
    started_by INTEGER REFERENCES users(id),
    started_at_ms INTEGER NOT NULL,
    cutoff_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
);

-- Which run settled each order and what it moved to payable (negative: a debt moved).
CREATE TABLE settled_orders (
    order_id INTEGER PRIMARY KEY REFERENCES orders(id),
    run_id INTEGER NOT NULL REFERENCES settlement_runs(id),
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    supplier_fen INTEGER NOT NULL,
    anchor_id INTEGER NOT NULL REFERENCES users(id),
    commission_fen INTEGER NOT NULL,
    settled_at_ms INTEGER NOT NULL
);
CREATE INDEX settled_orders_run ON settled_orders(run_id);

-- Money sent to a supplier's or an anchor's bank account. reference is the transfer's
-- reference, unique per party, so a retried payout is recognised.
CREATE TABLE payouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    party_kind TEXT NOT NULL CHECK (party_kind IN ('supplier', 'anchor')),
    party_id INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    reference TEXT NOT NULL,
    posting_id INTEGER NOT NULL REFERENCES ledger_postings(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    UNIQUE (party_kind, party_id, reference)
);

-- One row per party that was ever paid out: payouts to one party lock it, so two operators
-- paying the same party at once take turns and never pay more than is payable.
CREATE TABLE payout_parties (
    party_kind TEXT NOT NULL,
    party_id INTEGER NOT NULL,
    payouts INTEGER NOT NULL,
    PRIMARY KEY (party_kind, party_id)
);

-- Statements read a party's entries by period.
CREATE INDEX ledger_entries_party ON ledger_entries(party_id, account) WHERE party_id IS NOT NULL;
CREATE INDEX ledger_postings_created ON ledger_postings(created_at_ms);

-- Reconciliation reads the payments and refunds that succeeded in a period.
CREATE INDEX payments_succeeded ON payments(updated_at_ms) WHERE status = 'succeeded';
CREATE INDEX refunds_succeeded ON refunds(updated_at_ms) WHERE status = 'succeeded';

-- The sweepers read when their latest run started.
CREATE INDEX settlement_runs_origin ON settlement_runs(origin, started_at_ms);
