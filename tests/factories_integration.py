"""Factories and an API client for the integration module's tests."""

from __future__ import annotations

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.services.api_tokens import create_token, hash_token
from models.api_tokens import ApiToken
from models.base import utcnow


def make_token(scopes=("erp", "shop"), name: str = "ERP Comarch", revoked: bool = False):
    """(ApiToken row, secret) — the secret is what a caller sends as Bearer."""
    token, secret = create_token(SYSTEM, name, list(scopes))
    if revoked:
        token.revoked_at = utcnow()
    db.session.flush()
    return token, secret


def make_scopeless_token() -> str:
    """A token row holding no scope at all (only possible by hand): gets 403 everywhere."""
    secret = "bo_no-scope-secret"
    db.session.add(
        ApiToken(name="no scope", token_hash=hash_token(secret), prefix="bo_no-sco", scopes="")
    )
    db.session.flush()
    return secret


class ApiClient:
    """The Flask test client with a bearer token and JSON bodies."""

    def __init__(self, client, secret: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, url: str, **params):
        return self.client.get(url, headers=self.headers, query_string=params)

    def put(self, url: str, body):
        return self.client.put(url, headers=self.headers, json=body)

    def post(self, url: str, body):
        return self.client.post(url, headers=self.headers, json=body)


def customer_body(n: int = 1, **overrides) -> dict:
    """A valid customer body (NIP with a correct check digit)."""
    from tests.factories import valid_nip

    body = {
        "name": f"Hurtownia Żółw {n} sp. z o.o.",
        "nip": valid_nip(),
        "email": f"biuro{n}@zolw.example.com",
        "phone": "+48 601 234 567",
        "addresses": [
            {
                "kind": "billing",
                "street": f"ul. Łąkowa {n}",
                "postal_code": "90-001",
                "city": "Łódź",
                "is_default": True,
            }
        ],
        "contacts": [
            {
                "name": "Zofia Kowalska",
                "email": f"zofia{n}@zolw.example.com",
                "receives_payment_reminders": True,
            }
        ],
    }
    body.update(overrides)
    return body


def product_body(n: int = 1, **overrides) -> dict:
    """A valid product body with one packaging unit."""
    from tests.factories import valid_ean13

    body = {
        "sku": f"SKU-{n:06d}",
        "ean": valid_ean13(n),
        "name": f"Wiertarka udarowa {n}",
        "price_net": "199.99",
        "vat_rate": "23",
        "packaging": [{"name": "karton", "quantity": "6"}],
    }
    body.update(overrides)
    return body
