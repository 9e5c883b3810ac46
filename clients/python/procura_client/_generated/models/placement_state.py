from enum import StrEnum


class PlacementState(StrEnum):
    DONE = "done"
    PENDING = "pending"
    QUEUED = "queued"

    def __str__(self) -> str:
        return str(self.value)
