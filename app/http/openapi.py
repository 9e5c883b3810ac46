"""OpenAPI 3.1 generated with apispec from the marshmallow schemas the views
actually use, plus what each view declares with `@documented`.

Every route must be documented; `build_spec` refuses to build otherwise, and
the route-enumeration test runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from app.http.access import OPEN, declared_access
from app.http.operation_ids import operation_id as named
from app.http.output_schemas import KNOWN_VALUES, ProblemObject, ProblemOut
from app.service.problem_types import PROBLEM_TYPES

DOC_ATTRIBUTE = "procura_doc"

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": 'The PO version, quoted: "3".', "schema": {"type": "string"}},
    "Event-Position": {"description": "Global position of the command's last event; "
                       "pass it as min_position to read your write.", "schema": {"type": "integer"}},
    "Projection-Position": {"description": "Position the read model has reached.", "schema": {"type": "integer"}},
    "Location": {"description": "Where the created resource lives.", "schema": {"type": "string"}},
    "Operation-Location": {"description": "The operation to poll.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying or polling again.",
                    "schema": {"type": "integer"}},
    "Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier request "
                            "with the same key.", "schema": {"type": "string"}},
    "X-Request-Id": {"description": "This request's id (also the problem `instance`).",
                     "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}},
    "Allow": {"description": "The methods this path accepts.", "schema": {"type": "string"}},
    "RateLimit": {"description": 'Your requests left of this kind and the seconds until the window resets: '
                  '"reads";r=99;t=60 (when rate limits are on).', "schema": {"type": "string"}},
    "RateLimit-Policy": {"description": 'The limit this kind has: "reads";q=100;w=60.',
                         "schema": {"type": "string"}},
}
#: What every answer to a request with a token may carry (app.http.ratelimits).
LIMITED = ("RateLimit", "RateLimit-Policy")

REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {"required": True, "description": "1-255 printable ASCII characters, new per intent; "
                        "a retry of the same request reuses it.",
                        "schema": {"type": "string", "pattern": "^[\\x20-\\x7e]{1,255}$"}},
    "X-CSRF-Token": {"required": True, "description": "The console session's CSRF token "
                     "(`csrf_token` of GET /console/session).", "schema": {"type": "string"}},
    "If-Match": {"required": True, "description": 'The version you last saw: "3" (quotes optional).',
                 "schema": {"type": "string", "pattern": '^"?[0-9]{1,18}"?$'}},
    "If-None-Match": {"required": False, "description": "An ETag you hold; 304 if still current.",
                      "schema": {"type": "string"}},
    "X-Request-Id": {"required": False, "description": "Your id for this request (1-128 of A-Za-z0-9._:-); "
                     "another value is replaced by a generated id.", "schema": {"type": "string"}},
    "X-Correlation-Id": {"required": False, "description": "Groups requests of one workflow; stored as "
                         "correlation_id on the events (same syntax as X-Request-Id).",
                         "schema": {"type": "string"}},
    # Standard Webhooks: a supplier's callback is signed, not carried by a token.
    "webhook-id": {"required": True, "description": "The delivery's id (its de-duplication key): 1-255 "
                   "printable ASCII characters, else 400 naming the header, signed or not.",
                   "schema": {"type": "string", "pattern": "^[\\x20-\\x7e]{1,255}$"}},
    "webhook-timestamp": {"required": True, "description": "Seconds since the epoch; within 5 minutes of now.",
                          "schema": {"type": "string"}},
    "webhook-signature": {"required": True, "description": "`v1,<base64 HMAC-SHA256>` of id, timestamp and "
                          "body with the supplier's secret (several may be sent, space-separated).",
                          "schema": {"type": "string"}},
}

#: What the edge (HAProxy, app.serving.edge) may answer on any route before
#: Procura sees the request: a request over its limits (target, header fields,
#: body), one that arrives too slowly, one shed when every slot is busy, and a
#: worker that died (502) or did not answer (504).
EDGE: tuple[tuple[int, str], ...] = (
    (400, "malformed-request"), (408, "request-timeout"), (413, "payload-too-large"), (503, "overloaded"),
    (502, "internal-error"), (504, "internal-error"),
)
#: Problems any authenticated route may answer.
AUTHENTICATED = ("unauthenticated", "rate-limited", "too-many-concurrent", "dependency-unavailable",
                 "internal-error")
#: Problems every command may answer.
COMMAND = (*AUTHENTICATED, "malformed-request", "idempotency-key-missing", "payload-too-large",
           "unsupported-media-type", "validation-error", "idempotency-key-reused",
           "idempotency-key-in-flight", "forbidden")
#: ... and commands on an existing PO.
PO_COMMAND = (*COMMAND, "not-found", "illegal-transition", "version-conflict", "precondition-required",
              "separation-of-duties", "approval-limit-exceeded")


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    tag: str
    success: int = 200
    #: A schema, or a JSON Schema as a dict (a document Procura only passes on).
    response: Schema | type[Schema] | dict[str, Any] | None = None
    body: Schema | type[Schema] | Callable[[], Schema] | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    problems: Sequence[str] = ()
    request_headers: Sequence[str] = ()
    response_headers: Sequence[str] = ()
    media_types: Sequence[str] = ("application/json",)
    extra_responses: dict[int, str] = field(default_factory=dict)
    #: Path parameters of other operations that the success answer supplies, as
    #: runtime expressions ({"po_id": "$response.body#/id"}): the document links
    #: this operation to every operation taking them (clients and fuzzers follow them).
    gives: dict[str, str] = field(default_factory=dict)
    #: The only values a path parameter has (a page per problem type, the files
    #: served): the document lists them, so a client knows the rest are 404.
    path_values: dict[str, Sequence[str]] = field(default_factory=dict)


def documented(**kwargs: Any) -> Callable[[Callable], Callable]:
    """Attach a RouteDoc to a view (keywords as RouteDoc's fields)."""
    doc = RouteDoc(**kwargs)

    def attach(view: Callable) -> Callable:
        setattr(view, DOC_ATTRIBUTE, doc)
        return view

    return attach


def route_doc(view: Callable) -> RouteDoc | None:
    return getattr(view, DOC_ATTRIBUTE, None)


def _schema(value: Any) -> Schema | type[Schema]:
    return value() if callable(value) and not isinstance(value, type) else value


def _path(rule: str, doc: RouteDoc) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema: dict[str, Any] = {"type": "string", "format": "uuid"} if converter == "uuid" else {"type": "string"}
        if name in doc.path_values:
            schema["enum"] = sorted(doc.path_values[name])
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _problems_by_status(doc: RouteDoc, has_path_parameters: bool) -> dict[int, list[str]]:
    by_status: dict[int, list[str]] = {}
    # Every route refuses query parameters it does not declare (app.http.requests),
    # and a path whose parameter its converter refuses (a non-UUID id) matches no route: 404.
    implied = ("validation-error", "not-found") if has_path_parameters else ("validation-error",)
    for slug in dict.fromkeys((*doc.problems, *implied)):
        by_status.setdefault(PROBLEM_TYPES[slug].status, []).append(slug)
    for status, slug in EDGE:
        if slug not in by_status.setdefault(status, []):
            by_status[status].append(slug)
    return by_status


def _content(doc: RouteDoc) -> dict[str, Any]:
    """The success's representations: JSON with its schema; a page, script or
    CSV as text; anything else as bytes (what a generated client can return)."""
    if doc.response is not None:
        return {"content": {media: {"schema": doc.response} for media in doc.media_types}}
    if doc.media_types == RouteDoc.media_types:
        return {}
    return {"content": {media: {"schema": {"type": "string"} if media.startswith("text/")
                                else {"type": "string", "contentMediaType": media}}
                        for media in doc.media_types}}


def _responses(doc: RouteDoc, has_path_parameters: bool, limited: bool) -> dict[str, Any]:
    named = ("X-Request-Id", *doc.response_headers, *(LIMITED if limited else ()))
    headers = {name: HEADERS[name] for name in named}
    content = _content(doc)
    responses: dict[str, Any] = {str(doc.success): {"description": doc.summary, "headers": headers, **content}}
    for status, description in doc.extra_responses.items():
        # Another success (a 202) says what the first says; a 304 has no body.
        responses[str(status)] = {"description": description, "headers": headers,
                                  **(content if 200 <= status < 300 else {})}
    for status, slugs in sorted(_problems_by_status(doc, has_path_parameters).items()):
        problem_headers = {"X-Request-Id": HEADERS["X-Request-Id"]}
        if {"idempotency-key-in-flight", "rate-limited", "too-many-concurrent", "dependency-unavailable",
                "projection-behind", "overloaded"} & set(slugs):
            problem_headers["Retry-After"] = HEADERS["Retry-After"]
        if "unauthenticated" in slugs:
            problem_headers["WWW-Authenticate"] = HEADERS["WWW-Authenticate"]
        if limited and "rate-limited" in slugs:
            problem_headers.update({name: HEADERS[name] for name in LIMITED})
        responses[str(status)] = {
            "description": "Problem: " + ", ".join(f"`{s}` (/problems/{s})" for s in slugs),
            "headers": problem_headers,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
    return responses


def _operation(doc: RouteDoc, view: Callable, path_params: list[dict[str, Any]], operation_id: str) -> dict[str, Any]:
    parameters = list(path_params)
    parameters += [{"in": "header", "name": name, **REQUEST_HEADERS[name]}
                   for name in (*doc.request_headers, "X-Request-Id", "X-Correlation-Id")]
    if doc.query is not None:
        parameters.append({"in": "query", "schema": doc.query})
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": doc.summary,
        "description": (view.__doc__ or doc.summary).strip(),
        "tags": [doc.tag],
        "parameters": parameters,
        "responses": _responses(doc, bool(path_params), limited=declared_access(view) != OPEN),
    }
    if declared_access(view) == OPEN:
        operation["security"] = []
    if doc.body is not None:
        operation["requestBody"] = {
            "required": doc.body_required,
            "content": {"application/json": {"schema": _schema(doc.body)}},
        }
    return operation


def _link(paths: dict[str, dict[str, Any]], docs: dict[str, RouteDoc]) -> None:
    """OpenAPI links from each operation that `gives` path parameters to every
    operation whose path parameters it gives (with the ETag as If-Match where
    the target takes one): create -> read, history, submit; place -> its operation."""
    targets = [(operation, [p["name"] for p in operation["parameters"] if p["in"] == "path"])
               for operations in paths.values() for operation in operations.values()]
    for operations in paths.values():
        for source in operations.values():
            doc = docs[source["operationId"]]
            success = source["responses"][str(doc.success)]
            links = {}
            for target, names in targets:
                if not names or not set(names) <= set(doc.gives):
                    continue
                parameters = {f"path.{name}": doc.gives[name] for name in names}
                if "ETag" in success["headers"] and any(p.get("name") == "If-Match" for p in target["parameters"]):
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[target["operationId"]] = {"operationId": target["operationId"], "parameters": parameters}
            if links:
                success["links"] = links


def _problem_object(converter: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """A ProblemObject field is a Problem (or null), not a loose object."""
    if not isinstance(field, ProblemObject):
        return {}
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"anyOf": [ref, {"type": "null"}]} if field.allow_none else ref


def build_spec(flask_app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every route of `flask_app`."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(title="Procura", version="1.0.0", openapi_version="3.1.0",
                   plugins=[marshmallow],
                   info={"description": "Event-sourced purchase orders. See /docs and /problems/{slug}."})
    marshmallow.converter.add_attribute_function(_problem_object)
    spec.components.schema("Problem", schema=ProblemOut)
    for name, values in sorted(KNOWN_VALUES.items()):
        spec.components.schema(name, {"type": "string", "enum": values,
                                      "description": "The values known today of an open enum "
                                                     "(docs/integrators/api.md, 'The OpenAPI document')."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths: dict[str, dict[str, Any]] = {}
    docs: dict[str, RouteDoc] = {}
    for rule in flask_app.url_map.iter_rules():
        view = flask_app.view_functions[rule.endpoint]
        doc = route_doc(view)
        if doc is None:
            raise LookupError(f"route {rule.rule} has no @documented description")
        path, params = _path(rule.rule, doc)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            if len(methods) > 1:
                raise LookupError(f"route {rule.rule} serves {methods}: give each method its own view")
            operation_id = named(rule.endpoint)
            paths.setdefault(path, {})[method.lower()] = _operation(doc, view, params, operation_id)
            docs[operation_id] = doc
    _link(paths, docs)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    webhooks = _webhooks(spec)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    document["webhooks"] = webhooks
    return document


def _event_operation_id(type_: str) -> str:
    """purchase_order.placement_failed -> purchaseOrderPlacementFailedEvent."""
    words = re.split(r"[._]", type_)
    return words[0] + "".join(w.capitalize() for w in words[1:]) + "Event"


def _webhooks(spec: APISpec) -> dict[str, Any]:
    """One entry per public event type (docs/integrators/events.md): the document
    GET /events lists and later ways out send, with its `data` exactly."""
    from aggregates.public_events import BY_TYPE
    from app.http.event_schemas import schema_name, type_schemas

    webhooks = {}
    for type_, schema in type_schemas().items():
        name = schema_name(BY_TYPE[type_])
        spec.components.schema(name, schema=schema)
        webhooks[type_] = {"post": {
            "summary": BY_TYPE[type_].meaning, "operationId": _event_operation_id(type_), "security": [],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "responses": {"2XX": {"description": "Received."}}}}
    return webhooks
