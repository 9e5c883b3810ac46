from enum import StrEnum


class PurchaseOrderRejectedEventType(StrEnum):
    PURCHASE_ORDER_REJECTED = "purchase_order.rejected"

    def __str__(self) -> str:
        return str(self.value)
