from enum import StrEnum


class PurchaseOrderReceivedEventType(StrEnum):
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"

    def __str__(self) -> str:
        return str(self.value)
