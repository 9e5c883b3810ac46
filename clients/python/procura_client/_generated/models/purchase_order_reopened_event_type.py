from enum import StrEnum


class PurchaseOrderReopenedEventType(StrEnum):
    PURCHASE_ORDER_REOPENED = "purchase_order.reopened"

    def __str__(self) -> str:
        return str(self.value)
