"""GET /healthz: is the database reachable, is the queue reachable."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from backoffice.extensions import db
from backoffice.queue import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database and Redis answer, 503 naming the failing part."""
    status, ok = {}, True
    try:
        db.session.execute(text("SELECT 1"))
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        status["database"], ok = f"error: {type(exc).__name__}", False
    if current_app.config.get("REDIS_URL"):
        try:
            redis_connection().ping()
            status["queue"] = "ok"
        except Exception as exc:  # noqa: BLE001
            status["queue"], ok = f"error: {type(exc).__name__}", False
    else:
        status["queue"] = "embedded"
    return jsonify(status), 200 if ok else 503
