from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.spend_group_out import SpendGroupOut


T = TypeVar("T", bound="SpendOut")


@_attrs_define
class SpendOut:
    """
    Attributes:
        group_by (str):
        groups (list[SpendGroupOut]):
    """

    group_by: str
    groups: list[SpendGroupOut]

    def to_dict(self) -> dict[str, Any]:
        group_by = self.group_by

        groups = []
        for groups_item_data in self.groups:
            groups_item = groups_item_data.to_dict()
            groups.append(groups_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "group_by": group_by,
                "groups": groups,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.spend_group_out import SpendGroupOut

        d = dict(src_dict)
        group_by = d.pop("group_by")

        groups = []
        _groups = d.pop("groups")
        for groups_item_data in _groups:
            groups_item = SpendGroupOut.from_dict(groups_item_data)

            groups.append(groups_item)

        spend_out = cls(
            group_by=group_by,
            groups=groups,
        )

        return spend_out
