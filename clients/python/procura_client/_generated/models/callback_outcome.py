from enum import StrEnum


class CallbackOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNMATCHED = "unmatched"

    def __str__(self) -> str:
        return str(self.value)
