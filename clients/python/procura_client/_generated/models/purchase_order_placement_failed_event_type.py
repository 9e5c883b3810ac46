from enum import StrEnum


class PurchaseOrderPlacementFailedEventType(StrEnum):
    PURCHASE_ORDER_PLACEMENT_FAILED = "purchase_order.placement_failed"

    def __str__(self) -> str:
        return str(self.value)
