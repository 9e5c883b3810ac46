from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CycleBucketOut")


@_attrs_define
class CycleBucketOut:
    """
    Attributes:
        le_hours (int | None): the bucket's inclusive upper bound; null: longer
        count (int):
    """

    le_hours: int | None
    count: int

    def to_dict(self) -> dict[str, Any]:
        le_hours: int | None
        le_hours = self.le_hours

        count = self.count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "le_hours": le_hours,
                "count": count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_le_hours(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        le_hours = _parse_le_hours(d.pop("le_hours"))

        count = d.pop("count")

        cycle_bucket_out = cls(
            le_hours=le_hours,
            count=count,
        )

        return cycle_bucket_out
