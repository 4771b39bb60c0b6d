"""Console: queue, workflow page and steps, scanner field, XLSX register, dictionaries,
permissions, access by role."""

import io

import openpyxl
import pytest

from backoffice.actors import actor_for
from backoffice.services.return_workflow import decide_return
from models.audit import AuditEntry
from models.returns import ReturnReason, ReturnStatus
from tests.factories import make_customer, make_portal_user, make_user
from tests.factories_returns import (
    make_condition,
    make_return,
    make_returnable_note,
    png_bytes,
)


@pytest.fixture
def rma(staff_client):
    return staff_client("rma")


def test_only_rma_officers_and_admins_see_returns(client, staff_client, admin_client):
    assert client.get("/admin/returns/").status_code == 302
    assert staff_client("sales").get("/admin/returns/").status_code == 403
    assert staff_client("rma").get("/admin/returns/").status_code == 200
    assert admin_client.get("/admin/returns/queue/").status_code == 200


def test_queue_lists_only_new_returns_oldest_first(db, rma):
    first, second, decided = make_return(), make_return(), make_return()
    decide_return(actor_for(rma.user), decided)
    db.session.commit()
    page = rma.get("/admin/returns/queue/").get_data(as_text=True)
    assert first.number in page and second.number in page
    assert decided.number not in page
    assert page.index(first.number) < page.index(second.number)
    assert 'data-testid="scan-code"' in page


def test_scanner_field_opens_the_return(db, rma):
    rr = make_return()
    db.session.commit()
    resp = rma.get("/admin/returns/scan/", query_string={"code": f" {rr.number.lower()}\n"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/admin/returns/details/?id={rr.id}")
    missing = rma.get("/admin/returns/scan/", query_string={"code": "RMA/1990/1"})
    assert missing.status_code == 302
    page = rma.get(missing.headers["Location"]).get_data(as_text=True)
    assert "RMA/1990/1" in page
    evil = rma.get("/admin/returns/scan/", query_string={"code": "x", "back": "//evil.example"})
    assert "evil.example" not in evil.headers["Location"]


def test_officer_walks_a_return_through_every_step(db, rma, run_jobs):
    manager = make_user(roles=("sales",), name="Olga Opiekun", email="olga@firma.pl")
    customer = make_customer(account_manager=manager)
    rr = make_return(make_returnable_note(customer), {1: "2", 2: "1"})
    condition = make_condition(name="Zgodny z opisem")
    db.session.commit()
    page = rma.get(f"/admin/returns/details/?id={rr.id}").get_data(as_text=True)
    assert rr.number in page and "Olga Opiekun" in page
    lines = rr.lines
    refused = rma.post(
        "/admin/returns/decide/",
        data={"id": rr.id, "accept": [lines[0].id], "decision": "accept", "note": ""},
        follow_redirects=True,
    )
    assert "Give the reason" in refused.get_data(as_text=True) or "Podaj" in refused.get_data(
        as_text=True
    )
    db.session.refresh(rr)
    assert rr.status == ReturnStatus.SUBMITTED
    rma.post(
        "/admin/returns/decide/",
        data={"id": rr.id, "accept": [lines[0].id], "decision": "accept", "note": "Bez wady"},
    )
    db.session.refresh(rr)
    assert rr.status == ReturnStatus.ACCEPTED
    rma.post("/admin/returns/label/", data={"id": rr.id})
    pdf = rma.get(f"/admin/returns/label.pdf?id={rr.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    rma.post("/admin/returns/receive/", data={"id": rr.id, "note": "Paczka cała"})
    rma.post(
        "/admin/returns/assess/",
        data={"id": rr.id, f"found-{lines[0].id}": condition.id, f"notes-{lines[0].id}": "OK"},
    )
    rma.post(
        "/admin/returns/resolve/",
        data={
            "id": rr.id,
            f"disposition-{lines[0].id}": "credit_note",
            f"reference-{lines[0].id}": "KOR/1/2026",
            "inform_manager_shown": "1",
        },
    )
    rma.post("/admin/returns/close/", data={"id": rr.id})
    db.session.refresh(rr)
    assert rr.status == ReturnStatus.CLOSED
    assert rr.lines[0].resolution_reference == "KOR/1/2026"
    actions = {a.action for a in db.session.query(AuditEntry).filter_by(object_id=str(rr.id))}
    assert {"return.accept", "return.label", "return.label_reprint", "return.close"} <= actions


def test_files_upload_and_download_for_staff(db, rma):
    rr = make_return()
    db.session.commit()
    rma.post(
        "/admin/returns/attach/",
        data={"id": rr.id, "files": [(io.BytesIO(png_bytes()), "uszkodzenie.png")]},
        content_type="multipart/form-data",
    )
    db.session.refresh(rr)
    assert [a.filename for a in rr.attachments] == ["uszkodzenie.png"]
    resp = rma.get(f"/admin/returns/file/{rr.attachments[0].id}?id={rr.id}")
    assert resp.status_code == 200 and resp.data == png_bytes()
    assert resp.mimetype == "image/png"


def test_internal_note_and_waybill(db, rma):
    rr = make_return()
    db.session.commit()
    rma.post("/admin/returns/note/", data={"id": rr.id, "note": "Dzwonił klient"})
    rma.post("/admin/returns/waybill/", data={"id": rr.id, "waybill_number": "DPD123"})
    db.session.refresh(rr)
    assert rr.waybill_number == "DPD123"
    assert any(e.note == "Dzwonił klient" and not e.public for e in rr.events)


def test_xlsx_register_applies_the_filters(db, rma):
    keep = make_return(make_returnable_note(make_customer(name="Łódzka Hurtownia Żółw")))
    decided = make_return(make_returnable_note(make_customer(name="=HYPERLINK(1)")))
    decide_return(actor_for(rma.user), decided, set(), note="Nie")
    db.session.commit()
    listing = rma.get("/admin/returns/").get_data(as_text=True)
    assert keep.number in listing and decided.number in listing
    filters = rma.get("/admin/returns/?flt0_0=submitted").get_data(as_text=True)
    assert keep.number in filters and decided.number not in filters
    resp = rma.get("/admin/returns/export/xlsx/?flt0_0=submitted")
    assert resp.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    returns, lines = book.worksheets
    numbers = [row[0] for row in returns.iter_rows(min_row=2, values_only=True)]
    assert numbers == [keep.number]
    assert returns.cell(row=2, column=3).value == "Łódzka Hurtownia Żółw"
    assert [r[0] for r in lines.iter_rows(min_row=2, values_only=True)] == [keep.number]
    everything = openpyxl.load_workbook(io.BytesIO(rma.get("/admin/returns/export/xlsx/").data))
    names = [r[2] for r in everything.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in names


def test_dictionaries_are_read_by_officers_and_edited_by_admins(db, rma, admin_client):
    assert rma.get("/admin/return_reasons/").status_code == 200
    assert rma.get("/admin/return_reasons/new/").status_code in (302, 403)
    resp = admin_client.post(
        "/admin/return_reasons/new/",
        data={"code": "zly_rozmiar", "name": "Zły rozmiar", "position": "5", "active": "y"},
    )
    assert resp.status_code == 302
    reason = db.session.query(ReturnReason).filter_by(code="zly_rozmiar").one()
    assert reason.name == "Zły rozmiar"


def test_return_permission_is_granted_in_bulk_and_audited(db, rma):
    users = [make_portal_user(), make_portal_user()]
    db.session.commit()
    resp = rma.post(
        "/admin/returns/permissions/action/",
        data={"action": "grant", "rowid": [u.id for u in users]},
    )
    assert resp.status_code == 302
    for user in users:
        db.session.refresh(user)
        assert user.can_file_returns
    assert db.session.query(AuditEntry).filter_by(action="portal.can_file_returns").count() == 2


def test_dashboard_counts_returns_to_decide(db, rma):
    make_return()
    db.session.commit()
    page = rma.get("/admin/").get_data(as_text=True)
    assert "/admin/returns/queue/" in page
