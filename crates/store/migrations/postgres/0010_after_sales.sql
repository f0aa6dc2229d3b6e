-- After-sales (售后): a buyer's request for a return or a refund on a paid order, and where it
-- stands (domain::after_sales::AfterSales) (PostgreSQL). Money is integer fen; times are Unix
-- milliseconds.

-- kind: no_reason_return | refund_only_not_shipped | refund_only_never_received |
-- quality_complaint. status: the domain's AfterSalesStatus. units: how many of the order's
-- units it concerns (a return may send back some of them). evidence_json: a quality
-- complaint's {"image_urls": [...], "text": "..."}. The reasons and the note are people's
-- words: why the supplier rejected, why the buyer disputes, what the operator decided.
-- return_carrier and return_waybill are the buyer's parcel back. refund_fen and
-- merchant_refund_id are filled when the refund is decided; the refund itself is a row of
-- refunds with that merchant id.
CREATE TABLE after_sales (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    buyer_id BIGINT NOT NULL REFERENCES users(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    units BIGINT NOT NULL CHECK (units > 0),
    evidence_json TEXT,
    requested_at_ms BIGINT NOT NULL,
    decide_by_ms BIGINT NOT NULL,
    approved_by_silence BIGINT NOT NULL DEFAULT 0,
    reject_reason TEXT,
    dispute_reason TEXT,
    arbitration_note TEXT,
    arbitrated_by BIGINT REFERENCES users(id),
    return_carrier TEXT,
    return_waybill TEXT,
    refund_fen BIGINT CHECK (refund_fen >= 0),
    merchant_refund_id TEXT UNIQUE,
    updated_at_ms BIGINT NOT NULL
);
-- An order has at most one request still open: a second one is refused by this index, even
-- when two arrive at once.
CREATE UNIQUE INDEX after_sales_one_open ON after_sales(order_id)
    WHERE status NOT IN ('upheld', 'refunded', 'withdrawn');
CREATE INDEX after_sales_order ON after_sales(order_id, id);
CREATE INDEX after_sales_supplier ON after_sales(supplier_id, status, id);
CREATE INDEX after_sales_status ON after_sales(status, id);
-- The sweeper's question: which requests has the supplier left undecided past the deadline?
CREATE INDEX after_sales_undecided ON after_sales(decide_by_ms) WHERE status = 'requested';
