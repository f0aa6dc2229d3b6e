-- The last stage of each flash sale that its room was told of by the clock (announced,
-- counting_down, started, ended). Every node's sweeper moves it forward with a
-- compare-and-set, so exactly one node publishes each stage, even after restarts.
ALTER TABLE flash_sales ADD COLUMN announced_stage TEXT NOT NULL DEFAULT 'announced';
UPDATE flash_sales SET announced_stage = 'ended' WHERE units_returned_at_ms IS NOT NULL;
CREATE INDEX flash_sales_stage_due ON flash_sales(starts_at_ms) WHERE announced_stage <> 'ended';
