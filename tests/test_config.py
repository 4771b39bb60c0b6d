"""Settings from the environment: defaults, production rules, cookies, limits, proxies."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, request

from backoffice.config import ConfigError, flask_config, load_settings, normalise_database_url
from backoffice.security import init_security

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 40


def test_development_defaults_are_embedded(tmp_path):
    s = load_settings(str(tmp_path), {})
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path / 'backoffice.sqlite'}"
    assert s.redis_url is None and s.trusted_proxies == 0
    assert s.mail_url == s.sms_url == f"file://{tmp_path / 'outbox'}"
    # The generated key is kept, so sessions survive restarts.
    assert load_settings(str(tmp_path), {}).secret_key == s.secret_key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    config = flask_config(s)
    assert config["QUEUE_MODE"] == "thread"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(str(tmp_path), {"BACKOFFICE_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(str(tmp_path), {"BACKOFFICE_ENV": "production", "SECRET_KEY": "short"})
    assert not (tmp_path / "secret_key").exists()  # never silently generated in production
    s = load_settings(str(tmp_path), {"BACKOFFICE_ENV": "production", "SECRET_KEY": STRONG})
    assert s.secret_key == STRONG


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env.update(BACKOFFICE_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite'}")
    proc = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY must be set in production" in proc.stderr


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(str(tmp_path), {"BACKOFFICE_ENV": "staging"})


def test_redis_is_used_for_queue_and_rate_limits(tmp_path):
    s = load_settings(str(tmp_path), {"REDIS_URL": "redis://cache:6379/3"})
    config = flask_config(s)
    assert config["QUEUE_MODE"] == "redis"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/3"


def test_https_base_url_makes_cookies_secure(tmp_path):
    s = load_settings(
        str(tmp_path),
        {
            "BACKOFFICE_ENV": "production",
            "SECRET_KEY": STRONG,
            "BASE_URL": "https://bo.example.pl/",
        },
    )
    config = flask_config(s)
    assert s.base_url == "https://bo.example.pl"
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_DURATION"] == 14 * 24 * 3600
    assert config["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_database_url_uses_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_trusted_proxies_must_be_a_number(tmp_path):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings(str(tmp_path), {"TRUSTED_PROXIES": "yes"})
    assert load_settings(str(tmp_path), {"TRUSTED_PROXIES": "1"}).trusted_proxies == 1


def _echo_app(proxies: int) -> Flask:
    app = Flask(__name__)
    app.config["TRUSTED_PROXIES"] = proxies
    init_security(app)

    @app.get("/ip")
    def ip():
        return f"{request.remote_addr} {request.scheme}"

    return app


def test_behind_a_trusted_proxy_the_client_address_is_used():
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    resp = _echo_app(1).test_client().get("/ip", headers=headers)
    assert resp.get_data(as_text=True) == "203.0.113.7 https"
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    # Without a trusted proxy the headers are ignored (they could be forged).
    resp = _echo_app(0).test_client().get("/ip", headers=headers)
    assert resp.get_data(as_text=True) == "127.0.0.1 http"
    assert "Strict-Transport-Security" not in resp.headers
