"""Money as the domain sees it: exact decimals with at most two places."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal | None:
    """The amount in `text`, or None unless it is a finite decimal with at
    most two decimal places (floats never reach the domain)."""
    try:
        amount = Decimal(text)
        # quantize raises InvalidOperation when the result needs more digits
        # than the context holds ("1e400"): such an amount is not money either.
        if not amount.is_finite() or amount != amount.quantize(CENT):
            return None
    except (InvalidOperation, TypeError, ValueError):
        return None
    return amount


def format_amount(amount: Decimal) -> str:
    """The canonical string form: always two decimals, never exponent form."""
    return f"{amount.quantize(CENT):f}"
