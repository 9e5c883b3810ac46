from enum import StrEnum


class NextAction(StrEnum):
    AUTHENTICATE = "authenticate"
    FIX_REQUEST = "fix_request"
    REFRESH_AND_RETRY = "refresh_and_retry"
    RETRY_LATER = "retry_later"
    STOP = "stop"
    WAIT = "wait"

    def __str__(self) -> str:
        return str(self.value)
