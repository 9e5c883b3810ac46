"""A server span per request when tracing is on (app.telemetry.tracing): its parent is
the incoming `traceparent`, and the response's `traceparent` names it, so a
client can find the trace of any answer. Off, no hook is installed.

Hand-made rather than opentelemetry-instrumentation-flask: that middleware
gathers its attributes from the WSGI environ on every request, sampled or
not, which a 10% sample would pay for in full; this span takes the route
Flask has already matched.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from app.telemetry import tracing

#: Probes and scrapes, asked every few seconds by machines: a trace each would drown the others.
UNTRACED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def _start() -> None:
    rule = request.url_rule
    route = rule.rule if rule is not None else "unrouted"
    if route in UNTRACED_ROUTES:
        return
    g.trace_span = tracing.start_span(
        f"{request.method} {route}", parent_headers=request.headers, kind="server",
        attributes={"http.request.method": request.method, "http.route": route, "url.path": request.path})


def _answer(response: Response) -> Response:
    tracing.set_attributes(**{"http.response.status_code": response.status_code,
                              "procura.request_id": g.get("request_id")})
    current = tracing.traceparent()
    if current is not None:
        response.headers["traceparent"] = current
    return response


def _end(error: BaseException | None) -> None:
    tracing.end_span(g.pop("trace_span", None), error)


def install(flask_app: Flask) -> None:
    """Trace every request of `flask_app`, when tracing is on."""
    if not tracing.enabled():
        return
    flask_app.before_request(_start)
    flask_app.after_request(_answer)
    flask_app.teardown_request(_end)
