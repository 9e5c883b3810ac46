from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.public_event_out import PublicEventOut


T = TypeVar("T", bound="EventPageOut")


@_attrs_define
class EventPageOut:
    """
    Attributes:
        items (list[PublicEventOut]):
        next_cursor (str): where to continue: always given, also on the last page (pass it as `after` to wait for, or
            poll for, what comes next)
    """

    items: list[PublicEventOut]
    next_cursor: str

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.public_event_out import PublicEventOut

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = PublicEventOut.from_dict(items_item_data)

            items.append(items_item)

        next_cursor = d.pop("next_cursor")

        event_page_out = cls(
            items=items,
            next_cursor=next_cursor,
        )

        return event_page_out
