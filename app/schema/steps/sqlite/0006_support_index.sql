-- Expand: the support index (projections/support_index.py), every id a person
-- may hold (request, correlation, causation, Idempotency-Key, operation, PO,
-- supplier reference, tracking number, webhook-id, public event id) mapped to
-- its org, PO and event positions, backing GET /trace; and the aggregates'
-- owners it reads. New tables: an older release's processes never read them,
-- and the worker fills them from the store's beginning (tracking starts at 0).
-- The command records gain an index on (org, key): a trace looks an
-- Idempotency-Key up without reading every record of the org.

CREATE TABLE IF NOT EXISTS rm_support_index (org TEXT NOT NULL, ref TEXT NOT NULL, position BIGINT NOT NULL, po_id TEXT NOT NULL, PRIMARY KEY (org, ref, position));
CREATE TABLE IF NOT EXISTS rm_support_owners (aggregate_id TEXT NOT NULL, org TEXT NOT NULL, po_id TEXT NOT NULL, PRIMARY KEY (aggregate_id));
CREATE INDEX IF NOT EXISTS stored_commands_org_key_idx ON stored_commands (org, key);
