"""Demo data: reproducible, valid, only in development/test, only into an empty database."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict, Forbidden
from backoffice.security import verify_password
from backoffice.services import demo
from backoffice.validators import ean_is_valid, iban_is_valid, nip_is_valid
from models import (
    CompanyProfile,
    Customer,
    DeliveredSerial,
    DeliveryNote,
    PortalUser,
    Product,
    Receivable,
    Role,
    User,
)
from tests.factories import make_customer

SMALL = demo.Counts(customers=12, products=60, suppliers=3, orders=24)


def test_seed_small_counts(db):
    summary = demo.seed(SYSTEM, SMALL, seed_value=7)
    assert (summary["customers"], summary["products"]) == (12, 60)
    customers = db.session.scalars(select(Customer)).all()
    assert all(nip_is_valid(c.nip) for c in customers)
    assert all(c.address("billing") for c in customers)
    assert any(contact.may_file_returns for c in customers for contact in c.contacts)
    products = db.session.scalars(select(Product)).all()
    assert all(ean_is_valid(p.ean) for p in products if p.ean)
    assert any(p.serial_tracked for p in products) and all(p.packaging for p in products)
    assert all(" / " in p.group.path for p in products)
    assert any("ą" in p.name or "ż" in p.name or "ł" in p.name for p in products)
    assert iban_is_valid(db.session.get(CompanyProfile, 1).bank_account)


def test_seed_creates_accounts_with_password_demo(db):
    demo.seed(SYSTEM, SMALL)
    staff = db.session.scalars(select(User)).all()
    assert {u.email for u in staff} == {f"{r.value}@demo.local" for r in Role}
    assert verify_password(staff[0].password_hash, "demo")
    client = db.session.scalar(select(PortalUser).where(PortalUser.email == "klient@demo.local"))
    assert client.is_company_admin and client.can_file_returns and client.customer_id
    supplier = db.session.scalar(
        select(PortalUser).where(PortalUser.email == "dostawca@demo.local")
    )
    assert supplier.supplier_id is not None
    assert [email for email, _who in demo.accounts()][-2:] == [
        "klient@demo.local",
        "dostawca@demo.local",
    ]


def test_seed_gives_other_modules_history(db):
    demo.seed(SYSTEM, SMALL)
    now = dt.datetime.now(dt.UTC)
    issued = db.session.scalars(select(DeliveryNote.issued_at)).all()
    assert any(now - d > dt.timedelta(days=366) for d in issued)
    assert any(now - d < dt.timedelta(days=30) for d in issued)
    assert db.session.scalar(select(func.count(DeliveredSerial.id))) > 0
    today = dt.date.today()
    receivables = db.session.scalars(select(Receivable)).all()
    assert any(r.is_open and r.due_date < today for r in receivables)
    assert any(
        r.is_open and today < r.due_date <= today + dt.timedelta(days=7) for r in receivables
    )
    assert any(not r.is_open and r.payments for r in receivables)


def test_same_seed_same_data(db):
    demo.seed(SYSTEM, SMALL, seed_value=11)
    first = db.session.scalars(select(Customer.name).order_by(Customer.id)).all()
    db.session.rollback()
    demo.seed(SYSTEM, SMALL, seed_value=11)
    assert db.session.scalars(select(Customer.name).order_by(Customer.id)).all() == first


def test_refused_when_customers_exist(db):
    make_customer()
    with pytest.raises(Conflict):
        demo.seed(SYSTEM, SMALL)


def test_refused_in_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "BACKOFFICE_ENV", "production")
    with pytest.raises(Forbidden):
        demo.seed(SYSTEM, SMALL)
    assert db.session.scalar(select(func.count(User.id))) == 0


# --- command line -------------------------------------------------------------------------


def test_cli_seed_if_empty_and_accounts(runner, db):
    args = ["demo", "seed", "--customers", "5", "--products", "20", "--orders", "6"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Customer.id))) == 5
    again = runner.invoke(args=[*args, "--if-empty"])
    assert again.exit_code == 0 and db.session.scalar(select(func.count(Customer.id))) == 5
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    accounts = runner.invoke(args=["demo", "accounts"])
    assert "admin@demo.local" in accounts.output and "klient@demo.local" in accounts.output


def test_cli_seed_refused_in_production(app, runner, db, monkeypatch):
    monkeypatch.setitem(app.config, "BACKOFFICE_ENV", "production")
    result = runner.invoke(args=["demo", "seed", "--customers", "2", "--products", "2"])
    assert result.exit_code == 1
    assert "production" in result.output
