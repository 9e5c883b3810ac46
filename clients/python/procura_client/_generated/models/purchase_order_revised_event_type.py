from enum import StrEnum


class PurchaseOrderRevisedEventType(StrEnum):
    PURCHASE_ORDER_REVISED = "purchase_order.revised"

    def __str__(self) -> str:
        return str(self.value)
