-- Expand: the public events read model (projections/public_events.py), one
-- row per client-visible event with its org, PO and public type, backing
-- GET /events. A new table: an older release's processes never read it, and
-- the worker fills it from the store's beginning (its tracking row starts at 0).

CREATE TABLE IF NOT EXISTS rm_public_events (position BIGINT NOT NULL, org TEXT NOT NULL, po_id TEXT NOT NULL, type TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (position));
CREATE INDEX IF NOT EXISTS rm_public_events__org ON rm_public_events (org, position);
CREATE INDEX IF NOT EXISTS rm_public_events__org_type ON rm_public_events (org, type, position);
CREATE INDEX IF NOT EXISTS rm_public_events__po ON rm_public_events (po_id, position);
