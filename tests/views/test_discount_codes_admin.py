"""Console: creating a batch, giving codes out, exporting, the code register and blocking."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services.discount_code_checkout import redeem_code
from models.discount_codes import BatchStatus, DiscountCode, DiscountCodeBatch
from tests.factories import make_customer, make_group


@pytest.fixture
def marketing(staff_client):
    return staff_client("marketing")


def _create(client, **overrides):
    data = {
        "name": "Jesień „Żurawie”",
        "count": "4",
        "prefix": "jes-",
        "code_length": "8",
        "kind": "percent",
        "value": "12.5",
        "usage_limit_total": "1",
    }
    data.update(overrides)
    return client.post("/admin/discount-code-batches/new/", data=data)


def test_form_errors_are_shown_next_to_the_fields(marketing, db):
    resp = _create(marketing, value="120", prefix="źle!", customers="BRAK-1")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Nieznani klienci: BRAK-1" in body
    resp = _create(marketing, value="120")
    body = resp.get_data(as_text=True)
    assert "Rabat procentowy nie może przekraczać 100%" in body
    assert db.session.scalar(select(DiscountCodeBatch.id)) is None


def test_batch_is_created_given_out_exported_and_searched(marketing, db, run_jobs):
    group = make_group(name="Hurt")
    regular = make_customer(external_id="K-1", group=group)
    make_customer(external_id="K-2", group=group)
    db.session.commit()
    resp = _create(marketing, customers="K-1")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    batch = db.session.scalars(select(DiscountCodeBatch)).one()
    assert batch.status == BatchStatus.READY and batch.kind.value == "percent"
    page = marketing.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Jesień „Żurawie”" in page and "12,5%" in page

    url = f"/admin/discount-code-batches/{batch.id}"
    marketing.post(f"{url}/assign-group", data={"group_id": group.id})
    personal = db.session.scalars(
        select(DiscountCode).where(DiscountCode.customer_id.is_not(None))
    ).all()
    assert len(personal) == 2  # K-1 already had one from the form, K-2 got one now
    mine = next(c for c in personal if c.customer_id == regular.id)

    redeem_code(SYSTEM, mine.code, "K-1", "SHOP-500", Decimal("400"))
    db.session.commit()
    marketing.post(f"{url}/export", data={"format": "xlsx"})
    run_jobs()
    details = marketing.get(f"/admin/discount-code-batches/details/?id={batch.id}")
    html = details.get_data(as_text=True)
    assert details.status_code == 200 and "pobierz" in html
    link = html.split('href="/admin/discount-code-batches/exports/')[1].split('"')[0]
    sheet = marketing.get(f"/admin/discount-code-batches/exports/{link}")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Kod", "Status", "Kontrahent") and len(rows) == 5
    used = next(r for r in rows if r[0] == mine.code)
    assert used[1] == "wykorzystany" and used[6] == 1

    found = marketing.get(f"/admin/discount-codes/?search={mine.code.lower()}")
    assert mine.code in found.get_data(as_text=True)
    prefix = marketing.get("/admin/discount-codes/?search=JES-").get_data(as_text=True)
    assert prefix.count("<code>JES-") == 4
    code_page = marketing.get(f"/admin/discount-codes/details/?id={mine.id}").get_data(as_text=True)
    assert "SHOP-500" in code_page and "50,00" in code_page


def test_blocking_a_code_and_switching_a_batch_off(marketing, db):
    _create(marketing, count="2")
    batch = db.session.scalars(select(DiscountCodeBatch)).one()
    code = db.session.scalars(select(DiscountCode)).first()
    marketing.post(
        f"/admin/discount-codes/{code.id}/block", data={"blocked": "1", "reason": "Wyciek"}
    )
    db.session.refresh(code)
    assert code.blocked
    marketing.post(f"/admin/discount-code-batches/{batch.id}/active", data={"active": "0"})
    db.session.refresh(batch)
    assert not batch.active
    listing = marketing.get("/admin/discount-code-batches/").get_data(as_text=True)
    assert "wyłączona" in listing


def test_progress_json_for_a_generating_batch(marketing, db):
    resp = _create(marketing, count="3000", code_length="10")
    batch = db.session.scalars(select(DiscountCodeBatch)).one()
    assert batch.status == BatchStatus.GENERATING
    details = marketing.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Generowanie kodów" in details and "progress-bar" in details
    progress = marketing.get(f"/admin/discount-code-batches/{batch.id}/progress").json
    assert progress == {
        "status": "generating",
        "generated": 0,
        "count": 3000,
        "percent": 0,
        "error": None,
    }
