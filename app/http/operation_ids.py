"""The `operationId` of every route: the names a generated client gives its
functions, so they read like the intents (`approvePurchaseOrder`), not like
paths. Part of the contract: renaming one renames a function in every client.

A command on a purchase order is named from its action, so a new command
gets a name without an entry here; any other route without one stops
`build_spec` (a route nobody named would otherwise be named by accident).
"""

from __future__ import annotations

OPERATION_IDS: dict[str, str] = {
    "purchase_orders.create": "createPurchaseOrder",
    "purchase_orders.read": "getPurchaseOrder",
    "purchase_orders.history": "getPurchaseOrderHistory",
    "read_models.list_purchase_orders": "listPurchaseOrders",
    "read_models.purchase_order_choices": "getPurchaseOrderChoices",
    "read_models.approvals_queue": "listApprovalQueue",
    "read_models.spend_report": "getSpendReport",
    "read_models.spend_report_csv": "exportSpendReportCsv",
    "read_models.cycle_times_report": "getCycleTimesReport",
    "read_models.projections_status": "getProjectionsStatus",
    "operations.read": "getOperation",
    "events.event_feed": "listEvents",
    "support.trace": "traceById",
    "support.timeline": "getPurchaseOrderTimeline",
    "webhook_endpoints.create": "createWebhookEndpoint",
    "webhook_endpoints.index": "listWebhookEndpoints",
    "webhook_endpoints.read": "getWebhookEndpoint",
    "webhook_endpoints.change": "updateWebhookEndpoint",
    "webhook_endpoints.delete": "deleteWebhookEndpoint",
    "webhook_endpoints.rotate_secret": "rotateWebhookEndpointSecret",
    "webhook_endpoints.deliveries": "listWebhookDeliveries",
    "webhook_endpoints.delivery": "getWebhookDelivery",
    "webhook_endpoints.redeliver": "redeliverWebhookDelivery",
    "webhook_endpoints.replay": "replayWebhookEvents",
    "callbacks.receive": "receiveSupplierCallback",
    "meta.healthz": "getHealth",
    "meta.readyz": "getReadiness",
    "meta.problem_page": "getProblemPage",
    "meta.behaviour_catalogue": "getBehaviourCatalogue",
    "metrics.metrics": "getMetrics",
    "docs.openapi": "getOpenApiDocument",
    "docs.docs": "getApiDocsPage",
    "docs.initialiser": "getApiDocsInitialiser",
    "docs.static": "getApiDocsFile",
    "console.home": "getConsoleHome",
    "console.sign_in": "getConsoleSignIn",
    "console.spend": "getConsoleSpend",
    "console.cycle_times": "getConsoleCycleTimes",
    "console.approvals": "getConsoleApprovals",
    "console.projections": "getConsoleProjections",
    "console.find": "getConsoleFind",
    "console.purchase_orders": "getConsolePurchaseOrders",
    "console.webhooks": "getConsoleWebhooks",
    "console.timeline": "getConsoleTimeline",
    "console.static": "getConsoleFile",
    "console.demo_users": "getConsoleDemoUsers",
    "console.console_session": "getConsoleSession",
    "console.oidc_login": "startConsoleSignIn",
    "console.oidc_callback": "completeConsoleSignIn",
    "console.sign_out": "signOutOfConsole",
}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


def operation_id(endpoint: str) -> str:
    """The operationId of the route Flask knows as `endpoint`."""
    from aggregates.transitions import CLIENT_COMMANDS

    blueprint, _, name = endpoint.partition(".")
    if blueprint == "purchase_orders" and name in CLIENT_COMMANDS:
        return _camel(name) + "PurchaseOrder"
    try:
        return OPERATION_IDS[endpoint]
    except KeyError:
        raise LookupError(f"route {endpoint} has no operationId in app.http.operation_ids") from None
