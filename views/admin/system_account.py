"""Console: the logged-in staff user's own account — profile, password, language."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import renew_login
from backoffice.services import users as user_service
from views.admin.base import ALL_STAFF, SecureView
from views.form_helpers import LanguageForm, PasswordForm, attach_error


class AccountView(SecureView):
    """Every staff user's own account page (linked from the user menu, not the navbar)."""

    roles = ALL_STAFF

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self):
        password = PasswordForm(prefix="pw")
        language = LanguageForm(prefix="lang", locale=current_user.locale)
        which = request.form.get("form")
        if which == "language" and language.validate_on_submit():
            user_service.set_locale(current_actor(), current_user, language.locale.data)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".index"))
        if which == "password" and password.validate_on_submit():
            try:
                user_service.change_password(
                    current_actor(), current_user, password.current.data, password.new.data
                )
                db.session.commit()
                renew_login(current_user._get_current_object())
                flash(_("Your password has been changed."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                db.session.rollback()
                attach_error(password, exc)
        return self.render("admin/system/account.html", password=password, language=language)


def register(admin) -> None:
    """Add the own-account page to the console."""
    admin.add_view(AccountView(name=_l("My account"), endpoint="account", url="/admin/account"))
