from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.purchase_order_withdrawn_event_type import PurchaseOrderWithdrawnEventType

if TYPE_CHECKING:
    from ..models.purchase_order_withdrawn_event_data import (
        PurchaseOrderWithdrawnEventData,
    )


T = TypeVar("T", bound="PurchaseOrderWithdrawnEvent")


@_attrs_define
class PurchaseOrderWithdrawnEvent:
    """
    Attributes:
        id (str): stable and unique: the same in every delivery, replay and rebuild (a dedupe key)
        type_ (PurchaseOrderWithdrawnEventType):
        occurred_at (datetime.datetime):
        org (str):
        po_id (UUID):
        po_version (int): the PO's version after this event
        position (int): the event's position in the store: increases with every event, never reused
        correlation_id (None | str): the X-Correlation-Id (else the request id) of the request that recorded it
        data (PurchaseOrderWithdrawnEventData):
    """

    id: str
    type_: PurchaseOrderWithdrawnEventType
    occurred_at: datetime.datetime
    org: str
    po_id: UUID
    po_version: int
    position: int
    correlation_id: None | str
    data: PurchaseOrderWithdrawnEventData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_.value

        occurred_at = self.occurred_at.isoformat()

        org = self.org

        po_id = str(self.po_id)

        po_version = self.po_version

        position = self.position

        correlation_id: None | str
        correlation_id = self.correlation_id

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "occurred_at": occurred_at,
                "org": org,
                "po_id": po_id,
                "po_version": po_version,
                "position": position,
                "correlation_id": correlation_id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.purchase_order_withdrawn_event_data import (
            PurchaseOrderWithdrawnEventData,
        )

        d = dict(src_dict)
        id = d.pop("id")

        type_ = PurchaseOrderWithdrawnEventType(d.pop("type"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        org = d.pop("org")

        po_id = UUID(d.pop("po_id"))

        po_version = d.pop("po_version")

        position = d.pop("position")

        def _parse_correlation_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        correlation_id = _parse_correlation_id(d.pop("correlation_id"))

        data = PurchaseOrderWithdrawnEventData.from_dict(d.pop("data"))

        purchase_order_withdrawn_event = cls(
            id=id,
            type_=type_,
            occurred_at=occurred_at,
            org=org,
            po_id=po_id,
            po_version=po_version,
            position=position,
            correlation_id=correlation_id,
            data=data,
        )

        purchase_order_withdrawn_event.additional_properties = d
        return purchase_order_withdrawn_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
