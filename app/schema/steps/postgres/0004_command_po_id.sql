-- Expand: command records name the PO a command was sent to (the id in its
-- path), so a PO's refused commands (a 409, a 412), which write no event,
-- can be found by PO. Nullable: records of creates and of supplier callbacks
-- have none, existing records have none, and an older release's processes
-- keep inserting records without it during a rolling upgrade. The index is
-- partial: only records that name a PO are looked up by it, and on an
-- existing table (every row NULL) it is built without sorting anything.
--
-- Version 3 of the save function takes the PO id; version 2 stays for the
-- previous release's processes and is dropped by a later contract step.

ALTER TABLE public.procura_commands ADD COLUMN IF NOT EXISTS po_id text NULL;

CREATE INDEX IF NOT EXISTS procura_commands_org_po_id_idx
    ON public.procura_commands (org, po_id) WHERE po_id IS NOT NULL;

CREATE OR REPLACE FUNCTION public.procura_events_save_one_v3(
    e_originator_id uuid, e_originator_version bigint, e_topic text, e_state bytea,
    c_org text, c_principal text, c_key text, c_fingerprint text, c_status integer,
    c_headers jsonb, c_body bytea, c_created_at timestamptz, c_po_id text)
RETURNS bigint LANGUAGE plpgsql AS $BODY$
DECLARE position bigint;
BEGIN
    PERFORM set_config('lock_timeout',
                       coalesce(nullif(current_setting('procura.lock_timeout', true), ''), '3s'), true);
    LOCK TABLE public.procura_events IN EXCLUSIVE MODE;
    INSERT INTO public.procura_events (originator_id, originator_version, topic, state)
    VALUES (e_originator_id, e_originator_version, e_topic, e_state)
    RETURNING notification_id INTO position;
    INSERT INTO public.procura_commands (org, principal, key, fingerprint, status, headers, body,
                                         created_at, event_position, po_id)
    VALUES (c_org, c_principal, c_key, c_fingerprint, c_status, c_headers, c_body, c_created_at, position,
            c_po_id);
    NOTIFY procura_events;
    RETURN position;
END
$BODY$;
