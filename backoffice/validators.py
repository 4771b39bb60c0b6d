"""Checks and normalisation of Polish tax ids, EAN codes, e-mails and phone numbers.

Each ``normalise_*`` returns the canonical form or raises ValidationFailed with a message
the user can act on; the WTForms validators below wrap them for console forms.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from wtforms.validators import ValidationError

from backoffice.errors import ValidationFailed

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip_is_valid(nip: str) -> bool:
    """True for a 10-digit NIP whose checksum digit matches."""
    if not re.fullmatch(r"\d{10}", nip or ""):
        return False
    checksum = sum(int(d) * w for d, w in zip(nip, NIP_WEIGHTS, strict=False)) % 11
    return checksum != 10 and checksum == int(nip[9])


def normalise_nip(value: str | None, field: str = "nip") -> str | None:
    """ "PL 123-456-32-18" → "1234563218"; None/blank stays None."""
    if value is None or not str(value).strip():
        return None
    digits = re.sub(r"[\s-]", "", str(value).strip().upper())
    digits = digits.removeprefix("PL")
    if not nip_is_valid(digits):
        raise ValidationFailed(
            _(
                "Invalid NIP %(value)s: it must have 10 digits with a correct check digit.",
                value=value,
            ),
            field=field,
        )
    return digits


def ean_is_valid(code: str) -> bool:
    """True for an EAN-8, UPC-A, EAN-13 or GTIN-14 with a correct check digit."""
    if not re.fullmatch(r"\d{8}|\d{12,14}", code or ""):
        return False
    body, check = code[:-1], int(code[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def normalise_ean(value: str | None, field: str = "ean") -> str | None:
    """Strip spaces; raise for a wrong length or check digit."""
    if value is None or not str(value).strip():
        return None
    code = re.sub(r"\s", "", str(value))
    if not ean_is_valid(code):
        raise ValidationFailed(
            _("Invalid EAN %(value)s: wrong length or check digit.", value=value), field=field
        )
    return code


def normalise_email(value: str | None, field: str = "email", required: bool = True) -> str | None:
    """Lower-case, syntax-checked address (no DNS lookup)."""
    if value is None or not str(value).strip():
        if required:
            raise ValidationFailed(_("An e-mail address is required."), field=field)
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(str(value).strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(
            _("Invalid e-mail address %(value)s.", value=value), field=field
        ) from exc


def normalise_phone(value: str | None, field: str = "phone", region: str = "PL") -> str | None:
    """E.164 form (+48…); numbers without a country code are taken as Polish."""
    if value is None or not str(value).strip():
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(
            _("Invalid phone number %(value)s.", value=value), field=field
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(_("Invalid phone number %(value)s.", value=value), field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def wtf(normaliser):
    """A WTForms validator that runs a normaliser and stores its result in the field."""

    def validator(form, field):
        try:
            field.data = normaliser(field.data, field=field.name)
        except ValidationFailed as exc:
            raise ValidationError(exc.message) from exc

    return validator


#: IBAN lengths of the countries a Polish distributor meets most (others: 15–34 chars).
IBAN_LENGTHS = {"PL": 28, "DE": 22, "CZ": 24, "SK": 24, "LT": 20, "GB": 22, "FR": 27, "NL": 18}


def iban_is_valid(iban: str) -> bool:
    """True for an IBAN (no spaces) with a known length and a correct mod-97 checksum."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban or ""):
        return False
    if len(iban) != IBAN_LENGTHS.get(iban[:2], len(iban)):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def normalise_iban(value: str | None, field: str = "bank_account") -> str | None:
    """ "PL61 1090 1014 …" or a 26-digit Polish NRB → "PL61109010140000071219812874"."""
    if value is None or not str(value).strip():
        return None
    iban = re.sub(r"[\s-]", "", str(value)).upper()
    if re.fullmatch(r"\d{26}", iban):
        iban = "PL" + iban
    if not iban_is_valid(iban):
        raise ValidationFailed(
            _("Invalid bank account number %(value)s: wrong length or checksum.", value=value),
            field=field,
        )
    return iban


REGON_WEIGHTS = {9: (8, 9, 2, 3, 4, 5, 6, 7), 14: (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)}


def regon_is_valid(regon: str) -> bool:
    """True for a 9- or 14-digit REGON whose check digit matches."""
    weights = REGON_WEIGHTS.get(len(regon or ""))
    if weights is None or not regon.isdigit():
        return False
    check = sum(int(d) * w for d, w in zip(regon, weights, strict=False)) % 11 % 10
    return check == int(regon[-1])


def normalise_regon(value: str | None, field: str = "regon") -> str | None:
    """Digits only; raise for a wrong length or check digit."""
    if value is None or not str(value).strip():
        return None
    regon = re.sub(r"[\s-]", "", str(value))
    if not regon_is_valid(regon):
        raise ValidationFailed(
            _(
                "Invalid REGON %(value)s: it must have 9 or 14 digits with a correct check digit.",
                value=value,
            ),
            field=field,
        )
    return regon


def normalise_postal_code(
    value: str | None, field: str = "postal_code", country: str = "PL"
) -> str | None:
    """Polish codes as NN-NNN ("00950" → "00-950"); other countries only trimmed."""
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().upper()
    if (country or "PL").upper() != "PL":
        return code[:16]
    digits = re.sub(r"[\s-]", "", code)
    if not re.fullmatch(r"\d{5}", digits):
        raise ValidationFailed(
            _("Invalid postal code %(value)s: use the form 00-950.", value=value), field=field
        )
    return f"{digits[:2]}-{digits[2:]}"
