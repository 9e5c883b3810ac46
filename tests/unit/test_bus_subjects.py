"""The subjects public events are published on (docs/integrators/event-bus.md): one
token per org whatever its name holds, the type's own dotted tokens."""

from __future__ import annotations

import re

import pytest

from aggregates.public_events import PUBLIC_TYPES
from app.bus.subjects import org_token, subject

#: What NATS accepts in one token: no '.', wildcard or whitespace, not empty.
TOKEN = re.compile(r"^[^.*>\s]+$")


@pytest.mark.parametrize("org", ["acme", "org-1", "acme corp.eu", "*", ">", "a\tb", "100%", "Zürich", "supplier:x"])
def test_any_org_name_becomes_one_subject_token(org):
    token = org_token(org)
    assert TOKEN.match(token) and token.isascii()


def test_two_org_names_never_share_a_token():
    names = ["a.b", "a%2Eb", "a b", "a%20b", "a_b", "a-b"]
    assert len({org_token(n) for n in names}) == len(names)


def test_plain_org_names_keep_their_spelling_and_the_others_are_percent_encoded():
    assert org_token("org-1_x") == "org-1_x"
    assert org_token("acme corp.eu") == "acme%20corp%2Eeu"


def test_each_public_type_makes_valid_tokens_after_its_orgs():
    for type_ in PUBLIC_TYPES:
        assert subject("acme", type_) == f"procura.acme.{type_}"
        assert all(TOKEN.match(t) for t in subject("a.b", type_).split("."))


def test_a_type_that_would_not_make_subject_tokens_is_refused():
    with pytest.raises(ValueError, match="subject tokens"):
        subject("acme", "purchase_order.*")
