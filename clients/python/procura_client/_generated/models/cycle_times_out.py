from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.cycle_bucket_out import CycleBucketOut


T = TypeVar("T", bound="CycleTimesOut")


@_attrs_define
class CycleTimesOut:
    """
    Attributes:
        count (int):
        p50_hours (float | None):
        p90_hours (float | None):
        max_hours (float | None):
        percentile_method (str):
        histogram (list[CycleBucketOut]):
    """

    count: int
    p50_hours: float | None
    p90_hours: float | None
    max_hours: float | None
    percentile_method: str
    histogram: list[CycleBucketOut]

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        p50_hours: float | None
        p50_hours = self.p50_hours

        p90_hours: float | None
        p90_hours = self.p90_hours

        max_hours: float | None
        max_hours = self.max_hours

        percentile_method = self.percentile_method

        histogram = []
        for histogram_item_data in self.histogram:
            histogram_item = histogram_item_data.to_dict()
            histogram.append(histogram_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "count": count,
                "p50_hours": p50_hours,
                "p90_hours": p90_hours,
                "max_hours": max_hours,
                "percentile_method": percentile_method,
                "histogram": histogram,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cycle_bucket_out import CycleBucketOut

        d = dict(src_dict)
        count = d.pop("count")

        def _parse_p50_hours(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        p50_hours = _parse_p50_hours(d.pop("p50_hours"))

        def _parse_p90_hours(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        p90_hours = _parse_p90_hours(d.pop("p90_hours"))

        def _parse_max_hours(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        max_hours = _parse_max_hours(d.pop("max_hours"))

        percentile_method = d.pop("percentile_method")

        histogram = []
        _histogram = d.pop("histogram")
        for histogram_item_data in _histogram:
            histogram_item = CycleBucketOut.from_dict(histogram_item_data)

            histogram.append(histogram_item)

        cycle_times_out = cls(
            count=count,
            p50_hours=p50_hours,
            p90_hours=p90_hours,
            max_hours=max_hours,
            percentile_method=percentile_method,
            histogram=histogram,
        )

        return cycle_times_out
