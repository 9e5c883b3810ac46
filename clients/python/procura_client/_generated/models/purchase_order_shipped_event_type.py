from enum import StrEnum


class PurchaseOrderShippedEventType(StrEnum):
    PURCHASE_ORDER_SHIPPED = "purchase_order.shipped"

    def __str__(self) -> str:
        return str(self.value)
