from enum import StrEnum


class PurchaseOrderPlacedEventType(StrEnum):
    PURCHASE_ORDER_PLACED = "purchase_order.placed"

    def __str__(self) -> str:
        return str(self.value)
