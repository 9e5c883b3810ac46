"""Applying schema steps, one transaction each, serialised across processes.

Contract shared by both databases:

* Each step runs in ONE transaction together with its row in
  `procura_schema_steps` (number, name, checksum, when, which release). A
  step is therefore applied exactly once or not at all, even when its
  process dies half-way: there is no moment at which a step is applied but
  not recorded.
* Before a step, the transaction takes the database's migration lock
  (PostgreSQL: a transaction-scoped advisory lock; SQLite: an exclusive
  transaction) and then reads which steps ran. Any number of processes may
  migrate at once: one applies each step, the others wait for the lock
  (logging that they wait, for at most `wait_seconds`), find the step
  recorded and move on.
* A failing step rolls back whole and raises `MigrationFailed` naming it.
"""

from __future__ import annotations

import functools
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime

from app.schema.steps import Step

log = logging.getLogger("procura.schema")

STEPS_TABLE = "procura_schema_steps"
STEPS_TABLE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {STEPS_TABLE} ("
    "number INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
    "applied_at TEXT NOT NULL, release TEXT NOT NULL, duration_ms INTEGER NOT NULL)"
)
SELECT_APPLIED = f"SELECT number, name, checksum, applied_at, release FROM {STEPS_TABLE} ORDER BY number"


class SchemaError(Exception):
    """The schema cannot be brought to what this release needs; the message
    is one line for an operator."""


class MigrationFailed(SchemaError):
    def __init__(self, step: Step, reason: str):
        first_line = (reason.strip().splitlines() or ["unknown error"])[0]
        super().__init__(f"schema step {step.name} failed and was rolled back: {first_line}")
        self.step = step


class MigrationLockTimeout(SchemaError):
    pass


class StepModified(SchemaError):
    def __init__(self, names: list[str]):
        super().__init__(f"schema steps changed after they were applied: {', '.join(names)} "
                         "(released steps are never edited; restore them and add a new step)")


class SchemaNotReady(SchemaError):
    def __init__(self, pending: tuple[Step, ...]):
        super().__init__(f"the database schema lacks steps {', '.join(s.name for s in pending)}; "
                         "run `procura migrate` (or start with PROCURA_AUTO_MIGRATE=true)")
        self.pending = pending


@dataclass(frozen=True)
class AppliedStep:
    number: int
    name: str
    checksum: str
    applied_at: str
    release: str


@dataclass(frozen=True)
class SchemaStatus:
    """The steps this release knows next to the ones the database has run."""

    known: tuple[Step, ...]
    applied: tuple[AppliedStep, ...]

    @property
    def version(self) -> int:
        """The database's schema version: the highest step it has run (0: none)."""
        return max((a.number for a in self.applied), default=0)

    @property
    def pending(self) -> tuple[Step, ...]:
        done = {a.number for a in self.applied}
        return tuple(s for s in self.known if s.number not in done)

    @property
    def newer(self) -> tuple[AppliedStep, ...]:
        """Steps a later release applied (this release runs on them: expand-then-contract)."""
        return tuple(a for a in self.applied if a.number > len(self.known))

    @property
    def modified(self) -> tuple[Step, ...]:
        recorded = {a.number: a.checksum for a in self.applied}
        return tuple(s for s in self.known if recorded.get(s.number, s.checksum) != s.checksum)


@functools.cache
def release() -> str:
    """This release's version, as installed from setup.cfg."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("procura")
    except PackageNotFoundError:
        return "unknown"


def utc_now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Migrator(ABC):
    """Applies `steps` to one database (see the module doc)."""

    #: How often a step that cannot get its table locks in time is tried.
    LOCK_ATTEMPTS = 5

    def __init__(self, steps: tuple[Step, ...], *, wait_seconds: float):
        self.steps = steps
        self.wait_seconds = wait_seconds

    def status(self) -> SchemaStatus:
        return SchemaStatus(self.steps, tuple(AppliedStep(*row) for row in self._applied_rows()))

    def migrate(self, *, up_to: int | None = None) -> list[Step]:
        """Apply the pending steps (up to number `up_to`); the ones this call applied."""
        status = self.status()
        if status.modified:
            raise StepModified([s.name for s in status.modified])
        deadline = time.monotonic() + self.wait_seconds
        applied = []
        for step in status.pending:
            if up_to is not None and step.number > up_to:
                break
            if self._apply_with_retries(step, deadline):
                applied.append(step)
        return applied

    def _apply_with_retries(self, step: Step, deadline: float) -> bool:
        for attempt in range(1, self.LOCK_ATTEMPTS + 1):
            try:
                return self._apply_if_pending(step, deadline)
            except TableBusy as busy:
                if attempt == self.LOCK_ATTEMPTS:
                    raise MigrationFailed(step, f"{busy} (tried {attempt} times)") from None
                log.warning("schema step %s waits for a table that running transactions hold; "
                            "trying again (%d/%d)", step.name, attempt, self.LOCK_ATTEMPTS)
                time.sleep(0.2 * attempt)  # backoff between attempts, not a wait on a condition
        raise AssertionError("unreachable")

    def _record(self, step: Step, started: float) -> tuple:
        return (step.number, step.name, step.checksum, utc_now_text(), release(),
                int((time.monotonic() - started) * 1000))

    @staticmethod
    def _waiting(waited_for: str) -> None:
        log.info("schema: waiting for %s to finish migrating", waited_for)

    @abstractmethod
    def _applied_rows(self) -> list[tuple]:
        """(number, name, checksum, applied_at, release) of each applied step;
        none when the steps table does not exist yet."""

    @abstractmethod
    def _apply_if_pending(self, step: Step, deadline: float) -> bool:
        """In one transaction: lock, check, apply, record. False when another
        process had applied it. Raises TableBusy when the step could not get
        its table locks in time (nothing applied)."""


class TableBusy(Exception):
    """A step's DDL could not lock its table quickly (nothing was applied)."""
