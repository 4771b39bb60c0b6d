"""In Chromium: an administrator adds a customer (a wrong NIP first), a contact, then imports
products from an XLSX file."""

import pytest
from sqlalchemy import select

from models import Customer, Product
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.factories_masterdata import PRODUCT_HEADERS, product_rows, xlsx_bytes
from tests.fixtures.browser import log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_admin_adds_customer_and_imports_products(db, live_stack, page, tmp_path):
    admin = make_user(roles=("admin",), password=PASSWORD, name="Anna Administratorka")
    db.session.commit()
    log_in(page, live_stack.url, admin.email)

    page.goto(f"{live_stack.url}/admin/customers/new/")
    page.fill("input[name=name]", "Hurtownia Żuraw sp. z o.o.")
    page.fill("input[name=nip]", "123-456-78-90")
    submit(page, "input[type=submit][value=Zapisz]")
    assert page.locator(".invalid-feedback", has_text="Nieprawidłowy NIP").is_visible()

    page.fill("input[name=nip]", "526-000-12-46")
    page.click("#contacts-button")
    page.fill("input[name='contacts-0-name']", "Zofia Żuraw")
    page.fill("input[name='contacts-0-email']", "zofia@zuraw.pl")
    page.check("input[name='contacts-0-may_file_returns']")
    submit(page, "input[type=submit][value=Zapisz]")
    assert page.locator(".alert-success").count() == 1
    assert "Hurtownia Żuraw" in page.content()

    workbook = tmp_path / "produkty.xlsx"
    workbook.write_bytes(xlsx_bytes(PRODUCT_HEADERS, product_rows(3)))
    page.goto(f"{live_stack.url}/admin/import/products/")
    page.set_input_files("input[name=file]", str(workbook))
    page.click("[data-testid=import]")
    page.wait_for_selector("[data-testid=import-result]")
    assert page.locator("[data-testid=created]").inner_text() == "3"

    db.session.rollback()  # end the read transaction begun by admin.email: see the server's rows
    customer = db.session.scalar(select(Customer))
    assert customer.nip == "5260001246"
    assert [(c.name, c.may_file_returns) for c in customer.contacts] == [("Zofia Żuraw", True)]
    assert len(db.session.scalars(select(Product)).all()) == 3
