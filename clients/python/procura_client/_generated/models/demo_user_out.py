from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DemoUserOut")


@_attrs_define
class DemoUserOut:
    """
    Attributes:
        name (str):
        roles (list[str]):
        department (None | str):
        approval_limit (None | str):
        token (str): a bearer token for this user
    """

    name: str
    roles: list[str]
    department: None | str
    approval_limit: None | str
    token: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        roles = self.roles

        department: None | str
        department = self.department

        approval_limit: None | str
        approval_limit = self.approval_limit

        token = self.token

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "roles": roles,
                "department": department,
                "approval_limit": approval_limit,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        roles = cast(list[str], d.pop("roles"))

        def _parse_department(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        department = _parse_department(d.pop("department"))

        def _parse_approval_limit(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        approval_limit = _parse_approval_limit(d.pop("approval_limit"))

        token = d.pop("token")

        demo_user_out = cls(
            name=name,
            roles=roles,
            department=department,
            approval_limit=approval_limit,
            token=token,
        )

        return demo_user_out
