"""``flask api-tokens create|list|revoke``."""

from sqlalchemy import select

from models.api_tokens import ApiToken
from models.audit import AuditEntry
from tests.factories_integration import ApiClient


def test_create_prints_the_secret_once_and_it_works(app, runner, db):
    result = runner.invoke(args=["api-tokens", "create", "ERP Symfonia", "--scope", "erp"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    row = db.session.scalars(select(ApiToken)).one()
    assert row.scopes == "erp" and secret.startswith(row.prefix) and secret not in row.token_hash
    api = ApiClient(app.test_client(), secret)
    assert api.get("/api/v1/products").status_code == 200
    assert api.get("/api/v1/orders").status_code == 200  # orders allow erp too
    listed = runner.invoke(args=["api-tokens", "list"])
    assert "ERP Symfonia" in listed.output and secret not in listed.output


def test_scope_is_required_and_checked(runner, db):
    assert runner.invoke(args=["api-tokens", "create", "X"]).exit_code != 0
    assert runner.invoke(args=["api-tokens", "create", "X", "--scope", "admin"]).exit_code != 0
    assert db.session.scalars(select(ApiToken)).first() is None


def test_revoke_by_prefix_stops_the_token(app, runner, db):
    out = runner.invoke(args=["api-tokens", "create", "Sklep", "--scope", "shop"]).output
    secret = out.strip().splitlines()[-1]
    refused = runner.invoke(args=["api-tokens", "revoke", secret[:10]], input="n\n")
    assert refused.exit_code != 0
    result = runner.invoke(args=["api-tokens", "revoke", secret[:10], "--yes"])
    assert result.exit_code == 0, result.output
    assert ApiClient(app.test_client(), secret).get("/api/v1/orders").status_code == 401
    again = runner.invoke(args=["api-tokens", "revoke", secret[:10], "--yes"])
    assert again.exit_code != 0
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "api_token.create" in actions and "api_token.revoke" in actions
