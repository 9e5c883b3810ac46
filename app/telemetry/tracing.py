"""OpenTelemetry tracing (docs/operators/tracing.md), off unless the standard
`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.

Off, every helper here returns at its first line and OpenTelemetry is not
even imported: a request pays for one module-global check per helper. On,
spans go to the OTLP/HTTP exporter; the SDK itself reads the other standard
variables (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`, ...).

Trace context crosses processes as a W3C `traceparent` string: in HTTP
headers, and in each stored event's metadata, where the workers pick it up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace
from typing import Any

_tracer: Any = None
_NO_SPAN = nullcontext()
#: OpenTelemetry's names, bound by `configure` (an import inside each helper costs a lookup per call).
_otel = SimpleNamespace()
#: The span context `traceparent` formatted last, and its text (swapped whole: safe across threads).
_last_formatted: tuple[Any, str | None] = (None, None)


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def enabled() -> bool:
    return _tracer is not None


def configure(default_service_name: str = "procura") -> bool:
    """Start exporting spans from this process when the environment asks
    for it (idempotent); True when tracing is on. Call it in each process
    after any fork: the exporter's batching thread does not cross one."""
    global _tracer
    if _tracer is not None or not wanted():
        return _tracer is not None
    from opentelemetry import context, trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _otel.__dict__.update(
        attach=context.attach, detach=context.detach, current_span=trace.get_current_span,
        in_context=trace.set_span_in_context, Link=trace.Link, SpanKind=trace.SpanKind,
        Status=trace.Status, StatusCode=trace.StatusCode, propagator=TraceContextTextMapPropagator(),
        )

    # OTEL_SERVICE_NAME, when set, names the service; attributes passed here would override it.
    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: default_service_name}
    provider = TracerProvider(resource=Resource.create(named))  # the sampler comes from OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracer = provider.get_tracer("procura")
    return True


def _context_of(traceparent: str | None) -> Any:
    return _otel.propagator.extract({"traceparent": traceparent}) if traceparent else None


def span(name: str, *, parent: str | None = None, kind: str = "internal",
         links: Iterable[str | None] = (), attributes: Mapping[str, Any] | None = None):
    """A context manager: the span `name`, current inside the block, child of
    the `parent` traceparent when given (else of the current span), linked
    to the `links` traceparents. Off, a shared no-op context."""
    if _tracer is None:
        return _NO_SPAN
    return _started(name, parent, kind, links, attributes)


@contextmanager
def _started(name, parent, kind, links, attributes):
    linked = [_otel.Link(_otel.current_span(c).get_span_context()) for c in map(_context_of, links) if c is not None]
    with _tracer.start_as_current_span(name, context=_context_of(parent), kind=_otel.SpanKind[kind.upper()],
                                       links=linked, attributes=attributes) as current:
        yield current


def batch_span(name: str, contexts: Sequence[str]):
    """A worker's span over a batch of events stored under `contexts`: in
    the first one's trace, linked to the others (runner.BatchTracer)."""
    return span(name, parent=contexts[0], links=contexts[1:], attributes={"procura.traces": len(contexts)})


def start_span(name: str, *, parent_headers: Mapping[str, str] | None = None, kind: str = "internal",
               attributes: Mapping[str, Any] | None = None) -> tuple[Any, Any] | None:
    """Start `name` and make it current until `end_span` (for hooks that
    cannot wrap a block, like Flask's before/after request); its parent comes
    from the `traceparent` in `parent_headers` when given. None when off."""
    if _tracer is None:
        return None
    parent = _context_of(parent_headers.get("traceparent")) if parent_headers is not None else None
    started = _tracer.start_span(name, context=parent, kind=_otel.SpanKind[kind.upper()], attributes=attributes)
    return started, _otel.attach(_otel.in_context(started))


def end_span(handle: tuple[Any, Any] | None, error: BaseException | None = None) -> None:
    if handle is None:
        return
    started, token = handle
    if error is not None:
        _end_failed(started, error)
    else:
        started.end()
    _otel.detach(token)


def traceparent() -> str | None:
    """The current span as a W3C traceparent; None when off or outside a span."""
    if _tracer is None:
        return None
    global _last_formatted
    ctx = _otel.current_span().get_span_context()
    last, formatted = _last_formatted  # one request asks several times (events, answer, log line)
    if ctx is last:
        return formatted
    if not ctx.is_valid:
        return None
    formatted = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
    _last_formatted = (ctx, formatted)
    return formatted


def trace_id() -> str | None:
    """The current trace's id (32 hex digits); None when off or outside a span."""
    current = traceparent()
    return current[3:35] if current else None


def set_attributes(**attributes: Any) -> None:
    """Add attributes to the current span (nothing when off)."""
    if _tracer is None:
        return
    _otel.current_span().set_attributes({k: v for k, v in attributes.items() if v is not None})


def trace_database_checkouts(pool: Any, system: str = "postgresql") -> None:
    """A span from each connection's checkout of `pool` to its return: one
    database transaction (Procura's pooled connections are autocommit, and an
    explicit transaction never outlives its checkout). Installed only when
    on; only inside another span that is sampled (a request, a placement),
    so a worker's idle polling starts no trace and an unsampled request
    pays for no more spans."""
    if _tracer is None:
        return
    getconn, putconn = pool.getconn, pool.putconn
    open_spans: dict[int, Any] = {}

    def traced_getconn(*args: Any, **kwargs: Any) -> Any:
        if not _otel.current_span().is_recording():  # outside a span, or in one not sampled
            return getconn(*args, **kwargs)
        started = _tracer.start_span(f"{system} transaction", kind=_otel.SpanKind.CLIENT,
                                     attributes={"db.system.name": system})
        try:
            conn = getconn(*args, **kwargs)
        except BaseException as error:
            _end_failed(started, error)
            raise
        open_spans[id(conn)] = started
        return conn

    def traced_putconn(conn: Any) -> None:
        started = open_spans.pop(id(conn), None)
        try:
            putconn(conn)
        finally:
            if started is not None:
                started.end()

    pool.getconn, pool.putconn = traced_getconn, traced_putconn


def _end_failed(started: Any, error: BaseException) -> None:
    started.record_exception(error)
    started.set_status(_otel.Status(_otel.StatusCode.ERROR, type(error).__name__))
    started.end()
