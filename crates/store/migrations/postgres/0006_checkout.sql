-- Buying in the room: saved addresses, flash sales, orders, idempotency keys, subsidy
-- budgets and the units a SKU has promised to buyers (PostgreSQL). Money is integer fen; times
-- are Unix milliseconds.

-- A campaign's subsidy budget: held by unpaid reservations, spent by paid ones. The
-- checkout never lets held + spent pass the budget.
ALTER TABLE campaigns ADD COLUMN subsidy_budget_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN subsidy_held_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN subsidy_spent_fen BIGINT NOT NULL DEFAULT 0;

-- Units of a SKU promised to buyers (reserved or paid, not yet shipped) or set aside for a
-- flash sale. Ordinary purchases take units only while stock_total - units_held covers them.
ALTER TABLE skus ADD COLUMN units_held BIGINT NOT NULL DEFAULT 0;

CREATE TABLE addresses (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    county_code BIGINT NOT NULL,
    detail TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses(user_id, id);

-- taken: units held by unpaid reservations or sold; never above quantity.
-- units_returned_at_ms: when the unsold rest went back to the SKU after the sale closed.
CREATE TABLE flash_sales (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    anchor_id BIGINT NOT NULL REFERENCES users(id),
    campaign_id BIGINT REFERENCES campaigns(id),
    price_fen BIGINT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    per_user_limit BIGINT NOT NULL,
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    pay_window_ms BIGINT NOT NULL,
    taken BIGINT NOT NULL DEFAULT 0,
    sold BIGINT NOT NULL DEFAULT 0,
    units_returned_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    CHECK (taken >= 0 AND taken <= quantity AND sold <= taken)
);
CREATE INDEX flash_sales_session ON flash_sales(session_id, id);
CREATE INDEX flash_sales_open ON flash_sales(ends_at_ms) WHERE units_returned_at_ms IS NULL;

-- Units each buyer holds or bought in a sale: the per-user limit is checked against it.
CREATE TABLE flash_sale_buyers (
    sale_id BIGINT NOT NULL REFERENCES flash_sales(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    units BIGINT NOT NULL,
    PRIMARY KEY (sale_id, user_id)
);

-- One SKU bought by one buyer. The money columns are the order's PriceSplit; the address
-- is copied so later edits of the saved address never change where a parcel goes.
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    order_no TEXT NOT NULL UNIQUE,
    buyer_id BIGINT NOT NULL REFERENCES users(id),
    anchor_id BIGINT NOT NULL REFERENCES users(id),
    session_id BIGINT REFERENCES live_sessions(id),
    flash_sale_id BIGINT REFERENCES flash_sales(id),
    campaign_id BIGINT REFERENCES campaigns(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    quantity BIGINT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    buyer_pays_fen BIGINT NOT NULL,
    commission_fen BIGINT NOT NULL,
    platform_fee_fen BIGINT NOT NULL,
    supplier_fen BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    county_code BIGINT NOT NULL,
    address_detail TEXT NOT NULL,
    status TEXT NOT NULL,
    cancel_reason TEXT,
    reserved_until_ms BIGINT NOT NULL,
    paid_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX orders_buyer ON orders(buyer_id, id);
CREATE INDEX orders_unpaid ON orders(reserved_until_ms) WHERE status = 'reserved';
CREATE INDEX orders_flash_sale ON orders(flash_sale_id, id) WHERE flash_sale_id IS NOT NULL;

-- A buyer's idempotency key and the order it made; written in the order's transaction.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users(id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_order ON idempotency_keys(order_id);
