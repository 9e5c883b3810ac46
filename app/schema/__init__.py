"""Procura's versioned schema: numbered steps, applied once, in order.

`prepare_schema` is what every process runs at start (the policy:
PROCURA_AUTO_MIGRATE applies pending steps, else refuses to start while any
is pending); `migrator_for` serves `procura migrate`. docs/operators/upgrades.md section explains the rules steps are written by.
"""

from __future__ import annotations

import logging
from typing import Any

from app.config import Settings
from app.schema.migrator import (
    MigrationFailed,
    MigrationLockTimeout,
    Migrator,
    SchemaError,
    SchemaNotReady,
    SchemaStatus,
    StepModified,
    release,
)
from app.schema.steps import Step, load_steps

__all__ = ["MigrationFailed", "MigrationLockTimeout", "Migrator", "SchemaError", "SchemaNotReady",
           "SchemaStatus", "Step", "migrator_for", "prepare_schema", "release", "steps_for"]

log = logging.getLogger("procura.schema")


def steps_for(settings: Settings) -> tuple[Step, ...]:
    return load_steps("postgres" if settings.database_url else "sqlite")


def migrator_for(settings: Settings, *, datastore: Any = None) -> Migrator:
    """The migrator for the configured database (`datastore`: the in-memory
    read store that unit tests use)."""
    if datastore is not None:
        from app.schema.sqlite import SQLiteMigrator

        return SQLiteMigrator.for_datastore(datastore, load_steps("sqlite"))
    if settings.database_url:
        from app.schema.postgres import PostgresMigrator

        return PostgresMigrator(settings.database_url, steps_for(settings),
                                wait_seconds=settings.migrate_wait_seconds,
                                connect_timeout=settings.db_timeout_seconds)
    from app.schema.sqlite import SQLiteMigrator

    return SQLiteMigrator.for_file(settings.sqlite_path, steps_for(settings),
                                   wait_seconds=settings.migrate_wait_seconds)


def prepare_schema(settings: Settings, *, datastore: Any = None) -> SchemaStatus:
    """Bring the schema to what this release needs, or refuse.

    With `settings.auto_migrate` pending steps are applied (waiting for any
    other process doing the same); without it, pending steps raise
    SchemaNotReady. Steps from a newer release are fine: they only expand.
    Raises SchemaError subclasses with a one-line message.
    """
    migrator = migrator_for(settings, datastore=datastore)
    if datastore is not None:  # a private in-memory database: nothing to tell anyone
        migrator.migrate()
    elif settings.auto_migrate:
        for step in migrator.migrate():
            log.info("schema: applied step %s", step.name)
    status = migrator.status()
    if status.modified:
        raise StepModified([s.name for s in status.modified])
    if status.pending:
        raise SchemaNotReady(status.pending)
    if status.newer:
        log.info("schema: the database is at version %d, newer than this release's %d "
                 "(expand-then-contract keeps this release working)", status.version, len(status.known))
    return status

