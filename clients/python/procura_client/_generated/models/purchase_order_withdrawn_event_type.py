from enum import StrEnum


class PurchaseOrderWithdrawnEventType(StrEnum):
    PURCHASE_ORDER_WITHDRAWN = "purchase_order.withdrawn"

    def __str__(self) -> str:
        return str(self.value)
