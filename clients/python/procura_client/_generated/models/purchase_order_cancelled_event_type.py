from enum import StrEnum


class PurchaseOrderCancelledEventType(StrEnum):
    PURCHASE_ORDER_CANCELLED = "purchase_order.cancelled"

    def __str__(self) -> str:
        return str(self.value)
