-- Expand: command records name the PO a command was sent to (the id in its
-- path), so a PO's refused commands (a 409, a 412), which write no event,
-- can be found by PO. Nullable: records of creates and of supplier callbacks
-- have none, existing records have none, and an older release's processes
-- keep inserting records without it during a rolling upgrade. The index is
-- partial: only records that name a PO are looked up by it.

ALTER TABLE stored_commands ADD COLUMN po_id TEXT NULL;

CREATE INDEX IF NOT EXISTS stored_commands_org_po_id_idx ON stored_commands (org, po_id) WHERE po_id IS NOT NULL;
