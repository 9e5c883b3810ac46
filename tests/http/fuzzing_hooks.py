"""schemathesis hooks for the contract fuzzing (tests/http/test_contract_fuzzing.py),
loaded by the CLI through SCHEMATHESIS_HOOKS.

Two things a request can be refused for that no schema can state, and only
those, are let through; everything else schemathesis finds fails the run:

- a 422 on a schema-valid request whose every error is a rule between
  parameters or about state (`to` before `from`, a cursor not issued for
  this list and these filters, submitting a draft whose `needed_by` has
  passed: the contract's 422 `past-date`), or about the words of a search
  (`q` with no letter or digit, or too many words: Unicode's letters and
  digits are no pattern every JSON Schema reader understands);
- a 422 for a webhook URL whose host resolves to an address webhooks may
  not reach, or that is plain http to a host not allow-listed;
- the 503 `projection-behind` for a `min_position` the read model has not
  reached (the contract's answer after waiting).
"""

from __future__ import annotations

import json
import os
import re
import uuid

import schemathesis

#: (pointer, detail) of the refusals a schema cannot express: a relation
#: between two parameters, or a fact about stored state.
UNSTATABLE = {
    ("/cursor", "not a cursor of this list with these filters and sort; start again without it"),
    ("/cursor", "not a cursor of this purchase order's pages; start again without it"),
    ("/cursor", "not a cursor of this trace; start again without it"),
    ("/after", "not a cursor of the event feed; pass a next_cursor as it was given, or start without it"),
    ("/to", "must not be before from"),
    ("/created_to", "must not be before created_from"),
    ("/max_total", "must not be below min_total"),
    ("/q", "has no letters or digits to search for"),
    ("/q", "has more than 8 words; search with fewer"),
}
#: Error codes of the domain's rules about the PO as it stands (its stored
#: needed_by at submit), which no request schema can state.
STATE_CODES = {"past-date"}
#: A webhook URL's host resolving to an internal address, or plain http to a
#: host not allow-listed: facts about DNS and the configuration, not the request.
STATE_CODES |= {"address-refused", "https-required"}
#: Parameters whose validity depends on the store: a min_position beyond its head.
STATE_POINTERS = {"/min_position"}
_KEY = re.compile(r"[\x20-\x7e]{1,255}")


_WAIT = re.compile(r"[0-9]{1,2}")
#: The server's suppliers (PROCURA_SUPPLIERS, default): configuration the
#: document leaves out, as it leaves out the token; the fuzzer is told both.
SUPPLIER = "acme"


def _a_configured_supplier(case) -> None:
    """A draft's schema-valid `supplier_id` becomes a configured one, so drafts
    get created and the stateful phase reaches their commands; any other
    value is sent as generated (and must be refused)."""
    if not isinstance(case.body, dict) or not isinstance(case.body.get("supplier_id"), str):
        return
    case.body["supplier_id"] = SUPPLIER  # the request is built from the case after this hook


def _no_long_polls(case, kwargs) -> None:
    """A valid `wait` of GET /events becomes 0: a long poll answers the same
    page after up to 30 s, and the feed's own tests time it; a run of them
    would only make the fuzzing slow. An invalid one is sent as generated."""
    if case.path != "/events" or not isinstance(case.query, dict):
        return
    wait = case.query.get("wait")
    if isinstance(wait, int | str) and not isinstance(wait, bool) and _WAIT.fullmatch(str(wait)) \
            and int(wait) <= 30:
        case.query["wait"] = 0
        if isinstance(kwargs.get("params"), dict):
            kwargs["params"]["wait"] = 0


@schemathesis.hook
def before_call(context, case, kwargs):
    """A fresh Idempotency-Key for each valid one generated: generated keys
    repeat across different bodies, and `idempotency-key-reused` is then the
    right answer to a schema-valid request. A malformed key is sent as generated."""
    _no_long_polls(case, kwargs)
    _a_configured_supplier(case)
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and _KEY.fullmatch(key):
        fresh = f"fuzz-{uuid.uuid4()}"
        case.headers["Idempotency-Key"] = fresh
        if kwargs.get("headers") is not None:
            kwargs["headers"]["Idempotency-Key"] = fresh


def _problem(response) -> dict:
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _refused_only_for_unstatable_reasons(response) -> bool:
    problem = _problem(response)
    if response.status_code != 422:
        return False
    errors = problem.get("errors") or []
    return bool(errors) and all((e.get("pointer"), e.get("detail")) in UNSTATABLE or e.get("code") in STATE_CODES
                                or e.get("pointer") in STATE_POINTERS for e in errors)


def _behind_as_asked(response) -> bool:
    problem = _problem(response)
    return (response.status_code == 503 and problem.get("type") == "/problems/projection-behind"
            and problem.get("min_position", 0) > problem.get("position", 0))


def _note(excuse: str, case, response) -> None:
    """One line per excused failure in $FUZZ_EXCUSED_LOG, for the test to count."""
    path = os.environ.get("FUZZ_EXCUSED_LOG")
    if path:
        with open(path, "a") as log:
            log.write(json.dumps({"excuse": excuse, "operation": f"{case.method} {case.path}",
                                  "status": response.status_code, "body": response.text[:300]}) + "\n")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure except the two excused above."""
    name = type(failure).__name__
    if name == "RejectedPositiveData" and _refused_only_for_unstatable_reasons(response):
        _note("unstatable-rule", case, response)
        return False
    if name == "ServerError" and _behind_as_asked(response):
        _note("projection-behind", case, response)
        return False
    return True
