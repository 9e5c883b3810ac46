"""Marshmallow schemas: the request shapes the API accepts.

Unknown members are errors (no silent mass assignment), and every field
error is reported at once, each as a JSON Pointer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from aggregates.money import parse_amount
from aggregates.purchase_order import (
    DEFAULT_UNIT,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    TITLE_MAX,
    Draft,
    Line,
)

#: What the OpenAPI document promises for money: exactly the strings Money accepts
#: in canonical form (no leading zeros, 0.01 up to MAX_UNIT_PRICE).
MONEY_PATTERN = r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?))$"


#: PostgreSQL text cannot hold U+0000: refuse it at the edge (422), before an
#: event carrying it could reach (and stop) the read models. A Regexp, so the
#: OpenAPI document states the rule as the field's pattern.
no_nul = validate.Regexp(r"^[^\u0000]*$", error="must not contain the NUL character (U+0000)")


def storable_text(value: str) -> bool:
    """Whether PostgreSQL text can hold `value`: no U+0000 and no lone
    surrogate (which a JSON escape such as "\\ud800" can produce)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(minimum: int, maximum: int, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(minimum, maximum), no_nul], **kwargs)


class Money(fields.String):
    """A decimal string with at most two places, above 0, at most MAX_UNIT_PRICE."""

    default_error_messages = {
        "invalid": f"must be a decimal string with at most 2 decimals, above 0 and at most {MAX_UNIT_PRICE}",
    }

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": MONEY_PATTERN, "example": "1249.50"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        amount = parse_amount(value) if isinstance(value, str) else None
        if amount is None or not 0 < amount <= MAX_UNIT_PRICE:
            raise self.make_error("invalid")
        return amount


class WholeNumber(fields.Integer):
    """A JSON integer as JSON Schema defines one: 3 or 3.0, never 3.5, "3" or true."""

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LineSchema(StrictSchema):
    sku = _text(1, 64, required=True)
    description = _text(0, 500, required=True)
    quantity = WholeNumber(required=True, validate=validate.Range(1, MAX_QUANTITY))
    unit = _text(1, 20, load_default=DEFAULT_UNIT)
    unit_price = Money(required=True)


class DraftSchema(StrictSchema):
    """The body of `create` and `revise`."""

    title = _text(1, TITLE_MAX, required=True)
    supplier_id = fields.String(required=True, metadata={
        "description": "one of the deployment's suppliers (PROCURA_SUPPLIERS, listed by "
                       "GET /purchase-orders/choices); another answers 422 validation-error"})
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    needed_by = fields.Date(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(1, MAX_LINES))

    def __init__(self, *, suppliers: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        # Configured at run time, so checked here and kept out of the OpenAPI
        # document (a OneOf would publish it as an enum: one client per deployment).
        # A new list: marshmallow copies fields shallowly, so appending would add
        # this instance's suppliers to every DraftSchema's check.
        field = self.fields["supplier_id"]
        field.validators = [*field.validators, _one_of_suppliers(suppliers)]


def _one_of_suppliers(suppliers: tuple[str, ...]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in suppliers:
            raise ValidationError(f"unknown supplier; configured: {', '.join(suppliers)}")

    return check


class ReasonSchema(StrictSchema):
    """The body of `reject` and `cancel`."""

    reason = _text(1, 1000, required=True)


class CommentSchema(StrictSchema):
    """The body of `request_changes`: what the requester should change."""

    comment = _text(1, 1000, required=True)


class WithdrawalSchema(StrictSchema):
    """The body of `withdraw`: why, if the requester says (the body is optional)."""

    reason = _text(1, 1000, load_default=None)


class EmptySchema(StrictSchema):
    """Commands that take no fields still refuse unknown ones."""


def to_draft(data: dict[str, Any]) -> Draft:
    lines = tuple(Line(**line) for line in data["lines"])
    return Draft(data["title"], data["supplier_id"], data["currency"], data["needed_by"], lines)


#: The schema of each kind of body a command declares (`Transition.body`).
BODY_SCHEMAS: dict[str | None, type[StrictSchema]] = {
    None: EmptySchema, "draft": DraftSchema, "reason": ReasonSchema, "comment": CommentSchema,
    "withdrawal": WithdrawalSchema,
}


def body_schema(kind: str | None, suppliers: tuple[str, ...]) -> StrictSchema:
    """A schema instance for bodies of `kind` (the draft's knows the suppliers)."""
    schema = BODY_SCHEMAS[kind]
    return schema(suppliers=suppliers) if takes_draft(kind) else schema()


def takes_draft(kind: str | None) -> bool:
    """Whether bodies of `kind` are a PO's content (the intent takes a Draft)."""
    return BODY_SCHEMAS[kind] is DraftSchema


def body_fields(kind: str | None) -> dict[str, fields.Field]:
    """The fields of a body of `kind`, by name, as its schema declares them:
    the routes, the start-up check and the tests read them here, so a body
    needs no field named after its kind."""
    return dict(BODY_SCHEMAS[kind]._declared_fields)


def body_required(kind: str | None) -> bool:
    """Whether a command with bodies of `kind` needs one: some field is required."""
    return any(field.required for field in body_fields(kind).values())


def intent_arguments(kind: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """A loaded body as the aggregate's intent method takes it: a draft as
    `content`, other fields under their own names (an optional one absent
    from the body as its schema's default)."""
    return {"content": to_draft(data)} if takes_draft(kind) else dict(data)


_CODES = {"Missing data for required field.": "required", "Unknown field.": "unknown-field",
          "Field may not be null.": "null"}


def pointer_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested messages into [{pointer, detail, code}]."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            found += pointer_errors(value, f"{prefix}/{_escape(str(key))}" if key != "_schema" else prefix)
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"pointer": prefix or "/", "detail": m, "code": _CODES.get(m, "invalid")} for m in messages]
    return [{"pointer": prefix or "/", "detail": str(messages), "code": "invalid"}]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
