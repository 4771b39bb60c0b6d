"""Test fixtures: a fresh database per run, a rolled-back transaction per test, clients.

The suite runs on SQLite with jobs run by hand (``run_jobs``) by default. With
``DATABASE_URL`` pointing at PostgreSQL it creates its own database there (and drops it
afterwards); with ``REDIS_URL`` it uses Redis db ``TEST_REDIS_DB`` (default 15) and flushes
it. Under ``CI=true`` a skipped test fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

os.environ["BACKOFFICE_ENV"] = "test"

from backoffice.config import normalise_database_url  # noqa: E402

pytest_plugins = ["tests.fixtures.smtp", "tests.fixtures.live", "tests.fixtures.browser"]

CI = os.environ.get("CI") == "true"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


# --- infrastructure chosen once per run --------------------------------------------------


class TestInfra:
    """Where this run's database, Redis db and files live."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bo-test-"))
        self.server_url = os.environ.get("DATABASE_URL")
        self.db_name: str | None = None
        self.database_url = self._create_database()
        self.redis_url = self._redis_url()

    @property
    def postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def _create_database(self) -> str:
        if not self.server_url:
            return f"sqlite:///{self.tmp / 'test.sqlite'}"
        url = make_url(normalise_database_url(self.server_url))
        if url.get_backend_name() != "postgresql":
            return url.render_as_string(hide_password=False)
        self.db_name = f"bo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        return url.set(database=self.db_name).render_as_string(hide_password=False)

    def _redis_url(self) -> str | None:
        base = os.environ.get("REDIS_URL")
        if not base:
            return None
        number = os.environ.get("TEST_REDIS_DB", "15")
        return re.sub(r"(/\d+)?$", f"/{number}", base.rstrip("/"), count=1)

    def flush_redis(self) -> None:
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def teardown(self) -> None:
        self.flush_redis()
        if self.db_name:
            url = make_url(normalise_database_url(self.server_url))
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra) -> dict[str, str]:
        """Environment for subprocesses (live server, workers) sharing this run's stores."""
        env = dict(os.environ)
        env.update(
            BACKOFFICE_ENV="test",
            DATABASE_URL=self.database_url,
            STORAGE_DIR=str(self.tmp / "files"),
            MAIL_URL=f"file://{self.tmp / 'outbox'}",
            SMS_URL=f"file://{self.tmp / 'outbox'}",
            SECRET_KEY="test-secret",
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update({k: str(v) for k, v in extra.items()})
        return env


@pytest.fixture(scope="session")
def infra():
    infra = TestInfra()
    infra.flush_redis()
    yield infra
    infra.teardown()


def test_config(infra: TestInfra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": infra.database_url,
        "REDIS_URL": infra.redis_url,
        "QUEUE_MODE": "manual",
        "FAST_PASSWORD_HASH": True,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "STORAGE_DIR": str(infra.tmp / "files"),
        "MAIL_URL": f"file://{infra.tmp / 'outbox'}",
        "SMS_URL": f"file://{infra.tmp / 'outbox'}",
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def app(infra):
    from backoffice import create_app
    from backoffice.extensions import db as _db

    app = create_app(test_config(infra))
    with app.app_context():
        _db.create_all()
    request_started.connect(_fresh_request_globals, app)
    yield app
    with app.app_context():
        _db.engine.dispose()


def _fresh_request_globals(sender, **extra) -> None:
    """Each request starts with an empty ``g``, as in production.

    Tests keep one app context pushed (for ``db``), and Flask reuses it for the requests of
    every test client, so ``g`` would carry the logged-in user (Flask-Login) and the locale
    (Flask-Babel) from one client's request into another's.
    """
    for name in list(vars(g)):
        delattr(g, name)


# --- database state per test -------------------------------------------------------------


@pytest.fixture(autouse=True)
def db(request, app):
    """The Flask-SQLAlchemy handle, inside a transaction rolled back after the test.

    Tests marked ``committed`` (real commits: concurrency, live server, workers) instead
    see every table emptied afterwards.
    """
    from backoffice.extensions import db as _db

    committed = request.node.get_closest_marker("committed") is not None
    ctx = app.app_context()
    ctx.push()
    if committed:
        try:
            yield _db
        finally:
            _db.session.remove()
            truncate_all(_db)
            ctx.pop()
        return
    connection = _db.engine.connect()
    outer = connection.begin()
    _db.session.remove()
    _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session.configure(bind=None)
        outer.rollback()
        connection.close()
        ctx.pop()


def truncate_all(_db) -> None:
    """Empty every table (committed tests clean up after themselves).

    DELETE in dependency order, sent as one batch: on mostly empty tables it is far cheaper
    than TRUNCATE (which rewrites every table's files) and takes no exclusive locks, so a
    worker still finishing a job cannot deadlock the cleanup. Retried on a deadlock.
    """
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    script = "; ".join(f'DELETE FROM "{t}"' for t in tables)
    for attempt in range(5):
        try:
            with _db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                    conn.exec_driver_sql(script)
                else:
                    for t in tables:
                        conn.exec_driver_sql(f'DELETE FROM "{t}"')
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def run_jobs(app):
    """Run every deferred job that is due, in this process; returns how many ran."""
    from backoffice.queue import run_pending_jobs

    return lambda: run_pending_jobs(app)


# --- people and logged-in clients -------------------------------------------------------


PASSWORD = "correct horse battery"


def login(client, email: str, password: str = PASSWORD, portal: bool = False):
    """Log a test client in through the real login form."""
    url = "/portal/login" if portal else "/login"
    resp = client.post(url, data={"email": email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return client


@pytest.fixture
def staff_client(app, db):
    """``staff_client("sales", "rma")`` → a client logged in as a new user with those roles."""
    from tests.factories import make_user

    def make(*roles: str, **overrides):
        user = make_user(roles=roles or ("admin",), password=PASSWORD, **overrides)
        db.session.commit()
        c = app.test_client()
        login(c, user.email)
        c.user = user
        return c

    return make


@pytest.fixture
def admin_client(staff_client):
    return staff_client("admin")


@pytest.fixture
def portal_client(app, db):
    """``portal_client(customer=…, can_file_returns=True)`` → a logged-in portal client."""
    from tests.factories import make_portal_user

    def make(**overrides):
        user = make_portal_user(password=PASSWORD, **overrides)
        db.session.commit()
        c = app.test_client()
        login(c, user.email, portal=True)
        c.user = user
        return c

    return make


# --- markers and the CI rule --------------------------------------------------------------


def pytest_configure(config):
    for line in (
        "postgres: needs PostgreSQL (DATABASE_URL); skipped on SQLite, fails under CI",
        "redis: needs Redis (REDIS_URL)",
        "browser: drives Chromium with Playwright",
        "committed: real commits instead of a rolled-back transaction",
        "slow: takes more than a few seconds",
    ):
        config.addinivalue_line("markers", line)
    ARTIFACTS.mkdir(exist_ok=True)


def pytest_collection_modifyitems(config, items):
    postgres = (os.environ.get("DATABASE_URL") or "").startswith(("postgres", "postgresql"))
    redis_url = os.environ.get("REDIS_URL")
    chromium = shutil.which("chromium") or Path("/usr/bin/chromium").exists()
    for item in items:
        if "postgres" in item.keywords and not postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not redis_url:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is not allowed: {report.longrepr}"
