from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="TracedEventOut")


@_attrs_define
class TracedEventOut:
    """
    Attributes:
        position (int): global position in the event store
        aggregate_id (str): the PO's or the operation's id
        version (int):
        type_ (str):
        at (datetime.datetime):
        actor (None | str):
        command (None | str): the declared command this PO event records; null for operation events
        command_id (None | str): the Idempotency-Key, or a callback's webhook-id
        request_id (None | str): the request that wrote it; null for the placement worker's own decisions
        correlation_id (None | str):
        causation_id (None | str):
    """

    position: int
    aggregate_id: str
    version: int
    type_: str
    at: datetime.datetime
    actor: None | str
    command: None | str
    command_id: None | str
    request_id: None | str
    correlation_id: None | str
    causation_id: None | str

    def to_dict(self) -> dict[str, Any]:
        position = self.position

        aggregate_id = self.aggregate_id

        version = self.version

        type_ = self.type_

        at = self.at.isoformat()

        actor: None | str
        actor = self.actor

        command: None | str
        command = self.command

        command_id: None | str
        command_id = self.command_id

        request_id: None | str
        request_id = self.request_id

        correlation_id: None | str
        correlation_id = self.correlation_id

        causation_id: None | str
        causation_id = self.causation_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "position": position,
                "aggregate_id": aggregate_id,
                "version": version,
                "type": type_,
                "at": at,
                "actor": actor,
                "command": command,
                "command_id": command_id,
                "request_id": request_id,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        position = d.pop("position")

        aggregate_id = d.pop("aggregate_id")

        version = d.pop("version")

        type_ = d.pop("type")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        def _parse_command(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        command = _parse_command(d.pop("command"))

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

        def _parse_correlation_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        correlation_id = _parse_correlation_id(d.pop("correlation_id"))

        def _parse_causation_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        causation_id = _parse_causation_id(d.pop("causation_id"))

        traced_event_out = cls(
            position=position,
            aggregate_id=aggregate_id,
            version=version,
            type_=type_,
            at=at,
            actor=actor,
            command=command,
            command_id=command_id,
            request_id=request_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

        return traced_event_out
