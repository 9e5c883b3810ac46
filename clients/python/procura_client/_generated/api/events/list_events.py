from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_page_out import EventPageOut
from ...models.list_events_type_item import ListEventsTypeItem
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: str | Unset = UNSET,
    type_: list[ListEventsTypeItem] | Unset = UNSET,
    po_id: UUID | Unset = UNSET,
    limit: int | Unset = 100,
    wait: int | Unset = 0,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    if not isinstance(x_correlation_id, Unset):
        headers["X-Correlation-Id"] = x_correlation_id

    params: dict[str, Any] = {}

    params["after"] = after

    json_type_: list[str] | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = []
        for type_item_data in type_:
            type_item = type_item_data.value
            json_type_.append(type_item)

    params["type"] = json_type_

    json_po_id: str | Unset = UNSET
    if not isinstance(po_id, Unset):
        json_po_id = str(po_id)
    params["po_id"] = json_po_id

    params["limit"] = limit

    params["wait"] = wait

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/events",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EventPageOut | Problem | None:
    if response.status_code == 200:
        response_200 = EventPageOut.from_dict(response.json())

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
) -> Response[EventPageOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    after: str | Unset = UNSET,
    type_: list[ListEventsTypeItem] | Unset = UNSET,
    po_id: UUID | Unset = UNSET,
    limit: int | Unset = 100,
    wait: int | Unset = 0,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[EventPageOut | Problem]:
    """Your org's public events in order, with a cursor and long polling

     For admins, auditors and integrations (docs/integrators/events.md has every type).

    Args:
        after (str | Unset):
        type_ (list[ListEventsTypeItem] | Unset):
        po_id (UUID | Unset):
        limit (int | Unset):  Default: 100.
        wait (int | Unset):  Default: 0.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPageOut | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        type_=type_,
        po_id=po_id,
        limit=limit,
        wait=wait,
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
    after: str | Unset = UNSET,
    type_: list[ListEventsTypeItem] | Unset = UNSET,
    po_id: UUID | Unset = UNSET,
    limit: int | Unset = 100,
    wait: int | Unset = 0,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> EventPageOut | Problem | None:
    """Your org's public events in order, with a cursor and long polling

     For admins, auditors and integrations (docs/integrators/events.md has every type).

    Args:
        after (str | Unset):
        type_ (list[ListEventsTypeItem] | Unset):
        po_id (UUID | Unset):
        limit (int | Unset):  Default: 100.
        wait (int | Unset):  Default: 0.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPageOut | Problem
    """

    return sync_detailed(
        client=client,
        after=after,
        type_=type_,
        po_id=po_id,
        limit=limit,
        wait=wait,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    after: str | Unset = UNSET,
    type_: list[ListEventsTypeItem] | Unset = UNSET,
    po_id: UUID | Unset = UNSET,
    limit: int | Unset = 100,
    wait: int | Unset = 0,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[EventPageOut | Problem]:
    """Your org's public events in order, with a cursor and long polling

     For admins, auditors and integrations (docs/integrators/events.md has every type).

    Args:
        after (str | Unset):
        type_ (list[ListEventsTypeItem] | Unset):
        po_id (UUID | Unset):
        limit (int | Unset):  Default: 100.
        wait (int | Unset):  Default: 0.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPageOut | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        type_=type_,
        po_id=po_id,
        limit=limit,
        wait=wait,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    after: str | Unset = UNSET,
    type_: list[ListEventsTypeItem] | Unset = UNSET,
    po_id: UUID | Unset = UNSET,
    limit: int | Unset = 100,
    wait: int | Unset = 0,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> EventPageOut | Problem | None:
    """Your org's public events in order, with a cursor and long polling

     For admins, auditors and integrations (docs/integrators/events.md has every type).

    Args:
        after (str | Unset):
        type_ (list[ListEventsTypeItem] | Unset):
        po_id (UUID | Unset):
        limit (int | Unset):  Default: 100.
        wait (int | Unset):  Default: 0.
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPageOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            type_=type_,
            po_id=po_id,
            limit=limit,
            wait=wait,
            x_request_id=x_request_id,
            x_correlation_id=x_correlation_id,
        )
    ).parsed
