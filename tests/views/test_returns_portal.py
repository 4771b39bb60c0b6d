"""Portal: delivery notes in the window, filing with photos, files only for the company,
the label through the signed e-mail link, waybill, cancel, permissions."""

import io

import pytest

from backoffice.actors import actor_for
from backoffice.services.return_labels import ensure_label
from backoffice.services.return_notices import label_token
from backoffice.services.return_workflow import decide_return
from models.returns import AttachmentKind, ReturnRequest, ReturnStatus
from tests.conftest import PASSWORD
from tests.factories import make_customer, make_product, make_user
from tests.factories_returns import (
    exe_bytes,
    make_condition,
    make_reason,
    make_return,
    make_returnable_note,
    pdf_bytes,
    png_bytes,
)


@pytest.fixture
def customer(db):
    return make_customer(name="Hurtownia Źródło")


@pytest.fixture
def filer(portal_client, customer):
    return portal_client(customer=customer, can_file_returns=True)


def form_for(note, quantities, reason, condition, **extra):
    data = {"contact_name": "Jan", "contact_email": "jan@zrodlo.pl", **extra}
    for line in note.lines:
        qty = quantities.get(line.line_no)
        data[f"qty-{line.id}"] = "" if qty is None else qty
        data[f"reason-{line.id}"] = reason.id
        data[f"condition-{line.id}"] = condition.id
    return data


def test_notes_page_shows_only_notes_in_the_window(db, filer, customer):
    recent = make_returnable_note(customer, months_ago=2)
    old = make_returnable_note(customer, months_ago=13)
    foreign = make_returnable_note(months_ago=1)
    db.session.commit()
    page = filer.get("/portal/returns/delivery-notes").get_data(as_text=True)
    assert recent.number in page
    assert old.number not in page and foreign.number not in page


def test_customer_files_a_partial_return_with_a_photo(db, filer, customer):
    note = make_returnable_note(customer)
    reason, condition = make_reason(), make_condition()
    db.session.commit()
    form = filer.get(f"/portal/returns/new/{note.id}").get_data(as_text=True)
    assert note.lines[0].product.name in form
    data = form_for(note, {1: "2,5"}, reason, condition)
    data["files"] = [(io.BytesIO(png_bytes()), "zdjęcie paczki.png")]
    resp = filer.post(
        f"/portal/returns/new/{note.id}", data=data, content_type="multipart/form-data"
    )
    assert resp.status_code == 302
    rr = db.session.query(ReturnRequest).one()
    assert rr.filed_by_id == filer.user.id and rr.channel == "portal"
    assert [(str(ln.quantity), ln.delivery_note_line_id) for ln in rr.lines] == [
        ("2.500", note.lines[0].id)
    ]
    assert [(a.filename, a.kind) for a in rr.attachments] == [
        ("zdjęcie paczki.png", AttachmentKind.PHOTO)
    ]
    detail = filer.get(resp.headers["Location"]).get_data(as_text=True)
    assert rr.number in detail and "zdjęcie paczki.png" in detail


def test_errors_are_shown_next_to_the_line_and_nothing_is_saved(db, filer, customer):
    note = make_returnable_note(customer)
    reason, condition = make_reason(), make_condition()
    db.session.commit()
    data = form_for(note, {1: "11", 2: "1"}, reason, condition)
    resp = filer.post(f"/portal/returns/new/{note.id}", data=data)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'data-line="1" class="table-danger"' in page
    assert 'data-line="2" class=""' in page
    assert "można zwrócić jeszcze tylko 10" in page
    assert db.session.query(ReturnRequest).count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (exe_bytes(), "faktura.pdf", "faktura.pdf"),
        (pdf_bytes() + b"%" + b"x" * (11 * 1024 * 1024), "duzy.pdf", "10 MB"),
    ],
)
def test_wrong_or_too_large_files_are_refused(db, filer, customer, data, name, message):
    note = make_returnable_note(customer)
    reason, condition = make_reason(), make_condition()
    db.session.commit()
    form = form_for(note, {1: "1"}, reason, condition)
    form["files"] = [(io.BytesIO(data), name)]
    resp = filer.post(
        f"/portal/returns/new/{note.id}", data=form, content_type="multipart/form-data"
    )
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert db.session.query(ReturnRequest).count() == 0


def test_another_customers_user_gets_403_for_files_and_returns(db, filer, portal_client, customer):
    rr = make_return(make_returnable_note(customer), portal_user=filer.user)
    from backoffice.services.returns import add_files
    from backoffice.services.uploads import check_upload

    checked = check_upload(("dowód.pdf", io.BytesIO(pdf_bytes())))
    add_files(actor_for(filer.user), rr, [(checked, AttachmentKind.DOCUMENT)])
    db.session.commit()
    url = f"/portal/returns/{rr.id}/files/{rr.attachments[0].id}"
    own = filer.get(url)
    assert own.status_code == 200 and own.data.startswith(b"%PDF-")
    stranger = portal_client(can_file_returns=True)
    assert stranger.get(url).status_code == 403
    assert stranger.get(f"/portal/returns/{rr.id}").status_code == 403
    assert stranger.get(f"/portal/returns/new/{rr.delivery_note_id}").status_code == 404


def test_label_link_from_the_email_goes_through_login(app, db, filer, customer):
    rr = make_return(make_returnable_note(customer), portal_user=filer.user)
    officer = actor_for(make_user(roles=("rma",)))
    decide_return(officer, rr)
    ensure_label(officer, rr, notify=False)
    db.session.commit()
    link = f"/portal/returns/label/{label_token(rr)}"
    anonymous = app.test_client()
    resp = anonymous.get(link)
    assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"]
    after_login = anonymous.post(
        resp.headers["Location"], data={"email": filer.user.email, "password": PASSWORD}
    )
    assert after_login.headers["Location"].endswith(link)
    pdf = anonymous.get(link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    forged = filer.get("/portal/returns/label/abc.def")
    assert forged.status_code == 302 and forged.headers["Location"].endswith("/portal/returns")


def test_label_is_not_available_before_acceptance(db, filer, customer):
    rr = make_return(make_returnable_note(customer), portal_user=filer.user)
    db.session.commit()
    resp = filer.get(f"/portal/returns/{rr.id}/label.pdf")
    assert resp.status_code == 302


def test_waybill_number_and_file_added_later_and_cancel(db, filer, customer):
    rr = make_return(make_returnable_note(customer), portal_user=filer.user)
    db.session.commit()
    filer.post(
        f"/portal/returns/{rr.id}/waybill",
        data={
            "waybill_number": "0000123456789",
            "waybill_file": (io.BytesIO(pdf_bytes()), "l.pdf"),
        },
        content_type="multipart/form-data",
    )
    db.session.refresh(rr)
    assert rr.waybill_number == "0000123456789"
    assert [a.kind for a in rr.attachments] == [AttachmentKind.WAYBILL]
    filer.post(f"/portal/returns/{rr.id}/cancel", data={"note": "Pomyłka"})
    db.session.refresh(rr)
    assert rr.status == ReturnStatus.CANCELLED


def test_without_permission_the_user_sees_but_cannot_file(db, portal_client, customer):
    viewer = portal_client(customer=customer, can_file_returns=False)
    note = make_returnable_note(customer)
    rr = make_return(note)
    db.session.commit()
    listing = viewer.get("/portal/returns").get_data(as_text=True)
    assert rr.number in listing and 'data-testid="new-return"' not in listing
    assert viewer.get("/portal/returns/delivery-notes").status_code == 403
    assert viewer.get(f"/portal/returns/new/{note.id}").status_code == 403
    assert viewer.post(f"/portal/returns/{rr.id}/cancel").status_code == 403


def test_serial_numbers_are_chosen_from_the_delivered_ones(db, filer, customer):
    drill = make_product(serial_tracked=True, name="Wkrętarka")
    note = make_returnable_note(customer, lines=[(drill, "2", ["WK-1", "WK-2"])])
    reason, condition = make_reason(), make_condition()
    db.session.commit()
    page = filer.get(f"/portal/returns/new/{note.id}").get_data(as_text=True)
    assert "WK-1" in page and "WK-2" in page
    line = note.lines[0]
    data = form_for(note, {}, reason, condition)
    data[f"serials-{line.id}"] = ["WK-2"]
    resp = filer.post(f"/portal/returns/new/{note.id}", data=data)
    assert resp.status_code == 302
    rr = db.session.query(ReturnRequest).one()
    assert [ln.serial_number for ln in rr.lines] == ["WK-2"]


def test_staff_cannot_use_the_portal_pages(db, staff_client):
    assert staff_client("rma").get("/portal/returns").status_code == 403


def test_login_required(client):
    resp = client.get("/portal/returns")
    assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"]
