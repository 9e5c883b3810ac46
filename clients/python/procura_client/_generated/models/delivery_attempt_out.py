from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DeliveryAttemptOut")


@_attrs_define
class DeliveryAttemptOut:
    """
    Attributes:
        number (int):
        attempted_at (datetime.datetime):
        status (int | None): null: no answer
        latency_ms (int):
        error (None | str):
        response (None | str): the first 1 KiB of the answer's body
    """

    number: int
    attempted_at: datetime.datetime
    status: int | None
    latency_ms: int
    error: None | str
    response: None | str

    def to_dict(self) -> dict[str, Any]:
        number = self.number

        attempted_at = self.attempted_at.isoformat()

        status: int | None
        status = self.status

        latency_ms = self.latency_ms

        error: None | str
        error = self.error

        response: None | str
        response = self.response

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "number": number,
                "attempted_at": attempted_at,
                "status": status,
                "latency_ms": latency_ms,
                "error": error,
                "response": response,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        number = d.pop("number")

        attempted_at = datetime.datetime.fromisoformat(d.pop("attempted_at"))

        def _parse_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        status = _parse_status(d.pop("status"))

        latency_ms = d.pop("latency_ms")

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        def _parse_response(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        response = _parse_response(d.pop("response"))

        delivery_attempt_out = cls(
            number=number,
            attempted_at=attempted_at,
            status=status,
            latency_ms=latency_ms,
            error=error,
            response=response,
        )

        return delivery_attempt_out
