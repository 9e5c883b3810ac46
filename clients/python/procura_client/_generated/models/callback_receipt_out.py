from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.callback_outcome import CallbackOutcome

T = TypeVar("T", bound="CallbackReceiptOut")


@_attrs_define
class CallbackReceiptOut:
    """
    Attributes:
        outcome (CallbackOutcome | str): applied: recorded on its PO; ignored: nothing to change; duplicate: this
            webhook-id was seen before; unmatched (202): it names no purchase order Procura knows. Known values are listed;
            treat any other as unknown, never as an error.
    """

    outcome: CallbackOutcome | str

    def to_dict(self) -> dict[str, Any]:
        outcome: str
        if isinstance(self.outcome, CallbackOutcome):
            outcome = self.outcome.value
        else:
            outcome = self.outcome

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "outcome": outcome,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_outcome(data: object) -> CallbackOutcome | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                outcome_type_0 = CallbackOutcome(data)

                return outcome_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallbackOutcome | str, data)

        outcome = _parse_outcome(d.pop("outcome"))

        callback_receipt_out = cls(
            outcome=outcome,
        )

        return callback_receipt_out
