from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.problem import Problem


T = TypeVar("T", bound="TracedCommandOut")


@_attrs_define
class TracedCommandOut:
    """
    Attributes:
        key (str): the Idempotency-Key
        principal (str): who sent it (the token's sub)
        status (int): the HTTP status it was answered with
        po_id (None | str): the PO of a command on an existing PO
        created_at (datetime.datetime):
        event_position (int | None): its last event's position; null: it wrote none
        request_id (None | str):
        problem (None | Problem): the problem+json the client got, when refused (status >= 400)
    """

    key: str
    principal: str
    status: int
    po_id: None | str
    created_at: datetime.datetime
    event_position: int | None
    request_id: None | str
    problem: None | Problem

    def to_dict(self) -> dict[str, Any]:
        from ..models.problem import Problem

        key = self.key

        principal = self.principal

        status = self.status

        po_id: None | str
        po_id = self.po_id

        created_at = self.created_at.isoformat()

        event_position: int | None
        event_position = self.event_position

        request_id: None | str
        request_id = self.request_id

        problem: dict[str, Any] | None
        if isinstance(self.problem, Problem):
            problem = self.problem.to_dict()
        else:
            problem = self.problem

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "principal": principal,
                "status": status,
                "po_id": po_id,
                "created_at": created_at,
                "event_position": event_position,
                "request_id": request_id,
                "problem": problem,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.problem import Problem

        d = dict(src_dict)
        key = d.pop("key")

        principal = d.pop("principal")

        status = d.pop("status")

        def _parse_po_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        po_id = _parse_po_id(d.pop("po_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_event_position(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        event_position = _parse_event_position(d.pop("event_position"))

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        def _parse_problem(data: object) -> None | Problem:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                problem_type_0 = Problem.from_dict(data)

                return problem_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem, data)

        problem = _parse_problem(d.pop("problem"))

        traced_command_out = cls(
            key=key,
            principal=principal,
            status=status,
            po_id=po_id,
            created_at=created_at,
            event_position=event_position,
            request_id=request_id,
            problem=problem,
        )

        return traced_command_out
