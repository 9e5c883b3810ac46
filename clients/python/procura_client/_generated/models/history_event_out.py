from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.history_event_out_data import HistoryEventOutData


T = TypeVar("T", bound="HistoryEventOut")


@_attrs_define
class HistoryEventOut:
    """
    Attributes:
        version (int):
        type_ (str):
        occurred_at (datetime.datetime):
        actor (None | str):
        command_id (None | str):
        correlation_id (None | str):
        causation_id (None | str):
        data (HistoryEventOutData):
    """

    version: int
    type_: str
    occurred_at: datetime.datetime
    actor: None | str
    command_id: None | str
    correlation_id: None | str
    causation_id: None | str
    data: HistoryEventOutData

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        type_ = self.type_

        occurred_at = self.occurred_at.isoformat()

        actor: None | str
        actor = self.actor

        command_id: None | str
        command_id = self.command_id

        correlation_id: None | str
        correlation_id = self.correlation_id

        causation_id: None | str
        causation_id = self.causation_id

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "version": version,
                "type": type_,
                "occurred_at": occurred_at,
                "actor": actor,
                "command_id": command_id,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.history_event_out_data import HistoryEventOutData

        d = dict(src_dict)
        version = d.pop("version")

        type_ = d.pop("type")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

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

        data = HistoryEventOutData.from_dict(d.pop("data"))

        history_event_out = cls(
            version=version,
            type_=type_,
            occurred_at=occurred_at,
            actor=actor,
            command_id=command_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            data=data,
        )

        return history_event_out
