"""Fixtures of the API tests: a client holding a token with both scopes."""

import pytest

from tests.factories_integration import ApiClient, make_token


@pytest.fixture
def api(app, db):
    _token, secret = make_token(scopes=("erp", "shop"))
    return ApiClient(app.test_client(), secret)
