-- Live-session metrics as minute series (docs/METRICS.md) (PostgreSQL). Minutes are UTC: a row's
-- minute_ms is a multiple of 60,000 and covers [minute_ms, minute_ms + 60,000). Money is
-- integer fen.

-- The audience of a session per minute, written by the room hub's flush in the same
-- transaction as the session's counters: deltas are added, the peak is raised, the online
-- count is the last one written. A room writes while anyone watches (at least once a minute,
-- at most once a second per node), so a session has at most one row per minute it was
-- watched: a three-hour stream is 180 rows, about 10 KB.
CREATE TABLE session_minutes (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    minute_ms BIGINT NOT NULL,
    online_last BIGINT NOT NULL,
    online_peak BIGINT NOT NULL,
    new_viewers BIGINT NOT NULL,
    likes BIGINT NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (session_id, minute_ms)
);

-- What was paid per minute per SKU of a session, added in the transaction that applies the
-- payment (so the rows always agree with orders.paid_at_ms). new_buyers counts buyers whose
-- first paid order in the session is this one. At most one row per SKU per minute it sold.
CREATE TABLE session_sku_minutes (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    minute_ms BIGINT NOT NULL,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    orders BIGINT NOT NULL,
    units BIGINT NOT NULL,
    gmv_fen BIGINT NOT NULL,
    new_buyers BIGINT NOT NULL,
    PRIMARY KEY (session_id, sku_id, minute_ms)
);
-- The platform's minutes (the operator's current hour) and a supplier's sales by period.
CREATE INDEX session_sku_minutes_minute ON session_sku_minutes(minute_ms);
CREATE INDEX session_sku_minutes_supplier ON session_sku_minutes(supplier_id, minute_ms);

-- Each buyer of a session once, with the time of their first paid order there: the insert
-- that finds the row already there tells a returning buyer from a new one, exactly even when
-- two of a buyer's payments are applied at once.
CREATE TABLE session_buyers (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    buyer_id BIGINT NOT NULL REFERENCES users(id),
    first_paid_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, buyer_id)
);

-- Each SKU's stock when its session ended: units neither sold nor promised (stock_total -
-- units_held), written in the transaction that ends the session.
CREATE TABLE session_end_stock (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    stock_left BIGINT NOT NULL,
    PRIMARY KEY (session_id, sku_id)
);

-- What the orders paid before this migration say (audience minutes were never recorded).
INSERT INTO session_buyers (session_id, buyer_id, first_paid_ms)
SELECT session_id, buyer_id, MIN(paid_at_ms) FROM orders
WHERE session_id IS NOT NULL AND paid_at_ms IS NOT NULL
GROUP BY session_id, buyer_id;

INSERT INTO session_sku_minutes
    (session_id, sku_id, minute_ms, supplier_id, orders, units, gmv_fen, new_buyers)
SELECT o.session_id, o.sku_id, o.paid_at_ms / 60000 * 60000, o.supplier_id, COUNT(*),
       SUM(o.quantity), SUM(o.gross_fen),
       SUM(CASE WHEN o.id = (SELECT MIN(f.id) FROM orders f JOIN session_buyers b
                             ON b.session_id = f.session_id AND b.buyer_id = f.buyer_id
                             WHERE f.session_id = o.session_id AND f.buyer_id = o.buyer_id
                             AND f.paid_at_ms = b.first_paid_ms)
                THEN 1 ELSE 0 END)
FROM orders o
WHERE o.session_id IS NOT NULL AND o.paid_at_ms IS NOT NULL
GROUP BY o.session_id, o.sku_id, o.paid_at_ms / 60000 * 60000, o.supplier_id;
