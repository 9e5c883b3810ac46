"""The five-minute walkthrough: one PO from create to shipped and received,
with copy-paste commands that carry its id and version from step to step.

`procura seed-demo` (so `scripts/run`) prints it after the tokens, and the
README shows the same commands (tests/unit/test_readme.py compares them;
tests/integration/test_walkthrough.py runs the README's against a server
started the way `scripts/run` starts one). The commands need bash or zsh,
curl and python3, and read `$PROCURA` and the demo users' tokens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    says: str
    command: str


def _command(token: str, action: str) -> str:
    return (
        f'A=$(curl -s -X POST "$PROCURA/purchase-orders/$PO/{action}" -H "Authorization: Bearer ${token}" \\\n'
        f'  -H "Idempotency-Key: $PO-{action}" -H "If-Match: \\"$V\\"")\n'
    )


STEPS: tuple[Step, ...] = (
    Step(
        "A helper that prints one field (a dotted path) of the JSON answer it reads:",
        "field() { python3 -c 'import json, sys\n"
        "value = json.load(sys.stdin)\n"
        'for key in sys.argv[1].split("."): value = value[key]\n'
        'print(value)\' "$1"; }',
    ),
    Step(
        "Alice (requester) creates a draft: 201, version 1. Keep its id and version:",
        'A=$(curl -s -X POST "$PROCURA/purchase-orders" -H "Authorization: Bearer $ALICE" \\\n'
        '  -H "Content-Type: application/json" -H "Idempotency-Key: monitors-$(date +%s)" \\\n'
        '  -d \'{"title": "Monitors", "supplier_id": "acme", "currency": "EUR", "needed_by": "2030-01-31",\n'
        '       "lines": [{"sku": "MON-27", "description": "27-inch monitor", "quantity": 4,\n'
        '                  "unit_price": "289.00"}]}\')\n'
        'PO=$(field id <<<"$A"); V=$(field version <<<"$A"); echo "$PO v$V $(field status <<<"$A")"',
    ),
    Step(
        "She submits it; If-Match is the version she last saw (a stale one is 409 version-conflict):",
        _command("ALICE", "submit") + 'V=$(field version <<<"$A"); echo "v$V $(field status <<<"$A")"',
    ),
    Step(
        "Bob (approver, same department, limit 5000.00) approves it:",
        _command("BOB", "approve") + 'V=$(field version <<<"$A"); echo "v$V $(field status <<<"$A")"',
    ),
    Step(
        "Carol (buyer) places it with Acme: 202 and an operation the placement process works on:",
        _command("CAROL", "place") + 'echo "operation $(field id <<<"$A"): $(field purchase_order.status <<<"$A")"',
    ),
    Step(
        "The fake Acme supplier accepts the order, then ships it; wait for the tracking number:",
        "for attempt in $(seq 30); do\n"
        '  A=$(curl -s "$PROCURA/purchase-orders/$PO" -H "Authorization: Bearer $CAROL")\n'
        '  [ "$(field tracking_number <<<"$A")" != None ] && break; sleep 1\n'
        "done\n"
        'V=$(field version <<<"$A"); echo "v$V $(field status <<<"$A"), tracking $(field tracking_number <<<"$A")"',
    ),
    Step(
        "Carol records the goods as received:",
        _command("CAROL", "receive") + 'V=$(field version <<<"$A"); echo "v$V $(field status <<<"$A")"',
    ),
    Step(
        "Retrying is safe: Alice's submit, sent again exactly as before, gets the first answer and writes nothing:",
        'curl -s -X POST "$PROCURA/purchase-orders/$PO/submit" -H "Authorization: Bearer $ALICE" \\\n'
        '  -H "Idempotency-Key: $PO-submit" -H \'If-Match: "1"\' | field status',
    ),
    Step(
        "Erin (auditor) reads who did what, under which key, newest first:",
        'curl -s "$PROCURA/purchase-orders/$PO/history" -H "Authorization: Bearer $ERIN" | python3 -m json.tool',
    ),
)


def render() -> str:
    """The walkthrough as `procura seed-demo` prints it: each step's sentence,
    then its command, unindented so that it pastes as it is."""
    return "\n\n".join(f"{n}. {step.says}\n{step.command}" for n, step in enumerate(STEPS, 1))
