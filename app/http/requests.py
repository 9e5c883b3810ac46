"""Reading a command request: body, Idempotency-Key and If-Match.

Each reader raises a Problem for bad input, so a malformed request is refused
before anything is looked up or written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.http import parse_options_header

from app.http.openapi import route_doc
from app.http.problems import Problem
from app.jsonbytes import MAX_DEPTH, nesting_exceeds
from app.service.idempotency import is_valid_key

MAX_BODY_BYTES = 1024 * 1024
_IF_MATCH = re.compile(r'^\s*"?(\d{1,18})"?\s*$')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate member names")
    return dict(pairs)


def parse_json_object(data: bytes) -> dict[str, Any]:
    """The JSON object in `data`; Problem('malformed-request') otherwise.

    Strict: UTF-8 only, no NaN/Infinity, no duplicate member names.
    """
    try:
        document = json.loads(
            data.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_members,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Problem("malformed-request", "The body is not valid JSON.") from None
    if nesting_exceeds(data, document):
        raise Problem("malformed-request", f"The body nests deeper than {MAX_DEPTH} levels.")
    if not isinstance(document, dict):
        raise Problem("malformed-request", "The body must be a JSON object.")
    if b"\\u" in data and _has_lone_surrogate(document):
        raise Problem("malformed-request", "The body is not valid JSON: a \\u escape names a lone surrogate.")
    return document


def _has_lone_surrogate(document: Any) -> bool:
    """True when a string escapes half a surrogate pair (e.g. "\\ud800"): it
    decodes, but is no Unicode text and cannot be stored or encoded as UTF-8."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_json(content_type: str) -> bool:
    """application/json or a +json type, parameters allowed. The plain
    spelling is checked first: werkzeug's full parse of the header was a
    noticeable part of reading a command."""
    if content_type == "application/json":
        return True
    mimetype = parse_options_header(content_type)[0].lower()
    return mimetype == "application/json" or mimetype.endswith("+json")


def body_bytes() -> bytes:
    """The request body as sent; Problem('payload-too-large') past MAX_BODY_BYTES.
    (werkzeug refuses a Content-Length over the limit, but cuts a chunked body
    at it: such a body is refused here rather than parsed truncated.)"""
    data = request.get_data(cache=True)
    if request.content_length is None and len(data) >= MAX_BODY_BYTES:
        raise Problem("payload-too-large", f"Bodies sent without Content-Length must be under {MAX_BODY_BYTES} bytes.")
    return data


def json_body(*, required: bool) -> dict[str, Any]:
    """The request's JSON object body (an empty one if absent and optional)."""
    data = body_bytes()
    if not data:
        if required:
            raise Problem("malformed-request", "This command needs a JSON object body.")
        return {}
    if not _is_json(request.environ.get("CONTENT_TYPE", "")):
        raise Problem("unsupported-media-type", "Send the body as application/json.")
    return parse_json_object(data)


def validated(schema: Schema, body: dict[str, Any]) -> dict[str, Any]:
    """`body` loaded through `schema`; every field error reported at once."""
    from app.http.schemas import pointer_errors

    try:
        return schema.load(body)
    except ValidationError as error:
        raise Problem("validation-error", "Some fields are invalid.",
                      {"errors": pointer_errors(error.messages)}) from None


def refuse_unknown_query_parameters() -> None:
    """before_request hook: on a route without a query schema, any query
    parameter is 422 `unknown-field`, as `query_args` answers for unknown
    parameters on the routes with one (a misspelt `?verison=2` on a command
    must not go unnoticed)."""
    if not request.args or request.endpoint is None:
        return
    doc = route_doc(current_app.view_functions[request.endpoint])
    if doc is None or doc.query is not None:
        return
    from app.http.schemas import pointer_errors

    # The errors marshmallow reports for unknown fields, as query_args answers them.
    errors = pointer_errors({name: ["Unknown field."] for name in sorted(request.args)})
    raise Problem("validation-error", "Some query parameters are invalid.", {"errors": errors})


def query_args(schema: Schema) -> dict[str, Any]:
    """The query string loaded through `schema`; every error at once as 422.

    A list field takes repeated and comma-separated values; any other
    parameter given twice is an error rather than a silent first-or-last pick.
    """
    from app.http.schemas import pointer_errors

    raw: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for key in request.args:
        values = request.args.getlist(key)
        field = schema.fields.get(key)
        if isinstance(field, fields.List):
            raw[key] = [part for value in values for part in value.split(",")]
        elif len(values) > 1 and (field is not None or key in _data_keys(schema)):
            errors.append({"pointer": f"/{key}", "detail": "given more than once; send it once", "code": "repeated"})
        else:
            raw[key] = values[0]
    repeated = {e["pointer"] for e in errors}
    try:
        data = schema.load(raw)
    except ValidationError as error:
        # One error per parameter: a repeated required one is not also "missing".
        errors += [e for e in pointer_errors(error.messages) if e["pointer"] not in repeated]
        data = {}
    if errors:
        raise Problem("validation-error", "Some query parameters are invalid.",
                      {"errors": sorted(errors, key=lambda e: e["pointer"])})
    return data


def _data_keys(schema: Schema) -> set[str]:
    return {f.data_key for f in schema.fields.values() if f.data_key}


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if not is_valid_key(key):
        raise Problem("idempotency-key-missing",
                      "Send an Idempotency-Key header of 1-255 printable ASCII characters.")
    return key


def if_match() -> int | None:
    """The version in If-Match (quotes optional), None when absent."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    match = _IF_MATCH.match(raw)
    if not match and raw.strip().startswith("W/"):
        # RFC 9110 13.1.1: If-Match compares strongly; a weak validator never matches.
        raise Problem("malformed-request", 'If-Match takes a strong validator: send "3", not W/"3".')
    if not match:
        raise Problem("malformed-request", 'If-Match must be a version such as "3".')
    return int(match.group(1))
