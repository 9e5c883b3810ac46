import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_spend_report_group_by import GetSpendReportGroupBy
from ...models.problem import Problem
from ...models.spend_out import SpendOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    min_position: int | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    to: datetime.date | datetime.datetime | Unset = UNSET,
    group_by: GetSpendReportGroupBy | Unset = GetSpendReportGroupBy.DEPARTMENT,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    if not isinstance(x_correlation_id, Unset):
        headers["X-Correlation-Id"] = x_correlation_id

    params: dict[str, Any] = {}

    params["min_position"] = min_position

    json_from_: str | Unset
    if isinstance(from_, Unset):
        json_from_ = UNSET
    elif isinstance(from_, datetime.date):
        json_from_ = from_.isoformat()
    else:
        json_from_ = from_.isoformat()

    params["from"] = json_from_

    json_to: str | Unset
    if isinstance(to, Unset):
        json_to = UNSET
    elif isinstance(to, datetime.date):
        json_to = to.isoformat()
    else:
        json_to = to.isoformat()

    params["to"] = json_to

    json_group_by: str | Unset = UNSET
    if not isinstance(group_by, Unset):
        json_group_by = group_by.value

    params["group_by"] = json_group_by

    params["department"] = department

    params["supplier_id"] = supplier_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/reports/spend",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SpendOut | None:
    if response.status_code == 200:
        response_200 = SpendOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SpendOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    to: datetime.date | datetime.datetime | Unset = UNSET,
    group_by: GetSpendReportGroupBy | Unset = GetSpendReportGroupBy.DEPARTMENT,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[Problem | SpendOut]:
    """Approved and placed totals per group and currency

     Analysts, auditors and admins; money as decimal strings per currency.
        The same rows as CSV: GET /reports/spend.csv (`Accept: text/csv` here also
        answers CSV, for callers that ask that way).

    Args:
        min_position (int | Unset):
        from_ (datetime.date | datetime.datetime | Unset):
        to (datetime.date | datetime.datetime | Unset):
        group_by (GetSpendReportGroupBy | Unset):  Default: GetSpendReportGroupBy.DEPARTMENT.
        department (str | Unset):
        supplier_id (str | Unset):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SpendOut]
    """

    kwargs = _get_kwargs(
        min_position=min_position,
        from_=from_,
        to=to,
        group_by=group_by,
        department=department,
        supplier_id=supplier_id,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    to: datetime.date | datetime.datetime | Unset = UNSET,
    group_by: GetSpendReportGroupBy | Unset = GetSpendReportGroupBy.DEPARTMENT,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Problem | SpendOut | None:
    """Approved and placed totals per group and currency

     Analysts, auditors and admins; money as decimal strings per currency.
        The same rows as CSV: GET /reports/spend.csv (`Accept: text/csv` here also
        answers CSV, for callers that ask that way).

    Args:
        min_position (int | Unset):
        from_ (datetime.date | datetime.datetime | Unset):
        to (datetime.date | datetime.datetime | Unset):
        group_by (GetSpendReportGroupBy | Unset):  Default: GetSpendReportGroupBy.DEPARTMENT.
        department (str | Unset):
        supplier_id (str | Unset):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SpendOut
    """

    return sync_detailed(
        client=client,
        min_position=min_position,
        from_=from_,
        to=to,
        group_by=group_by,
        department=department,
        supplier_id=supplier_id,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    to: datetime.date | datetime.datetime | Unset = UNSET,
    group_by: GetSpendReportGroupBy | Unset = GetSpendReportGroupBy.DEPARTMENT,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[Problem | SpendOut]:
    """Approved and placed totals per group and currency

     Analysts, auditors and admins; money as decimal strings per currency.
        The same rows as CSV: GET /reports/spend.csv (`Accept: text/csv` here also
        answers CSV, for callers that ask that way).

    Args:
        min_position (int | Unset):
        from_ (datetime.date | datetime.datetime | Unset):
        to (datetime.date | datetime.datetime | Unset):
        group_by (GetSpendReportGroupBy | Unset):  Default: GetSpendReportGroupBy.DEPARTMENT.
        department (str | Unset):
        supplier_id (str | Unset):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SpendOut]
    """

    kwargs = _get_kwargs(
        min_position=min_position,
        from_=from_,
        to=to,
        group_by=group_by,
        department=department,
        supplier_id=supplier_id,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    to: datetime.date | datetime.datetime | Unset = UNSET,
    group_by: GetSpendReportGroupBy | Unset = GetSpendReportGroupBy.DEPARTMENT,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Problem | SpendOut | None:
    """Approved and placed totals per group and currency

     Analysts, auditors and admins; money as decimal strings per currency.
        The same rows as CSV: GET /reports/spend.csv (`Accept: text/csv` here also
        answers CSV, for callers that ask that way).

    Args:
        min_position (int | Unset):
        from_ (datetime.date | datetime.datetime | Unset):
        to (datetime.date | datetime.datetime | Unset):
        group_by (GetSpendReportGroupBy | Unset):  Default: GetSpendReportGroupBy.DEPARTMENT.
        department (str | Unset):
        supplier_id (str | Unset):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SpendOut
    """

    return (
        await asyncio_detailed(
            client=client,
            min_position=min_position,
            from_=from_,
            to=to,
            group_by=group_by,
            department=department,
            supplier_id=supplier_id,
            x_request_id=x_request_id,
            x_correlation_id=x_correlation_id,
        )
    ).parsed
