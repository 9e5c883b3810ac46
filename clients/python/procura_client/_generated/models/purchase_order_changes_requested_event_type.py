from enum import StrEnum


class PurchaseOrderChangesRequestedEventType(StrEnum):
    PURCHASE_ORDER_CHANGES_REQUESTED = "purchase_order.changes_requested"

    def __str__(self) -> str:
        return str(self.value)
