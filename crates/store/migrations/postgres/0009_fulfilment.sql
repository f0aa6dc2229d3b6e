-- After the buy: where each paid order ships from, what the supplier is told (the outbox),
-- where the parcel is (tracking events) and the settlement ledger (PostgreSQL). Money is integer
-- fen; times are Unix milliseconds.

-- Units of a SKU in a warehouse that routed orders have claimed and that have not shipped
-- yet: a warehouse can route only quantity - reserved more.
ALTER TABLE stock ADD COLUMN reserved BIGINT NOT NULL DEFAULT 0;

-- Where a supplier's systems are told of its orders, and the secret its webhooks are signed
-- with (HMAC-SHA256; kept in clear because daihuo must sign with it).
CREATE TABLE supplier_webhooks (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- One order line going out of one warehouse: the units reserved there when the order was
-- routed. carrier, waybill and shipped_at_ms are filled when the supplier ships.
CREATE TABLE shipments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    units BIGINT NOT NULL CHECK (units > 0),
    distance_m BIGINT NOT NULL,
    carrier TEXT,
    waybill TEXT,
    shipped_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments(order_id, id);

-- The parcel's tracking events as the supplier reported them, one per carrier event id.
CREATE TABLE tracking_events (
    order_id BIGINT NOT NULL REFERENCES orders(id),
    event_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    detail TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (order_id, event_id)
);

-- Events for suppliers, written in the transaction of the change they announce. id is the
-- pull API's cursor; event_id is what suppliers dedupe on. A row is due for a webhook
-- attempt at next_attempt_at_ms; a node claims an attempt by moving that time forward with
-- a compare-and-set, so two nodes never send the same attempt.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    delivered_at_ms BIGINT,
    dead_at_ms BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_supplier ON outbox(supplier_id, id);
CREATE INDEX outbox_due ON outbox(next_attempt_at_ms)
    WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL;
CREATE INDEX outbox_dead ON outbox(dead_at_ms) WHERE dead_at_ms IS NOT NULL;

-- The ledger: balanced postings of entries, appended and never changed.
CREATE TABLE ledger_postings (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX ledger_postings_order ON ledger_postings(order_id) WHERE order_id IS NOT NULL;

-- account is the account's kind; party_id the supplier or anchor of a party account.
CREATE TABLE ledger_entries (
    posting_id BIGINT NOT NULL REFERENCES ledger_postings(id),
    line BIGINT NOT NULL,
    account TEXT NOT NULL,
    party_id BIGINT,
    side TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (posting_id, line)
);
CREATE INDEX ledger_entries_account ON ledger_entries(account, party_id);


-- What the ledger has posted for each paid order (domain::ledger::OrderMoney as JSON), saved
-- with every posting about it.
CREATE TABLE order_money (
    order_id BIGINT PRIMARY KEY REFERENCES orders(id),
    state_json TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END;
$$;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
