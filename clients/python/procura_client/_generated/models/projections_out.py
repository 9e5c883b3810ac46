from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.projection_out import ProjectionOut


T = TypeVar("T", bound="ProjectionsOut")


@_attrs_define
class ProjectionsOut:
    """
    Attributes:
        head (int):
        projections (list[ProjectionOut]):
    """

    head: int
    projections: list[ProjectionOut]

    def to_dict(self) -> dict[str, Any]:
        head = self.head

        projections = []
        for projections_item_data in self.projections:
            projections_item = projections_item_data.to_dict()
            projections.append(projections_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "head": head,
                "projections": projections,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.projection_out import ProjectionOut

        d = dict(src_dict)
        head = d.pop("head")

        projections = []
        _projections = d.pop("projections")
        for projections_item_data in _projections:
            projections_item = ProjectionOut.from_dict(projections_item_data)

            projections.append(projections_item)

        projections_out = cls(
            head=head,
            projections=projections,
        )

        return projections_out
