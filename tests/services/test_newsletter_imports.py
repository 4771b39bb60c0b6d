"""Importing external lists: columns guessed from Polish or English headers, every row
checked with its line number, duplicates and earlier unsubscribes reported, consents only
where the file or the user vouches for them — never over a withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.errors import ValidationFailed
from backoffice.services import consents
from backoffice.services import newsletter_imports as imports
from backoffice.services.newsletter_lists import leave_list
from models.consents import ConsentSource
from models.messaging import Channel, Purpose
from models.newsletters import ListMember
from tests.factories_masterdata import csv_bytes, xlsx_bytes
from tests.factories_newsletters import add_members, grant, make_list

HEADERS = ["Adres e-mail", "Imię i nazwisko", "Firma", "Zgoda marketingowa"]


def _plan(newsletter_list, data: bytes, name="lista.csv"):
    sheet = imports.read(name, data)
    return imports.plan_import(newsletter_list, sheet, imports.guess_mapping(sheet.headers))


def test_columns_are_guessed_and_every_row_checked(db):
    newsletter_list = make_list()
    [old] = add_members(newsletter_list, 1)
    [gone] = add_members(newsletter_list, 1)
    leave_list(SYSTEM, newsletter_list.id, gone, source="unsubscribe")
    rows = [
        ["Anna.Zielinska@Firma.pl", "Anna Zielińska", "Żuraw sp. z o.o.", "tak"],
        ["zły adres", "X", "", ""],
        ["anna.zielinska@firma.pl", "Anna Z.", "", "tak"],
        [old, "Stary", "", ""],
        [gone, "Odszedł", "", "tak"],
        ["bez.zgody@firma.pl", "", "", "nie"],
        ["kto@firma.pl", "", "", "może"],
    ]
    assert imports.guess_mapping(HEADERS) == {"email": 0, "name": 1, "company": 2, "consent": 3}
    plan = _plan(newsletter_list, csv_bytes(HEADERS, rows))
    assert plan.total == 7
    assert plan.errors[0][0] == 3 and "zły adres" in plan.errors[0][1]
    assert plan.errors[1][0] == 8 and len(plan.errors) == 2
    assert plan.duplicates == [(4, "anna.zielinska@firma.pl")]
    assert plan.already == [old] and plan.left_earlier == [gone]
    assert [r.email for r in plan.new] == ["anna.zielinska@firma.pl", "bez.zgody@firma.pl"]
    with pytest.raises(ValidationFailed):
        imports.apply_import(SYSTEM, newsletter_list, plan, all_consented=True, filename="x.csv")


def test_import_adds_members_and_records_vouched_consents_only(db):
    newsletter_list = make_list()
    grant("wycofal@firma.pl", granted=False)
    rows = [
        ["nowa@firma.pl", "Nowa Osoba", "Gęś S.A."],
        ["wycofal@firma.pl", "Wycofał", ""],
        ["druga@firma.pl", "", ""],
    ]
    data = xlsx_bytes(["E-mail", "Name", "Company"], rows)
    plan = _plan(newsletter_list, data, "lista.xlsx")
    result = imports.apply_import(
        SYSTEM, newsletter_list, plan, all_consented=True, filename="lista.xlsx"
    )
    assert (result.added, result.consents_recorded, result.consents_refused_earlier) == (3, 2, 1)
    assert result.without_consent == 1
    members = {m.email: m for m in db.session.scalars(select(ListMember))}
    assert (
        members["nowa@firma.pl"].company == "Gęś S.A."
        and members["nowa@firma.pl"].source == "import"
    )
    assert consents.allows("nowa@firma.pl", Channel.EMAIL, Purpose.MARKETING)
    assert not consents.allows("wycofal@firma.pl", Channel.EMAIL, Purpose.MARKETING)
    [change] = consents.history("nowa@firma.pl")
    assert change.source == ConsentSource.IMPORT and "lista.xlsx" in change.note
    again = _plan(newsletter_list, data, "lista.xlsx")
    assert again.new == [] and len(again.already) == 3


def test_without_a_confirmation_nobody_gets_a_consent(db):
    newsletter_list = make_list()
    plan = _plan(newsletter_list, csv_bytes(["email"], [["a@firma.pl"], ["b@firma.pl"]]))
    result = imports.apply_import(
        SYSTEM, newsletter_list, plan, all_consented=False, filename="f.csv"
    )
    assert (result.added, result.consents_recorded, result.without_consent) == (2, 0, 2)


def test_mapping_and_files_are_checked(db):
    newsletter_list = make_list()
    sheet = imports.read("f.csv", csv_bytes(["kolumna"], [["x"]]))
    with pytest.raises(ValidationFailed):
        imports.plan_import(newsletter_list, sheet, imports.guess_mapping(sheet.headers))
    with pytest.raises(ValidationFailed):
        imports.plan_import(
            newsletter_list, sheet, {"email": 0, "name": 0, "company": None, "consent": None}
        )
    with pytest.raises(ValidationFailed):
        imports.read("f.csv", csv_bytes(["email"], []))
    token = imports.store_upload(b"email\na@b.pl\n")
    assert imports.load_upload(token) == b"email\na@b.pl\n"
    imports.drop_upload(token)
    for bad in (token, "../../etc/passwd", ""):
        with pytest.raises(ValidationFailed):
            imports.load_upload(bad)


def test_bulk_consents_keep_earlier_decisions_and_write_history(db):
    from models.audit import AuditEntry

    grant("stary@firma.pl", granted=False)
    done = consents.record_new_decisions(
        SYSTEM,
        ["Nowy@Firma.pl", "stary@firma.pl", "zły adres", "nowy@firma.pl", "drugi@firma.pl"],
        Channel.EMAIL,
        Purpose.MARKETING,
        True,
        source=ConsentSource.IMPORT,
        note="lista.csv",
    )
    assert sorted(done) == ["drugi@firma.pl", "nowy@firma.pl"]
    assert consents.allows("nowy@firma.pl", Channel.EMAIL, Purpose.MARKETING)
    assert not consents.allows("stary@firma.pl", Channel.EMAIL, Purpose.MARKETING)
    [change] = consents.history("drugi@firma.pl")
    assert change.note == "lista.csv" and change.actor_kind == "system"
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "consent.grant", AuditEntry.object_type == "Consent"
        )
    ).all()
    assert len([e for e in entries if e.summary.startswith("2 ×")]) == 1
    again = consents.record_new_decisions(
        SYSTEM, ["nowy@firma.pl"], Channel.EMAIL, Purpose.MARKETING, True, source="import"
    )
    assert again == []
