"""Offers in the console (scope, editor JSON, search, sending, conversion) and in the portal
(permission, company isolation, acceptance, rejection, downloads)."""

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models.messaging import Message
from models.offer_documents import OfferDocument
from models.offers import Offer, OfferStatus
from models.orders import Order
from tests.factories import make_contact, make_customer, make_product, make_user
from tests.factories_offers import draft_payload, make_offer, run_offer_jobs, send


@pytest.fixture
def rep(staff_client):
    return staff_client("sales")


def test_rep_sees_only_own_offers_everywhere(db, rep, admin_client):
    mine = make_offer(rep=rep.user)
    other = send(make_offer(rep=make_user(roles=("sales",))))
    db.session.commit()
    run_offer_jobs()
    listing = rep.get("/admin/offers/").get_data(as_text=True)
    assert mine.number in listing and other.number not in listing
    # dates in the user's language and Warsaw time, not raw ISO timestamps
    assert not re.search(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", listing)
    assert mine.valid_until.isoformat() not in listing
    doc = db.session.scalars(select(OfferDocument).limit(1)).one()
    for url in (
        f"/admin/offers/details/?id={other.id}",
        f"/admin/offers/editor/{other.id}/",
        f"/admin/offers/{other.id}/send",
        f"/admin/offers/document/{doc.id}",
    ):
        assert rep.get(url).status_code == 404, url
    assert rep.post(f"/admin/offers/{other.id}/cancel").status_code == 404
    assert admin_client.get(f"/admin/offers/details/?id={other.id}").status_code == 200
    assert admin_client.get(f"/admin/offers/document/{doc.id}").status_code == 200


def test_search_by_customer_product_and_status(db, admin_client):
    customer = make_customer(name="Żabka Hurt Kraków")
    product = make_product(sku="XJ-9000", name="Szlifierka kątowa")
    hit = make_offer(customers=[customer], lines=[(product, 1, None)])
    miss = make_offer()
    db.session.commit()
    for query in ("search=Żabka", "search=XJ-9000", f"search={hit.number}"):
        page = admin_client.get(f"/admin/offers/?{query}").get_data(as_text=True)
        assert hit.number in page and miss.number not in page, query
    page = admin_client.get("/admin/offers/?flt0_0=sent").get_data(as_text=True)
    assert hit.number not in page


def test_new_offer_editor_save_and_errors(db, rep):
    customer = make_customer()
    product = make_product(price_net=D("10.00"), packaging=[("karton", "12")])
    resp = rep.post("/admin/offers/new/", data={"title": "Wiosna"})
    offer = db.session.scalars(select(Offer).order_by(Offer.id.desc())).first()
    assert resp.status_code == 302 and f"/editor/{offer.id}/" in resp.headers["Location"]
    assert rep.get(f"/admin/offers/editor/{offer.id}/").status_code == 200
    payload = draft_payload(
        offer, [(product, 10, None, {"packaging_unit_id": product.packaging[0].id})]
    )
    payload["recipients"] = [{"customer_id": customer.id}]
    preview = rep.post(f"/admin/offers/editor/{offer.id}/preview", json=payload).json
    assert preview["net"] == "120.00" and preview["lines"][0]["rounded_from"] == "10"
    saved = rep.post(f"/admin/offers/editor/{offer.id}/save", json=payload)
    assert saved.status_code == 200 and saved.json["gross"] == "147.60"
    assert "zaokrąglono" in saved.json["notices"][0]
    stale = rep.post(f"/admin/offers/editor/{offer.id}/save", json=payload)
    assert stale.status_code == 409
    payload["revision"] = saved.json["revision"]
    payload["lines"][0]["quantity"] = "-3"
    bad = rep.post(f"/admin/offers/editor/{offer.id}/save", json=payload)
    assert bad.status_code == 422 and "lines.0.quantity" in bad.json["errors"]
    db.session.expire_all()
    assert offer.current_version.lines[0].quantity == D("12")  # nothing half-written


def test_product_and_customer_search_endpoints(db, rep):
    make_product(sku="ABC-1", name="Młotek", ean="5901234123457")
    make_customer(name="Łódzka Hurtownia", nip="5260250274")
    db.session.commit()
    assert [p["sku"] for p in rep.get("/admin/offers/products.json?q=młot").json] == ["ABC-1"]
    assert [p["sku"] for p in rep.get("/admin/offers/products.json?q=590123412").json] == ["ABC-1"]
    assert rep.get("/admin/offers/customers.json?q=5260250").json[0]["name"] == "Łódzka Hurtownia"


def test_send_from_console_records_messages_and_history(db, rep):
    customer = make_customer()
    contact = make_contact(customer, receives_offers=True)
    offer = make_offer(rep=rep.user, customers=[customer])
    db.session.commit()
    assert rep.get(f"/admin/offers/{offer.id}/send").status_code == 200
    recipient = offer.recipients[0]
    resp = rep.post(
        f"/admin/offers/{offer.id}/send",
        data={
            "email": "1",
            "publish": "1",
            "attach_pdf": "1",
            f"to_{recipient.id}": [contact.email],
            "subject": "Oferta na wiertarki",
            "message": "Dzień dobry,\n\nprzesyłam ofertę.\n\nPozdrawiam",
            "default_subject": "x",
            "default_message": "y",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert offer.status == OfferStatus.SENT and offer.published_at is not None
    run_offer_jobs()
    message = db.session.scalars(select(Message).where(Message.event == "offer.sent")).one()
    assert (message.recipient, message.subject) == (contact.email, "Oferta na wiertarki")
    assert "przesyłam ofertę" in message.body_text
    page = rep.get(f"/admin/offers/details/?id={offer.id}").get_data(as_text=True)
    assert "offer.send" in page and contact.email in page and 'data-testid="download-pdf"' in page


def test_console_records_answer_and_converts(db, rep):
    offer = send(make_offer(rep=rep.user))
    db.session.commit()
    recipient = offer.recipients[0]
    rep.post(
        f"/admin/offers/{offer.id}/recipients/{recipient.id}/answer",
        data={"answer": "accept", "scope": "all", "version": "1"},
    )
    db.session.expire_all()
    assert recipient.status == OfferStatus.ACCEPTED
    rep.post(f"/admin/offers/{offer.id}/recipients/{recipient.id}/convert")
    db.session.expire_all()
    order = db.session.scalars(select(Order).where(Order.source == "offer")).one()
    assert recipient.order_id == order.id and order.source_ref == offer.number


def test_list_export_is_xlsx(db, admin_client):
    make_offer(title='=HYPERLINK("x")')
    db.session.commit()
    resp = admin_client.get("/admin/offers/export/xlsx/")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"


# --- portal ------------------------------------------------------------------------------


def test_portal_needs_the_permission_and_hides_other_companies(db, portal_client):
    mine = portal_client(can_accept_offers=True)
    no_flag = portal_client(can_accept_offers=False)
    offer = send(make_offer(customers=[mine.user.customer]))
    foreign = send(make_offer())
    db.session.commit()
    assert offer.number in mine.get("/portal/offers").get_data(as_text=True)
    assert mine.get(f"/portal/offers/{foreign.id}").status_code == 404
    assert no_flag.get("/portal/offers").status_code == 403
    unpublished = send(make_offer(customers=[mine.user.customer]), publish=False, email=True)
    db.session.commit()
    assert mine.get(f"/portal/offers/{unpublished.id}").status_code == 404


def test_portal_partial_acceptance_and_limits(db, portal_client):
    client = portal_client(can_accept_offers=True)
    p1, p2 = make_product(), make_product()
    offer = send(make_offer(customers=[client.user.customer], lines=[(p1, 5, "10"), (p2, 2, "20")]))
    db.session.commit()
    run_offer_jobs()
    l1, l2 = offer.current_version.lines
    page = client.get(f"/portal/offers/{offer.id}").get_data(as_text=True)
    assert 'data-testid="accept-form"' in page and 'data-testid="portal-download-pdf"' in page
    doc = next(d for d in offer.current_version.documents if d.kind.value == "pdf")
    assert client.get(f"/portal/offers/{offer.id}/documents/{doc.id}").data[:4] == b"%PDF"
    too_many = client.post(
        f"/portal/offers/{offer.id}/accept",
        data={"scope": "part", "version": "1", f"line_{l1.id}": "1", f"qty_{l1.id}": "6"},
        follow_redirects=True,
    )
    assert "najwyżej" in too_many.get_data(as_text=True)
    db.session.expire_all()
    assert offer.recipients[0].status == OfferStatus.SENT
    client.post(
        f"/portal/offers/{offer.id}/accept",
        data={"scope": "part", "version": "1", f"line_{l1.id}": "1", f"qty_{l1.id}": "3"},
    )
    db.session.expire_all()
    recipient = offer.recipients[0]
    assert recipient.status == OfferStatus.PARTIALLY_ACCEPTED and recipient.accepted_net == D(
        "30.00"
    )
    notice = db.session.scalars(select(Message).where(Message.event == "offer.accepted")).one()
    assert notice.recipient == offer.rep.email and offer.number in notice.subject


def test_portal_rejection_needs_a_reason(db, portal_client):
    client = portal_client(can_accept_offers=True)
    offer = send(make_offer(customers=[client.user.customer]))
    db.session.commit()
    client.post(f"/portal/offers/{offer.id}/reject", data={"reason": "", "version": "1"})
    db.session.expire_all()
    assert offer.status == OfferStatus.SENT
    client.post(
        f"/portal/offers/{offer.id}/reject", data={"reason": "Za wysoka cena", "version": "1"}
    )
    db.session.expire_all()
    assert offer.status == OfferStatus.REJECTED
    assert offer.recipients[0].response_note == "Za wysoka cena"
