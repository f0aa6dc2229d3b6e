-- The quality record anchors see in the selection centre: per SKU, what happened to its
-- orders, kept by the services in the transaction of each change (routing, delivery, a late
-- shipment, an after-sales request), so reading a page of the pool costs one lookup per SKU
-- however many orders it has had. A supplier's record is the sum over its SKUs.
CREATE TABLE quality_counts (
    sku_id INTEGER PRIMARY KEY REFERENCES skus(id),
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    routed INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    late INTEGER NOT NULL DEFAULT 0,
    returns INTEGER NOT NULL DEFAULT 0,
    complaints INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX quality_counts_supplier ON quality_counts(supplier_id);

-- What the orders and after-sales requests written before this migration say.
INSERT INTO quality_counts (sku_id, supplier_id, routed, delivered, late, returns, complaints)
SELECT o.sku_id, o.supplier_id,
       SUM(CASE WHEN o.ship_by_ms IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.delivered_at_ms IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.late_at_ms IS NOT NULL THEN 1 ELSE 0 END),
       SUM((SELECT COUNT(*) FROM after_sales a WHERE a.order_id = o.id
            AND a.kind IN ('no_reason_return', 'quality_complaint')
            AND a.status IN ('approved', 'return_shipped', 'return_received', 'refunded',
                             'overturned'))),
       SUM((SELECT COUNT(*) FROM after_sales a WHERE a.order_id = o.id
            AND a.kind = 'quality_complaint'))
FROM orders o
WHERE o.ship_by_ms IS NOT NULL
GROUP BY o.sku_id, o.supplier_id;
