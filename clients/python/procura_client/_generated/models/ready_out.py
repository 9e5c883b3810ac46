from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.read_models_out import ReadModelsOut


T = TypeVar("T", bound="ReadyOut")


@_attrs_define
class ReadyOut:
    """
    Attributes:
        status (str):
        read_models (ReadModelsOut):
    """

    status: str
    read_models: ReadModelsOut

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        read_models = self.read_models.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "status": status,
                "read_models": read_models,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.read_models_out import ReadModelsOut

        d = dict(src_dict)
        status = d.pop("status")

        read_models = ReadModelsOut.from_dict(d.pop("read_models"))

        ready_out = cls(
            status=status,
            read_models=read_models,
        )

        return ready_out
