"""The command service: every write goes through `CommandService.execute`.

Steps (in this order): idempotency gate, load, authorize, precondition,
transition, then one save that writes the events and the command record in
one transaction. Refusals that come from the domain or from stored state are
recorded too, so a retry gets the same answer; nothing else is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from aggregates.errors import IllegalTransition, InvariantViolated, Refusal
from aggregates.operation import Operation
from aggregates.policy import Principal, allowed_actions, authorize, can_read_history, can_see
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import CREATE, TRANSITIONS
from app.persistence.command_records import CommandAlreadyRecorded, CommandRecord
from app.service.application import Procura
from app.service.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    NotFound,
    PreconditionRequired,
    VersionConflict,
    lost_connection_as_unavailable,
)
from app.service.idempotency import InFlightKeys
from app.service.metadata import EventMetadata, metadata_of, recording_as, rfc3339

#: Refusals a retry with the same key must see again: they are recorded.
RECORDED_REFUSALS = (Refusal, IllegalTransition, InvariantViolated, VersionConflict)


@dataclass(frozen=True)
class Command:
    """One client intent, parsed and authenticated, ready to execute."""

    principal: Principal
    action: str
    key: str
    fingerprint: str
    request_id: str
    correlation_id: str
    po_id: UUID | None = None
    if_match: int | None = None
    #: The intent's arguments, by parameter name (`content`, `reason`, ...).
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A response as recorded: replayed byte for byte on a retry."""

    status: int
    headers: dict[str, str]
    body: bytes
    event_position: int | None = None
    replayed: bool = False


class Renderer(Protocol):
    """How the edge turns outcomes into replies (the service stores them)."""

    def accepted(self, command: Command, po: PurchaseOrder, operation: Operation | None) -> Reply: ...

    def refused(self, command: Command, error: Exception) -> Reply: ...


def _apply(command: Command, po: PurchaseOrder) -> Operation | None:
    """Call the PO's intent method of the command's name with its arguments;
    a command that starts an operation returns it, to be saved alongside."""
    if not TRANSITIONS[command.action].operation:
        getattr(po, command.action)(**command.arguments)
        return None
    operation = Operation(org=po.org, kind=command.action, purchase_order_id=po.id)
    getattr(po, command.action)(operation.id, **command.arguments)
    return operation


def _refuse(refusal: Refusal | None, what: str = "purchase order") -> None:
    if refusal is None:
        return
    if refusal.slug == "not-found":
        raise NotFound(what)
    raise refusal


@dataclass
class CommandService:
    app: Procura
    in_flight: InFlightKeys = field(default_factory=InFlightKeys)

    # --- writes ------------------------------------------------------------

    def replay(self, who: Principal, key: str, fingerprint: str) -> Reply | None:
        """The recorded reply to this request, or None when the key is new.

        Raises IdempotencyKeyReused when the key answered another request. The
        edge calls it before validating the body, so a retry costs one lookup.
        """
        with lost_connection_as_unavailable("database"):
            return self._recorded(who, key, fingerprint)

    def execute(self, command: Command, render: Renderer, *, replay_checked: bool = False) -> Reply:
        """Run `command` at most once per (org, user, key); see module doc.

        With `replay_checked` the caller has just called `replay` and found
        nothing; a duplicate recorded since is still caught at save time.
        """
        who = command.principal
        scope = (who.org, who.sub, command.key)
        with lost_connection_as_unavailable("database"):
            stored = None if replay_checked else self._recorded_reply(command)
            if stored is not None:
                return stored
            if not self.in_flight.claim(scope):
                raise IdempotencyKeyInFlight()
            try:
                metadata = EventMetadata(who.sub, command.key, command.correlation_id, command.request_id)
                with recording_as(metadata):
                    return self._run(command, render)
            finally:
                self.in_flight.release(scope)

    def _run(self, command: Command, render: Renderer) -> Reply:
        try:
            po, operation = self._decide(command)
        except RECORDED_REFUSALS as error:
            return self._save(command, render.refused(command, error))
        try:
            return self._save(command, render.accepted(command, po, operation), po, operation)
        except IntegrityError:
            # Another command appended the same version first: a lost race.
            conflict = self._lost_race(command)
            return self._save(command, render.refused(command, conflict))

    def _decide(self, command: Command) -> tuple[PurchaseOrder, Operation | None]:
        who = command.principal
        if command.action == CREATE:
            _refuse(authorize(who, CREATE))
            po = PurchaseOrder.draft(
                org=who.org, requester=who.sub, department=who.department, **command.arguments
            )
            return po, None
        po = self._load(who, command.po_id)
        _refuse(authorize(who, command.action, po))
        self._check_version(command, po)
        try:
            return po, _apply(command, po)
        except IllegalTransition as error:
            error.current_version = po.version
            error.allowed_actions = allowed_actions(who, po)
            raise

    def _save(self, command: Command, reply: Reply, *aggregates) -> Reply:
        """Save `aggregates` (if any) and the command record in one transaction.

        Raises IntegrityError when the events lost a race on their version.
        """
        record = CommandRecord(
            org=command.principal.org,
            principal=command.principal.sub,
            key=command.key,
            fingerprint=command.fingerprint,
            status=reply.status,
            headers=reply.headers,
            body=reply.body,
            created_at=datetime.now(UTC),
            # So a PO's refusals, which write no event, are found by PO too.
            po_id=None if command.po_id is None else str(command.po_id),
        )
        try:
            recordings = self.app.save(*(a for a in aggregates if a is not None), command=record)
        except CommandAlreadyRecorded:
            # A duplicate in another process won: answer what it recorded.
            return self._recorded_reply(command)
        position = max((r.notification.id for r in recordings), default=None)
        return Reply(reply.status, reply.headers, reply.body, position)

    def _lost_race(self, command: Command) -> VersionConflict:
        po = self._load(command.principal, command.po_id)
        return self._conflict(command.principal, po, command.if_match)

    def _recorded_reply(self, command: Command) -> Reply | None:
        return self._recorded(command.principal, command.key, command.fingerprint)

    def _recorded(self, who: Principal, key: str, fingerprint: str) -> Reply | None:
        record = self.app.recorder.select_command(who.org, who.sub, key)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return Reply(record.status, dict(record.headers), record.body, record.event_position, replayed=True)

    def _check_version(self, command: Command, po: PurchaseOrder) -> None:
        if command.if_match is None:
            raise PreconditionRequired(current_version=po.version)
        if command.if_match != po.version:
            raise self._conflict(command.principal, po, command.if_match)

    def _conflict(self, who: Principal, po: PurchaseOrder, expected: int) -> VersionConflict:
        newer = self.app.stored_events(po.id, after=expected) if expected < po.version else ()
        return VersionConflict(
            expected_version=expected,
            current_version=po.version,
            current_status=po.status,
            allowed_actions=allowed_actions(who, po),
            changes_since=[change_summary(e) for e in newer],
        )

    # --- reads -------------------------------------------------------------

    def _load(self, who: Principal, po_id: UUID, version: int | None = None) -> PurchaseOrder:
        po = self.app.purchase_order(po_id, version)
        if po is None or not can_see(who, po):
            raise NotFound()
        return po

    def purchase_order(self, who: Principal, po_id: UUID, version: int | None = None) -> PurchaseOrder:
        """The PO (as at `version`) if `who` may see it; NotFound otherwise."""
        with lost_connection_as_unavailable("database"):
            current = self._load(who, po_id)
            if version is None or version == current.version:
                return current
            if not 1 <= version < current.version:
                raise NotFound("version of this purchase order")
            return self._load(who, po_id, version)

    def history_reader(self, who: Principal, po_id: UUID) -> PurchaseOrder:
        """The PO if `who` may read its history (auditors, admins and its
        requester); NotFound or a 'forbidden' Refusal otherwise."""
        with lost_connection_as_unavailable("database"):
            po = self._load(who, po_id)
        if not can_read_history(who, po):
            raise Refusal(
                "forbidden", "Only auditors, admins and the requester may read the history.",
                {"required": ["auditor", "admin", "requester (own purchase orders)"]},
            )
        return po

    def operation(self, who: Principal, op_id: UUID) -> Operation:
        """The operation if `who` may see its PO; NotFound otherwise."""
        with lost_connection_as_unavailable("database"):
            operation = self.app.operation(op_id)
            po = operation and self.app.purchase_order(operation.purchase_order_id)
            if po is None or not can_see(who, po):
                raise NotFound("operation")
            return operation


def change_summary(domain_event) -> dict:
    """What `changes_since` says about one event."""
    meta = metadata_of(domain_event)
    return {
        "version": domain_event.originator_version,
        "type": type(domain_event).__name__,
        "occurred_at": rfc3339(domain_event.timestamp),
        "actor": meta.get("actor"),
    }
