from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.line_out import LineOut


T = TypeVar("T", bound="PurchaseOrderRevisedEventData")


@_attrs_define
class PurchaseOrderRevisedEventData:
    """
    Attributes:
        title (str):
        supplier_id (str):
        currency (str): ISO 4217 code
        needed_by (datetime.date):
        lines (list[LineOut]):
    """

    title: str
    supplier_id: str
    currency: str
    needed_by: datetime.date
    lines: list[LineOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        title = self.title

        supplier_id = self.supplier_id

        currency = self.currency

        needed_by = self.needed_by.isoformat()

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "title": title,
                "supplier_id": supplier_id,
                "currency": currency,
                "needed_by": needed_by,
                "lines": lines,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.line_out import LineOut

        d = dict(src_dict)
        title = d.pop("title")

        supplier_id = d.pop("supplier_id")

        currency = d.pop("currency")

        needed_by = datetime.date.fromisoformat(d.pop("needed_by"))

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = LineOut.from_dict(lines_item_data)

            lines.append(lines_item)

        purchase_order_revised_event_data = cls(
            title=title,
            supplier_id=supplier_id,
            currency=currency,
            needed_by=needed_by,
            lines=lines,
        )

        purchase_order_revised_event_data.additional_properties = d
        return purchase_order_revised_event_data

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
