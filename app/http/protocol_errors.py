"""Errors gunicorn answers itself, before Procura sees the request (a bad
header byte, an oversized header or request line): as problem+json with an
X-Request-Id like every other error (docs/integrators/api.md, section 3), not gunicorn's
text/html page. All are the client's request being malformed: 400. Nor does
any answer name gunicorn in a Server header."""

from __future__ import annotations

import json
import uuid

from app.http.security_headers import DOCUMENT_HEADERS
from app.service.problem_types import PROBLEM_TYPES


def problem_bytes(status: int, detail: str) -> bytes:
    slug = "internal-error" if status >= 500 and status != 501 else "malformed-request"
    kind = PROBLEM_TYPES[slug]
    request_id = str(uuid.uuid4())
    body = json.dumps({"type": f"/problems/{slug}", "title": kind.title, "status": kind.status,
                       "detail": detail if slug == "malformed-request" else "An unexpected error occurred.",
                       "instance": request_id, "next_action": kind.next_action}).encode()
    head = (f"HTTP/1.1 {kind.status} {kind.title}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nX-Request-Id: {request_id}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in DOCUMENT_HEADERS.items())
            + f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def install() -> None:
    """Make gunicorn write its own refusals as problem+json, and name itself in no
    Server header (call before workers fork)."""
    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):
        detail = f"The HTTP request is malformed ({reason}); fix it and send it again."
        util.write_nonblock(sock, problem_bytes(int(status_int), detail))

    util.write_error = write_error
    _hide_server_software()


def _hide_server_software() -> None:
    """Drop the Server line gunicorn writes on every answer: it tells a prober what to attack."""
    from gunicorn.http.wsgi import Response

    with_server = Response.default_headers

    def default_headers(self):
        return [line for line in with_server(self) if not line.startswith("Server:")]

    Response.default_headers = default_headers
