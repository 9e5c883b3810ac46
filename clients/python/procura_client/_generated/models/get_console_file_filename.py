from enum import StrEnum


class GetConsoleFileFilename(StrEnum):
    CONSOLE_CSS = "console.css"
    CONSOLE_JS = "console.js"
    PURCHASE_ORDERS_JS = "purchase_orders.js"
    WEBHOOKS_JS = "webhooks.js"

    def __str__(self) -> str:
        return str(self.value)
