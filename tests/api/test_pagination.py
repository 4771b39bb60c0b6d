"""Lists: keyset cursors on (updated_at, id), updated_since, limit, stable under inserts."""

import datetime as dt

import pytest

from tests.factories import make_customer
from tests.factories_integration import product_body

LISTS = ["customers", "products", "orders", "delivery-notes", "receivables", "payments"]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_answers_an_empty_page(api, path):
    resp = api.get(f"/api/v1/{path}")
    assert resp.status_code == 200 and resp.json == {"items": [], "next_cursor": None}


def _ids(api, **params):
    seen, cursor = [], None
    while True:
        page = api.get(
            "/api/v1/products", limit=2, **({"cursor": cursor} if cursor else {}), **params
        )
        assert page.status_code == 200, page.json
        seen += [p["external_id"] for p in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return seen


def test_cursor_walks_every_row_once_even_while_rows_are_added(api, db):
    for n in range(5):
        api.put(f"/api/v1/products/P-{n}", product_body(n))
    first = api.get("/api/v1/products", limit=2).json
    assert [p["external_id"] for p in first["items"]] == ["P-0", "P-1"]
    api.put("/api/v1/products/P-9", product_body(9))  # arrives between two pages
    rest, cursor = [], first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/products", limit=2, cursor=cursor).json
        rest += [p["external_id"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert rest == ["P-2", "P-3", "P-4", "P-9"]
    api.put("/api/v1/products/P-1", product_body(1, name="Zmieniony"))  # moves to the end
    assert _ids(api) == ["P-0", "P-2", "P-3", "P-4", "P-9", "P-1"]


def test_updated_since_filters_and_needs_an_offset(api, db):
    api.put("/api/v1/products/P-1", product_body(1))
    later = api.get("/api/v1/products/P-1").json["updated_at"]
    api.put("/api/v1/products/P-2", product_body(2))
    assert _ids(api, updated_since=later) == ["P-1", "P-2"]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert api.get("/api/v1/products", updated_since=future).json["items"] == []
    naive = api.get("/api/v1/products", updated_since="2026-01-01T00:00:00")
    assert naive.status_code == 422 and "updated_since" in naive.json["errors"]


@pytest.mark.parametrize(
    "params", [{"cursor": "garbage!"}, {"limit": 0}, {"limit": 1001}, {"updated_sinc": "x"}]
)
def test_bad_list_parameters_are_422(api, params):
    assert api.get("/api/v1/products", **params).status_code == 422


def test_limit_caps_the_page(api, db):
    for _ in range(3):
        make_customer()
    page = api.get("/api/v1/customers", limit=2).json
    assert len(page["items"]) == 2 and page["next_cursor"]
