from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.timeline_step_kind import TimelineStepKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.change_out import ChangeOut
    from ..models.problem import Problem
    from ..models.timeline_step_out_state import TimelineStepOutState


T = TypeVar("T", bound="TimelineStepOut")


@_attrs_define
class TimelineStepOut:
    """
    Attributes:
        kind (str | TimelineStepKind): Known values are listed; treat any other as unknown, never as an error.
        at (datetime.datetime):
        actor (None | str):
        command_id (None | str):
        request_id (None | str):
        position (int | Unset): event: its global position
        version (int | Unset): event: the PO's version it made
        type_ (str | Unset): event: its type (Submitted, Placed, ...)
        command (None | str | Unset): event: the declared command it records
        correlation_id (None | str | Unset):
        causation_id (None | str | Unset):
        changes (list[ChangeOut] | Unset): event: the PO fields it changed (version and updated_at left out)
        state (TimelineStepOutState | Unset): event: the PO's fields after it
        status (int | Unset): refusal: the HTTP status its client got
        problem (Problem | Unset):
        abridged (bool | Unset): present (true) only on a step too large for a page on its own: an event without `state`
            (read it with GET /purchase-orders/{id}?version=N), a refusal whose problem keeps only type, title, status,
            detail, instance and next_action
    """

    kind: str | TimelineStepKind
    at: datetime.datetime
    actor: None | str
    command_id: None | str
    request_id: None | str
    position: int | Unset = UNSET
    version: int | Unset = UNSET
    type_: str | Unset = UNSET
    command: None | str | Unset = UNSET
    correlation_id: None | str | Unset = UNSET
    causation_id: None | str | Unset = UNSET
    changes: list[ChangeOut] | Unset = UNSET
    state: TimelineStepOutState | Unset = UNSET
    status: int | Unset = UNSET
    problem: Problem | Unset = UNSET
    abridged: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind: str
        if isinstance(self.kind, TimelineStepKind):
            kind = self.kind.value
        else:
            kind = self.kind

        at = self.at.isoformat()

        actor: None | str
        actor = self.actor

        command_id: None | str
        command_id = self.command_id

        request_id: None | str
        request_id = self.request_id

        position = self.position

        version = self.version

        type_ = self.type_

        command: None | str | Unset
        if isinstance(self.command, Unset):
            command = UNSET
        else:
            command = self.command

        correlation_id: None | str | Unset
        if isinstance(self.correlation_id, Unset):
            correlation_id = UNSET
        else:
            correlation_id = self.correlation_id

        causation_id: None | str | Unset
        if isinstance(self.causation_id, Unset):
            causation_id = UNSET
        else:
            causation_id = self.causation_id

        changes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.changes, Unset):
            changes = []
            for changes_item_data in self.changes:
                changes_item = changes_item_data.to_dict()
                changes.append(changes_item)

        state: dict[str, Any] | Unset = UNSET
        if not isinstance(self.state, Unset):
            state = self.state.to_dict()

        status = self.status

        problem: dict[str, Any] | Unset = UNSET
        if not isinstance(self.problem, Unset):
            problem = self.problem.to_dict()

        abridged = self.abridged

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "at": at,
                "actor": actor,
                "command_id": command_id,
                "request_id": request_id,
            }
        )
        if position is not UNSET:
            field_dict["position"] = position
        if version is not UNSET:
            field_dict["version"] = version
        if type_ is not UNSET:
            field_dict["type"] = type_
        if command is not UNSET:
            field_dict["command"] = command
        if correlation_id is not UNSET:
            field_dict["correlation_id"] = correlation_id
        if causation_id is not UNSET:
            field_dict["causation_id"] = causation_id
        if changes is not UNSET:
            field_dict["changes"] = changes
        if state is not UNSET:
            field_dict["state"] = state
        if status is not UNSET:
            field_dict["status"] = status
        if problem is not UNSET:
            field_dict["problem"] = problem
        if abridged is not UNSET:
            field_dict["abridged"] = abridged

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.change_out import ChangeOut
        from ..models.problem import Problem
        from ..models.timeline_step_out_state import TimelineStepOutState

        d = dict(src_dict)

        def _parse_kind(data: object) -> str | TimelineStepKind:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                kind_type_0 = TimelineStepKind(data)

                return kind_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TimelineStepKind, data)

        kind = _parse_kind(d.pop("kind"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        def _parse_command_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        command_id = _parse_command_id(d.pop("command_id"))

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        position = d.pop("position", UNSET)

        version = d.pop("version", UNSET)

        type_ = d.pop("type", UNSET)

        def _parse_command(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        command = _parse_command(d.pop("command", UNSET))

        def _parse_correlation_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        correlation_id = _parse_correlation_id(d.pop("correlation_id", UNSET))

        def _parse_causation_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        causation_id = _parse_causation_id(d.pop("causation_id", UNSET))

        _changes = d.pop("changes", UNSET)
        changes: list[ChangeOut] | Unset = UNSET
        if _changes is not UNSET:
            changes = []
            for changes_item_data in _changes:
                changes_item = ChangeOut.from_dict(changes_item_data)

                changes.append(changes_item)

        _state = d.pop("state", UNSET)
        state: TimelineStepOutState | Unset
        if isinstance(_state, Unset):
            state = UNSET
        else:
            state = TimelineStepOutState.from_dict(_state)

        status = d.pop("status", UNSET)

        _problem = d.pop("problem", UNSET)
        problem: Problem | Unset
        if isinstance(_problem, Unset):
            problem = UNSET
        else:
            problem = Problem.from_dict(_problem)

        abridged = d.pop("abridged", UNSET)

        timeline_step_out = cls(
            kind=kind,
            at=at,
            actor=actor,
            command_id=command_id,
            request_id=request_id,
            position=position,
            version=version,
            type_=type_,
            command=command,
            correlation_id=correlation_id,
            causation_id=causation_id,
            changes=changes,
            state=state,
            status=status,
            problem=problem,
            abridged=abridged,
        )

        return timeline_step_out
