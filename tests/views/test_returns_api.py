"""Returns API (scope shop): returnable lines, filing (201 / 422 with the reason), reading."""

import pytest

from models.returns import ReturnRequest
from tests.factories import make_customer, make_portal_user, make_product
from tests.factories_returns import (
    make_api_token,
    make_condition,
    make_reason,
    make_return,
    make_returnable_note,
)
from views.api.schemas_returns import ReturnablePage


@pytest.fixture
def shop(app, db):
    token = make_api_token("shop")
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def dictionaries(db):
    return make_reason(code="defect"), make_condition(code="opened")


def body(note, lines, **extra):
    return {
        "customer_external_id": note.customer.external_id,
        "delivery_note_external_id": note.external_id,
        "reason": "defect",
        "condition": "opened",
        "lines": lines,
        **extra,
    }


def test_scope_is_checked(app, db):
    erp = make_api_token("erp")
    db.session.commit()
    resp = app.test_client().get(
        "/api/v1/return-dictionaries", headers={"Authorization": f"Bearer {erp}"}
    )
    assert resp.status_code == 403
    assert app.test_client().get("/api/v1/return-dictionaries").status_code == 401


def test_returnable_lines_with_quantities_serials_and_window(db, shop, dictionaries):
    customer = make_customer(external_id="K-1")
    drill = make_product(serial_tracked=True, sku="DRL-1")
    note = make_returnable_note(
        customer, lines=[(make_product(sku="CBL"), "5"), (drill, "2", ["S1", "S2"])]
    )
    make_returnable_note(customer, months_ago=13)
    make_return(note, {1: "2"}, serials={})
    make_return(note, {2: "1"}, serials={2: ["S1"]})
    db.session.commit()
    resp = shop.get("/api/v1/customers/K-1/returnable-lines")
    assert resp.status_code == 200
    data = resp.get_json()
    ReturnablePage.model_validate(data)  # the documented shape, field for field
    assert set(data["items"][0]) == set(
        ReturnablePage.model_fields["items"].annotation.__args__[0].model_fields
    )
    assert data["window_months"] == 12 and data["total_notes"] == 1
    by_sku = {i["sku"]: i for i in data["items"]}
    assert by_sku["CBL"]["delivered"] == "5" and by_sku["CBL"]["returnable"] == "3"
    assert by_sku["CBL"]["in_returns"] == "2"
    assert by_sku["DRL-1"]["serial_numbers"] == ["S2"]
    assert shop.get("/api/v1/customers/NOPE/returnable-lines").status_code == 404
    one = shop.get(f"/api/v1/customers/K-1/returnable-lines?delivery_note={note.number}")
    assert len(one.get_json()["items"]) == 2


def test_filing_returns_201_with_the_number_and_reading_it_back(db, shop, dictionaries):
    customer = make_customer()
    user = make_portal_user(customer=customer, email="zakupy@klient.pl")
    note = make_returnable_note(customer)
    db.session.commit()
    resp = shop.post(
        "/api/v1/returns",
        json=body(
            note,
            [{"line_no": 1, "quantity": "2"}, {"line_no": 2}],
            portal_user_email="ZAKUPY@klient.pl",
        ),
    )
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["number"].startswith("RMA/") and data["status"] == "submitted"
    assert [(ln["delivery_note_line_no"], ln["quantity"]) for ln in data["lines"]] == [
        (1, "2"),
        (2, "4"),
    ]
    rr = db.session.query(ReturnRequest).filter_by(number=data["number"]).one()
    assert rr.channel == "api" and rr.filed_by_id == user.id
    got = shop.get(f"/api/v1/returns/{data['number']}")
    assert got.status_code == 200 and got.get_json()["lines"][0]["reason"] == "defect"
    assert shop.get("/api/v1/returns/RMA/1900/00001").status_code == 404


def test_whole_note(db, shop, dictionaries):
    note = make_returnable_note()
    db.session.commit()
    resp = shop.post("/api/v1/returns", json=body(note, [], whole_note=True))
    assert resp.status_code == 201
    assert len(resp.get_json()["lines"]) == 2


@pytest.mark.parametrize(
    ("case", "field", "text"),
    [
        ("over", "lines.0.quantity", "można zwrócić jeszcze tylko"),
        ("window", "delivery_note", "w ciągu"),
        ("serial", "lines.0.serial_numbers", "nie został wydany"),
        ("no_serial", "lines.0.serial_numbers", "numer seryjny"),
        ("reason", "lines.0.reason", "Nieznany kod"),
        ("line", "lines.0.line_no", "nie ma pozycji 9"),
    ],
)
def test_refusals_are_422_with_the_reason(db, shop, dictionaries, case, field, text):
    drill = make_product(serial_tracked=True)
    note = make_returnable_note(
        months_ago=13 if case == "window" else 1,
        lines=[(drill, "2", ["A1", "A2"]), (make_product(), "2")],
    )
    db.session.commit()
    line = {
        "over": {"line_no": 2, "quantity": "2.001"},
        "window": {"line_no": 1, "serial_numbers": ["A1"]},
        "serial": {"line_no": 1, "quantity": "1", "serial_numbers": ["B7"]},
        "no_serial": {"line_no": 1, "quantity": "1"},
        "reason": {"line_no": 1, "serial_numbers": ["A1"], "reason": "whim"},
        "line": {"line_no": 9, "quantity": "1"},
    }[case]
    resp = shop.post("/api/v1/returns", json=body(note, [line]))
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    assert field in errors, errors
    assert any(text in m for m in errors[field]), errors
    assert db.session.query(ReturnRequest).count() == 0


def test_invalid_bodies_are_422(db, shop):
    assert shop.post("/api/v1/returns", json={"lines": "x"}).status_code == 422
    bad = shop.post(
        "/api/v1/returns",
        json={"customer_external_id": "X", "lines": [{"line_no": 1, "quantity": -1}]},
    )
    assert bad.status_code == 422 and "lines.0.quantity" in bad.get_json()["errors"]


def test_dictionaries(db, shop, dictionaries):
    data = shop.get("/api/v1/return-dictionaries").get_json()
    assert [r["code"] for r in data["reasons"]] == ["defect"]
    assert [c["code"] for c in data["conditions"]] == ["opened"]
