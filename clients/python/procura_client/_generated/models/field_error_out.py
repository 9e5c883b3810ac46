from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="FieldErrorOut")


@_attrs_define
class FieldErrorOut:
    """
    Attributes:
        pointer (str):
        detail (str):
        code (str):
    """

    pointer: str
    detail: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        pointer = self.pointer

        detail = self.detail

        code = self.code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pointer": pointer,
                "detail": detail,
                "code": code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        pointer = d.pop("pointer")

        detail = d.pop("detail")

        code = d.pop("code")

        field_error_out = cls(
            pointer=pointer,
            detail=detail,
            code=code,
        )

        return field_error_out
