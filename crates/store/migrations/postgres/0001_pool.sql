-- Accounts, the supplier product pool and anchors' shelves (PostgreSQL).
-- Times are Unix milliseconds; money is integer fen; rates are basis points.

CREATE TABLE suppliers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT NOT NULL,
    supplier_id BIGINT REFERENCES suppliers(id),
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at_ms);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);

CREATE TABLE warehouses (
    id BIGSERIAL PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    county_code BIGINT NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (supplier_id, code)
);

CREATE TABLE spus (
    id BIGSERIAL PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    code TEXT NOT NULL,
    UNIQUE (supplier_id, code)
);

CREATE TABLE skus (
    id BIGSERIAL PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    spu_id BIGINT NOT NULL REFERENCES spus(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    brand TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    category_l1 BIGINT NOT NULL,
    category_l2 BIGINT,
    category_l3 BIGINT,
    gtin TEXT,
    images_json TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    supply_fen BIGINT NOT NULL,
    pool_fen BIGINT NOT NULL,
    floor_fen BIGINT NOT NULL,
    retail_fen BIGINT NOT NULL,
    commission_bps BIGINT NOT NULL,
    status TEXT NOT NULL,
    reject_reason TEXT,
    search_terms TEXT NOT NULL,
    stock_total BIGINT NOT NULL DEFAULT 0,
    recent_sales BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (supplier_id, code)
);
CREATE INDEX skus_status_commission ON skus(status, commission_bps);
CREATE INDEX skus_status_price ON skus(status, pool_fen);
CREATE INDEX skus_status_sales ON skus(status, recent_sales);
CREATE INDEX skus_status_category1 ON skus(status, category_l1, commission_bps);
CREATE INDEX skus_status_category2 ON skus(status, category_l2);
CREATE INDEX skus_status_category3 ON skus(status, category_l3);
CREATE INDEX skus_status_category ON skus(status, category_id);
CREATE INDEX skus_status_brand ON skus(status, brand);

-- Search terms (pre-segmented by the domain's text rules) as an array with a GIN index:
-- a query asks for rows whose terms contain all the query's terms.
ALTER TABLE skus ADD COLUMN search_array TEXT[]
    GENERATED ALWAYS AS (string_to_array(search_terms, ' ')) STORED;
CREATE INDEX skus_search_array ON skus USING GIN (search_array);

CREATE TABLE sku_price_history (
    id BIGSERIAL PRIMARY KEY,
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    supply_fen BIGINT NOT NULL,
    pool_fen BIGINT NOT NULL,
    floor_fen BIGINT NOT NULL,
    retail_fen BIGINT NOT NULL,
    commission_bps BIGINT NOT NULL,
    changed_by BIGINT,
    changed_at_ms BIGINT NOT NULL
);
CREATE INDEX sku_price_history_sku ON sku_price_history(sku_id, id);

CREATE TABLE sku_reviews (
    id BIGSERIAL PRIMARY KEY,
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    decision TEXT NOT NULL,
    reason TEXT,
    operator_id BIGINT NOT NULL REFERENCES users(id),
    decided_at_ms BIGINT NOT NULL
);
CREATE INDEX sku_reviews_sku ON sku_reviews(sku_id, id);

CREATE TABLE stock (
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses(id),
    quantity BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (sku_id, warehouse_id)
);

CREATE TABLE shelf_items (
    anchor_id BIGINT NOT NULL REFERENCES users(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    added_at_ms BIGINT NOT NULL,
    PRIMARY KEY (anchor_id, sku_id)
);
