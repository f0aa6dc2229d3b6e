-- Pool indexes that only cover the pool itself (approved SKUs). Nearly every row shares one
-- status, so an index that starts with status tells the planner nothing and it picked the
-- wrong one (sorting a million rows by hand); partial indexes name the pool once and lead
-- with the key that filters or sorts. SQLite appends the row id to every index, which
-- breaks ties in id order.
DROP INDEX skus_status_commission;
DROP INDEX skus_status_price;
DROP INDEX skus_status_sales;
DROP INDEX skus_status_category1;
DROP INDEX skus_status_category2;
DROP INDEX skus_status_category3;
DROP INDEX skus_status_category;
DROP INDEX skus_status_brand;

CREATE INDEX pool_commission ON skus(commission_bps) WHERE status = 'approved';
CREATE INDEX pool_price ON skus(pool_fen) WHERE status = 'approved';
CREATE INDEX pool_sales ON skus(recent_sales) WHERE status = 'approved';
CREATE INDEX pool_category1 ON skus(category_l1, commission_bps) WHERE status = 'approved';
-- A broad category sorted by price or by age.
CREATE INDEX pool_category1_price ON skus(category_l1, pool_fen) WHERE status = 'approved';
CREATE INDEX pool_category1_newest ON skus(category_l1) WHERE status = 'approved';
CREATE INDEX pool_category2 ON skus(category_l2, commission_bps) WHERE status = 'approved';
CREATE INDEX pool_category3 ON skus(category_l3, commission_bps) WHERE status = 'approved';
CREATE INDEX pool_category ON skus(category_id, commission_bps) WHERE status = 'approved';
CREATE INDEX pool_brand ON skus(brand, commission_bps) WHERE status = 'approved';

CREATE INDEX skus_review_queue ON skus(id) WHERE status = 'pending_review';
CREATE INDEX skus_supplier ON skus(supplier_id, id);
