from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="OperationResultOut")


@_attrs_define
class OperationResultOut:
    """
    Attributes:
        supplier_reference (str | Unset): place: the supplier's id for the order
    """

    supplier_reference: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        supplier_reference = self.supplier_reference

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if supplier_reference is not UNSET:
            field_dict["supplier_reference"] = supplier_reference

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        supplier_reference = d.pop("supplier_reference", UNSET)

        operation_result_out = cls(
            supplier_reference=supplier_reference,
        )

        return operation_result_out
