"""An administrator creates an API token in Chromium, the ERP pushes a day of data with it
over HTTP, staff find it in the console, the docs render offline, the token is revoked."""

import pytest
import requests

from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.fixtures.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def push_a_day(base: str, secret: str) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {secret}"
    api = f"{base}/api/v1"
    customer = {"name": "Hurtownia Żarówka sp. z o.o.", "nip": "5260001246"}
    assert s.put(f"{api}/customers/K-42", json=customer).status_code == 201
    product = {
        "external_id": "P-1",
        "sku": "WKR-1",
        "name": "Wkrętarka Żubr 18 V",
        "price_net": "349.00",
        "serial_tracked": True,
    }
    assert s.put(f"{api}/products", json=[product]).json()["created"] == 1
    order = {
        "number": "ZAM/2026/0147",
        "customer_external_id": "K-42",
        "placed_at": "2026-03-02T09:30:00+01:00",
        "lines": [{"product_external_id": "P-1", "quantity": "2", "unit_price_net": 349}],
    }
    assert s.put(f"{api}/orders/ZAM-147", json=order).status_code == 201
    event = {
        "id": "evt-1",
        "type": "shipped",
        "at": "2026-03-03T14:05:00+01:00",
        "waybill": "00359007738090012345",
        "carrier": "DPD",
    }
    assert s.post(f"{api}/orders/ZAM-147/events", json=event).status_code == 201
    note = {
        "number": "WZ/2026/0211",
        "customer_external_id": "K-42",
        "order_external_id": "ZAM-147",
        "issued_at": "2026-03-03T08:12:00+01:00",
        "lines": [
            {"product_external_id": "P-1", "quantity": "2", "serial_numbers": ["SN-187", "SN-188"]}
        ],
    }
    assert s.put(f"{api}/delivery-notes/WZ-211", json=note).status_code == 201


def test_token_data_console_and_revocation(db, live_stack, page):
    admin = make_user(roles=("admin",), password=PASSWORD, name="Adam Administrator")
    db.session.commit()
    log_in(page, live_stack.url, admin.email)
    page.goto(f"{live_stack.url}/admin/api_tokens/")
    page.click("[data-testid=new-token]")
    page.fill("input[name=name]", "ERP Optima")
    page.check("input[name=scopes][value=erp]")
    page.click("[data-testid=create-token]")
    secret = page.input_value("[data-testid=token-secret]")
    assert secret.startswith("bo_")

    push_a_day(live_stack.url, secret)

    page.goto(f"{live_stack.url}/admin/orders/?search=Żarówka")
    page.click('a:has-text("ZAM/2026/0147")')
    page.wait_for_selector("[data-testid=order-lines]")
    assert "Wkrętarka Żubr 18 V" in page.inner_text("[data-testid=order-lines]")
    assert "DPD" in page.inner_text("[data-testid=order-events]")
    assert page.inner_text("[data-testid=order-waybill]") == "00359007738090012345"
    page.goto(f"{live_stack.url}/admin/delivery_notes/?search=SN-188")
    assert "WZ/2026/0211" in page.content()

    page.goto(f"{live_stack.url}/api/v1/docs")
    page.get_by_text("/customers/{external_id}").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() >= 20  # every operation rendered, offline

    page.goto(f"{live_stack.url}/admin/api_tokens/")
    page.click("a[title=Unieważnij]")
    page.click("[data-testid=confirm-revoke]")
    page.wait_for_url("**/admin/api_tokens/")
    assert "unieważniony" in page.content()
    refused = requests.get(
        f"{live_stack.url}/api/v1/products", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401
