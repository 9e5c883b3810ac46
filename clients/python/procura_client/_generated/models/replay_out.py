from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ReplayOut")


@_attrs_define
class ReplayOut:
    """
    Attributes:
        queued (int): events queued (new or sent again)
        until_position (int): the last position queued
        more (bool): true: more events follow; replay again with since = until_position
    """

    queued: int
    until_position: int
    more: bool

    def to_dict(self) -> dict[str, Any]:
        queued = self.queued

        until_position = self.until_position

        more = self.more

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queued": queued,
                "until_position": until_position,
                "more": more,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        queued = d.pop("queued")

        until_position = d.pop("until_position")

        more = d.pop("more")

        replay_out = cls(
            queued=queued,
            until_position=until_position,
            more=more,
        )

        return replay_out
