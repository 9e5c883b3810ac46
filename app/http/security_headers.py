"""The security headers every response carries (docs/operators/security.md).

One after_request hook sets them in Flask, so both serving modes send them
(HAProxy + granian, or gunicorn alone); the answers HAProxy and gunicorn write
themselves carry `DOCUMENT_HEADERS` too (app.serving.edge,
app.http.protocol_errors).

- Pages (console, /docs, problem pages) get a strict Content-Security-Policy:
  scripts, styles and fetches from Procura itself only, nothing inline, no
  plugins, no <base>, forms only to Procura, never framed. Every other answer
  (JSON, CSV, Markdown, static files) is a document no browser should run
  anything in: `default-src 'none'`.
- `Referrer-Policy: same-origin`: nothing of a console URL (its filters, an
  id searched for) leaves for another site, while requests within Procura go
  as browsers normally send them (under `no-referrer` a form POST says
  `Origin: null`).
- `Cache-Control: no-store` on everything answered for a bearer token and on
  every other answer that is not a public document; public documents
  (`@public_document`: the console's pages and files, /docs and its files,
  /openapi.json, problem pages, the behaviour catalogue) hold nobody's data
  and may be stored, but are revalidated (`no-cache`): they change with a
  release.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request

PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'"
REFERRER_POLICY = "same-origin"
PRIVATE, REVALIDATE = "no-store", "no-cache"

#: What every answer carries whatever its kind.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": REFERRER_POLICY,
}
#: The whole set for an answer that is not a page and holds something of the caller's:
#: what HAProxy and gunicorn add to the errors they write themselves.
DOCUMENT_HEADERS = {**COMMON_HEADERS, "Content-Security-Policy": DOCUMENT_POLICY, "Cache-Control": PRIVATE}

PUBLIC_DOCUMENT_ATTRIBUTE = "procura_public_document"


def public_document(view: Callable) -> Callable:
    """The view answers the same to everyone: it may be cached, revalidated."""
    setattr(view, PUBLIC_DOCUMENT_ATTRIBUTE, True)
    return view


def _is_public_document() -> bool:
    if "Authorization" in request.headers or "X-CSRF-Token" in request.headers or request.endpoint is None:
        return False  # anything answered for a token or session is the caller's; unrouted answers are errors
    return getattr(current_app.view_functions[request.endpoint], PUBLIC_DOCUMENT_ATTRIBUTE, False)


def add_security_headers(response: Response) -> Response:
    """after_request hook: the headers of the module docstring, on every answer."""
    response.headers.update(COMMON_HEADERS)
    is_page = response.mimetype == "text/html"
    response.headers["Content-Security-Policy"] = PAGE_POLICY if is_page else DOCUMENT_POLICY
    response.headers["Cache-Control"] = REVALIDATE if _is_public_document() else PRIVATE
    return response
