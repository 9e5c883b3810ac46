from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Line")


@_attrs_define
class Line:
    """
    Attributes:
        sku (str):
        description (str):
        quantity (int):
        unit_price (str):  Example: 1249.50.
        unit (str | Unset):  Default: 'each'.
    """

    sku: str
    description: str
    quantity: int
    unit_price: str
    unit: str | Unset = "each"

    def to_dict(self) -> dict[str, Any]:
        sku = self.sku

        description = self.description

        quantity = self.quantity

        unit_price = self.unit_price

        unit = self.unit

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "sku": sku,
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
            }
        )
        if unit is not UNSET:
            field_dict["unit"] = unit

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sku = d.pop("sku")

        description = d.pop("description")

        quantity = d.pop("quantity")

        unit_price = d.pop("unit_price")

        unit = d.pop("unit", UNSET)

        line = cls(
            sku=sku,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            unit=unit,
        )

        return line
