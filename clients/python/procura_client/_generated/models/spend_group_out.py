from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="SpendGroupOut")


@_attrs_define
class SpendGroupOut:
    """
    Attributes:
        group (None | str):
        currency (str):
        approved_total (str): money: decimal string, 2 places
        approved_count (int):
        placed_total (str): money: decimal string, 2 places
        placed_count (int):
    """

    group: None | str
    currency: str
    approved_total: str
    approved_count: int
    placed_total: str
    placed_count: int

    def to_dict(self) -> dict[str, Any]:
        group: None | str
        group = self.group

        currency = self.currency

        approved_total = self.approved_total

        approved_count = self.approved_count

        placed_total = self.placed_total

        placed_count = self.placed_count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "group": group,
                "currency": currency,
                "approved_total": approved_total,
                "approved_count": approved_count,
                "placed_total": placed_total,
                "placed_count": placed_count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_group(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        group = _parse_group(d.pop("group"))

        currency = d.pop("currency")

        approved_total = d.pop("approved_total")

        approved_count = d.pop("approved_count")

        placed_total = d.pop("placed_total")

        placed_count = d.pop("placed_count")

        spend_group_out = cls(
            group=group,
            currency=currency,
            approved_total=approved_total,
            approved_count=approved_count,
            placed_total=placed_total,
            placed_count=placed_count,
        )

        return spend_group_out
