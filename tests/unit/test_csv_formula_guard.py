"""The spend CSV's formula guard (OWASP, CSV injection): whatever invisible
characters come first, a cell a spreadsheet could run starts with `'`, and
every other cell is left exactly as it was."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from app.http.read_models import formula_safe

TRIGGERS = "=+-@"
#: What a spreadsheet skips before a formula: all Unicode whitespace and the
#: zero-width and other format characters.
invisible = st.characters(categories=["Zs", "Zl", "Zp", "Cc", "Cf"], exclude_characters="\x00") | st.sampled_from(
    " \t\r\n\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff")


@given(st.text(invisible, max_size=5), st.sampled_from(TRIGGERS), st.text(max_size=20))
@example(" ", "=", "1+1")
@example("\u00a0", "=", "HYPERLINK(\"http://x\")")
@example("\u3000", "+", "1")
@example("\u200b", "-", "1")
def test_a_formula_behind_any_invisible_prefix_is_neutralised(prefix, trigger, rest):
    value = prefix + trigger + rest

    assert formula_safe(value) == "'" + value


@given(st.sampled_from("\t\r"), st.text(max_size=20))
def test_a_cell_starting_with_tab_or_carriage_return_is_neutralised(start, rest):
    assert formula_safe(start + rest) == "'" + start + rest


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Zs", "Zl", "Zp", "Cc", "Cf")


@given(st.text(invisible, max_size=5).filter(lambda prefix: prefix[:1] not in ("\t", "\r")),
       st.characters().filter(lambda c: _visible(c) and c not in TRIGGERS + "\uff1d\uff0b\uff0d\uff20"),
       st.text(max_size=20))
@example("", "e", "ng")
@example(" ", "a", "=b")
def test_a_cell_no_spreadsheet_would_run_is_left_as_it_was(prefix, first, rest):
    value = prefix + first + rest

    assert formula_safe(value) == value
