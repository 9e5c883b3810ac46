from enum import StrEnum


class ExportSpendReportCsvGroupBy(StrEnum):
    DEPARTMENT = "department"
    MONTH = "month"
    SUPPLIER = "supplier"

    def __str__(self) -> str:
        return str(self.value)
