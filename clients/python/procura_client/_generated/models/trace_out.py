from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.traced_command_out import TracedCommandOut
    from ..models.traced_event_out import TracedEventOut


T = TypeVar("T", bound="TraceOut")


@_attrs_define
class TraceOut:
    """
    Attributes:
        id (str):
        events (list[TracedEventOut]): a page of the events written under the id or naming it, in global order
        commands (list[TracedCommandOut]): the command records with the id as their Idempotency-Key or naming it as
            their PO, oldest first: on the first page only
        truncated (bool): more command records matched than the first page holds (1000, or 1 MiB in all): the oldest are
            shown
        next_cursor (None | str): the cursor of the page of later events; null on the last page
    """

    id: str
    events: list[TracedEventOut]
    commands: list[TracedCommandOut]
    truncated: bool
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        commands = []
        for commands_item_data in self.commands:
            commands_item = commands_item_data.to_dict()
            commands.append(commands_item)

        truncated = self.truncated

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "events": events,
                "commands": commands,
                "truncated": truncated,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.traced_command_out import TracedCommandOut
        from ..models.traced_event_out import TracedEventOut

        d = dict(src_dict)
        id = d.pop("id")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = TracedEventOut.from_dict(events_item_data)

            events.append(events_item)

        commands = []
        _commands = d.pop("commands")
        for commands_item_data in _commands:
            commands_item = TracedCommandOut.from_dict(commands_item_data)

            commands.append(commands_item)

        truncated = d.pop("truncated")

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        trace_out = cls(
            id=id,
            events=events,
            commands=commands,
            truncated=truncated,
            next_cursor=next_cursor,
        )

        return trace_out
