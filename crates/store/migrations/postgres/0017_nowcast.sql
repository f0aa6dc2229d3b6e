-- The live sell-out nowcast and the C2M export (PostgreSQL). Times are Unix milliseconds.
-- docs/NOWCAST.md describes the design.

-- How long the anchor plans the session to run, from going live; NULL when not said (the
-- nowcast then takes the anchor's typical length, or the platform's default).
ALTER TABLE live_sessions ADD COLUMN planned_length_ms BIGINT;

-- What the nowcast told about each SKU of a session: its sell-out alerts (how many, when the
-- last went out and the sell-out time it projected; the next alert is claimed with a
-- compare-and-set on `alerts`, so nodes never send one twice) and, once the session is over,
-- the overstock assessment (stock left and units the session sold at the time, and whether
-- that was flagged).
CREATE TABLE nowcast_skus (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    alerts BIGINT NOT NULL DEFAULT 0,
    alerted_at_ms BIGINT,
    alert_sellout_at_ms BIGINT,
    assessed_at_ms BIGINT,
    stock_left BIGINT,
    sold_units BIGINT,
    overstock BIGINT,
    PRIMARY KEY (session_id, sku_id)
);

-- Sessions whose end the nowcast has assessed, one row each, written in the transaction of
-- the assessment: the row is the claim, so nodes assess a session once. Sessions that ended
-- before this migration count as assessed.
CREATE TABLE nowcast_sessions (
    session_id BIGINT PRIMARY KEY REFERENCES live_sessions(id),
    assessed_at_ms BIGINT NOT NULL
);
INSERT INTO nowcast_sessions (session_id, assessed_at_ms)
SELECT id, COALESCE(ended_at_ms, updated_at_ms) FROM live_sessions WHERE status = 'ended';
-- The assessment's question: which sessions ended lately?
CREATE INDEX live_sessions_ended_at ON live_sessions(ended_at_ms) WHERE status = 'ended';

-- When the next nowcast round is due, across nodes: a node runs one only after moving this
-- time forward with a compare-and-set.
CREATE TABLE nowcast_clock (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    next_round_at_ms BIGINT NOT NULL
);
INSERT INTO nowcast_clock (id, next_round_at_ms) VALUES (1, 0);

-- The C2M export reads paid orders by payment time, for the platform or for one supplier.
CREATE INDEX orders_paid ON orders(paid_at_ms) WHERE paid_at_ms IS NOT NULL;
CREATE INDEX orders_supplier_paid ON orders(supplier_id, paid_at_ms) WHERE paid_at_ms IS NOT NULL;
