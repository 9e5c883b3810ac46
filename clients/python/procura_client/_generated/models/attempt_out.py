from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="AttemptOut")


@_attrs_define
class AttemptOut:
    """
    Attributes:
        attempt (int):
        at (datetime.datetime):
        actor (None | str):
    """

    attempt: int
    at: datetime.datetime
    actor: None | str

    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        at = self.at.isoformat()

        actor: None | str
        actor = self.actor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "attempt": attempt,
                "at": at,
                "actor": actor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        attempt_out = cls(
            attempt=attempt,
            at=at,
            actor=actor,
        )

        return attempt_out
