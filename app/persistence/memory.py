"""In-memory (POPO) recorder with command records, for tests and local runs.

Use with ``PERSISTENCE_MODULE="app.persistence.memory:ProcuraPOPOFactory"``.
Same contract as the SQL recorders (see ``app.persistence.command_records``).
POPO cannot roll back, so everything that can fail is checked, under
``_database_lock``, before the first event is appended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.utils import resolve_topic

from app.persistence.command_records import (
    CommandAlreadyRecorded,
    CommandRecord,
    CommandRecorder,
    command_from_kwargs,
    require_aware,
)
from app.persistence.positions import PositionReader

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import ApplicationRecorder, StoredEvent


class ProcuraPOPORecorder(POPOApplicationRecorder, CommandRecorder, PositionReader):
    """Application recorder keeping command records in a dict."""

    def __init__(self) -> None:
        super().__init__()
        self._commands: dict[tuple[str, str, str], CommandRecord] = {}

    # The library calls _assert_uniqueness() then _update_table(), both
    # under _database_lock, from _insert_events().

    def _assert_uniqueness(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        command = command_from_kwargs(kwargs)
        if command is not None and command.identity in self._commands:
            raise CommandAlreadyRecorded(command.org, command.principal, command.key)

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        command = command_from_kwargs(kwargs)
        if command is None:
            return super()._update_table(stored_events, **kwargs)
        # Store the record first, so a failure here leaves no events behind.
        # The library numbers events by 1-based list position, so the last
        # event of this save will get len(before) + len(new).
        position = len(self._stored_events) + len(stored_events) if stored_events else None
        self._insert_command(command.with_position(position))
        try:
            notification_ids = super()._update_table(stored_events, **kwargs)
        except BaseException:
            del self._commands[command.identity]
            raise
        return notification_ids

    def _insert_command(self, command: CommandRecord) -> None:
        self._commands[command.identity] = command

    def select_command(self, org: str, principal: str, key: str) -> CommandRecord | None:
        with self._database_lock:
            return self._commands.get((org, principal, key))

    def select_commands(self, org: str, principal: str) -> list[CommandRecord]:
        with self._database_lock:
            found = [c for (o, p, _), c in self._commands.items() if (o, p) == (org, principal)]
        return sorted(found, key=lambda c: c.created_at)

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self._database_lock:
            # The library numbers events by their 1-based place in the list.
            return {v: i + 1 for v, i in self._stored_events_index.get(str(originator_id), {}).items()}

    def select_commands_with_key(self, org: str, key: str) -> list[CommandRecord]:
        with self._database_lock:
            found = [c for (o, _, k), c in self._commands.items() if (o, k) == (org, key)]
        return sorted(found, key=lambda c: c.created_at)

    def select_commands_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        with self._database_lock:
            found = [c for c in self._commands.values() if (c.org, c.po_id) == (org, po_id)]
        return sorted(found, key=lambda c: c.created_at)

    def select_refusals_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        return [c for c in self.select_commands_for_po(org, po_id) if c.status >= 400]

    def purge_commands(self, older_than: datetime) -> int:
        cutoff = require_aware(older_than)
        with self._database_lock:
            stale = [k for k, c in self._commands.items() if c.created_at < cutoff]
            for k in stale:
                del self._commands[k]
            return len(stale)


class ProcuraPOPOFactory(POPOFactory):
    """POPOFactory whose application recorder is ProcuraPOPORecorder.

    POPOFactory.application_recorder() hard-codes POPOApplicationRecorder, so it
    is overridden to honour ``APPLICATION_RECORDER_TOPIC`` and the class attribute,
    like the SQL factories do.
    """

    application_recorder_class: type[POPOApplicationRecorder] = ProcuraPOPORecorder

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        recorder_class = resolve_topic(topic) if topic else self.application_recorder_class
        assert issubclass(recorder_class, POPOApplicationRecorder)
        return recorder_class()
