-- Reads of the forecast before a live session and its replenishment advice that would
-- otherwise scan whole tables: a SKU's past sessions, the platform's recent ended sessions,
-- an anchor's followers as of a time, and where an anchor's (or the platform's) buyers live.
CREATE INDEX session_items_sku ON session_items(sku_id, session_id);
CREATE INDEX live_sessions_ended ON live_sessions(went_live_at_ms) WHERE status = 'ended';
CREATE INDEX follows_anchor_since ON follows(anchor_id, created_at_ms);
CREATE INDEX orders_paid_per_anchor ON orders(anchor_id, paid_at_ms) WHERE paid_at_ms IS NOT NULL;
CREATE INDEX orders_paid_recent ON orders(paid_at_ms) WHERE paid_at_ms IS NOT NULL;
