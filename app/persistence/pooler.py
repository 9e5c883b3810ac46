"""Procura behind a transaction-pooling PgBouncer (`PROCURA_DB_POOLER=transaction`).

Connections then carry no startup options (PgBouncer 1.18 refuses them) and
get no session `SET`, so the statement timeout, the save function's lock
timeout and the idle-in-transaction timeout are whatever a new session on
the server gets by default: the role's or the database's settings (docs/operators/connection-pooler.md). `check_session_timeouts` reads them at start,
through the pooler, and says so when they are not Procura's.
"""

from __future__ import annotations

import logging

import psycopg

from app.config import Settings

log = logging.getLogger("procura.pooler")

#: The save function's lock timeout when `procura.lock_timeout` is not set
#: (schema step 0002).
SAVE_FUNCTION_LOCK_TIMEOUT = "3s"
#: What a direct connection is given on connect (the library's default):
#: a transaction whose client went silent ends, and its locks with it.
IDLE_IN_TRANSACTION_TIMEOUT = "5s"
TIMEOUTS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


def session_defaults(settings: Settings) -> dict[str, str]:
    """What every new session must get from the role (or the database) behind
    a transaction pooler, as `ALTER ROLE ... SET name = 'value'` takes it."""
    return {"statement_timeout": f"{settings.statement_timeout_seconds}s",
            "procura.lock_timeout": f"{settings.db_timeout_seconds}s",
            "idle_in_transaction_session_timeout": IDLE_IN_TRANSACTION_TIMEOUT}


def session_timeouts(url: str, connect_timeout: int) -> dict[str, int]:
    """Each of TIMEOUTS in milliseconds as a session opened without options
    gets it (lock_timeout: the save function's)."""
    with (psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout, prepare_threshold=None) as conn,
          conn.transaction()):
        # The save function's own computation, in a transaction of our own.
        conn.execute("SELECT set_config('lock_timeout', coalesce(nullif("
                     "current_setting('procura.lock_timeout', true), ''), %s), true)",
                     (SAVE_FUNCTION_LOCK_TIMEOUT,))
        rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(TIMEOUTS),)).fetchall()
    return {name: int(setting) for name, setting in rows}


def check_session_timeouts(settings: Settings) -> list[str]:
    """Behind a transaction pooler: log (and return) a warning for each
    timeout the server's session defaults do not set as configured."""
    if settings.db_pooler != "transaction" or settings.database_url is None:
        return []
    try:
        found = session_timeouts(settings.database_url, settings.db_timeout_seconds)
    except psycopg.Error as error:
        log.warning("could not read the server's session timeouts: %s", str(error).strip())
        return [str(error)]
    wanted = session_defaults(settings)

    def fix(name: str) -> str:
        return f"ALTER ROLE <procura's role> SET {name} = '{wanted[name]}'"

    warnings = []
    statement_ms, lock_ms = found["statement_timeout"], found["lock_timeout"]
    if statement_ms != settings.statement_timeout_seconds * 1000:
        warnings.append(f"statement_timeout is {statement_ms} ms, not PROCURA_STATEMENT_TIMEOUT's "
                        f"{settings.statement_timeout_seconds} s: {fix('statement_timeout')}")
    if lock_ms != settings.db_timeout_seconds * 1000:
        warnings.append(f"saves wait {lock_ms} ms for the events table's lock, not PROCURA_DB_TIMEOUT's "
                        f"{settings.db_timeout_seconds} s: {fix('procura.lock_timeout')}")
    if found["idle_in_transaction_session_timeout"] == 0:
        warnings.append("idle_in_transaction_session_timeout is off: a client that vanishes inside a transaction "
                        "(its host lost power or its network) keeps that transaction's locks, the events table's "
                        f"included, until TCP gives up on it, which can take hours: "
                        f"{fix('idle_in_transaction_session_timeout')}")
    for warning in warnings:
        log.warning("behind a transaction pooler (PROCURA_DB_POOLER): %s", warning)
    return warnings
