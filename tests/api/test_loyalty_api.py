"""API: the shop reads a customer's points while they shop."""

from decimal import Decimal

from tests.factories import make_customer, make_order
from tests.factories_loyalty import fire, give_points, make_rule


def test_points_balance_pending_and_history(api, db):
    make_rule("value", points=1, per_amount=10)
    customer = make_customer(external_id="K-55")
    give_points(customer, 40, "Bonus na start")
    paid = make_order(customer, external_id="SHOP-1", total_net=Decimal("250"))
    placed = make_order(customer, external_id="SHOP-2", total_net=Decimal("90"))
    fire(paid, "paid")
    fire(placed, "placed")
    db.session.commit()

    resp = api.get("/api/v1/customers/K-55/points", history=2)

    assert resp.status_code == 200
    data = resp.json
    assert (data["balance"], data["pending"], data["expiring"]) == (65, 9, 0)
    assert [(h["kind"], h["status"], h["points"]) for h in data["history"]] == [
        ("earn", "pending", 9),
        ("earn", "confirmed", 25),
    ]
    assert data["history"][1]["order_external_id"] == "SHOP-1"


def test_unknown_customer_is_404_and_shop_scope_is_needed(api, app, db):
    assert api.get("/api/v1/customers/NOBODY/points").status_code == 404
    from tests.factories_integration import ApiClient, make_token

    _t, erp_secret = make_token(scopes=("erp",))
    db.session.commit()
    erp = ApiClient(app.test_client(), erp_secret)
    assert erp.get("/api/v1/customers/NOBODY/points").status_code == 403
