from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ProjectionOut")


@_attrs_define
class ProjectionOut:
    """
    Attributes:
        name (str):
        position (int):
        head (int):
        lag (int):
        updated_at (datetime.datetime | None):
    """

    name: str
    position: int
    head: int
    lag: int
    updated_at: datetime.datetime | None

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        position = self.position

        head = self.head

        lag = self.lag

        updated_at: None | str
        if isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "position": position,
                "head": head,
                "lag": lag,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        position = d.pop("position")

        head = d.pop("head")

        lag = d.pop("lag")

        def _parse_updated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))

        projection_out = cls(
            name=name,
            position=position,
            head=head,
            lag=lag,
            updated_at=updated_at,
        )

        return projection_out
