from enum import StrEnum


class PurchaseOrderCreatedEventType(StrEnum):
    PURCHASE_ORDER_CREATED = "purchase_order.created"

    def __str__(self) -> str:
        return str(self.value)
