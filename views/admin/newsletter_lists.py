"""Console: newsletter address lists, their members, and importing external lists
(CSV/XLSX: upload → match the columns → check every row → import)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import current_actor
from backoffice.errors import DomainError, ValidationFailed
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import newsletter_imports as imports
from backoffice.services import newsletter_lists as lists_service
from backoffice.services.audit import diff, record
from backoffice.services.uploads import display_name
from models.newsletters import ListMember, MemberStatus, NewsletterList
from models.users import Role
from views.admin.base import Category, SecureModelView

MARKETING = (Role.MARKETING,)
MEMBER_STATUS = {MemberStatus.SUBSCRIBED: _l("subscribed"), MemberStatus.UNSUBSCRIBED: _l("left")}


class NewsletterListAdmin(SecureModelView):
    """Address lists: create, rename, public or not, the default one; members and imports."""

    roles = MARKETING
    details_template = "admin/newsletters/list_details.html"
    column_list = ("name", "public", "is_default", "members", "created_at")
    column_labels = {
        "name": _l("Name"),
        "description": _l("Description"),
        "public": _l("On the sign-up form"),
        "is_default": _l("Default list"),
        "members": _l("Members"),
        "created_at": _l("Created"),
    }
    column_formatters = {
        "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for(".details_view", id=m.id), m.name
        ),
        "members": lambda v, c, m, n: v.counts().get(m.id, (0, 0))[0],
        "public": lambda v, c, m, n: _("yes") if m.public else _("no"),
        "is_default": lambda v, c, m, n: _("yes") if m.is_default else "",
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    column_formatters_export = {
        "members": lambda v, c, m, n: v.counts().get(m.id, (0, 0))[0],
    }
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "created_at")
    form_columns = ("name", "description", "public", "is_default")
    form_args = {
        "public": {
            "description": _l("Visitors can choose it when signing up and in their preferences.")
        },
        "is_default": {
            "description": _l("Used by the sign-up form and the shop's API when no list is named.")
        },
    }

    def audit_name(self) -> str:
        return "newsletter_list"

    def counts(self) -> dict[int, tuple[int, int]]:
        return lists_service.member_counts()

    def create_model(self, form):
        return self._save(form, NewsletterList(), True)

    def update_model(self, form, model):
        return self._save(form, model, False)

    def after_model_change(self, form, model, is_created):
        """Audited in ``_save``."""

    def _save(self, form, model, created: bool):
        try:
            form.populate_obj(model)
            changes = diff(model)
            if created:
                db.session.add(model)
                db.session.flush()
            lists_service.check_list(model)
            record(
                current_actor(),
                f"newsletter_list.{'create' if created else 'update'}",
                model,
                changes=changes,
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "", None)
            if field is not None:
                field.errors = [*list(field.errors or []), exc.message]
            flash(exc.message, "danger")
            return False
        except IntegrityError:
            db.session.rollback()
            flash(_("A list with this name exists already."), "danger")
            return False
        return model if created else True

    # --- import ---------------------------------------------------------------------------

    @expose("/<int:list_id>/import", methods=("GET", "POST"))
    def import_view(self, list_id: int):
        """Import addresses from a CSV or XLSX file into the list."""
        newsletter_list = db.session.get(NewsletterList, list_id) or abort(404)
        stage = request.form.get("stage") if request.method == "POST" else None
        context = {"newsletter_list": newsletter_list, "fields": imports.FIELDS}
        try:
            if stage == "upload":
                context.update(self._uploaded())
            elif stage in ("check", "import"):
                result = self._checked(newsletter_list, stage == "import")
                if result is None:
                    return redirect(url_for(".details_view", id=list_id))
                context.update(result)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return self.render("admin/newsletters/list_import.html", **context)

    def _uploaded(self) -> dict:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file."), "danger")
            return {}
        data = upload.read()
        filename = display_name(upload.filename)
        sheet = imports.read(filename, data)
        token = imports.store_upload(data)
        return {
            "token": token,
            "filename": filename,
            "headers": sheet.headers,
            "sample": [cells for _line, cells in sheet.rows[:5]],
            "mapping": imports.guess_mapping(sheet.headers),
            "rows": len(sheet.rows),
        }

    def _mapping(self, headers: list[str]) -> dict[str, int | None]:
        mapping = {}
        for name in imports.FIELDS:
            raw = request.form.get(f"map_{name}", "")
            mapping[name] = int(raw) if raw.isdigit() and int(raw) < len(headers) else None
        return mapping

    def _checked(self, newsletter_list: NewsletterList, apply: bool) -> dict | None:
        token, filename = request.form.get("token", ""), request.form.get("filename", "")
        data = imports.load_upload(token)
        sheet = imports.read(filename, data)
        mapping = self._mapping(sheet.headers)
        plan = imports.plan_import(newsletter_list, sheet, mapping)
        if apply:
            all_consented = request.form.get("all_consented") == "on"
            result = imports.apply_import(
                current_actor(),
                newsletter_list,
                plan,
                all_consented=all_consented,
                filename=filename,
            )
            db.session.commit()
            imports.drop_upload(token)
            flash(
                _(
                    "Imported %(added)s addresses; consents recorded: %(consents)s; "
                    "without consent (no campaigns until they agree): %(without)s.",
                    added=result.added,
                    consents=result.consents_recorded,
                    without=result.without_consent,
                ),
                "success",
            )
            return None
        return {
            "token": token,
            "filename": filename,
            "headers": sheet.headers,
            "mapping": mapping,
            "plan": plan,
            "checked": True,
        }


class ListMemberAdmin(SecureModelView):
    """The members of the lists: search, add one by hand, mark as gone."""

    roles = MARKETING
    allow_edit = False
    can_view_details = False
    column_list = (
        "email",
        "name",
        "company",
        "newsletter_list",
        "status",
        "source",
        "created_at",
        "unsubscribed_at",
    )
    column_labels = {
        "email": _l("E-mail"),
        "name": _l("Name"),
        "company": _l("Company"),
        "newsletter_list": _l("List"),
        "newsletter_list.name": _l("List"),
        "status": _l("Status"),
        "source": _l("Source"),
        "created_at": _l("Added"),
        "unsubscribed_at": _l("Left"),
    }
    column_export_list = (
        "email",
        "name",
        "company",
        "newsletter_list.name",
        "status",
        "source",
        "created_at",
        "unsubscribed_at",
    )
    column_searchable_list = ("email", "name", "company")
    column_sortable_list = ("email", "name", "created_at", "unsubscribed_at")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(ListMember.list_id, _l("List (number)")),
        FilterEqual(
            ListMember.status,
            _l("Status"),
            options=[(k.value, v) for k, v in MEMBER_STATUS.items()],
        ),
    )
    column_formatters = {
        "status": lambda v, c, m, n: MEMBER_STATUS[m.status],
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "unsubscribed_at": lambda v, c, m, n: format_when(m.unsubscribed_at),
    }
    column_formatters_export = {
        "newsletter_list.name": lambda v, c, m, n: m.newsletter_list.name,
        "status": lambda v, c, m, n: str(MEMBER_STATUS[m.status]),
    }
    form_columns = ("newsletter_list", "email", "name", "company")

    def audit_name(self) -> str:
        return "newsletter_member"

    def scope(self, query):
        list_id = request.args.get("list_id", "")
        return query.filter(ListMember.list_id == int(list_id)) if list_id.isdigit() else query

    def create_model(self, form):
        try:
            newsletter_list = form.newsletter_list.data
            if newsletter_list is None:
                raise ValidationFailed(_("Choose the list."), field="newsletter_list")
            row = lists_service.join_list(
                current_actor(),
                newsletter_list,
                form.email.data or "",
                source="console",
                name=form.name.data,
                company=form.company.data,
            )
            db.session.commit()
            return row
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return False

    def after_model_change(self, form, model, is_created):
        """Audited by the service."""

    @action(
        "leave",
        _l("Mark as unsubscribed"),
        _l("Mark the selected addresses as gone from their list?"),
    )
    def action_leave(self, ids):
        actor = current_actor()
        count = 0
        for row in db.session.scalars(
            select(ListMember).where(ListMember.id.in_([int(i) for i in ids]))
        ):
            count += lists_service.leave_list(actor, row.list_id, row.email, source="console")
        db.session.commit()
        flash(_("%(n)s address(es) marked as unsubscribed.", n=count), "success")


def register_lists(admin) -> None:
    admin.add_view(
        NewsletterListAdmin(
            NewsletterList,
            name=_l("Address lists"),
            category=Category.MARKETING,
            endpoint="newsletter_lists",
            url="/admin/newsletter-lists",
        )
    )
    admin.add_view(
        ListMemberAdmin(
            ListMember,
            name=_l("List members"),
            category=Category.MARKETING,
            endpoint="newsletter_members",
            url="/admin/newsletter-members",
        )
    )
