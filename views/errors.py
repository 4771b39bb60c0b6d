"""Error pages in the user's language; JSON for the API."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def register(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(("/api/", "/hooks/")):
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        titles = {
            403: _("Access denied"),
            404: _("Page not found"),
            405: _("Method not allowed"),
            413: _("The file is too large"),
            429: _("Too many attempts — try again in a minute"),
        }
        title = titles.get(exc.code, exc.name)
        return render_template("error.html", code=exc.code, title=title), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        if request.path.startswith(("/api/", "/hooks/")):
            return jsonify({"error": "Internal Server Error"}), 500
        return render_template("error.html", code=500, title=_("Something went wrong")), 500
