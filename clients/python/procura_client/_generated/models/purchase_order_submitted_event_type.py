from enum import StrEnum


class PurchaseOrderSubmittedEventType(StrEnum):
    PURCHASE_ORDER_SUBMITTED = "purchase_order.submitted"

    def __str__(self) -> str:
        return str(self.value)
