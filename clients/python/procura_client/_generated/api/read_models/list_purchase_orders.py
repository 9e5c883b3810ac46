import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_purchase_orders_sort import ListPurchaseOrdersSort
from ...models.list_purchase_orders_status_item import ListPurchaseOrdersStatusItem
from ...models.order_page_out import OrderPageOut
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    min_position: int | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    status: list[ListPurchaseOrdersStatusItem] | Unset = UNSET,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    requester: str | Unset = UNSET,
    created_from: datetime.date | datetime.datetime | Unset = UNSET,
    created_to: datetime.date | datetime.datetime | Unset = UNSET,
    min_total: str | Unset = UNSET,
    max_total: str | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: ListPurchaseOrdersSort | Unset = ListPurchaseOrdersSort.CREATED_AT_DESCENDING,
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

    params["limit"] = limit

    params["cursor"] = cursor

    json_status: list[str] | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = []
        for status_item_data in status:
            status_item = status_item_data.value
            json_status.append(status_item)

    params["status"] = json_status

    params["department"] = department

    params["supplier_id"] = supplier_id

    params["requester"] = requester

    json_created_from: str | Unset
    if isinstance(created_from, Unset):
        json_created_from = UNSET
    elif isinstance(created_from, datetime.date):
        json_created_from = created_from.isoformat()
    else:
        json_created_from = created_from.isoformat()

    params["created_from"] = json_created_from

    json_created_to: str | Unset
    if isinstance(created_to, Unset):
        json_created_to = UNSET
    elif isinstance(created_to, datetime.date):
        json_created_to = created_to.isoformat()
    else:
        json_created_to = created_to.isoformat()

    params["created_to"] = json_created_to

    params["min_total"] = min_total

    params["max_total"] = max_total

    params["q"] = q

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/purchase-orders",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OrderPageOut | Problem | None:
    if response.status_code == 200:
        response_200 = OrderPageOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
) -> Response[OrderPageOut | Problem]:
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
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    status: list[ListPurchaseOrdersStatusItem] | Unset = UNSET,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    requester: str | Unset = UNSET,
    created_from: datetime.date | datetime.datetime | Unset = UNSET,
    created_to: datetime.date | datetime.datetime | Unset = UNSET,
    min_total: str | Unset = UNSET,
    max_total: str | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: ListPurchaseOrdersSort | Unset = ListPurchaseOrdersSort.CREATED_AT_DESCENDING,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[OrderPageOut | Problem]:
    """List the purchase orders you may see (read model)

     Filtered, sorted, keyset-paginated; same visibility as reading one PO.

    Args:
        min_position (int | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        status (list[ListPurchaseOrdersStatusItem] | Unset):
        department (str | Unset):
        supplier_id (str | Unset):
        requester (str | Unset):
        created_from (datetime.date | datetime.datetime | Unset):
        created_to (datetime.date | datetime.datetime | Unset):
        min_total (str | Unset):  Example: 1250.00.
        max_total (str | Unset):  Example: 1250.00.
        q (str | Unset):
        sort (ListPurchaseOrdersSort | Unset):  Default:
            ListPurchaseOrdersSort.CREATED_AT_DESCENDING.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OrderPageOut | Problem]
    """

    kwargs = _get_kwargs(
        min_position=min_position,
        limit=limit,
        cursor=cursor,
        status=status,
        department=department,
        supplier_id=supplier_id,
        requester=requester,
        created_from=created_from,
        created_to=created_to,
        min_total=min_total,
        max_total=max_total,
        q=q,
        sort=sort,
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
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    status: list[ListPurchaseOrdersStatusItem] | Unset = UNSET,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    requester: str | Unset = UNSET,
    created_from: datetime.date | datetime.datetime | Unset = UNSET,
    created_to: datetime.date | datetime.datetime | Unset = UNSET,
    min_total: str | Unset = UNSET,
    max_total: str | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: ListPurchaseOrdersSort | Unset = ListPurchaseOrdersSort.CREATED_AT_DESCENDING,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> OrderPageOut | Problem | None:
    """List the purchase orders you may see (read model)

     Filtered, sorted, keyset-paginated; same visibility as reading one PO.

    Args:
        min_position (int | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        status (list[ListPurchaseOrdersStatusItem] | Unset):
        department (str | Unset):
        supplier_id (str | Unset):
        requester (str | Unset):
        created_from (datetime.date | datetime.datetime | Unset):
        created_to (datetime.date | datetime.datetime | Unset):
        min_total (str | Unset):  Example: 1250.00.
        max_total (str | Unset):  Example: 1250.00.
        q (str | Unset):
        sort (ListPurchaseOrdersSort | Unset):  Default:
            ListPurchaseOrdersSort.CREATED_AT_DESCENDING.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OrderPageOut | Problem
    """

    return sync_detailed(
        client=client,
        min_position=min_position,
        limit=limit,
        cursor=cursor,
        status=status,
        department=department,
        supplier_id=supplier_id,
        requester=requester,
        created_from=created_from,
        created_to=created_to,
        min_total=min_total,
        max_total=max_total,
        q=q,
        sort=sort,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    status: list[ListPurchaseOrdersStatusItem] | Unset = UNSET,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    requester: str | Unset = UNSET,
    created_from: datetime.date | datetime.datetime | Unset = UNSET,
    created_to: datetime.date | datetime.datetime | Unset = UNSET,
    min_total: str | Unset = UNSET,
    max_total: str | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: ListPurchaseOrdersSort | Unset = ListPurchaseOrdersSort.CREATED_AT_DESCENDING,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[OrderPageOut | Problem]:
    """List the purchase orders you may see (read model)

     Filtered, sorted, keyset-paginated; same visibility as reading one PO.

    Args:
        min_position (int | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        status (list[ListPurchaseOrdersStatusItem] | Unset):
        department (str | Unset):
        supplier_id (str | Unset):
        requester (str | Unset):
        created_from (datetime.date | datetime.datetime | Unset):
        created_to (datetime.date | datetime.datetime | Unset):
        min_total (str | Unset):  Example: 1250.00.
        max_total (str | Unset):  Example: 1250.00.
        q (str | Unset):
        sort (ListPurchaseOrdersSort | Unset):  Default:
            ListPurchaseOrdersSort.CREATED_AT_DESCENDING.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OrderPageOut | Problem]
    """

    kwargs = _get_kwargs(
        min_position=min_position,
        limit=limit,
        cursor=cursor,
        status=status,
        department=department,
        supplier_id=supplier_id,
        requester=requester,
        created_from=created_from,
        created_to=created_to,
        min_total=min_total,
        max_total=max_total,
        q=q,
        sort=sort,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    min_position: int | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    status: list[ListPurchaseOrdersStatusItem] | Unset = UNSET,
    department: str | Unset = UNSET,
    supplier_id: str | Unset = UNSET,
    requester: str | Unset = UNSET,
    created_from: datetime.date | datetime.datetime | Unset = UNSET,
    created_to: datetime.date | datetime.datetime | Unset = UNSET,
    min_total: str | Unset = UNSET,
    max_total: str | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: ListPurchaseOrdersSort | Unset = ListPurchaseOrdersSort.CREATED_AT_DESCENDING,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> OrderPageOut | Problem | None:
    """List the purchase orders you may see (read model)

     Filtered, sorted, keyset-paginated; same visibility as reading one PO.

    Args:
        min_position (int | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        status (list[ListPurchaseOrdersStatusItem] | Unset):
        department (str | Unset):
        supplier_id (str | Unset):
        requester (str | Unset):
        created_from (datetime.date | datetime.datetime | Unset):
        created_to (datetime.date | datetime.datetime | Unset):
        min_total (str | Unset):  Example: 1250.00.
        max_total (str | Unset):  Example: 1250.00.
        q (str | Unset):
        sort (ListPurchaseOrdersSort | Unset):  Default:
            ListPurchaseOrdersSort.CREATED_AT_DESCENDING.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OrderPageOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            min_position=min_position,
            limit=limit,
            cursor=cursor,
            status=status,
            department=department,
            supplier_id=supplier_id,
            requester=requester,
            created_from=created_from,
            created_to=created_to,
            min_total=min_total,
            max_total=max_total,
            q=q,
            sort=sort,
            x_request_id=x_request_id,
            x_correlation_id=x_correlation_id,
        )
    ).parsed
