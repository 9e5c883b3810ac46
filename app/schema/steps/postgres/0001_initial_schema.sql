-- The schema as release 0.1.0 created it at start-up: the event store (the
-- eventsourcing library's tables, type and function), command records, the
-- save function, read-model tracking, the placement outbox and the read
-- models. Everything is IF NOT EXISTS (or replaced), so a database that 0.1.0
-- created takes this step as its baseline without changing.

CREATE TABLE IF NOT EXISTS public.procura_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000,
        autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000,
        autovacuum_analyze_scale_factor = 0.01);
CREATE UNIQUE INDEX IF NOT EXISTS procura_events_notification_id_idx
    ON public.procura_events (notification_id ASC);

CREATE TABLE IF NOT EXISTS public.procura_snapshots (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    PRIMARY KEY (originator_id, originator_version)
) WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000,
        autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000,
        autovacuum_analyze_scale_factor = 0.01);

DO $$ BEGIN
    CREATE TYPE public.stored_event_uuid AS (
        originator_id uuid, originator_version bigint, topic text, state bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE OR REPLACE FUNCTION public.es_insert_events_uuid(events public.stored_event_uuid[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$BEGIN    SET LOCAL lock_timeout = '3s';    NOTIFY "procura_events";    RETURN QUERY    INSERT INTO "public"."procura_events" AS t (    originator_id, originator_version, topic, state)    SELECT originator_id, originator_version, topic, state    FROM unnest(events)    RETURNING notification_id;END;$BODY$;

CREATE TABLE IF NOT EXISTS public.procura_commands (
    org text NOT NULL,
    principal text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    status integer NOT NULL,
    headers jsonb NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL,
    event_position bigint NULL,
    PRIMARY KEY (org, principal, key)
);
CREATE INDEX IF NOT EXISTS procura_commands_created_at_idx ON public.procura_commands (created_at);

CREATE OR REPLACE FUNCTION public.procura_events_save_one(
    e_originator_id uuid, e_originator_version bigint, e_topic text, e_state bytea,
    c_org text, c_principal text, c_key text, c_fingerprint text, c_status integer,
    c_headers jsonb, c_body bytea, c_created_at timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $BODY$ DECLARE position bigint; BEGIN PERFORM set_config('lock_timeout', '3s', true); LOCK TABLE "public"."procura_events" IN EXCLUSIVE MODE; INSERT INTO "public"."procura_events" (originator_id, originator_version, topic, state) VALUES (e_originator_id, e_originator_version, e_topic, e_state) RETURNING notification_id INTO position; INSERT INTO "public"."procura_commands" (org, principal, key, fingerprint, status, headers, body, created_at, event_position) VALUES (c_org, c_principal, c_key, c_fingerprint, c_status, c_headers, c_body, c_created_at, position); NOTIFY "procura_events"; RETURN position; END $BODY$;

CREATE TABLE IF NOT EXISTS procura_tracking (
    name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS procura_placements (
    operation_id TEXT PRIMARY KEY, po_id TEXT NOT NULL, requested_version BIGINT NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL, uncertain INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL, lease_until TEXT NULL, last_error TEXT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS procura_placements_due ON procura_placements (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS procura_placements_po ON procura_placements (po_id);

-- Read models (the same SQL on SQLite).
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
