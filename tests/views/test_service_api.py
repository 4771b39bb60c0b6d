"""API: the shop files service tickets and reads their status."""

from sqlalchemy import select

from models.service_tickets import ServiceTicket
from tests.factories import make_customer, make_product
from tests.factories_service import delivered_unit_setup, make_api_token, make_ticket


def _headers(token):
    return {"Authorization": f"Bearer {token}"}


def _body(customer, product, **extra):
    return {
        "customer_external_id": customer.external_id,
        "product_sku": product.sku,
        "serial_number": "API-1",
        "fault_description": "Urządzenie się przegrzewa",
        "contact": {
            "name": "Zenon Żak",
            "email": "zenon@klient.example.com",
            "phone": "600 700 800",
        },
        "notify_sms": True,
        **extra,
    }


def test_file_and_read_a_ticket(client, db):
    customer, product, _note = delivered_unit_setup(serial="API-1")
    token = make_api_token("shop")
    db.session.commit()
    resp = client.post(
        "/api/v1/service-tickets",
        json=_body(customer, product, external_id="shop-req-1"),
        headers=_headers(token),
    )
    assert resp.status_code == 201, resp.json
    data = resp.json
    assert data["number"].startswith("SRV/") and data["kind"] == "warranty"
    assert data["status"] == {"code": "submitted", "name": "Zgłoszone"}
    assert data["registration_status"] == "verified" and data["warranty_ends_on"] == "2027-03-10"
    assert data["cost_net"] == "0.00"
    again = client.post(
        "/api/v1/service-tickets",
        json=_body(customer, product, external_id="shop-req-1"),
        headers=_headers(token),
    )
    assert again.status_code == 200 and again.json["number"] == data["number"]
    got = client.get(f"/api/v1/service-tickets/{data['number']}", headers=_headers(token))
    assert got.status_code == 200 and got.json["history"][0]["status"]["code"] == "submitted"
    assert db.session.query(ServiceTicket).count() == 1
    ticket = db.session.scalar(select(ServiceTicket))
    assert ticket.contact_phone == "+48600700800" and ticket.notify_sms


def test_untracked_product_from_the_shop_goes_to_verification(client, db):
    customer = make_customer()
    product = make_product(serial_tracked=False)
    token = make_api_token("shop")
    db.session.commit()
    resp = client.post(
        "/api/v1/service-tickets",
        json=_body(customer, product, serial_number=None, purchase_date="2026-02-01"),
        headers=_headers(token),
    )
    assert resp.status_code == 201, resp.json
    assert resp.json["registration_status"] == "to_verify"


def test_errors_name_the_fields(client, db):
    customer, product, _note = delivered_unit_setup(serial="API-2")
    token = make_api_token("shop")
    db.session.commit()
    h = _headers(token)
    bad_customer = client.post(
        "/api/v1/service-tickets",
        json={**_body(customer, product), "customer_external_id": "NOPE"},
        headers=h,
    )
    assert bad_customer.status_code == 422 and "customer_external_id" in bad_customer.json["errors"]
    wrong_serial = client.post(
        "/api/v1/service-tickets", json=_body(customer, product, serial_number="API-999"), headers=h
    )
    assert wrong_serial.status_code == 422 and "serial_number" in wrong_serial.json["errors"]
    no_product = client.post(
        "/api/v1/service-tickets",
        json={k: v for k, v in _body(customer, product).items() if k != "product_sku"},
        headers=h,
    )
    assert no_product.status_code == 422
    no_phone = client.post(
        "/api/v1/service-tickets",
        json=_body(customer, product, serial_number="API-2", contact={"name": "A"}),
        headers=h,
    )
    assert no_phone.status_code == 422 and "contact.phone" in no_phone.json["errors"]
    assert db.session.query(ServiceTicket).count() == 0


def test_second_open_ticket_is_a_conflict(client, db):
    ticket = make_ticket()
    token = make_api_token("shop")
    db.session.commit()
    unit = ticket.registered_product
    resp = client.post(
        "/api/v1/service-tickets",
        json=_body(unit.customer, unit.product, serial_number=unit.serial),
        headers=_headers(token),
    )
    assert resp.status_code == 409 and ticket.number in resp.json["message"]


def test_scopes_and_unknown_numbers(client, db):
    erp = make_api_token("erp")
    shop = make_api_token("shop")
    db.session.commit()
    assert client.post("/api/v1/service-tickets", json={}).status_code == 401
    assert (
        client.get("/api/v1/service-tickets/SRV/2026/00001", headers=_headers(erp)).status_code
        == 403
    )
    assert (
        client.get("/api/v1/service-tickets/SRV/2026/99999", headers=_headers(shop)).status_code
        == 404
    )


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/service-tickets" in paths and "/service-tickets/{number}" in paths


def test_list_a_customers_tickets_page_by_page(client, db):
    from tests.factories_service import make_unit

    unit = make_unit()
    numbers = {make_ticket(unit).number for _ in range(3)}
    make_ticket()  # another customer's
    token = make_api_token("shop")
    db.session.commit()
    url = f"/api/v1/customers/{unit.customer.external_id}/service-tickets"
    first = client.get(f"{url}?limit=2", headers=_headers(token)).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        f"{url}?limit=2&cursor={first['next_cursor']}", headers=_headers(token)
    ).json
    assert second["next_cursor"] is None
    assert {t["number"] for t in first["items"] + second["items"]} == numbers
    assert client.get(f"{url}?cursor=nonsense", headers=_headers(token)).status_code == 422
    missing = client.get("/api/v1/customers/NOPE/service-tickets", headers=_headers(token))
    assert missing.status_code == 404
