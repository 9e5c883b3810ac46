-- The schema as release 0.1.0 created it at start-up: the event store (the
-- eventsourcing library's tables), command records, read-model tracking, the
-- placement outbox and the read models. Everything is IF NOT EXISTS, so a
-- database that 0.1.0 created takes this step as its baseline without changing.

CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version));
CREATE TABLE IF NOT EXISTS stored_commands (org TEXT NOT NULL, principal TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, created_at TEXT NOT NULL, event_position INTEGER NULL, PRIMARY KEY (org, principal, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stored_commands_created_at_idx ON stored_commands (created_at);
CREATE TABLE IF NOT EXISTS stored_snapshots (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS procura_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS procura_placements (operation_id TEXT PRIMARY KEY, po_id TEXT NOT NULL, requested_version BIGINT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, uncertain INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, lease_until TEXT NULL, last_error TEXT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS procura_placements_due ON procura_placements (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS procura_placements_po ON procura_placements (po_id);

-- Read models (the same SQL on PostgreSQL).
CREATE TABLE IF NOT EXISTS rm_po_summary (id TEXT NOT NULL, org TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, total_cents BIGINT NOT NULL, currency TEXT NOT NULL, supplier_id TEXT NOT NULL, department TEXT, requester TEXT NOT NULL, needed_by TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, rejection_reason TEXT, cancellation_reason TEXT, supplier_reference TEXT, tracking_number TEXT, operation_id TEXT, search TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS rm_po_summary__created ON rm_po_summary (org, created_at, id);
CREATE INDEX IF NOT EXISTS rm_po_summary__total ON rm_po_summary (org, total_cents, id);
CREATE INDEX IF NOT EXISTS rm_po_summary__requester ON rm_po_summary (org, requester, created_at);
CREATE INDEX IF NOT EXISTS rm_po_summary__department ON rm_po_summary (org, department, created_at);
CREATE TABLE IF NOT EXISTS rm_approval_queue (id TEXT NOT NULL, org TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, total_cents BIGINT NOT NULL, currency TEXT NOT NULL, supplier_id TEXT NOT NULL, department TEXT, requester TEXT NOT NULL, needed_by TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, submitted_at TEXT, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS rm_approval_queue__waiting ON rm_approval_queue (org, status, department, submitted_at, id);
CREATE TABLE IF NOT EXISTS rm_spend_orders (id TEXT NOT NULL, org TEXT NOT NULL, department TEXT, supplier_id TEXT NOT NULL, currency TEXT NOT NULL, total_cents BIGINT NOT NULL, PRIMARY KEY (id));
CREATE TABLE IF NOT EXISTS rm_spend_facts (po_id TEXT NOT NULL, kind TEXT NOT NULL, org TEXT NOT NULL, department TEXT, supplier_id TEXT NOT NULL, currency TEXT NOT NULL, amount_cents BIGINT NOT NULL, at TEXT NOT NULL, month TEXT NOT NULL, PRIMARY KEY (po_id, kind));
CREATE INDEX IF NOT EXISTS rm_spend_facts__org_at ON rm_spend_facts (org, at);
CREATE TABLE IF NOT EXISTS rm_cycle_orders (id TEXT NOT NULL, org TEXT NOT NULL, department TEXT, submitted_us BIGINT, PRIMARY KEY (id));
CREATE TABLE IF NOT EXISTS rm_cycle_decisions (po_id TEXT NOT NULL, version INTEGER NOT NULL, org TEXT NOT NULL, department TEXT, outcome TEXT NOT NULL, decided_at TEXT NOT NULL, duration_us BIGINT NOT NULL, PRIMARY KEY (po_id, version));
CREATE INDEX IF NOT EXISTS rm_cycle_decisions__org_at ON rm_cycle_decisions (org, decided_at);
CREATE INDEX IF NOT EXISTS rm_cycle_decisions__org_department ON rm_cycle_decisions (org, department, decided_at);
