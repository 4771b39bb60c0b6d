"""IBAN, REGON and postal-code checks added for the company profile and addresses."""

import pytest

from backoffice.errors import ValidationFailed
from backoffice.validators import (
    iban_is_valid,
    normalise_iban,
    normalise_postal_code,
    normalise_regon,
    regon_is_valid,
)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("PL61 1090 1014 0000 0712 1981 2874", "PL61109010140000071219812874"),
        ("61109010140000071219812874", "PL61109010140000071219812874"),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("", None),
    ],
)
def test_iban_is_normalised(app, value, expected):
    assert normalise_iban(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "PL62109010140000071219812874",
        "PL6110901014000007121981287",
        "61109010140000071219812875",
        "XX00",
    ],
)
def test_bad_iban_is_refused(app, value):
    with pytest.raises(ValidationFailed) as failed:
        normalise_iban(value)
    assert failed.value.field == "bank_account"
    assert not iban_is_valid(value.replace(" ", ""))


def test_regon(app):
    assert regon_is_valid("123456785") and regon_is_valid("12345678512347")
    assert normalise_regon("123-456-785") == "123456785"
    with pytest.raises(ValidationFailed):
        normalise_regon("123456786")


@pytest.mark.parametrize(
    "value,country,expected",
    [("00950", "PL", "00-950"), (" 90-001 ", "PL", "90-001"), ("10115", "DE", "10115")],
)
def test_postal_codes(app, value, country, expected):
    assert normalise_postal_code(value, country=country) == expected


def test_bad_polish_postal_code(app):
    with pytest.raises(ValidationFailed, match="00-950"):
        normalise_postal_code("9000", country="PL")
