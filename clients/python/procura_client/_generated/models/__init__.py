"""Contains all the data models used in inputs/outputs"""

from .attempt_out import AttemptOut
from .callback_outcome import CallbackOutcome
from .callback_receipt_out import CallbackReceiptOut
from .change_out import ChangeOut
from .change_since_out import ChangeSinceOut
from .choices_out import ChoicesOut
from .comment import Comment
from .cycle_bucket_out import CycleBucketOut
from .cycle_times_out import CycleTimesOut
from .delivery_attempt_out import DeliveryAttemptOut
from .delivery_out import DeliveryOut
from .delivery_page_out import DeliveryPageOut
from .delivery_status import DeliveryStatus
from .delivery_with_attempts_out import DeliveryWithAttemptsOut
from .demo_user_out import DemoUserOut
from .demo_users_out import DemoUsersOut
from .draft import Draft
from .empty import Empty
from .endpoint_changes import EndpointChanges
from .endpoint_changes_event_types_item import EndpointChangesEventTypesItem
from .endpoint_in import EndpointIn
from .endpoint_in_event_types_item import EndpointInEventTypesItem
from .endpoint_out import EndpointOut
from .endpoint_page_out import EndpointPageOut
from .endpoint_with_secret_out import EndpointWithSecretOut
from .event_page_out import EventPageOut
from .export_spend_report_csv_group_by import ExportSpendReportCsvGroupBy
from .field_error_out import FieldErrorOut
from .get_api_docs_file_filename import GetApiDocsFileFilename
from .get_console_file_filename import GetConsoleFileFilename
from .get_console_purchase_orders_status_item import GetConsolePurchaseOrdersStatusItem
from .get_open_api_document_response_200 import GetOpenApiDocumentResponse200
from .get_problem_page_slug import GetProblemPageSlug
from .get_spend_report_group_by import GetSpendReportGroupBy
from .health_out import HealthOut
from .history_event_out import HistoryEventOut
from .history_event_out_data import HistoryEventOutData
from .history_out import HistoryOut
from .line import Line
from .line_out import LineOut
from .list_events_type_item import ListEventsTypeItem
from .list_purchase_orders_sort import ListPurchaseOrdersSort
from .list_purchase_orders_status_item import ListPurchaseOrdersStatusItem
from .list_webhook_deliveries_status_item import ListWebhookDeliveriesStatusItem
from .list_webhook_deliveries_type_item import ListWebhookDeliveriesTypeItem
from .next_action import NextAction
from .operation_out import OperationOut
from .operation_result_out import OperationResultOut
from .operation_status import OperationStatus
from .order_page_out import OrderPageOut
from .order_summary_out import OrderSummaryOut
from .placement_out import PlacementOut
from .placement_state import PlacementState
from .problem import Problem
from .projection_out import ProjectionOut
from .projections_out import ProjectionsOut
from .public_event_out import PublicEventOut
from .public_event_out_data import PublicEventOutData
from .public_event_type import PublicEventType
from .purchase_order_approved_event import PurchaseOrderApprovedEvent
from .purchase_order_approved_event_data import PurchaseOrderApprovedEventData
from .purchase_order_approved_event_type import PurchaseOrderApprovedEventType
from .purchase_order_cancelled_event import PurchaseOrderCancelledEvent
from .purchase_order_cancelled_event_data import PurchaseOrderCancelledEventData
from .purchase_order_cancelled_event_type import PurchaseOrderCancelledEventType
from .purchase_order_changes_requested_event import PurchaseOrderChangesRequestedEvent
from .purchase_order_changes_requested_event_data import (
    PurchaseOrderChangesRequestedEventData,
)
from .purchase_order_changes_requested_event_type import (
    PurchaseOrderChangesRequestedEventType,
)
from .purchase_order_created_event import PurchaseOrderCreatedEvent
from .purchase_order_created_event_data import PurchaseOrderCreatedEventData
from .purchase_order_created_event_type import PurchaseOrderCreatedEventType
from .purchase_order_out import PurchaseOrderOut
from .purchase_order_placed_event import PurchaseOrderPlacedEvent
from .purchase_order_placed_event_data import PurchaseOrderPlacedEventData
from .purchase_order_placed_event_type import PurchaseOrderPlacedEventType
from .purchase_order_placement_failed_event import PurchaseOrderPlacementFailedEvent
from .purchase_order_placement_failed_event_data import (
    PurchaseOrderPlacementFailedEventData,
)
from .purchase_order_placement_failed_event_type import (
    PurchaseOrderPlacementFailedEventType,
)
from .purchase_order_placement_requested_event import (
    PurchaseOrderPlacementRequestedEvent,
)
from .purchase_order_placement_requested_event_data import (
    PurchaseOrderPlacementRequestedEventData,
)
from .purchase_order_placement_requested_event_type import (
    PurchaseOrderPlacementRequestedEventType,
)
from .purchase_order_received_event import PurchaseOrderReceivedEvent
from .purchase_order_received_event_data import PurchaseOrderReceivedEventData
from .purchase_order_received_event_type import PurchaseOrderReceivedEventType
from .purchase_order_rejected_event import PurchaseOrderRejectedEvent
from .purchase_order_rejected_event_data import PurchaseOrderRejectedEventData
from .purchase_order_rejected_event_type import PurchaseOrderRejectedEventType
from .purchase_order_reopened_event import PurchaseOrderReopenedEvent
from .purchase_order_reopened_event_data import PurchaseOrderReopenedEventData
from .purchase_order_reopened_event_type import PurchaseOrderReopenedEventType
from .purchase_order_revised_event import PurchaseOrderRevisedEvent
from .purchase_order_revised_event_data import PurchaseOrderRevisedEventData
from .purchase_order_revised_event_type import PurchaseOrderRevisedEventType
from .purchase_order_shipped_event import PurchaseOrderShippedEvent
from .purchase_order_shipped_event_data import PurchaseOrderShippedEventData
from .purchase_order_shipped_event_type import PurchaseOrderShippedEventType
from .purchase_order_status import PurchaseOrderStatus
from .purchase_order_submitted_event import PurchaseOrderSubmittedEvent
from .purchase_order_submitted_event_data import PurchaseOrderSubmittedEventData
from .purchase_order_submitted_event_type import PurchaseOrderSubmittedEventType
from .purchase_order_withdrawn_event import PurchaseOrderWithdrawnEvent
from .purchase_order_withdrawn_event_data import PurchaseOrderWithdrawnEventData
from .purchase_order_withdrawn_event_type import PurchaseOrderWithdrawnEventType
from .queue_item_out import QueueItemOut
from .queue_page_out import QueuePageOut
from .read_models_out import ReadModelsOut
from .read_models_state import ReadModelsState
from .ready_out import ReadyOut
from .reason import Reason
from .replay_in import ReplayIn
from .replay_out import ReplayOut
from .spend_group_out import SpendGroupOut
from .spend_out import SpendOut
from .timeline_operation_out import TimelineOperationOut
from .timeline_out import TimelineOut
from .timeline_step_kind import TimelineStepKind
from .timeline_step_out import TimelineStepOut
from .timeline_step_out_state import TimelineStepOutState
from .trace_out import TraceOut
from .traced_command_out import TracedCommandOut
from .traced_event_out import TracedEventOut
from .withdrawal import Withdrawal

__all__ = (
    "AttemptOut",
    "CallbackOutcome",
    "CallbackReceiptOut",
    "ChangeOut",
    "ChangeSinceOut",
    "ChoicesOut",
    "Comment",
    "CycleBucketOut",
    "CycleTimesOut",
    "DeliveryAttemptOut",
    "DeliveryOut",
    "DeliveryPageOut",
    "DeliveryStatus",
    "DeliveryWithAttemptsOut",
    "DemoUserOut",
    "DemoUsersOut",
    "Draft",
    "Empty",
    "EndpointChanges",
    "EndpointChangesEventTypesItem",
    "EndpointIn",
    "EndpointInEventTypesItem",
    "EndpointOut",
    "EndpointPageOut",
    "EndpointWithSecretOut",
    "EventPageOut",
    "ExportSpendReportCsvGroupBy",
    "FieldErrorOut",
    "GetApiDocsFileFilename",
    "GetConsoleFileFilename",
    "GetConsolePurchaseOrdersStatusItem",
    "GetOpenApiDocumentResponse200",
    "GetProblemPageSlug",
    "GetSpendReportGroupBy",
    "HealthOut",
    "HistoryEventOut",
    "HistoryEventOutData",
    "HistoryOut",
    "Line",
    "LineOut",
    "ListEventsTypeItem",
    "ListPurchaseOrdersSort",
    "ListPurchaseOrdersStatusItem",
    "ListWebhookDeliveriesStatusItem",
    "ListWebhookDeliveriesTypeItem",
    "NextAction",
    "OperationOut",
    "OperationResultOut",
    "OperationStatus",
    "OrderPageOut",
    "OrderSummaryOut",
    "PlacementOut",
    "PlacementState",
    "Problem",
    "ProjectionOut",
    "ProjectionsOut",
    "PublicEventOut",
    "PublicEventOutData",
    "PublicEventType",
    "PurchaseOrderApprovedEvent",
    "PurchaseOrderApprovedEventData",
    "PurchaseOrderApprovedEventType",
    "PurchaseOrderCancelledEvent",
    "PurchaseOrderCancelledEventData",
    "PurchaseOrderCancelledEventType",
    "PurchaseOrderChangesRequestedEvent",
    "PurchaseOrderChangesRequestedEventData",
    "PurchaseOrderChangesRequestedEventType",
    "PurchaseOrderCreatedEvent",
    "PurchaseOrderCreatedEventData",
    "PurchaseOrderCreatedEventType",
    "PurchaseOrderOut",
    "PurchaseOrderPlacedEvent",
    "PurchaseOrderPlacedEventData",
    "PurchaseOrderPlacedEventType",
    "PurchaseOrderPlacementFailedEvent",
    "PurchaseOrderPlacementFailedEventData",
    "PurchaseOrderPlacementFailedEventType",
    "PurchaseOrderPlacementRequestedEvent",
    "PurchaseOrderPlacementRequestedEventData",
    "PurchaseOrderPlacementRequestedEventType",
    "PurchaseOrderReceivedEvent",
    "PurchaseOrderReceivedEventData",
    "PurchaseOrderReceivedEventType",
    "PurchaseOrderRejectedEvent",
    "PurchaseOrderRejectedEventData",
    "PurchaseOrderRejectedEventType",
    "PurchaseOrderReopenedEvent",
    "PurchaseOrderReopenedEventData",
    "PurchaseOrderReopenedEventType",
    "PurchaseOrderRevisedEvent",
    "PurchaseOrderRevisedEventData",
    "PurchaseOrderRevisedEventType",
    "PurchaseOrderShippedEvent",
    "PurchaseOrderShippedEventData",
    "PurchaseOrderShippedEventType",
    "PurchaseOrderStatus",
    "PurchaseOrderSubmittedEvent",
    "PurchaseOrderSubmittedEventData",
    "PurchaseOrderSubmittedEventType",
    "PurchaseOrderWithdrawnEvent",
    "PurchaseOrderWithdrawnEventData",
    "PurchaseOrderWithdrawnEventType",
    "QueueItemOut",
    "QueuePageOut",
    "ReadModelsOut",
    "ReadModelsState",
    "ReadyOut",
    "Reason",
    "ReplayIn",
    "ReplayOut",
    "SpendGroupOut",
    "SpendOut",
    "TimelineOperationOut",
    "TimelineOut",
    "TimelineStepKind",
    "TimelineStepOut",
    "TimelineStepOutState",
    "TraceOut",
    "TracedCommandOut",
    "TracedEventOut",
    "Withdrawal",
)
