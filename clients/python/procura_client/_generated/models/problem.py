from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.next_action import NextAction
from ..models.purchase_order_status import PurchaseOrderStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.change_since_out import ChangeSinceOut
    from ..models.field_error_out import FieldErrorOut


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """
    Attributes:
        type_ (str):
        title (str):
        status (int):
        detail (str):
        instance (str): the request id (X-Request-Id)
        next_action (NextAction | str): what to do about it. Known values are listed; treat any other as unknown, never
            as an error.
        errors (list[FieldErrorOut] | Unset): validation-error only; at most 50
        errors_omitted (int | Unset): validation-error only: how many more errors there were than the 50 listed (absent
            when none)
        header (str | Unset): malformed-request only: the request header at fault, when one is (webhook-id)
        trace_id (str | Unset): the OpenTelemetry trace of the request that got this answer, when tracing is on
            (docs/operators/tracing.md)
        current_version (int | Unset): version-conflict, illegal-transition, precondition-required: the PO's version now
        expected_version (int | Unset): version-conflict: the version you sent
        current_status (PurchaseOrderStatus | str | Unset): version-conflict, illegal-transition: the PO's status now.
            Known values are listed; treat any other as unknown, never as an error.
        allowed_actions (list[str] | Unset): version-conflict, illegal-transition: the commands you may issue now
        changes_since (list[ChangeSinceOut] | Unset): version-conflict: the events after the version you sent, oldest
            first
        required (list[str] | Unset): forbidden: the roles that may do this
        limit (int | str | Unset): approval-limit-exceeded: your approval limit (money, a string); too-many-concurrent:
            the requests you may have at once; rate-limited by the edge: the requests per window (integers)
        window_seconds (int | Unset): rate-limited by the edge: the window of `limit`
        total (str | Unset): approval-limit-exceeded: the PO's total (money)
        dependency (str | Unset): dependency-unavailable: what did not answer
        position (int | Unset): projection-behind: the position the read model reached
        min_position (int | Unset): projection-behind: the position you asked for
    """

    type_: str
    title: str
    status: int
    detail: str
    instance: str
    next_action: NextAction | str
    errors: list[FieldErrorOut] | Unset = UNSET
    errors_omitted: int | Unset = UNSET
    header: str | Unset = UNSET
    trace_id: str | Unset = UNSET
    current_version: int | Unset = UNSET
    expected_version: int | Unset = UNSET
    current_status: PurchaseOrderStatus | str | Unset = UNSET
    allowed_actions: list[str] | Unset = UNSET
    changes_since: list[ChangeSinceOut] | Unset = UNSET
    required: list[str] | Unset = UNSET
    limit: int | str | Unset = UNSET
    window_seconds: int | Unset = UNSET
    total: str | Unset = UNSET
    dependency: str | Unset = UNSET
    position: int | Unset = UNSET
    min_position: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        status = self.status

        detail = self.detail

        instance = self.instance

        next_action: str
        if isinstance(self.next_action, NextAction):
            next_action = self.next_action.value
        else:
            next_action = self.next_action

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        errors_omitted = self.errors_omitted

        header = self.header

        trace_id = self.trace_id

        current_version = self.current_version

        expected_version = self.expected_version

        current_status: str | Unset
        if isinstance(self.current_status, Unset):
            current_status = UNSET
        elif isinstance(self.current_status, PurchaseOrderStatus):
            current_status = self.current_status.value
        else:
            current_status = self.current_status

        allowed_actions: list[str] | Unset = UNSET
        if not isinstance(self.allowed_actions, Unset):
            allowed_actions = self.allowed_actions

        changes_since: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.changes_since, Unset):
            changes_since = []
            for changes_since_item_data in self.changes_since:
                changes_since_item = changes_since_item_data.to_dict()
                changes_since.append(changes_since_item)

        required: list[str] | Unset = UNSET
        if not isinstance(self.required, Unset):
            required = self.required

        limit: int | str | Unset
        if isinstance(self.limit, Unset):
            limit = UNSET
        else:
            limit = self.limit

        window_seconds = self.window_seconds

        total = self.total

        dependency = self.dependency

        position = self.position

        min_position = self.min_position

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "status": status,
                "detail": detail,
                "instance": instance,
                "next_action": next_action,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors
        if errors_omitted is not UNSET:
            field_dict["errors_omitted"] = errors_omitted
        if header is not UNSET:
            field_dict["header"] = header
        if trace_id is not UNSET:
            field_dict["trace_id"] = trace_id
        if current_version is not UNSET:
            field_dict["current_version"] = current_version
        if expected_version is not UNSET:
            field_dict["expected_version"] = expected_version
        if current_status is not UNSET:
            field_dict["current_status"] = current_status
        if allowed_actions is not UNSET:
            field_dict["allowed_actions"] = allowed_actions
        if changes_since is not UNSET:
            field_dict["changes_since"] = changes_since
        if required is not UNSET:
            field_dict["required"] = required
        if limit is not UNSET:
            field_dict["limit"] = limit
        if window_seconds is not UNSET:
            field_dict["window_seconds"] = window_seconds
        if total is not UNSET:
            field_dict["total"] = total
        if dependency is not UNSET:
            field_dict["dependency"] = dependency
        if position is not UNSET:
            field_dict["position"] = position
        if min_position is not UNSET:
            field_dict["min_position"] = min_position

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.change_since_out import ChangeSinceOut
        from ..models.field_error_out import FieldErrorOut

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        status = d.pop("status")

        detail = d.pop("detail")

        instance = d.pop("instance")

        def _parse_next_action(data: object) -> NextAction | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_action_type_0 = NextAction(data)

                return next_action_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(NextAction | str, data)

        next_action = _parse_next_action(d.pop("next_action"))

        _errors = d.pop("errors", UNSET)
        errors: list[FieldErrorOut] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = FieldErrorOut.from_dict(errors_item_data)

                errors.append(errors_item)

        errors_omitted = d.pop("errors_omitted", UNSET)

        header = d.pop("header", UNSET)

        trace_id = d.pop("trace_id", UNSET)

        current_version = d.pop("current_version", UNSET)

        expected_version = d.pop("expected_version", UNSET)

        def _parse_current_status(data: object) -> PurchaseOrderStatus | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                current_status_type_0 = PurchaseOrderStatus(data)

                return current_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(PurchaseOrderStatus | str | Unset, data)

        current_status = _parse_current_status(d.pop("current_status", UNSET))

        allowed_actions = cast(list[str], d.pop("allowed_actions", UNSET))

        _changes_since = d.pop("changes_since", UNSET)
        changes_since: list[ChangeSinceOut] | Unset = UNSET
        if _changes_since is not UNSET:
            changes_since = []
            for changes_since_item_data in _changes_since:
                changes_since_item = ChangeSinceOut.from_dict(changes_since_item_data)

                changes_since.append(changes_since_item)

        required = cast(list[str], d.pop("required", UNSET))

        def _parse_limit(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        limit = _parse_limit(d.pop("limit", UNSET))

        window_seconds = d.pop("window_seconds", UNSET)

        total = d.pop("total", UNSET)

        dependency = d.pop("dependency", UNSET)

        position = d.pop("position", UNSET)

        min_position = d.pop("min_position", UNSET)

        problem = cls(
            type_=type_,
            title=title,
            status=status,
            detail=detail,
            instance=instance,
            next_action=next_action,
            errors=errors,
            errors_omitted=errors_omitted,
            header=header,
            trace_id=trace_id,
            current_version=current_version,
            expected_version=expected_version,
            current_status=current_status,
            allowed_actions=allowed_actions,
            changes_since=changes_since,
            required=required,
            limit=limit,
            window_seconds=window_seconds,
            total=total,
            dependency=dependency,
            position=position,
            min_position=min_position,
        )

        problem.additional_properties = d
        return problem

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
