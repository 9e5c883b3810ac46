from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.purchase_order_status import PurchaseOrderStatus

T = TypeVar("T", bound="QueueItemOut")


@_attrs_define
class QueueItemOut:
    """
    Attributes:
        id (str):
        org (str):
        title (str):
        status (PurchaseOrderStatus | str): Known values are listed; treat any other as unknown, never as an error.
        total (str): money: decimal string, 2 places
        currency (str):
        supplier_id (str):
        department (None | str):
        requester (str):
        needed_by (datetime.date):
        version (int):
        created_at (datetime.datetime):
        submitted_at (datetime.datetime):
    """

    id: str
    org: str
    title: str
    status: PurchaseOrderStatus | str
    total: str
    currency: str
    supplier_id: str
    department: None | str
    requester: str
    needed_by: datetime.date
    version: int
    created_at: datetime.datetime
    submitted_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        org = self.org

        title = self.title

        status: str
        if isinstance(self.status, PurchaseOrderStatus):
            status = self.status.value
        else:
            status = self.status

        total = self.total

        currency = self.currency

        supplier_id = self.supplier_id

        department: None | str
        department = self.department

        requester = self.requester

        needed_by = self.needed_by.isoformat()

        version = self.version

        created_at = self.created_at.isoformat()

        submitted_at = self.submitted_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "org": org,
                "title": title,
                "status": status,
                "total": total,
                "currency": currency,
                "supplier_id": supplier_id,
                "department": department,
                "requester": requester,
                "needed_by": needed_by,
                "version": version,
                "created_at": created_at,
                "submitted_at": submitted_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        org = d.pop("org")

        title = d.pop("title")

        def _parse_status(data: object) -> PurchaseOrderStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = PurchaseOrderStatus(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(PurchaseOrderStatus | str, data)

        status = _parse_status(d.pop("status"))

        total = d.pop("total")

        currency = d.pop("currency")

        supplier_id = d.pop("supplier_id")

        def _parse_department(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        department = _parse_department(d.pop("department"))

        requester = d.pop("requester")

        needed_by = datetime.date.fromisoformat(d.pop("needed_by"))

        version = d.pop("version")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        submitted_at = datetime.datetime.fromisoformat(d.pop("submitted_at"))

        queue_item_out = cls(
            id=id,
            org=org,
            title=title,
            status=status,
            total=total,
            currency=currency,
            supplier_id=supplier_id,
            department=department,
            requester=requester,
            needed_by=needed_by,
            version=version,
            created_at=created_at,
            submitted_at=submitted_at,
        )

        return queue_item_out
