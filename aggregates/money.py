"""Money as the domain sees it: exact decimals with at most two places."""

from __future__ import annotations

import re
from decimal import Decimal

CENT = Decimal("0.01")
#: The only spelling of money: ASCII digits, an optional minus, at most two
#: decimals ("1250.00", "-0.5", "7"). Decimal() alone would also take
#: exponents, underscores, padding and non-ASCII digits.
_MONEY = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,2})?")


def parse_amount(text: str) -> Decimal | None:
    """The amount `text` spells, or None unless it is exactly a decimal
    string as above (floats never reach the domain; nothing is normalised)."""
    if not isinstance(text, str) or _MONEY.fullmatch(text) is None:
        return None
    return Decimal(text)


def format_amount(amount: Decimal) -> str:
    """The canonical string form: always two decimals, never exponent form."""
    return f"{amount.quantize(CENT):f}"
