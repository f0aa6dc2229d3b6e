-- Shipping promises and late-shipment compensation (PostgreSQL). Times are Unix milliseconds,
-- money integer fen.

-- How long after payment a supplier has to ship, as the supplier set it for itself; NULL is
-- the platform's default (48 hours).
ALTER TABLE suppliers ADD COLUMN ship_window_ms BIGINT;
-- A campaign's shipping window, set by an operator; it wins over the supplier's for orders
-- bought in the campaign's sessions.
ALTER TABLE campaigns ADD COLUMN ship_window_ms BIGINT;
-- A pre-sale SKU's promised ship date, set by its supplier; NULL for goods in stock.
ALTER TABLE skus ADD COLUMN presale_ship_by_ms BIGINT;

-- The promise an order carries, fixed when it is routed; when it was found late (set once,
-- by a compare-and-set, so a late order is compensated once); and the compensation owed.
ALTER TABLE orders ADD COLUMN ship_by_ms BIGINT;
ALTER TABLE orders ADD COLUMN late_at_ms BIGINT;
ALTER TABLE orders ADD COLUMN late_compensation_fen BIGINT;

-- The sweeper's work: routed orders not yet found late, by deadline.
CREATE INDEX orders_ship_due ON orders(ship_by_ms)
    WHERE status = 'routed' AND late_at_ms IS NULL AND ship_by_ms IS NOT NULL;
-- The shipping record: every routed order has a promise, so these count routed and late
-- orders per supplier and per SKU.
CREATE INDEX orders_promised_supplier ON orders(supplier_id, sku_id) WHERE ship_by_ms IS NOT NULL;
CREATE INDEX orders_promised_sku ON orders(sku_id) WHERE ship_by_ms IS NOT NULL;

-- Why money goes back through the gateway: 'refund' (the order's money returned) or
-- 'compensation' (a late shipment's compensation, a part of the payment). A confirmed
-- compensation is posted to the ledger as compensation sent, not as a refund.
ALTER TABLE refunds ADD COLUMN purpose TEXT NOT NULL DEFAULT 'refund';
