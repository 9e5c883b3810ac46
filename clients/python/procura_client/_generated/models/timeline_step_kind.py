from enum import StrEnum


class TimelineStepKind(StrEnum):
    EVENT = "event"
    REFUSAL = "refusal"

    def __str__(self) -> str:
        return str(self.value)
