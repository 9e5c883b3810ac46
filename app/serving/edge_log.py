"""What the edge answers itself, seen: HAProxy writes one line per request it
answered without granian (a shed, a 408, a 413, a 429, a framing it
refused) or that its client abandoned; `procura serve` relays each as a JSON
log line of the `procura.edge` logger and counts it in
`procura_edge_answers_total{status, problem}`. Answers granian wrote are
logged by Procura itself (`procura.requests`), so HAProxy stays silent on
those.

HAProxy writes its lines in LOG_FORMAT (its own escaping is not JSON's, so
the fields are plain words and Python builds the JSON), and anything else it
says (start-up notices, alerts) is relayed as a message of its own.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from app.telemetry.metrics import made_once

log = logging.getLogger("procura.edge")

#: request id, status, termination state, total ms, queue ms, request ms,
#: client address, method, then the quoted target (last: it may hold spaces).
LOG_FORMAT = "%ID %ST %tsc %Ta %Tw %TR %ci %HM %{+Q}HU"
_FIELDS = ("request_id", "status", "termination_state", "total_ms", "queue_ms", "request_ms", "client", "method")

#: The problem type each of HAProxy's own answers carries (app.serving.edge),
#: by status; a 429 held by the tarpit (termination "PT") is `rate-limited`.
PROBLEMS = {400: "malformed-request", 408: "request-timeout", 413: "payload-too-large",
            429: "too-many-concurrent", 502: "internal-error", 503: "overloaded", 504: "internal-error"}


def problem_of(status: int, termination: str) -> str:
    """What the answer was, as a bounded label: a problem type, `framing-refused`
    for HAProxy's fixed pages to requests it cannot parse, `client-closed`
    when the client left before an answer, or `other`."""
    if termination.startswith("PT") and status == 429:
        return "rate-limited"
    if termination[:1] in ("C", "c") and status in (-1, 0):
        return "client-closed"
    return PROBLEMS.get(status, "framing-refused" if 400 <= status < 500 else "other")


def parse(line: str) -> dict[str, Any] | None:
    """The fields of one of HAProxy's request lines; None for any other line."""
    head, _, target = line.rstrip("\n").partition(' "')
    words = head.split(" ")
    if len(words) != len(_FIELDS) or not words[1].lstrip("-").isdigit():
        return None
    fields: dict[str, Any] = dict(zip(_FIELDS, words, strict=True))
    for name in ("status", "total_ms", "queue_ms", "request_ms"):
        fields[name] = int(fields[name]) if fields[name].lstrip("-").isdigit() else None
    fields["request_id"] = None if fields["request_id"] == "-" else fields["request_id"]
    fields["target"] = target[:-1] if target.endswith('"') else target
    fields["problem"] = problem_of(fields["status"] or 0, fields["termination_state"])
    return fields


#: What HAProxy says of each of its proxies as it stops: an expected part of
#: every stop, not worth a warning.
_STOP_REPORT = "stopped (cumulated conns:"


def _level(line: str) -> int:
    if _STOP_REPORT in line:
        return logging.DEBUG
    if "[ALERT]" in line:
        return logging.ERROR
    return logging.WARNING if "[WARNING]" in line else logging.INFO


@made_once
def _answers():
    from prometheus_client import Counter  # here: the multiprocess directory is set by now

    return Counter("procura_edge_answers_total", "Requests HAProxy answered itself (or whose client left)",
                   ["status", "problem"])


def relay(stream: IO[str]) -> None:
    """Relay HAProxy's output until it closes (run in a thread of the server's
    main process, after PROMETHEUS_MULTIPROC_DIR is set)."""
    answers = _answers()
    for line in stream:
        fields = parse(line)
        if fields is None:
            if line.strip():
                log.log(_level(line), "haproxy: %s", line.strip())
            continue
        answers.labels(str(fields["status"]), fields["problem"]).inc()
        log.info("edge answered %s %s", fields["status"], fields["problem"], extra={"fields": fields})
