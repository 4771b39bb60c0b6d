"""Importing an external address list (CSV or XLSX) into a newsletter list.

Three steps: the upload is kept under ``STORAGE_DIR/newsletters/uploads`` and its columns
are matched to ours (guessed from the headers, changeable); the plan checks every row and
reports invalid addresses with their line numbers, duplicates inside the file, addresses
already on the list and those that left it earlier (never added again); only then the
import adds the new members in bulk. A marketing consent is recorded for an address only
when the file (a consent column) or the person importing (a confirmation for the whole file)
says it was given — and never over a withdrawal already recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import consents
from backoffice.services.audit import record
from backoffice.services.imports_reading import Sheet, header_key, read_table
from backoffice.services.newsletter_audiences import normalise
from backoffice.services.newsletter_lists import insert_ignoring
from models.base import utcnow
from models.consents import ConsentSource
from models.messaging import Channel, Purpose
from models.newsletters import ListMember, MemberStatus, NewsletterList

FIELDS = {
    "email": _l("E-mail address"),
    "name": _l("Name"),
    "company": _l("Company"),
    "consent": _l("Marketing consent"),
}
#: Header words (compared without case and diacritics) that name each field.
GUESSES = {
    "email": ("email", "e mail", "adres e mail", "adres email", "mail", "email address"),
    "name": ("name", "imie i nazwisko", "imie", "osoba", "osoba kontaktowa", "full name"),
    "company": ("company", "firma", "nazwa firmy", "nazwa", "organizacja", "company name"),
    "consent": ("consent", "zgoda", "zgoda marketingowa", "newsletter", "marketing"),
}
YES = {"tak", "t", "yes", "y", "1", "true", "x", "prawda", "zgoda", "✓", "✔"}
NO = {"nie", "n", "no", "0", "false", "falsz", "fałsz", "brak"}
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_MAX_AGE = dt.timedelta(days=1)


def _upload_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "newsletters" / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(data: bytes) -> str:
    """Keep an uploaded file until it is imported (or a day passes); returns its token."""
    token = secrets.token_hex(16)
    (_upload_dir() / f"{token}.upload").write_bytes(data)
    return token


def load_upload(token: str) -> bytes:
    """The bytes of a kept upload; ValidationFailed when it is gone or the token is bad."""
    path = _upload_dir() / f"{token}.upload"
    if not _TOKEN.match(token or "") or not path.is_file():
        raise ValidationFailed(_("The uploaded file has expired; upload it again."), field="file")
    return path.read_bytes()


def drop_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        (_upload_dir() / f"{token}.upload").unlink(missing_ok=True)


def drop_old_uploads(now: dt.datetime | None = None) -> int:
    """Delete uploads older than a day (the periodic sweep)."""
    cutoff = (now or utcnow()).timestamp() - UPLOAD_MAX_AGE.total_seconds()
    count = 0
    for path in _upload_dir().glob("*.upload"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            count += 1
    return count


def read(filename: str, data: bytes) -> Sheet:
    """Parse the CSV/XLSX (ValidationFailed for an unreadable file)."""
    sheet = read_table(filename, data)
    if not sheet.rows:
        raise ValidationFailed(_("The file has no rows below the header."), field="file")
    return sheet


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Our field → the index of the file's column that looks like it (None: not found)."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int | None] = {}
    for name, words in GUESSES.items():
        wanted = {header_key(w) for w in words}
        mapping[name] = next((i for i, k in enumerate(keys) if k in wanted), None)
    if mapping["email"] is None:
        mapping["email"] = next((i for i, k in enumerate(keys) if "mail" in k), None)
    return mapping


@dataclass
class Row:
    line: int
    email: str
    name: str | None
    company: str | None
    consent: bool | None


@dataclass
class ImportPlan:
    """What an import would do, row by row."""

    total: int = 0
    new: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    left_earlier: list[str] = field(default_factory=list)


def _cell(cells: list, index: int | None) -> str:
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    return str(cells[index]).strip()


def _consent(value: str) -> bool | None | str:
    word = value.strip().lower()
    if not word:
        return None
    if word in YES:
        return True
    if word in NO:
        return False
    return "?"


def check_mapping(mapping: dict[str, int | None], headers: list[str]) -> None:
    if mapping.get("email") is None:
        raise ValidationFailed(_("Choose the column with the e-mail addresses."), field="email")
    used = [i for i in mapping.values() if i is not None]
    if any(i < 0 or i >= len(headers) for i in used) or len(used) != len(set(used)):
        raise ValidationFailed(_("Each column can be used for one field only."), field="mapping")


def plan_import(newsletter_list: NewsletterList, sheet: Sheet, mapping: dict) -> ImportPlan:
    """Check every row of the file against the list; nothing is written."""
    check_mapping(mapping, sheet.headers)
    plan, seen = ImportPlan(total=len(sheet.rows)), {}
    for line, cells in sheet.rows:
        raw = _cell(cells, mapping["email"])
        email = normalise(raw)
        consent = _consent(_cell(cells, mapping.get("consent")))
        if email is None:
            plan.errors.append((line, _("invalid e-mail address: %(value)s", value=raw or "—")))
        elif consent == "?":
            plan.errors.append((line, _("unknown consent value (use tak / nie)")))
        elif email in seen:
            plan.duplicates.append((line, email))
        else:
            seen[email] = line
            name = _cell(cells, mapping.get("name"))[:200] or None
            company = _cell(cells, mapping.get("company"))[:300] or None
            plan.new.append(Row(line, email, name, company, consent))
    _against_the_list(newsletter_list, plan)
    return plan


def _against_the_list(newsletter_list: NewsletterList, plan: ImportPlan) -> None:
    emails = [r.email for r in plan.new]
    known: dict[str, MemberStatus] = {}
    for start in range(0, len(emails), 500):
        known.update(
            db.session.execute(
                select(ListMember.email, ListMember.status).where(
                    ListMember.list_id == newsletter_list.id,
                    ListMember.email.in_(emails[start : start + 500]),
                )
            ).all()
        )
    fresh = []
    for row in plan.new:
        status = known.get(row.email)
        if status == MemberStatus.SUBSCRIBED:
            plan.already.append(row.email)
        elif status == MemberStatus.UNSUBSCRIBED:
            plan.left_earlier.append(row.email)
        else:
            fresh.append(row)
    plan.new = fresh


@dataclass
class ImportResult:
    added: int
    consents_recorded: int
    consents_refused_earlier: int
    without_consent: int


def apply_import(
    actor: Actor,
    newsletter_list: NewsletterList,
    plan: ImportPlan,
    *,
    all_consented: bool,
    filename: str,
) -> ImportResult:
    """Add the plan's new members and record the consents the file or the user vouch for."""
    if plan.errors:
        raise ValidationFailed(_("Correct the rows with errors in the file first."), field="file")
    now = utcnow()
    insert_ignoring(
        ListMember,
        [
            {
                "list_id": newsletter_list.id,
                "email": r.email,
                "name": r.name,
                "company": r.company,
                "status": MemberStatus.SUBSCRIBED,
                "source": "import",
                "created_at": now,
            }
            for r in plan.new
        ],
        ["list_id", "email"],
    )
    result = _consents(actor, newsletter_list, plan, all_consented, filename)
    record(
        actor,
        "newsletter_list.import",
        newsletter_list,
        summary=_(
            "%(file)s: %(added)s added, %(consents)s consents recorded",
            file=filename,
            added=result.added,
            consents=result.consents_recorded,
        ),
    )
    return result


def _consents(actor, newsletter_list, plan: ImportPlan, all_consented: bool, filename: str):
    known = consents.decisions([r.email for r in plan.new], Channel.EMAIL)
    vouched = [
        r.email
        for r in plan.new
        if known.get((r.email, Purpose.MARKETING)) is None
        and (r.consent is True or (all_consented and r.consent is None))
    ]
    note = _("import of %(file)s into the list %(name)s", file=filename, name=newsletter_list.name)
    recorded = set(
        consents.record_new_decisions(
            actor,
            vouched,
            Channel.EMAIL,
            Purpose.MARKETING,
            True,
            source=ConsentSource.IMPORT,
            note=note,
        )
    )
    refused = sum(1 for r in plan.new if known.get((r.email, Purpose.MARKETING)) is False)
    without = sum(
        1
        for r in plan.new
        if r.email not in recorded and known.get((r.email, Purpose.MARKETING)) is not True
    )
    return ImportResult(len(plan.new), len(recorded), refused, without)
