-- The save function's lock timeout came from the configuration of the process
-- that last created it. It now reads the session's `procura.lock_timeout`
-- (which Procura's connections set from PROCURA_DB_TIMEOUT), or 3 s when the
-- session does not set it (a 0.1.0 process). Same signature, same behaviour:
-- the previous release keeps calling it unchanged.

CREATE OR REPLACE FUNCTION public.procura_events_save_one(
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
