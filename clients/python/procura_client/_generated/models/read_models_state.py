from enum import StrEnum


class ReadModelsState(StrEnum):
    BEHIND = "behind"
    CURRENT = "current"
    STALE = "stale"

    def __str__(self) -> str:
        return str(self.value)
