"""Compact JSON bytes for bodies, log lines and jsonb parameters."""

import json

from app.jsonbytes import json_bytes


def test_json_bytes_writes_what_orjson_refuses_as_the_json_module_does():
    for value in ({"title": "\ud800"}, {"n": 2**70}, {1: "one"}):
        assert json_bytes(value) == json.dumps(value, separators=(",", ":")).encode()


def test_json_bytes_converts_unknown_values_with_default():
    assert json.loads(json_bytes({"at": object()}, default=lambda _: "x")) == {"at": "x"}
