from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.read_models_state import ReadModelsState

T = TypeVar("T", bound="ReadModelsOut")


@_attrs_define
class ReadModelsOut:
    """
    Attributes:
        state (ReadModelsState | str): current: every read model and processor has seen the store's last event; behind:
            some have not, and are moving; stale: some have not moved for PROCURA_READ_MODEL_STALE_SECONDS while events wait
            (no worker runs them). Known values are listed; treat any other as unknown, never as an error.
        behind_events (int): events the furthest behind has yet to see
        stale (list[str]): the stale ones, by name
    """

    state: ReadModelsState | str
    behind_events: int
    stale: list[str]

    def to_dict(self) -> dict[str, Any]:
        state: str
        if isinstance(self.state, ReadModelsState):
            state = self.state.value
        else:
            state = self.state

        behind_events = self.behind_events

        stale = self.stale

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "state": state,
                "behind_events": behind_events,
                "stale": stale,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_state(data: object) -> ReadModelsState | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                state_type_0 = ReadModelsState(data)

                return state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ReadModelsState | str, data)

        state = _parse_state(d.pop("state"))

        behind_events = d.pop("behind_events")

        stale = cast(list[str], d.pop("stale"))

        read_models_out = cls(
            state=state,
            behind_events=behind_events,
            stale=stale,
        )

        return read_models_out
