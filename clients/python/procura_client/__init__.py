"""Procura's Python SDK: `Procura` (procura_client/client.py) over the typed
client generated from the API's OpenAPI document (procura_client/_generated,
whose models it returns), with safe retries as the default."""

from ._generated.models.draft import Draft
from ._generated.models.operation_out import OperationOut
from ._generated.models.placement_out import PlacementOut
from ._generated.models.public_event_out import PublicEventOut
from ._generated.models.purchase_order_out import PurchaseOrderOut
from .client import Procura, UnexpectedAnswer
from .errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    OperationFailed,
    ProcuraError,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from .retries import RetryingTransport, RetryPolicy
from .webhooks import InvalidSignature, WebhookVerifier

__version__ = "0.2.0"

__all__ = [
    "Conflict", "Draft", "FieldError", "Forbidden", "InvalidSignature", "NotFound", "OperationFailed",
    "OperationOut", "PlacementOut", "Procura", "ProcuraError", "PublicEventOut", "PurchaseOrderOut",
    "RetryPolicy", "RetryingTransport", "Unauthenticated", "Unavailable", "UnexpectedAnswer",
    "ValidationFailed", "WebhookVerifier", "__version__",
]
