-- Expand: the PO search read model (projections/po_search.py), one row per
-- PO with the words of its title, lines, supplier reference, tracking number
-- and requester, and a contentless FTS5 index over them (rowid = doc),
-- backing GET /purchase-orders?q=. A new table: an older release's processes
-- never read it, and the worker fills it from the store's beginning (its
-- tracking row starts at 0), so POs created before this step are found once
-- the worker has caught up.

CREATE TABLE IF NOT EXISTS rm_po_search (id TEXT NOT NULL, org TEXT NOT NULL, doc BIGINT NOT NULL, requester TEXT NOT NULL, content TEXT NOT NULL, supplier_reference TEXT, tracking_number TEXT, document TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS rm_po_search__doc ON rm_po_search (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS rm_po_search_words USING fts5(document, content='', tokenize='unicode61 remove_diacritics 0');
