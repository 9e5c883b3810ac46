from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="HealthOut")


@_attrs_define
class HealthOut:
    """
    Attributes:
        status (str):
        release (str): this process's release of Procura
        schema_version (int): the database's schema version when this process started (the highest schema step applied)
    """

    status: str
    release: str
    schema_version: int

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        release = self.release

        schema_version = self.schema_version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "status": status,
                "release": release,
                "schema_version": schema_version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = d.pop("status")

        release = d.pop("release")

        schema_version = d.pop("schema_version")

        health_out = cls(
            status=status,
            release=release,
            schema_version=schema_version,
        )

        return health_out
