from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.line import Line


T = TypeVar("T", bound="Draft")


@_attrs_define
class Draft:
    """
    Attributes:
        title (str):
        supplier_id (str): one of the deployment's suppliers (PROCURA_SUPPLIERS, listed by GET /purchase-
            orders/choices); another answers 422 validation-error
        currency (str):
        needed_by (datetime.date):
        lines (list[Line]):
    """

    title: str
    supplier_id: str
    currency: str
    needed_by: datetime.date
    lines: list[Line]

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
        from ..models.line import Line

        d = dict(src_dict)
        title = d.pop("title")

        supplier_id = d.pop("supplier_id")

        currency = d.pop("currency")

        needed_by = datetime.date.fromisoformat(d.pop("needed_by"))

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = Line.from_dict(lines_item_data)

            lines.append(lines_item)

        draft = cls(
            title=title,
            supplier_id=supplier_id,
            currency=currency,
            needed_by=needed_by,
            lines=lines,
        )

        return draft
