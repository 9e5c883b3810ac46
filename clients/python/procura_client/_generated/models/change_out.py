from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChangeOut")


@_attrs_define
class ChangeOut:
    """
    Attributes:
        field (str):
        before (Any):
        after (Any):
    """

    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        before = self.before

        after = self.after

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
                "before": before,
                "after": after,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        field = d.pop("field")

        before = d.pop("before")

        after = d.pop("after")

        change_out = cls(
            field=field,
            before=before,
            after=after,
        )

        return change_out
