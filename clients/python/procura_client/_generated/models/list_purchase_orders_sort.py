from enum import StrEnum


class ListPurchaseOrdersSort(StrEnum):
    CREATED_AT_ASCENDING = "created_at"
    CREATED_AT_DESCENDING = "-created_at"
    TOTAL_ASCENDING = "total"
    TOTAL_DESCENDING = "-total"

    def __str__(self) -> str:
        return str(self.value)
