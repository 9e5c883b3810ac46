"""Money as the domain sees it: exact decimals with at most two places."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal | None:
    """The amount in `text`, or None unless it is a finite decimal with at
    most two decimal places (floats never reach the domain)."""
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        return None
    return amount


def format_amount(amount: Decimal) -> str:
    """The canonical string form: always two decimals, never exponent form."""
    return f"{amount.quantize(CENT):f}"
