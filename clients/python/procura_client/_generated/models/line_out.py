from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LineOut")


@_attrs_define
class LineOut:
    """
    Attributes:
        sku (str):
        description (str):
        quantity (int):
        unit (str):
        unit_price (str): money: decimal string, 2 places
    """

    sku: str
    description: str
    quantity: int
    unit: str
    unit_price: str

    def to_dict(self) -> dict[str, Any]:
        sku = self.sku

        description = self.description

        quantity = self.quantity

        unit = self.unit

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "sku": sku,
                "description": description,
                "quantity": quantity,
                "unit": unit,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sku = d.pop("sku")

        description = d.pop("description")

        quantity = d.pop("quantity")

        unit = d.pop("unit")

        unit_price = d.pop("unit_price")

        line_out = cls(
            sku=sku,
            description=description,
            quantity=quantity,
            unit=unit,
            unit_price=unit_price,
        )

        return line_out
