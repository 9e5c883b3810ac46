from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.purchase_order_status import PurchaseOrderStatus

if TYPE_CHECKING:
    from ..models.line_out import LineOut


T = TypeVar("T", bound="PurchaseOrderOut")


@_attrs_define
class PurchaseOrderOut:
    """
    Attributes:
        withdrawal_reason (None | str):
        rejection_reason (None | str):
        changes_requested (None | str):
        cancellation_reason (None | str):
        id (UUID):
        org (str):
        title (str):
        supplier_id (str):
        department (None | str):
        requester (str):
        currency (str):
        lines (list[LineOut]):
        total (str): money: decimal string, 2 places
        needed_by (datetime.date):
        status (PurchaseOrderStatus | str): Known values are listed; treat any other as unknown, never as an error.
        version (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        supplier_reference (None | str):
        tracking_number (None | str):
        operation_id (None | UUID):
        allowed_actions (list[str]): commands this caller may issue now
    """

    withdrawal_reason: None | str
    rejection_reason: None | str
    changes_requested: None | str
    cancellation_reason: None | str
    id: UUID
    org: str
    title: str
    supplier_id: str
    department: None | str
    requester: str
    currency: str
    lines: list[LineOut]
    total: str
    needed_by: datetime.date
    status: PurchaseOrderStatus | str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    supplier_reference: None | str
    tracking_number: None | str
    operation_id: None | UUID
    allowed_actions: list[str]

    def to_dict(self) -> dict[str, Any]:
        withdrawal_reason: None | str
        withdrawal_reason = self.withdrawal_reason

        rejection_reason: None | str
        rejection_reason = self.rejection_reason

        changes_requested: None | str
        changes_requested = self.changes_requested

        cancellation_reason: None | str
        cancellation_reason = self.cancellation_reason

        id = str(self.id)

        org = self.org

        title = self.title

        supplier_id = self.supplier_id

        department: None | str
        department = self.department

        requester = self.requester

        currency = self.currency

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        total = self.total

        needed_by = self.needed_by.isoformat()

        status: str
        if isinstance(self.status, PurchaseOrderStatus):
            status = self.status.value
        else:
            status = self.status

        version = self.version

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        supplier_reference: None | str
        supplier_reference = self.supplier_reference

        tracking_number: None | str
        tracking_number = self.tracking_number

        operation_id: None | str
        if isinstance(self.operation_id, UUID):
            operation_id = str(self.operation_id)
        else:
            operation_id = self.operation_id

        allowed_actions = self.allowed_actions

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "withdrawal_reason": withdrawal_reason,
                "rejection_reason": rejection_reason,
                "changes_requested": changes_requested,
                "cancellation_reason": cancellation_reason,
                "id": id,
                "org": org,
                "title": title,
                "supplier_id": supplier_id,
                "department": department,
                "requester": requester,
                "currency": currency,
                "lines": lines,
                "total": total,
                "needed_by": needed_by,
                "status": status,
                "version": version,
                "created_at": created_at,
                "updated_at": updated_at,
                "supplier_reference": supplier_reference,
                "tracking_number": tracking_number,
                "operation_id": operation_id,
                "allowed_actions": allowed_actions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.line_out import LineOut

        d = dict(src_dict)

        def _parse_withdrawal_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        withdrawal_reason = _parse_withdrawal_reason(d.pop("withdrawal_reason"))

        def _parse_rejection_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rejection_reason = _parse_rejection_reason(d.pop("rejection_reason"))

        def _parse_changes_requested(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        changes_requested = _parse_changes_requested(d.pop("changes_requested"))

        def _parse_cancellation_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cancellation_reason = _parse_cancellation_reason(d.pop("cancellation_reason"))

        id = UUID(d.pop("id"))

        org = d.pop("org")

        title = d.pop("title")

        supplier_id = d.pop("supplier_id")

        def _parse_department(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        department = _parse_department(d.pop("department"))

        requester = d.pop("requester")

        currency = d.pop("currency")

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = LineOut.from_dict(lines_item_data)

            lines.append(lines_item)

        total = d.pop("total")

        needed_by = datetime.date.fromisoformat(d.pop("needed_by"))

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

        version = d.pop("version")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_supplier_reference(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        supplier_reference = _parse_supplier_reference(d.pop("supplier_reference"))

        def _parse_tracking_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tracking_number = _parse_tracking_number(d.pop("tracking_number"))

        def _parse_operation_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                operation_id_type_0 = UUID(data)

                return operation_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        operation_id = _parse_operation_id(d.pop("operation_id"))

        allowed_actions = cast(list[str], d.pop("allowed_actions"))

        purchase_order_out = cls(
            withdrawal_reason=withdrawal_reason,
            rejection_reason=rejection_reason,
            changes_requested=changes_requested,
            cancellation_reason=cancellation_reason,
            id=id,
            org=org,
            title=title,
            supplier_id=supplier_id,
            department=department,
            requester=requester,
            currency=currency,
            lines=lines,
            total=total,
            needed_by=needed_by,
            status=status,
            version=version,
            created_at=created_at,
            updated_at=updated_at,
            supplier_reference=supplier_reference,
            tracking_number=tracking_number,
            operation_id=operation_id,
            allowed_actions=allowed_actions,
        )

        return purchase_order_out
