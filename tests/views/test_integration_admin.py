"""Console: orders, delivery notes, receivables, payments (all staff, read-only, search,
export), API tokens (admins: create once-shown, revoke with confirmation), counters."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.api_tokens import ApiToken
from models.orders import OrderEvent, OrderEventType
from tests.factories import (
    make_customer,
    make_delivery_note,
    make_order,
    make_product,
    make_receivable,
)
from tests.factories_integration import ApiClient, make_token

LISTS = ["/admin/orders/", "/admin/delivery_notes/", "/admin/receivables/", "/admin/payments/"]


@pytest.mark.parametrize("url", LISTS)
def test_any_staff_member_sees_the_registers_read_only(staff_client, db, url):
    client = staff_client("rma")
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert client.get(url + "new/").status_code in {302, 403, 404}


def test_order_details_show_lines_and_events(staff_client, db):
    customer = make_customer(name="Zakład Łódź", nip="5260001246")
    product = make_product(name="Wiertarka Żubr")
    order = make_order(
        customer, [(product, "2", "100.00")], number="ZAM/77/2026", waybill="00359007738090012345"
    )
    order.events.append(
        OrderEvent(
            event_id="e1",
            type=OrderEventType.SHIPPED,
            at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC),
            carrier="DPD",
        )
    )
    db.session.commit()
    client = staff_client("sales")
    page = client.get(f"/admin/orders/details/?id={order.id}").get_data(as_text=True)
    assert "ZAM/77/2026" in page and "Wiertarka Żubr" in page and "DPD" in page
    assert "00359007738090012345" in page and "e1" in page
    found = client.get("/admin/orders/?search=Łódź").get_data(as_text=True)
    assert "ZAM/77/2026" in found
    assert "ZAM/77/2026" in client.get("/admin/orders/?search=5260001246").get_data(as_text=True)
    assert "ZAM/77/2026" not in client.get("/admin/orders/?search=nothing").get_data(as_text=True)


def test_delivery_note_found_by_serial_number(staff_client, db):
    product = make_product(name="Kosiarka", serial_tracked=True)
    make_delivery_note(lines=[(product, "2", ["SN-ABC-1", "SN-ABC-2"])], number="WZ/9/2026")
    make_delivery_note(lines=[(product, "1", ["SN-XYZ"])], number="WZ/10/2026")
    db.session.commit()
    client = staff_client("rma")
    page = client.get("/admin/delivery_notes/?search=SN-ABC-2").get_data(as_text=True)
    assert "WZ/9/2026" in page and "WZ/10/2026" not in page
    note_id = page.split("/admin/delivery_notes/details/?id=")[1].split("&")[0].split('"')[0]
    details = client.get(f"/admin/delivery_notes/details/?id={note_id}").get_data(as_text=True)
    assert "SN-ABC-1" in details and "Kosiarka" in details


def test_overdue_receivables_are_marked_filtered_and_exported(staff_client, db):
    today = dt.date.today()
    late = make_receivable(document_number="FV/1/2026", due_date=today - dt.timedelta(days=9))
    make_receivable(document_number="FV/2/2026", due_date=today + dt.timedelta(days=5))
    make_receivable(
        document_number="FV/3/2026",
        due_date=today - dt.timedelta(days=3),
        amount=Decimal("10.00"),
        paid_amount=Decimal("10.00"),
        is_open=False,
    )
    db.session.commit()
    client = staff_client("finance")
    resp = client.get("/admin/receivables/overdue/")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "FV/1/2026" in page and "FV/2/2026" not in page and "FV/3/2026" not in page
    details = client.get(f"/admin/receivables/details/?id={late.id}").get_data(as_text=True)
    assert "1230" in details.replace("\xa0", "").replace(" ", "")
    export = client.get("/admin/receivables/export/csv/")
    assert export.status_code == 200 and export.data.startswith("\ufeff".encode())
    assert "FV/1/2026" in export.data.decode("utf-8-sig")


def test_dashboard_counts_orders_today_and_overdue(staff_client, db):
    make_order(placed_at=dt.datetime.now(dt.UTC))
    make_order(placed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    make_receivable(due_date=dt.date.today() - dt.timedelta(days=1))
    db.session.commit()
    page = staff_client("finance").get("/admin/").get_data(as_text=True)
    assert "Zamówienia dzisiaj" in page or "Orders today" in page
    assert "/admin/receivables/overdue/" in page
    rma = staff_client("rma").get("/admin/").get_data(as_text=True)
    assert "/admin/receivables/overdue/" not in rma


def test_tokens_are_for_admins_only(staff_client, db):
    assert staff_client("sales").get("/admin/api_tokens/").status_code == 403


def test_admin_creates_a_token_shown_once_and_revokes_it(admin_client, app, db):
    page = admin_client.get("/admin/api_tokens/new/")
    assert page.status_code == 200
    bad = admin_client.post("/admin/api_tokens/new/", data={"name": "ERP"})
    assert bad.status_code == 200 and db.session.scalars(select(ApiToken)).first() is None
    resp = admin_client.post("/admin/api_tokens/new/", data={"name": "ERP", "scopes": ["erp"]})
    html = resp.get_data(as_text=True)
    secret = html.split('data-testid="token-secret"')[0].rsplit('value="', 1)[1].split('"')[0]
    token = db.session.scalars(select(ApiToken)).one()
    assert secret.startswith(token.prefix) and token.created_by_id == admin_client.user.id
    assert secret not in admin_client.get("/admin/api_tokens/").get_data(as_text=True)
    api = ApiClient(app.test_client(), secret)
    assert api.get("/api/v1/products").status_code == 200
    confirm = admin_client.get(f"/admin/api_tokens/revoke/{token.id}")
    assert confirm.status_code == 200 and "ERP" in confirm.get_data(as_text=True)
    assert api.get("/api/v1/products").status_code == 200  # asking changes nothing
    done = admin_client.post(f"/admin/api_tokens/revoke/{token.id}")
    assert done.status_code == 302
    assert api.get("/api/v1/products").status_code == 401


def test_token_list_shows_last_use(admin_client, db):
    token, _secret = make_token(name="Sklep B2B")
    token.last_used_at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    db.session.commit()
    page = admin_client.get("/admin/api_tokens/").get_data(as_text=True)
    assert "Sklep B2B" in page and token.prefix in page and "2026" in page
