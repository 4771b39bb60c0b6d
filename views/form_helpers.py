"""What console and portal forms share: a service's refusal shown on the form, the user's
own password and language forms, and serving a stored file to a logged-in user."""

from __future__ import annotations

from flask import abort, flash, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.errors import DomainError
from backoffice.i18n import LANGUAGES
from backoffice.services import users as user_service


def attach_error(form, exc: DomainError) -> None:
    """Put a service's refusal next to the fields it names; anything else as a message."""
    shown = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*(field.errors or []), *messages]
            shown = True
    flash(_("Please correct the marked fields.") if shown else exc.message, "danger")


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=user_service.MIN_PASSWORD, max=128)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()))


def send_stored(relative_path: str | None, max_age: int = 0):
    """Serve a file kept under STORAGE_DIR (logos, reward pictures); 404 when it is gone
    or the path would leave the storage directory."""
    from backoffice.services.uploads import absolute_path

    if not relative_path:
        abort(404)
    try:
        path = absolute_path(relative_path)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, max_age=max_age)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
