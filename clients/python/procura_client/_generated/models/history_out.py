from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.history_event_out import HistoryEventOut


T = TypeVar("T", bound="HistoryOut")


@_attrs_define
class HistoryOut:
    """
    Attributes:
        id (UUID):
        version (int):
        events (list[HistoryEventOut]): newest first; at most `limit` and 1 MiB in all
        next_cursor (None | str): the cursor of the next page (older steps); null on the oldest page
    """

    id: UUID
    version: int
    events: list[HistoryEventOut]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        version = self.version

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "version": version,
                "events": events,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.history_event_out import HistoryEventOut

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        version = d.pop("version")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = HistoryEventOut.from_dict(events_item_data)

            events.append(events_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        history_out = cls(
            id=id,
            version=version,
            events=events,
            next_cursor=next_cursor,
        )

        return history_out
