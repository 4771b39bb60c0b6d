"""/healthz: 200 when the database and the queue answer, 503 naming what is down."""

import pytest

from tests.conftest import test_config as suite_config


def test_healthy(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    expected_queue = "ok" if app.config["REDIS_URL"] else "embedded"
    assert resp.json == {"database": "ok", "queue": expected_queue}
    assert resp.headers["Cache-Control"] == "no-store"


def test_redis_down_is_503_naming_the_queue(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.extensions, "backoffice.redis", None)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["database"] == "ok"
    assert resp.json["queue"].startswith("error: ") and "Connection" in resp.json["queue"]


@pytest.mark.committed
def test_database_down_is_503_naming_the_database(infra):
    """A second app whose database server does not answer (nothing listens on port 1)."""
    from backoffice import create_app

    config = suite_config(infra)
    config.update(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
        REDIS_URL=None,
        QUEUE_MODE="manual",
    )
    broken = create_app(config)
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json == {"database": "error: OperationalError", "queue": "embedded"}
