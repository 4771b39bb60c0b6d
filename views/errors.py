"""Error pages in the user's language; JSON for the API."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from backoffice.extensions import db

JSON_PREFIXES = ("/api/", "/hooks/", "/healthz")


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please log in"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("The file is too large"),
        422: _("The data could not be processed"),
        429: _("Too many attempts — try again in a minute"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable — try again in a moment"),
    }


def api_error(code: int, title: str, message: str):
    """``{"error", "message", "errors": {"_": [message]}}``: the API's error shape."""
    return jsonify({"error": title, "message": message, "errors": {"_": [message]}}), code


def render_error(code: int, title: str | None = None, detail: str | None = None):
    """The error page (HTML) or ``{"error", "message"}`` (API) with the status code."""
    title = title or _titles().get(code) or _("Error")
    if request.path.startswith(JSON_PREFIXES):
        return api_error(code, title, detail or title)
    return render_template("error.html", code=code, title=title, detail=detail), code


def register(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        detail = _(
            "The form has expired or was sent from another page. Go back, reload the "
            "page and try again."
        )
        return render_error(400, _("The form could not be accepted"), detail)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(JSON_PREFIXES):
            return api_error(exc.code or 500, exc.name, exc.description or exc.name)
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        try:
            db.session.rollback()  # a half-done transaction must not leak into the next use
        except Exception:  # noqa: BLE001 - the database itself may be what failed
            app.logger.warning("rollback after an unhandled error failed too")
        if request.path.startswith(JSON_PREFIXES):
            return api_error(500, "Internal Server Error", "Internal Server Error")
        return render_error(500)
