"""The backoffice application factory."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path

from flask import Flask, redirect, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backoffice.config import flask_config, load_settings
from backoffice.extensions import csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; settings come from the environment, read here once."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    settings = load_settings(app.instance_path)
    app.config.update(flask_config(settings))
    app.config.update(
        BACKOFFICE_ENV=settings.env,
        REDIS_URL=settings.redis_url,
        MAIL_URL=settings.mail_url,
        SMS_URL=settings.sms_url,
        STORAGE_DIR=settings.storage_dir,
        BASE_URL=settings.base_url,
        SHOP_URL=settings.shop_url,
        MAIL_FROM=settings.mail_from,
        SMS_SENDER=settings.sms_sender,
    )
    if settings.env == "test" and os.environ.get("BACKOFFICE_TEST_CONFIG"):
        # Test-run subprocesses (live server, workers) get the suite's overrides.
        app.config.update(json.loads(os.environ["BACKOFFICE_TEST_CONFIG"]))
    if test_config:
        app.config.update(test_config)
        if "REDIS_URL" in test_config and "QUEUE_MODE" not in test_config:
            app.config["QUEUE_MODE"] = "redis" if test_config["REDIS_URL"] else "thread"
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    _init_extensions(app)
    _register_views(app)
    if app.config["QUEUE_MODE"] == "thread":
        from backoffice.queue import start_embedded_runner

        app.before_request(lambda: start_embedded_runner(app))
    from backoffice.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    import models  # noqa: F401 - complete metadata for Alembic
    from backoffice import security  # noqa: F401 - registers the user loader
    from backoffice.i18n import init_i18n

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_security(app)
    init_i18n(app)
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to open this page.")
    login_manager.login_message_category = "warning"


def _register_views(app: Flask) -> None:
    from views import errors, health
    from views.admin import init_admin
    from views.api import api
    from views.auth import auth
    from views.portal import portal
    from views.public import public

    app.register_blueprint(auth)
    app.register_blueprint(portal)
    app.register_blueprint(api)
    app.register_blueprint(public)
    app.register_blueprint(health.bp)
    csrf.exempt(api)
    errors.register(app)
    init_admin(app)

    @app.get("/")
    def index():
        """Send visitors to the console (staff log in there), portal users to the portal."""
        from backoffice.security import is_portal_user

        return redirect(url_for("portal.index" if is_portal_user() else "admin.index"))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite (embedded mode): foreign keys on, WAL, and transactions SQLAlchemy controls.

    pysqlite's own BEGIN handling breaks SAVEPOINTs, so SQLAlchemy emits BEGIN itself
    (see ``_sqlite_begin``).
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _writing_request() else "BEGIN")


def _writing_request() -> bool:
    """A POST/PUT/PATCH/DELETE request takes SQLite's write lock when its transaction begins.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" if another connection committed in between (WAL snapshot); an IMMEDIATE one
    waits its turn (busy_timeout) instead. Background work (embedded mode: jobs, schedule
    ticks, sweeps) does the same; plain page reads stay deferred.
    """
    from flask import has_request_context, request

    from backoffice.queue import in_background

    if in_background():
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
