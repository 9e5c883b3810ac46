-- Expand: the PO summary (projections/po_summary.py) keeps every text a
-- command leaves on a PO (a rejection's reason, a comment asking for
-- changes, ...) in one JSON object, so a list item shows the same remarks as
-- the PO, and a new command's remark needs no column. A new nullable column,
-- filled here from the remarks that have columns of their own, in the form
-- the projection writes (compact, keys sorted). An older release's processes
-- neither read nor write it; a row one of them writes meanwhile is read from
-- those columns, and `procura projections rebuild po_summary` fills it.
-- A PO sent back for changes before this step shows its comment in the list
-- from its next event (or that rebuild) on.

ALTER TABLE rm_po_summary ADD COLUMN remarks TEXT;
UPDATE rm_po_summary SET remarks = '{'
    || CASE WHEN cancellation_reason IS NULL THEN '' ELSE '"cancellation_reason":' || to_json(cancellation_reason)::text END
    || CASE WHEN cancellation_reason IS NULL OR rejection_reason IS NULL THEN '' ELSE ',' END
    || CASE WHEN rejection_reason IS NULL THEN '' ELSE '"rejection_reason":' || to_json(rejection_reason)::text END
    || '}';
