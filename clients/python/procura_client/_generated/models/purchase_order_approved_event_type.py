from enum import StrEnum


class PurchaseOrderApprovedEventType(StrEnum):
    PURCHASE_ORDER_APPROVED = "purchase_order.approved"

    def __str__(self) -> str:
        return str(self.value)
