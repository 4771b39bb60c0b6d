"""Settings read once from the environment by create_app()."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a startable application."""


@dataclass(frozen=True)
class Settings:
    """The environment variables the application understands (see README)."""

    env: str
    database_url: str
    redis_url: str | None
    secret_key: str
    mail_url: str
    sms_url: str
    storage_dir: str
    base_url: str
    shop_url: str
    mail_from: str
    sms_sender: str
    #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    trusted_proxies: int = 0
    #: Messages per second per channel, shared by all workers (0 = no limit).
    mail_rate_per_second: float = 200
    sms_rate_per_second: float = 10
    #: HMAC secret of the delivery-report webhook (/hooks/delivery/<channel>).
    delivery_webhook_secret: str | None = None


def load_settings(instance_path: str, environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from the environment; development falls back to embedded defaults."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("BACKOFFICE_ENV", "development")
    if mode not in {"development", "production", "test"}:
        raise ConfigError(f"BACKOFFICE_ENV must be development, production or test, not {mode!r}")
    instance = Path(instance_path)
    secret = env.get("SECRET_KEY") or ""
    if not secret:
        if mode == "production":
            raise ConfigError("SECRET_KEY must be set in production (BACKOFFICE_ENV=production)")
        secret = _development_secret(instance)
    elif mode == "production" and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters")
    outbox = f"file://{instance / 'outbox'}"
    return Settings(
        env=mode,
        database_url=normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'backoffice.sqlite'}"
        ),
        redis_url=env.get("REDIS_URL") or None,
        secret_key=secret,
        mail_url=env.get("MAIL_URL") or outbox,
        sms_url=env.get("SMS_URL") or outbox,
        storage_dir=env.get("STORAGE_DIR") or str(instance / "files"),
        base_url=(env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        shop_url=(env.get("SHOP_URL") or "http://127.0.0.1:5000/shop").rstrip("/"),
        mail_from=env.get("MAIL_FROM") or "Backoffice <noreply@example.com>",
        sms_sender=env.get("SMS_SENDER") or "Backoffice",
        trusted_proxies=_non_negative_int(env, "TRUSTED_PROXIES"),
        mail_rate_per_second=_rate(env, "MAIL_RATE_PER_SECOND", 200),
        sms_rate_per_second=_rate(env, "SMS_RATE_PER_SECOND", 10),
        delivery_webhook_secret=env.get("DELIVERY_WEBHOOK_SECRET") or None,
    )


def _non_negative_int(env: dict[str, str], name: str) -> int:
    raw = (env.get(name) or "0").strip()
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number ≥ 0, not {raw!r}")
    return int(raw)


def _rate(env: dict[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of messages per second ≥ 0, not {raw!r}")
    return value


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// use the psycopg 3 driver installed with the app."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret(instance: Path) -> str:
    """A random key generated once into instance/ so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def flask_config(settings: Settings) -> dict:
    """Flask and extension settings derived from Settings."""
    production = settings.env == "production"
    secure_cookies = settings.base_url.startswith("https://")
    engine_options: dict = {"pool_pre_ping": True}
    if settings.database_url.startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30}}
    return {
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "pl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Warsaw",
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "backoffice-limits",
        #: Failed or not, login POSTs per client address and account, and per address alone.
        "LOGIN_RATE_LIMIT": "10 per minute",
        "LOGIN_IP_RATE_LIMIT": "100 per 15 minutes",
        "TRUSTED_PROXIES": settings.trusted_proxies,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Module defaults; overridable through test_config.
        "RETURN_WINDOW_MONTHS": 12,
        "OFFER_NUMBER_FORMAT": "OF/{year}/{seq:05d}",
        "QUEUE_MODE": "redis" if settings.redis_url else "thread",
        "JOB_STALE_AFTER": 120,
        "SMS_RATE_PER_SECOND": settings.sms_rate_per_second,
        "MAIL_RATE_PER_SECOND": settings.mail_rate_per_second,
        "DELIVERY_WEBHOOK_SECRET": settings.delivery_webhook_secret,
    }
