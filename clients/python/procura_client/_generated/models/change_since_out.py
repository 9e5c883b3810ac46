from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChangeSinceOut")


@_attrs_define
class ChangeSinceOut:
    """
    Attributes:
        version (int):
        type_ (str):
        occurred_at (datetime.datetime):
        actor (None | str):
    """

    version: int
    type_: str
    occurred_at: datetime.datetime
    actor: None | str

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        type_ = self.type_

        occurred_at = self.occurred_at.isoformat()

        actor: None | str
        actor = self.actor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "version": version,
                "type": type_,
                "occurred_at": occurred_at,
                "actor": actor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        version = d.pop("version")

        type_ = d.pop("type")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        change_since_out = cls(
            version=version,
            type_=type_,
            occurred_at=occurred_at,
            actor=actor,
        )

        return change_since_out
