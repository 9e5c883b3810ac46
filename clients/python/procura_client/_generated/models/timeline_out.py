from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.purchase_order_status import PurchaseOrderStatus

if TYPE_CHECKING:
    from ..models.timeline_operation_out import TimelineOperationOut
    from ..models.timeline_step_out import TimelineStepOut


T = TypeVar("T", bound="TimelineOut")


@_attrs_define
class TimelineOut:
    """
    Attributes:
        id (str):
        version (int):
        status (PurchaseOrderStatus | str): Known values are listed; treat any other as unknown, never as an error.
        steps (list[TimelineStepOut]): newest first; at most `limit` and 1 MiB in all
        operations (list[TimelineOperationOut]):
        next_cursor (None | str): the cursor of the next page (older steps); null on the oldest page
    """

    id: str
    version: int
    status: PurchaseOrderStatus | str
    steps: list[TimelineStepOut]
    operations: list[TimelineOperationOut]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        version = self.version

        status: str
        if isinstance(self.status, PurchaseOrderStatus):
            status = self.status.value
        else:
            status = self.status

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        operations = []
        for operations_item_data in self.operations:
            operations_item = operations_item_data.to_dict()
            operations.append(operations_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "version": version,
                "status": status,
                "steps": steps,
                "operations": operations,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.timeline_operation_out import TimelineOperationOut
        from ..models.timeline_step_out import TimelineStepOut

        d = dict(src_dict)
        id = d.pop("id")

        version = d.pop("version")

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

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = TimelineStepOut.from_dict(steps_item_data)

            steps.append(steps_item)

        operations = []
        _operations = d.pop("operations")
        for operations_item_data in _operations:
            operations_item = TimelineOperationOut.from_dict(operations_item_data)

            operations.append(operations_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        timeline_out = cls(
            id=id,
            version=version,
            status=status,
            steps=steps,
            operations=operations,
            next_cursor=next_cursor,
        )

        return timeline_out
