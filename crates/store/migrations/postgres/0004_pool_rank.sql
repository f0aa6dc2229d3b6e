-- A narrow copy of the approved pool's filter and sort keys and search terms, one row per
-- approved SKU. A text search matches thousands of SKUs for a common word (手机: ~11,000 at
-- 1M SKUs) and must filter and rank every match before it can keep a page of 20. Matching
-- on `skus` meant fetching each match's whole row (title, images, attributes) from the heap;
-- `sku_rank` holds only what matching, filtering and ranking read, so the wide row is
-- fetched only for the page itself.
--
-- Only approved SKUs have a row: being in `sku_rank` is being in the pool. A trigger keeps it
-- in step inside the transaction that writes `skus`, so no write path can forget it. There
-- is no foreign key to `skus`: the row is derived from it by that trigger, and a key check
-- would cost every write a lookup that proves nothing more.
CREATE TABLE sku_rank (
    id BIGINT PRIMARY KEY,
    commission_bps BIGINT NOT NULL,
    pool_fen BIGINT NOT NULL,
    recent_sales BIGINT NOT NULL,
    stock_total BIGINT NOT NULL,
    brand TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    category_l1 BIGINT NOT NULL,
    category_l2 BIGINT,
    category_l3 BIGINT,
    search_array TEXT[] NOT NULL
);

INSERT INTO sku_rank (id, commission_bps, pool_fen, recent_sales, stock_total, brand,
                      category_id, category_l1, category_l2, category_l3, search_array)
SELECT id, commission_bps, pool_fen, recent_sales, stock_total, brand,
       category_id, category_l1, category_l2, category_l3, string_to_array(search_terms, ' ')
FROM skus WHERE status = 'approved';

CREATE INDEX sku_rank_search ON sku_rank USING GIN (search_array);

-- The text match moved to `sku_rank`; the term array on `skus` and its index are no longer
-- read, and keeping them would cost every SKU write a GIN update.
DROP INDEX skus_search_array;
ALTER TABLE skus DROP COLUMN search_array;

CREATE FUNCTION sku_rank_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.status <> 'approved') THEN
        DELETE FROM sku_rank WHERE id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'approved' THEN
        -- An update in place, not delete-and-insert: a stock or sales change leaves the
        -- term array alone, so PostgreSQL can skip the GIN index (a HOT update).
        INSERT INTO sku_rank (id, commission_bps, pool_fen, recent_sales, stock_total, brand,
                              category_id, category_l1, category_l2, category_l3, search_array)
        VALUES (NEW.id, NEW.commission_bps, NEW.pool_fen, NEW.recent_sales, NEW.stock_total,
                NEW.brand, NEW.category_id, NEW.category_l1, NEW.category_l2,
                NEW.category_l3, string_to_array(NEW.search_terms, ' '))
        ON CONFLICT (id) DO UPDATE SET
            commission_bps = EXCLUDED.commission_bps,
            pool_fen = EXCLUDED.pool_fen,
            recent_sales = EXCLUDED.recent_sales,
            stock_total = EXCLUDED.stock_total,
            brand = EXCLUDED.brand,
            category_id = EXCLUDED.category_id,
            category_l1 = EXCLUDED.category_l1,
            category_l2 = EXCLUDED.category_l2,
            category_l3 = EXCLUDED.category_l3,
            search_array = EXCLUDED.search_array;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER skus_rank_sync
    AFTER INSERT OR DELETE OR UPDATE OF status, commission_bps, pool_fen, recent_sales,
        stock_total, brand, category_id, category_l1, category_l2, category_l3, search_terms
    ON skus FOR EACH ROW EXECUTE FUNCTION sku_rank_sync();
