from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.demo_user_out import DemoUserOut


T = TypeVar("T", bound="DemoUsersOut")


@_attrs_define
class DemoUsersOut:
    """
    Attributes:
        users (list[DemoUserOut]):
    """

    users: list[DemoUserOut]

    def to_dict(self) -> dict[str, Any]:
        users = []
        for users_item_data in self.users:
            users_item = users_item_data.to_dict()
            users.append(users_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "users": users,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.demo_user_out import DemoUserOut

        d = dict(src_dict)
        users = []
        _users = d.pop("users")
        for users_item_data in _users:
            users_item = DemoUserOut.from_dict(users_item_data)

            users.append(users_item)

        demo_users_out = cls(
            users=users,
        )

        return demo_users_out
