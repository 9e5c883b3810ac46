from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChoicesOut")


@_attrs_define
class ChoicesOut:
    """
    Attributes:
        departments (list[str]): the distinct departments of the POs you may see, in order (at most 200)
        suppliers (list[str]): the suppliers this server is configured for: every supplier_id a PO may name
        truncated (bool): more departments exist than are listed
    """

    departments: list[str]
    suppliers: list[str]
    truncated: bool

    def to_dict(self) -> dict[str, Any]:
        departments = self.departments

        suppliers = self.suppliers

        truncated = self.truncated

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "departments": departments,
                "suppliers": suppliers,
                "truncated": truncated,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        departments = cast(list[str], d.pop("departments"))

        suppliers = cast(list[str], d.pop("suppliers"))

        truncated = d.pop("truncated")

        choices_out = cls(
            departments=departments,
            suppliers=suppliers,
            truncated=truncated,
        )

        return choices_out
