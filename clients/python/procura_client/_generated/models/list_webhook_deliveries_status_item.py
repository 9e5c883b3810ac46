from enum import StrEnum


class ListWebhookDeliveriesStatusItem(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
