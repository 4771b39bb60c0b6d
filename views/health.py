"""GET /healthz: is the database reachable, is the queue reachable (for load balancers)."""

import contextlib

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from backoffice.extensions import db
from backoffice.queue import redis_connection

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        with contextlib.suppress(Exception):  # the connection may be gone altogether
            db.session.rollback()
        return f"error: {type(exc).__name__}"


def _queue() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "embedded"
    try:
        redis_connection().ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


@bp.get("/healthz")
def healthz():
    """200 ``{"database": "ok", "queue": "ok"|"embedded"}``; 503 naming the failing part."""
    status = {"database": _database(), "queue": _queue()}
    healthy = all(not value.startswith("error") for value in status.values())
    response = jsonify(status)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
