"""Fixtures of the API tests: a client holding a token with both scopes."""

import pytest

from tests.factories_integration import ApiClient, make_token


@pytest.fixture
def api(app, db):
    _token, secret = make_token(scopes=("erp", "shop"))
    return ApiClient(app.test_client(), secret)


@pytest.fixture
def hook_calls(monkeypatch):
    """Calls seen by order_hooks / payment_hooks handlers (a probe module is plugged in)."""
    from backoffice.services import order_hooks, payment_hooks
    from tests.api import hook_probe

    hook_probe.CALLS.clear()
    monkeypatch.setattr(order_hooks, "HANDLER_MODULES", ("tests.api.hook_probe",))
    monkeypatch.setattr(payment_hooks, "HANDLER_MODULES", ("tests.api.hook_probe",))
    return hook_probe.CALLS
