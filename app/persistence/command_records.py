"""Command records: the stored outcome of one idempotent HTTP command.

Contract shared by every Procura recorder (POPO, SQLite, PostgreSQL):

* ``Application.save(*aggregates, command=CommandRecord(...))`` makes the
  recorder write the command record in the SAME transaction as the events
  of that save. Either both are written or neither is.
* The record is stored with ``event_position`` set by the recorder: the
  highest notification id of the events inserted with it, or ``None`` when
  the save had no events (e.g. a stored refusal). Whatever the caller put
  in ``event_position`` is ignored.
* If a record with the same ``(org, principal, key)`` already exists, the
  save raises :class:`CommandAlreadyRecorded` and writes nothing at all.
* Without a ``command`` keyword (or with ``command=None``) recorders behave
  exactly like the eventsourcing library's recorders.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

if TYPE_CHECKING:
    pass

COMMAND_KWARG = "command"
"""Keyword that ``Application.save()`` passes through to ``insert_events()``."""
#: Supplier callbacks' records are stored under org `supplier:<id>`
#: (app.suppliers.callbacks): a namespace no tenant may have, so no token's
#: org reaches them (app/http/claims.py) and support reads skip them.
CALLBACK_ORG_PREFIX = "supplier:"


def callback_org(supplier_id: str) -> str:
    return f"{CALLBACK_ORG_PREFIX}{supplier_id}"


def is_callback_org(org: str) -> bool:
    """True for the orgs callback records are stored under (in any case)."""
    return org.casefold().startswith(CALLBACK_ORG_PREFIX)


@dataclass(frozen=True)
class CommandRecord:
    """The idempotency record of one command, keyed by (org, principal, key).

    ``created_at`` must be timezone-aware; it is normalised to UTC.
    ``headers`` is copied, so later changes to the caller's dict don't leak in.
    """

    org: str
    principal: str
    key: str
    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes
    created_at: datetime
    event_position: int | None = None
    #: The PO the command was sent to (the id in its path); None for creates
    #: and for records that concern no PO.
    po_id: str | None = None

    def __post_init__(self) -> None:
        # Validate before any database work, so a bad record fails the save
        # up front instead of halfway through a transaction.
        for name in ("org", "principal", "key", "fingerprint"):
            if not isinstance(getattr(self, name), str):
                msg = f"CommandRecord.{name} must be str"
                raise TypeError(msg)
        if not isinstance(self.status, int) or isinstance(self.status, bool):
            msg = "CommandRecord.status must be int"
            raise TypeError(msg)
        if not isinstance(self.headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            msg = "CommandRecord.headers must map str to str"
            raise TypeError(msg)
        if not isinstance(self.body, bytes):
            msg = "CommandRecord.body must be bytes"
            raise TypeError(msg)
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            msg = "CommandRecord.created_at must be timezone-aware"
            raise ValueError(msg)
        if self.event_position is not None and not isinstance(self.event_position, int):
            msg = "CommandRecord.event_position must be int or None"
            raise TypeError(msg)
        if self.po_id is not None and not isinstance(self.po_id, str):
            msg = "CommandRecord.po_id must be str or None"
            raise TypeError(msg)
        # Frozen dataclass: normalise via object.__setattr__.
        object.__setattr__(self, "headers", dict(self.headers))
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    @property
    def identity(self) -> tuple[str, str, str]:
        """The primary key: (org, principal, key)."""
        return (self.org, self.principal, self.key)

    def with_position(self, event_position: int | None) -> CommandRecord:
        """Return a copy with ``event_position`` replaced."""
        return dataclasses.replace(self, event_position=event_position)


class CommandAlreadyRecorded(IntegrityError):
    """A command record with the same (org, principal, key) already exists.

    Raised from inside the insert transaction; the whole transaction, events
    included, has been rolled back when the caller sees it.
    """

    def __init__(self, org: str, principal: str, key: str) -> None:
        super().__init__(
            f"Command already recorded: org={org!r} principal={principal!r} key={key!r}"
        )
        self.org = org
        self.principal = principal
        self.key = key

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the exception picklable despite the custom __init__ signature.
        return (type(self), (self.org, self.principal, self.key))


class CommandRecorder(ABC):
    """Extra methods that Procura's application recorders provide.

    None of these methods retry: a database failure surfaces at once as
    eventsourcing's ``OperationalError`` / ``InterfaceError`` (or another
    ``PersistenceError``).
    """

    @abstractmethod
    def select_command(self, org: str, principal: str, key: str) -> CommandRecord | None:
        """Return the stored record for (org, principal, key), or None."""

    @abstractmethod
    def select_commands(self, org: str, principal: str) -> list[CommandRecord]:
        """Every stored record of (org, principal), oldest first."""

    @abstractmethod
    def select_commands_with_key(self, org: str, key: str) -> list[CommandRecord]:
        """Every stored record of `org` whose key is `key`, whoever sent it,
        oldest first (support tracing; not on any command's path)."""

    @abstractmethod
    def select_commands_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        """Every stored record of `org` naming `po_id`, whoever sent it,
        oldest first (a PO's timeline; not on any command's path)."""

    @abstractmethod
    def select_refusals_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        """The refused records (status 400 or above) of `org` naming `po_id`,
        oldest first: a PO's timeline shows them, and leaves the accepted
        ones (whose bodies hold the whole PO) unread."""

    @abstractmethod
    def purge_commands(self, older_than: datetime) -> int:
        """Delete records with ``created_at < older_than`` (tz-aware); return count."""


def command_from_kwargs(kwargs: Mapping[str, Any]) -> CommandRecord | None:
    """Extract and type-check the ``command`` keyword passed to insert_events()."""
    command = kwargs.get(COMMAND_KWARG)
    if command is not None and not isinstance(command, CommandRecord):
        msg = f"'{COMMAND_KWARG}' must be a CommandRecord, got {type(command).__name__}"
        raise TypeError(msg)
    return command


def require_aware(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; reject naive datetimes (they are ambiguous)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = "datetime must be timezone-aware"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def commands_table_name_for(events_table_name: str) -> str:
    """Derive the commands table name from the events table name.

    "procura_events" -> "procura_commands"; any other name gets "_commands"
    appended. One commands table per events table keeps applications that
    share a database from sharing idempotency keys.
    """
    stem = events_table_name.removesuffix("_events")
    return f"{stem}_commands"
