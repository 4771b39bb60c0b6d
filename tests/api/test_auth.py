"""Every endpoint in the registry refuses missing, invalid and revoked tokens (401) and
tokens without its scope (403); later modules' endpoints are covered automatically."""

import datetime as dt
import re

import pytest
from sqlalchemy import update

from models.api_tokens import ApiToken
from tests.factories_integration import make_scopeless_token, make_token
from views.api.base import ENDPOINTS, SCOPES


def _url(endpoint) -> str:
    def fill(match):
        return "1" if match.group(1) in {"int", "float"} else "X-1"

    return "/api/v1" + re.sub(r"<(?:([a-z]+):)?[a-zA-Z_]\w*>", fill, endpoint.rule)


def _call(client, endpoint, headers):
    return client.open(_url(endpoint), method=endpoint.method, headers=headers, json={})


OPERATIONS = [pytest.param(e, id=f"{e.method} {e.rule}") for e in ENDPOINTS]


@pytest.mark.parametrize("endpoint", OPERATIONS)
def test_missing_invalid_and_revoked_tokens_get_401(client, db, endpoint):
    _row, revoked = make_token(revoked=True)
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic eDp5"},
        {"Authorization": f"Bearer {revoked}"},
    ):
        resp = _call(client, endpoint, headers)
        assert resp.status_code == 401, (headers, resp.json)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.json["errors"]


@pytest.mark.parametrize("endpoint", OPERATIONS)
def test_token_without_the_scope_gets_403(client, db, endpoint):
    others = [s for s in SCOPES if s not in endpoint.scopes]
    secret = make_token(scopes=others)[1] if others else make_scopeless_token()
    resp = _call(client, endpoint, {"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 403, resp.json
    allowed = make_token(scopes=endpoint.scopes[:1] or ("erp",))[1]
    assert _call(client, endpoint, {"Authorization": f"Bearer {allowed}"}).status_code not in {
        401,
        403,
    }


def test_use_is_recorded_at_most_once_a_minute(api, db):
    token = db.session.scalars(db.select(ApiToken)).one()
    assert token.last_used_at is None
    api.get("/api/v1/products")
    db.session.refresh(token)
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/products")
    db.session.refresh(token)
    assert token.last_used_at == first
    old = first - dt.timedelta(minutes=5)
    db.session.execute(update(ApiToken).values(last_used_at=old))
    api.get("/api/v1/products")
    db.session.refresh(token)
    assert token.last_used_at > first


def test_tokens_are_stored_as_hashes(db):
    row, secret = make_token()
    assert secret not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert secret.startswith(row.prefix)
