-- Expand: a second version of the save function. Release 0.1.0's
-- procura_events_save_one baked in the lock timeout of whichever process last
-- created it (and 0.1.0 processes re-create it at every start). Version 2 reads
-- the session's `procura.lock_timeout`, which this release's connections set
-- from PROCURA_DB_TIMEOUT (3 s when a session does not set it). 0.1.0 keeps
-- calling version 1, so both run side by side during a rolling upgrade; a
-- later release's contract step drops version 1.

CREATE OR REPLACE FUNCTION public.procura_events_save_one_v2(
    e_originator_id uuid, e_originator_version bigint, e_topic text, e_state bytea,
    c_org text, c_principal text, c_key text, c_fingerprint text, c_status integer,
    c_headers jsonb, c_body bytea, c_created_at timestamptz)
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
                                         created_at, event_position)
    VALUES (c_org, c_principal, c_key, c_fingerprint, c_status, c_headers, c_body, c_created_at, position);
    NOTIFY procura_events;
    RETURN position;
END
$BODY$;
