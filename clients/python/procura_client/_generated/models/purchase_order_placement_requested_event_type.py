from enum import StrEnum


class PurchaseOrderPlacementRequestedEventType(StrEnum):
    PURCHASE_ORDER_PLACEMENT_REQUESTED = "purchase_order.placement_requested"

    def __str__(self) -> str:
        return str(self.value)
