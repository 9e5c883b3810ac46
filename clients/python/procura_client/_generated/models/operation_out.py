from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.operation_status import OperationStatus

if TYPE_CHECKING:
    from ..models.operation_result_out import OperationResultOut
    from ..models.problem import Problem


T = TypeVar("T", bound="OperationOut")


@_attrs_define
class OperationOut:
    """
    Attributes:
        id (UUID):
        kind (str):
        status (OperationStatus | str): Known values are listed; treat any other as unknown, never as an error.
        purchase_order_id (UUID):
        attempts (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        error (None | Problem): the problem, when failed
        result (None | OperationResultOut): what it produced, when succeeded
    """

    id: UUID
    kind: str
    status: OperationStatus | str
    purchase_order_id: UUID
    attempts: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    error: None | Problem
    result: None | OperationResultOut

    def to_dict(self) -> dict[str, Any]:
        from ..models.operation_result_out import OperationResultOut
        from ..models.problem import Problem

        id = str(self.id)

        kind = self.kind

        status: str
        if isinstance(self.status, OperationStatus):
            status = self.status.value
        else:
            status = self.status

        purchase_order_id = str(self.purchase_order_id)

        attempts = self.attempts

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        error: dict[str, Any] | None
        if isinstance(self.error, Problem):
            error = self.error.to_dict()
        else:
            error = self.error

        result: dict[str, Any] | None
        if isinstance(self.result, OperationResultOut):
            result = self.result.to_dict()
        else:
            result = self.result

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "status": status,
                "purchase_order_id": purchase_order_id,
                "attempts": attempts,
                "created_at": created_at,
                "updated_at": updated_at,
                "error": error,
                "result": result,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.operation_result_out import OperationResultOut
        from ..models.problem import Problem

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        kind = d.pop("kind")

        def _parse_status(data: object) -> OperationStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = OperationStatus(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(OperationStatus | str, data)

        status = _parse_status(d.pop("status"))

        purchase_order_id = UUID(d.pop("purchase_order_id"))

        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_error(data: object) -> None | Problem:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = Problem.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem, data)

        error = _parse_error(d.pop("error"))

        def _parse_result(data: object) -> None | OperationResultOut:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = OperationResultOut.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OperationResultOut, data)

        result = _parse_result(d.pop("result"))

        operation_out = cls(
            id=id,
            kind=kind,
            status=status,
            purchase_order_id=purchase_order_id,
            attempts=attempts,
            created_at=created_at,
            updated_at=updated_at,
            error=error,
            result=result,
        )

        return operation_out
