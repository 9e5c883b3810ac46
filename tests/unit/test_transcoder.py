"""The fast-decoding transcoder decodes exactly as the library's does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given
from hypothesis import strategies as st

from app.persistence.transcoder import FastDecodingTranscoder

try:
    # Imported as a module: pytest must not collect the abstract library base.
    from eventsourcing.tests import persistence as lib
except ModuleNotFoundError as error:  # it needs the eventsourcing[crypto] extra
    raise ImportError("install the test extras: pip install -e .[test]") from error


def _registered(transcoder: JSONTranscoder, *extra) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), *extra):
        transcoder.register(transcoding)
    return transcoder


class TestTheLibraryTranscoderSuitePasses(lib.TranscoderTestCase):
    """eventsourcing's own transcoder test case, set up as its repository sets
    it up for JSONTranscoder, which also leaves out the cases below: the JSON
    format keeps no tuples or subclasses of dict, list, str and int."""

    def construct_transcoder(self):
        return _registered(FastDecodingTranscoder(), lib.CustomType1AsDict(), lib.CustomType2AsDict())

    test_tuple = test_mixed = test_dict_subclass = test_list_subclass = None
    test_str_subclass = test_int_subclass = None


library, fast = _registered(JSONTranscoder()), _registered(FastDecodingTranscoder())

typed = st.one_of(st.uuids(), st.decimals(allow_nan=False, allow_infinity=False),
                  st.datetimes(timezones=st.just(UTC)))
plain = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(),
                  st.sampled_from(["_type_", "_data_", "uuid_hex"]))
values = st.recursive(st.one_of(plain, typed), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(["_type_", "_data_"])),
                                                 inner, max_size=4)), max_leaves=12)


def _outcome(transcoder: JSONTranscoder, data: bytes) -> str:
    """What decoding gives, values with their types, or the error's type."""
    try:
        return repr(transcoder.decode(data))
    except Exception as error:  # the error type is the outcome
        return type(error).__name__


@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_any_stored_state_decodes_to_the_same_values_and_types_as_the_library_decodes(state):
    data = library.encode(state)
    assert _outcome(fast, data) == _outcome(library, data)


def test_an_event_state_with_top_level_typed_members_is_revived():
    state = {"timestamp": datetime(2026, 10, 1, 9, tzinfo=UTC), "id": UUID(int=7), "amount": Decimal("1.50"),
             "lines": [{"sku": "A", "unit_price": "2.00"}], "meta": {"actor": "alice"}}
    assert fast.decode(library.encode(state)) == state


@pytest.mark.parametrize("data", [b'{"x": NaN}', b'{"x": Infinity}', b'{"x": 123456789012345678901234567890}'],
                         ids=["nan", "infinity", "huge-integer"])
def test_json_that_orjson_refuses_still_decodes_as_the_library_decodes(data):
    assert _outcome(fast, data) == _outcome(library, data)


def test_an_unknown_type_name_raises_the_library_error():
    with pytest.raises(TranscodingNotRegisteredError):
        fast.decode(b'{"x": {"_type_": "nope", "_data_": 1}}')
