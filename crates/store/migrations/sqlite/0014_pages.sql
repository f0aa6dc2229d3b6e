-- Reads of the web consoles that would otherwise scan every order: the anchor's live
-- dashboard (a session's sales, polled every few seconds), the supplier's orders to ship and
-- in transit (by status, in ship-by order), and a supplier's staff.
CREATE INDEX orders_session_paid ON orders(session_id, paid_at_ms) WHERE session_id IS NOT NULL;
CREATE INDEX orders_supplier_status ON orders(supplier_id, status, ship_by_ms);
CREATE INDEX users_supplier ON users(supplier_id) WHERE supplier_id IS NOT NULL;
