from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.operation_status import OperationStatus
from ..models.placement_state import PlacementState

if TYPE_CHECKING:
    from ..models.attempt_out import AttemptOut
    from ..models.operation_result_out import OperationResultOut
    from ..models.problem import Problem


T = TypeVar("T", bound="TimelineOperationOut")


@_attrs_define
class TimelineOperationOut:
    """
    Attributes:
        id (str):
        state (PlacementState | str): the placement's outbox state: pending (calls to make), queued (the supplier
            decides and calls back), done. Known values are listed; treat any other as unknown, never as an error.
        attempts (int): calls to the supplier started
        uncertain (bool): an order may exist at the supplier that Procura does not know of yet
        last_error (None | str): why the last call failed (it was retried)
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        status (OperationStatus | str): Known values are listed; treat any other as unknown, never as an error.
        error (None | Problem):
        result (None | OperationResultOut):
        attempt_log (list[AttemptOut]):
    """

    id: str
    state: PlacementState | str
    attempts: int
    uncertain: bool
    last_error: None | str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: OperationStatus | str
    error: None | Problem
    result: None | OperationResultOut
    attempt_log: list[AttemptOut]

    def to_dict(self) -> dict[str, Any]:
        from ..models.operation_result_out import OperationResultOut
        from ..models.problem import Problem

        id = self.id

        state: str
        if isinstance(self.state, PlacementState):
            state = self.state.value
        else:
            state = self.state

        attempts = self.attempts

        uncertain = self.uncertain

        last_error: None | str
        last_error = self.last_error

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        status: str
        if isinstance(self.status, OperationStatus):
            status = self.status.value
        else:
            status = self.status

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

        attempt_log = []
        for attempt_log_item_data in self.attempt_log:
            attempt_log_item = attempt_log_item_data.to_dict()
            attempt_log.append(attempt_log_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "state": state,
                "attempts": attempts,
                "uncertain": uncertain,
                "last_error": last_error,
                "created_at": created_at,
                "updated_at": updated_at,
                "status": status,
                "error": error,
                "result": result,
                "attempt_log": attempt_log,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.attempt_out import AttemptOut
        from ..models.operation_result_out import OperationResultOut
        from ..models.problem import Problem

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_state(data: object) -> PlacementState | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                state_type_0 = PlacementState(data)

                return state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(PlacementState | str, data)

        state = _parse_state(d.pop("state"))

        attempts = d.pop("attempts")

        uncertain = d.pop("uncertain")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

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

        attempt_log = []
        _attempt_log = d.pop("attempt_log")
        for attempt_log_item_data in _attempt_log:
            attempt_log_item = AttemptOut.from_dict(attempt_log_item_data)

            attempt_log.append(attempt_log_item)

        timeline_operation_out = cls(
            id=id,
            state=state,
            attempts=attempts,
            uncertain=uncertain,
            last_error=last_error,
            created_at=created_at,
            updated_at=updated_at,
            status=status,
            error=error,
            result=result,
            attempt_log=attempt_log,
        )

        return timeline_operation_out
