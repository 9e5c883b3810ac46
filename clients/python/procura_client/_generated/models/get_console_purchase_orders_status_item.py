from enum import StrEnum


class GetConsolePurchaseOrdersStatusItem(StrEnum):
    APPROVED = "approved"
    CANCELLED = "cancelled"
    DRAFT = "draft"
    PLACED = "placed"
    PLACEMENT_FAILED = "placement_failed"
    PLACING = "placing"
    RECEIVED = "received"
    REJECTED = "rejected"
    SUBMITTED = "submitted"

    def __str__(self) -> str:
        return str(self.value)
