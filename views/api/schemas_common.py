"""Field types and envelopes shared by every API resource (pydantic).

Money and quantities are ``Decimal`` (numbers accepted on input, strings on output); times
must carry a UTC offset; NIP, EAN, e-mail and phone go through ``backoffice.validators``
so the API and the console accept exactly the same values. Empty strings in optional
fields mean "no value" (many ERPs send ``""`` for a blank column).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from backoffice import validators
from backoffice.errors import ValidationFailed

#: A caller's id: letters, digits and ``._:#@+-`` in "/"-separated segments (ERP document
#: numbers such as "FV/2026/0001" are common ids), at most 64 characters.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:#@+-]*(/[A-Za-z0-9][A-Za-z0-9._:#@+-]*)*$"

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN)
]

#: No control characters (PostgreSQL refuses NUL; the others are noise in documents).
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


#: Wrap an optional field's type: ``Optional(Text(64))`` accepts null and "" as no value.
def Optional(type_: Any) -> Any:  # noqa: N802 - reads like a type
    return Annotated[type_ | None, BeforeValidator(_blank_to_none)]


def Text(max_length: int) -> Any:  # noqa: N802 - reads like a type
    """A trimmed, non-empty string of at most ``max_length`` characters, no control chars."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=max_length, pattern=NO_CONTROL
        ),
    ]


def _decimal_schema(places: int, minimum: float | None, maximum: float | None, exclusive: bool):
    integer_digits = 12 - places
    pattern = rf"^\d{{1,{integer_digits}}}(\.\d{{1,{places}}})?$"
    number: dict[str, Any] = {"type": "number"}
    if minimum is not None:
        number["exclusiveMinimum" if exclusive else "minimum"] = minimum
    number["maximum"] = maximum if maximum is not None else 10**integer_digits - 10**-places
    validation = {"anyOf": [number, {"type": "string", "pattern": pattern}]}
    serialization = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1234.50"]}
    return (
        WithJsonSchema(validation, mode="validation"),
        WithJsonSchema(serialization, mode="serialization"),
    )


def Amount(places: int = 2, *, gt: float | None = None, le: float | None = None) -> Any:  # noqa: N802
    """A non-negative decimal with at most ``places`` decimals and 12 digits in all.

    Accepted as a JSON number or a string ("1234.50"); always answered as a string.
    """
    minimum = gt if gt is not None else 0
    return Annotated[
        Decimal,
        Field(
            max_digits=12,
            decimal_places=places,
            ge=None if gt is not None else 0,
            gt=gt,
            le=le,
            allow_inf_nan=False,
        ),
        PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
        *_decimal_schema(places, minimum, le, gt is not None),
    ]


Money = Amount(2)
Quantity = Amount(3)
PositiveQuantity = Amount(3, gt=0)
VatRate = Amount(2, le=100)

Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 code, e.g. PLN, EUR.", examples=["PLN"]),
]

MIN_YEAR, MAX_YEAR = 1900, 2999


def _utc(value: dt.datetime) -> dt.datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError("datetime_range", _("The year must be between 1900 and 2999."))
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise PydanticCustomError("datetime_range", _("The date is out of range.")) from exc


#: ISO 8601 with an offset ("2026-03-01T10:15:00+01:00"); naive times are refused.
Timestamp = Annotated[
    AwareDatetime, AfterValidator(_utc), Field(examples=["2026-03-02T09:30:00+01:00"])
]


def _date_range(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError("date_range", _("The year must be between 1900 and 2999."))
    return value


Date = Annotated[dt.date, AfterValidator(_date_range), Field(examples=["2026-03-16"])]


def _normalised(normaliser, kind: str) -> AfterValidator:
    """A ``backoffice.validators`` normaliser as a pydantic validator (same messages)."""

    def check(value: str | None) -> str | None:
        try:
            return normaliser(value)
        except ValidationFailed as exc:
            raise PydanticCustomError(kind, exc.message) from exc

    return AfterValidator(check)


Nip = Annotated[
    str,
    StringConstraints(max_length=20),
    _normalised(validators.normalise_nip, "nip"),
    Field(description="Polish tax id; dashes, spaces and a PL prefix are removed."),
]
Ean = Annotated[
    str,
    StringConstraints(max_length=20),
    _normalised(validators.normalise_ean, "ean"),
    Field(description="EAN-8, EAN-13 or GTIN-14 with a correct check digit."),
]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    _normalised(lambda v: validators.normalise_email(v, required=False), "email"),
]
Phone = Annotated[
    str,
    StringConstraints(max_length=32),
    _normalised(validators.normalise_phone, "phone"),
    Field(description="Stored as E.164; numbers without a country code are Polish."),
]


class InputModel(BaseModel):
    """Base of request bodies: unknown fields are refused (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(from_attributes=True)


class ErrorResponse(BaseModel):
    """Every error: field paths (``"17.nip"``, ``"lines.0.quantity"``) → messages."""

    errors: dict[str, list[str]] = Field(
        examples=[
            {"0.nip": ["Nieprawidłowy NIP 123: musi mieć 10 cyfr z poprawną cyfrą kontrolną."]}
        ]
    )
    message: str | None = None


class ListQuery(InputModel):
    """Cursor pagination shared by every list: ``updated_since``, ``cursor``, ``limit``."""

    updated_since: Timestamp | None = Field(
        None, description="Only rows changed at or after this moment (ISO 8601 with offset)."
    )
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="The `next_cursor` of the previous page (opaque)."
    )
    limit: int = Field(100, ge=1, le=1000, description="Rows per page (1–1000).")


class BulkItemResult(BaseModel):
    """What a bulk upsert did with one item."""

    external_id: str
    id: int
    status: str = Field(description="created, updated or unchanged", examples=["created"])


class BulkResult(BaseModel):
    """The outcome of a bulk upsert: every item was written, or none was."""

    created: int
    updated: int
    unchanged: int
    items: list[BulkItemResult]


def page_model(item: type[BaseModel]) -> type[BaseModel]:
    """``{"items": [item…], "next_cursor": str | null}`` for a resource's list."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}Page",
        items=(list[item], ...),
        next_cursor=(str | None, Field(None, description="Pass as `cursor` for the next page.")),
    )


def with_example(**fields: Any) -> ConfigDict:
    """Input-model config carrying one example for the OpenAPI document and the docs page."""
    return ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [fields]}
    )


#: A decimal in a response: always a string, whatever its sign or scale.
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1234.50"]}),
]


def unique_line_numbers(cls, lines):
    """Validator for a ``lines`` field: explicit ``line_no`` values must not repeat."""
    numbers = [ln.line_no for ln in lines or [] if ln.line_no is not None]
    if len(numbers) != len(set(numbers)):
        raise PydanticCustomError("line_no", _("Line numbers must be unique."))
    return lines
