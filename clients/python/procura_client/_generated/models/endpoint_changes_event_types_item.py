from enum import StrEnum


class EndpointChangesEventTypesItem(StrEnum):
    PURCHASE_ORDER_APPROVED = "purchase_order.approved"
    PURCHASE_ORDER_CANCELLED = "purchase_order.cancelled"
    PURCHASE_ORDER_CHANGES_REQUESTED = "purchase_order.changes_requested"
    PURCHASE_ORDER_CREATED = "purchase_order.created"
    PURCHASE_ORDER_PLACED = "purchase_order.placed"
    PURCHASE_ORDER_PLACEMENT_FAILED = "purchase_order.placement_failed"
    PURCHASE_ORDER_PLACEMENT_REQUESTED = "purchase_order.placement_requested"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    PURCHASE_ORDER_REJECTED = "purchase_order.rejected"
    PURCHASE_ORDER_REOPENED = "purchase_order.reopened"
    PURCHASE_ORDER_REVISED = "purchase_order.revised"
    PURCHASE_ORDER_SHIPPED = "purchase_order.shipped"
    PURCHASE_ORDER_SUBMITTED = "purchase_order.submitted"
    PURCHASE_ORDER_WITHDRAWN = "purchase_order.withdrawn"

    def __str__(self) -> str:
        return str(self.value)
