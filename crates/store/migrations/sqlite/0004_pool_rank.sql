-- A narrow copy of the approved pool's filter and sort keys, one row per approved SKU.
-- A text search matches thousands of SKUs for a common word (手机: ~11,000 at 1M SKUs) and
-- must filter and rank every match before it can keep a page of 20. Reading those keys from
-- `skus` meant one lookup per match into rows of ~300 bytes (title, images, attributes,
-- search terms; 327 MB at 1M SKUs); `sku_rank` rows are ~32 bytes (38 MB), so the lookups
-- stay in a table a ninth of the size and the wide row is read only for the page itself.
--
-- Only approved SKUs have a row: being in `sku_rank` is being in the pool. Triggers keep it
-- in step inside the transaction that writes `skus`, as the full-text triggers do, so no
-- write path can forget it. There is no foreign key to `skus`: the row is derived from it by
-- those triggers, and a key check would cost every write a lookup that proves nothing more.
CREATE TABLE sku_rank (
    id INTEGER PRIMARY KEY,
    commission_bps INTEGER NOT NULL,
    pool_fen INTEGER NOT NULL,
    recent_sales INTEGER NOT NULL,
    stock_total INTEGER NOT NULL,
    brand TEXT NOT NULL,
    category_id INTEGER NOT NULL,
    category_l1 INTEGER NOT NULL,
    category_l2 INTEGER,
    category_l3 INTEGER
);

INSERT INTO sku_rank (id, commission_bps, pool_fen, recent_sales, stock_total, brand,
                      category_id, category_l1, category_l2, category_l3)
SELECT id, commission_bps, pool_fen, recent_sales, stock_total, brand,
       category_id, category_l1, category_l2, category_l3
FROM skus WHERE status = 'approved';

CREATE TRIGGER skus_rank_insert AFTER INSERT ON skus WHEN new.status = 'approved' BEGIN
    INSERT INTO sku_rank (id, commission_bps, pool_fen, recent_sales, stock_total, brand,
                          category_id, category_l1, category_l2, category_l3)
    VALUES (new.id, new.commission_bps, new.pool_fen, new.recent_sales, new.stock_total,
            new.brand, new.category_id, new.category_l1, new.category_l2, new.category_l3);
END;
CREATE TRIGGER skus_rank_update AFTER UPDATE OF status, commission_bps, pool_fen, recent_sales,
    stock_total, brand, category_id, category_l1, category_l2, category_l3 ON skus BEGIN
    DELETE FROM sku_rank WHERE id = old.id;
    INSERT INTO sku_rank (id, commission_bps, pool_fen, recent_sales, stock_total, brand,
                          category_id, category_l1, category_l2, category_l3)
    SELECT new.id, new.commission_bps, new.pool_fen, new.recent_sales, new.stock_total,
           new.brand, new.category_id, new.category_l1, new.category_l2, new.category_l3
    WHERE new.status = 'approved';
END;
CREATE TRIGGER skus_rank_delete AFTER DELETE ON skus BEGIN
    DELETE FROM sku_rank WHERE id = old.id;
END;
