-- Paying for orders through a gateway: payments, the notifications applied (for dedupe),
-- the notifications refused (for operators) and refunds (PostgreSQL). Money is integer fen;
-- times are Unix milliseconds.

-- One attempt to collect an order's money. Its merchant payment id at the gateway is
-- `daihuo-pay-{id}`; gateway_payment_id and pay_url are filled once the gateway answered.
-- status: pending | succeeded | failed.
CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    amount_fen BIGINT NOT NULL,
    gateway_payment_id TEXT UNIQUE,
    pay_url TEXT,
    status TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX payments_order ON payments(order_id, id);
-- An order has at most one pending payment: asking again returns it.
CREATE UNIQUE INDEX payments_one_pending ON payments(order_id) WHERE status = 'pending';

-- Every notification applied, by event id, written in the transaction that applied it: a
-- replayed event finds its id and changes nothing.
CREATE TABLE payment_events (
    event_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    gateway_payment_id TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);

-- Notifications refused (bad signature, stale timestamp, malformed, unknown payment), so an
-- operator can see forgeries and misconfiguration. event_id is the header's claim, unverified.
CREATE TABLE rejected_notifications (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    event_id TEXT,
    received_at_ms BIGINT NOT NULL,
    excerpt TEXT NOT NULL
);

-- Money given back: a payment that arrived when no unit was left for it.
-- status: requested | succeeded | failed. gateway_refund_id is filled once the gateway
-- accepted the request; a requested refund without one is asked for again by the sweeper.
CREATE TABLE refunds (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    payment_id BIGINT NOT NULL REFERENCES payments(id),
    gateway_payment_id TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    merchant_refund_id TEXT NOT NULL UNIQUE,
    gateway_refund_id TEXT,
    status TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX refunds_unsent ON refunds(created_at_ms)
    WHERE status = 'requested' AND gateway_refund_id IS NULL;
