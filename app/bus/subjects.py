"""The subjects public events are published on: `procura.<org>.<type>`.

NATS splits subjects at '.', reads '*' and '>' as wildcards and forbids
whitespace, so an org (any printable text a token's claim holds) is
percent-encoded into one token; a type's dots stay separators, so
`procura.<org>.purchase_order.>` subscribes to all of one org's PO events.
"""

from __future__ import annotations

import re
import string

PREFIX = "procura"
#: Characters an org keeps as they are; every other is percent-encoded (UTF-8).
_PLAIN = frozenset(string.ascii_letters + string.digits + "-_")
_TYPE_TOKEN = re.compile(r"^[a-z0-9_]+$")


def org_token(org: str) -> str:
    """`org` as one subject token. '%' itself is encoded too, so two orgs
    never share a token and the org can be read back from it."""
    if not org:
        raise ValueError("an org is never empty")
    return "".join(c if c in _PLAIN else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
                   for c in org)


def type_tokens(type_: str) -> str:
    """A public type's subject tokens (its own dotted name); refuses a name
    whose parts are not lower-case letters, digits and '_'."""
    if not all(_TYPE_TOKEN.match(part) for part in type_.split(".")):
        raise ValueError(f"public type {type_!r} does not make NATS subject tokens")
    return type_


def subject(org: str, type_: str) -> str:
    return f"{PREFIX}.{org_token(org)}.{type_tokens(type_)}"
