-- Accounts, the supplier product pool and anchors' shelves (SQLite).
-- Times are Unix milliseconds; money is integer fen; rates are basis points.

CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT NOT NULL,
    supplier_id INTEGER REFERENCES suppliers(id),
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at_ms);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);

CREATE TABLE warehouses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    county_code INTEGER NOT NULL,
    longitude REAL NOT NULL,
    latitude REAL NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (supplier_id, code)
);

CREATE TABLE spus (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    code TEXT NOT NULL,
    UNIQUE (supplier_id, code)
);

CREATE TABLE skus (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    spu_id INTEGER NOT NULL REFERENCES spus(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    brand TEXT NOT NULL,
    category_id INTEGER NOT NULL,
    category_l1 INTEGER NOT NULL,
    category_l2 INTEGER,
    category_l3 INTEGER,
    gtin TEXT,
    images_json TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    supply_fen INTEGER NOT NULL,
    pool_fen INTEGER NOT NULL,
    floor_fen INTEGER NOT NULL,
    retail_fen INTEGER NOT NULL,
    commission_bps INTEGER NOT NULL,
    status TEXT NOT NULL,
    reject_reason TEXT,
    search_terms TEXT NOT NULL,
    stock_total INTEGER NOT NULL DEFAULT 0,
    recent_sales INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
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

-- The full-text index reads its text from skus.search_terms (terms pre-segmented by the
-- domain's text rules) and is kept in step by triggers, inside the writing transaction.
CREATE VIRTUAL TABLE sku_search USING fts5(
    search_terms, content='skus', content_rowid='id', tokenize='unicode61'
);
CREATE TRIGGER skus_search_insert AFTER INSERT ON skus BEGIN
    INSERT INTO sku_search(rowid, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER skus_search_delete AFTER DELETE ON skus BEGIN
    INSERT INTO sku_search(sku_search, rowid, search_terms) VALUES ('delete', old.id, old.search_terms);
END;
CREATE TRIGGER skus_search_update AFTER UPDATE OF search_terms ON skus BEGIN
    INSERT INTO sku_search(sku_search, rowid, search_terms) VALUES ('delete', old.id, old.search_terms);
    INSERT INTO sku_search(rowid, search_terms) VALUES (new.id, new.search_terms);
END;

CREATE TABLE sku_price_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    supply_fen INTEGER NOT NULL,
    pool_fen INTEGER NOT NULL,
    floor_fen INTEGER NOT NULL,
    retail_fen INTEGER NOT NULL,
    commission_bps INTEGER NOT NULL,
    changed_by INTEGER,
    changed_at_ms INTEGER NOT NULL
);
CREATE INDEX sku_price_history_sku ON sku_price_history(sku_id, id);

CREATE TABLE sku_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    decision TEXT NOT NULL,
    reason TEXT,
    operator_id INTEGER NOT NULL REFERENCES users(id),
    decided_at_ms INTEGER NOT NULL
);
CREATE INDEX sku_reviews_sku ON sku_reviews(sku_id, id);

CREATE TABLE stock (
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    warehouse_id INTEGER NOT NULL REFERENCES warehouses(id),
    quantity INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (sku_id, warehouse_id)
);

CREATE TABLE shelf_items (
    anchor_id INTEGER NOT NULL REFERENCES users(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    added_at_ms INTEGER NOT NULL,
    PRIMARY KEY (anchor_id, sku_id)
);
