"""Request and response bodies of ``/api/v1/customers``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from backoffice.errors import ValidationFailed
from backoffice.validators import normalise_postal_code
from views.api.schemas_common import (
    Email,
    ExternalId,
    InputModel,
    Nip,
    Optional,
    OutputModel,
    Phone,
    Text,
    with_example,
)

Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]


class CustomerAddressIn(InputModel):
    """A billing or shipping address; Polish postal codes are normalised to 00-950."""

    kind: Literal["billing", "shipping"] = "billing"
    name: Optional(Text(300)) = None
    street: Text(300)
    country: Country = "PL"
    postal_code: Text(16)
    city: Text(120)
    region: Optional(Text(64)) = None
    is_default: bool = False

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str, info: ValidationInfo) -> str:
        try:
            return normalise_postal_code(value, country=info.data.get("country") or "PL")
        except ValidationFailed as exc:
            raise PydanticCustomError("postal_code", exc.message) from exc


class CustomerContactIn(InputModel):
    """A person at the customer and the notices they receive."""

    name: Text(200)
    email: Optional(Email) = None
    phone: Optional(Phone) = None
    position: Optional(Text(120)) = None
    receives_order_notices: bool = False
    receives_return_notices: bool = False
    receives_payment_reminders: bool = False
    receives_offers: bool = False
    may_file_returns: bool = False


class CustomerIn(InputModel):
    """A customer (kontrahent). Only ``name`` is required."""

    model_config = with_example(
        name="Hurtownia Elektryczna Żarówka sp. z o.o.",
        nip="526-000-12-46",
        email="biuro@zarowka.example.com",
        phone="601 234 567",
        group="Hurt",
        account_manager_email="anna.handlowiec@example.com",
        addresses=[
            {
                "kind": "billing",
                "street": "ul. Świętokrzyska 12",
                "postal_code": "00-916",
                "city": "Warszawa",
                "is_default": True,
            }
        ],
        contacts=[
            {
                "name": "Zofia Kowalska",
                "email": "zofia.kowalska@zarowka.example.com",
                "receives_payment_reminders": True,
            }
        ],
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    name: Text(300)
    nip: Optional(Nip) = None
    email: Optional(Email) = None
    phone: Optional(Phone) = None
    group: Optional(Text(120)) = Field(
        None, description="Customer group code or name; an unknown group is created."
    )
    account_manager_email: Optional(Email) = Field(
        None, description="E-mail of the staff user who looks after this customer."
    )
    locale: Literal["pl", "en"] = Field("pl", description="Language of messages sent to it.")
    active: bool = True
    addresses: list[CustomerAddressIn] | None = Field(
        None, max_length=50, description="Replaces the stored addresses (matched by position)."
    )
    contacts: list[CustomerContactIn] | None = Field(
        None,
        max_length=200,
        description="Replaces the stored contacts (matched by e-mail, else by name).",
    )


class CustomerBulkItem(CustomerIn):
    """One customer of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class CustomerAddressOut(OutputModel):
    kind: str
    name: str | None
    street: str
    postal_code: str
    city: str
    country: str
    region: str | None
    is_default: bool


class CustomerContactOut(OutputModel):
    name: str
    email: str | None
    phone: str | None
    position: str | None
    receives_order_notices: bool
    receives_return_notices: bool
    receives_payment_reminders: bool
    receives_offers: bool
    may_file_returns: bool


class CustomerOut(OutputModel):
    """A customer; ``external_id`` is null for customers created only in the console."""

    id: int
    external_id: str | None
    name: str
    nip: str | None
    email: str | None
    phone: str | None
    group: str | None
    account_manager_email: str | None
    locale: str
    active: bool
    addresses: list[CustomerAddressOut]
    contacts: list[CustomerContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime
