"""Our own company's profile (name, address, tax ids, bank account, logo) printed on documents.

There is exactly one row, id 1. ``get_profile()`` creates it with placeholder values on first
use, so documents can always be rendered; an administrator edits it in the console.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import diff, record
from backoffice.validators import (
    normalise_email,
    normalise_iban,
    normalise_nip,
    normalise_phone,
    normalise_postal_code,
    normalise_regon,
)
from models.company import CompanyProfile

PROFILE_ID = 1
#: Fields an administrator may change, with their normalisers (None: trimmed text).
EDITABLE = {
    "name": None,
    "street": None,
    "postal_code": normalise_postal_code,
    "city": None,
    "country": None,
    "nip": normalise_nip,
    "regon": normalise_regon,
    "krs": None,
    "email": lambda v, field: normalise_email(v, field=field, required=False),
    "phone": normalise_phone,
    "website": None,
    "bank_name": None,
    "bank_account": normalise_iban,
}
LOGO_MAX_BYTES = 2 * 1024 * 1024


def get_profile() -> CompanyProfile:
    """The company profile row, created with defaults when missing (flushed, not committed).

    Safe when two requests create it at once: the loser of the race reads the winner's row.
    """
    profile = db.session.get(CompanyProfile, PROFILE_ID)
    if profile is not None:
        return profile
    try:
        with db.session.begin_nested():
            profile = CompanyProfile(id=PROFILE_ID, name=_("My company"), country="PL")
            db.session.add(profile)
    except IntegrityError:
        profile = db.session.get(CompanyProfile, PROFILE_ID, populate_existing=True)
    return profile


def update_profile(actor: Actor, **values) -> CompanyProfile:
    """Validate and save profile fields; raises ValidationFailed listing every bad field."""
    profile = get_profile()
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in EDITABLE:
            raise ValueError(f"not an editable company field: {name}")
        try:
            setattr(profile, name, _clean(name, value))
        except ValidationFailed as exc:
            errors[name] = [exc.message]
    if not (profile.name or "").strip():
        errors["name"] = [_("The company name is required.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    changes = diff(profile)
    if changes:
        record(actor, "company.update", profile, changes=changes)
    return profile


def _clean(name: str, value):
    normaliser = EDITABLE[name]
    if normaliser is not None:
        return normaliser(value, field=name)
    text = (str(value).strip() if value is not None else "") or None
    if name == "country":
        return (text or "PL").upper()[:2]
    return text


def set_logo(actor: Actor, upload) -> CompanyProfile:
    """Store a PNG/JPEG logo (checked by content, ≤ 2 MB) and point the profile at it."""
    from backoffice.services.uploads import check_upload, store_upload

    checked = check_upload(upload, kinds=("png", "jpeg"), max_bytes=LOGO_MAX_BYTES, field="logo")
    stored = store_upload(checked, folder="logos/company")
    profile = get_profile()
    old = profile.logo_path
    profile.logo_path = stored.path
    record(actor, "company.logo", profile, changes={"logo_path": [old, stored.path]})
    return profile


def remove_logo(actor: Actor) -> CompanyProfile:
    """Stop printing a logo (the old file stays: documents already sent may refer to it)."""
    profile = get_profile()
    if profile.logo_path:
        record(actor, "company.logo", profile, changes={"logo_path": [profile.logo_path, None]})
        profile.logo_path = None
    return profile


def format_iban(iban: str | None) -> str:
    """ "PL61109010140000071219812874" → "PL61 1090 1014 0000 0712 1981 2874" for people."""
    if not iban:
        return ""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
