"""Console: message templates per event × channel × language (× customer group).

Admins and marketing see every event with its default file and console overrides, edit an
override as Jinja with the event's variables beside it and a live preview on a real order
(or another sample the event offers), and get a template refused with the line and the
reason when it does not render safely.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from backoffice.actors import current_actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.i18n import LANGUAGES
from backoffice.mail.sms import sms_parts
from backoffice.services import message_template_editing as editing
from backoffice.services.message_events import COMMON_VARIABLES, all_events, event_info
from backoffice.services.message_events import template_files as files_on_disk
from models.customers import CustomerGroup
from models.message_templates import MessageTemplate
from models.messaging import Channel
from models.users import Role
from views.admin.base import Category, SecureView

CHANNEL_CHOICES = [("email", _l("e-mail")), ("sms", _l("SMS"))]


class TemplateForm(FlaskForm):
    """An override's key and texts."""

    event = SelectField(_l("Event"), choices=[])
    channel = SelectField(_l("Channel"), choices=CHANNEL_CHOICES)
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()))
    customer_group_id = SelectField(_l("Customer group"), choices=[], coerce=str)
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=300)])
    body_html = TextAreaField(_l("HTML content"), render_kw={"rows": 16, "spellcheck": "false"})
    body_text = TextAreaField(
        _l("Plain text / SMS text"), render_kw={"rows": 10, "spellcheck": "false"}
    )
    active = BooleanField(_l("Active"), default=True)
    sample_ref = StringField(_l("Preview on"), validators=[Optional(), Length(max=64)])

    def fill_choices(self) -> None:
        self.event.choices = [(e.name, e.name) for e in all_events()]
        groups = db.session.scalars(select(CustomerGroup).order_by(CustomerGroup.name)).all()
        self.customer_group_id.choices = [("", _("all customers"))] + [
            (str(g.id), g.name) for g in groups
        ]

    def data_for_service(self) -> editing.TemplateData:
        group = self.customer_group_id.data
        return editing.TemplateData(
            event=self.event.data,
            channel=self.channel.data,
            locale=self.locale.data,
            customer_group_id=int(group) if group else None,
            subject=self.subject.data or None,
            body_html=self.body_html.data or None,
            body_text=self.body_text.data or None,
            active=bool(self.active.data),
        )


class MessageTemplatesView(SecureView):
    """Every event's templates and the editor."""

    roles = (Role.MARKETING,)

    @expose("/")
    def index(self):
        overrides = db.session.scalars(
            select(MessageTemplate).order_by(MessageTemplate.event, MessageTemplate.locale)
        ).all()
        by_event: dict[str, list[MessageTemplate]] = {}
        for t in overrides:
            by_event.setdefault(t.event, []).append(t)
        return self.render(
            "admin/messaging/templates.html",
            events=all_events(),
            files=files_on_disk(),
            overrides=by_event,
            languages=LANGUAGES,
        )

    def _form(self, template: MessageTemplate | None) -> TemplateForm:
        form = TemplateForm(obj=template)
        form.fill_choices()
        if request.method == "GET":
            if template is not None:
                form.customer_group_id.data = str(template.customer_group_id or "")
            else:
                self._prefill(form)
        return form

    def _prefill(self, form: TemplateForm) -> None:
        args = request.args
        form.event.data = args.get("event") or form.event.data
        form.channel.data = args.get("channel") or "email"
        form.locale.data = args.get("locale") or "pl"
        form.customer_group_id.data = args.get("group", "")
        for name, value in editing.default_sources(
            form.event.data or "", form.channel.data, form.locale.data
        ).items():
            getattr(form, name).data = value

    @expose("/new", methods=("GET", "POST"))
    def create(self):
        return self._edit(None)

    @expose("/<int:template_id>", methods=("GET", "POST"))
    def edit(self, template_id: int):
        template = db.session.get(MessageTemplate, template_id)
        if template is None:
            abort(404)
        return self._edit(template)

    def _edit(self, template: MessageTemplate | None):
        form = self._form(template)
        if form.validate_on_submit():
            data = form.data_for_service()
            context, real = editing.sample_context(data.event, form.sample_ref.data, data.locale)
            try:
                saved = editing.save_template(current_actor(), template, data, context, real)
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                _attach_errors(form, exc.errors)
                flash(exc.message, "danger")
            else:
                flash(_("Template saved: %(name)s", name=str(saved)), "success")
                return redirect(url_for(".edit", template_id=saved.id))
        info = event_info(form.event.data or "")
        variables = {**info.variables, **COMMON_VARIABLES}
        return self.render(
            "admin/messaging/template_edit.html",
            form=form,
            override=template,
            info=info,
            variables=variables,
        )

    @expose("/preview", methods=("POST",))
    def preview(self):
        """Render the form's texts with a sample (JSON for the live preview)."""
        form = TemplateForm()
        form.fill_choices()
        data = form.data_for_service()
        context, real = editing.sample_context(data.event, form.sample_ref.data, data.locale)
        values = {"subject": data.subject, "body_html": data.body_html, "body_text": data.body_text}
        errors = editing.validate(data.channel, values, context, real)
        result = {"errors": {k: [str(m) for m in v] for k, v in errors.items()}, "sample": real}
        if not errors:
            draft = MessageTemplate(
                **{k: v for k, v in data.__dict__.items() if k != "channel"},
                channel=Channel(data.channel),
            )
            rendered = editing.preview(draft, context)
            parts, encoding = sms_parts(rendered.text)
            result.update(
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                sms=_(
                    "%(chars)s characters, %(parts)s part(s), %(encoding)s",
                    chars=len(rendered.text),
                    parts=parts,
                    encoding=encoding,
                ),
            )
        return jsonify(result)

    @expose("/<int:template_id>/delete", methods=("POST",))
    def delete(self, template_id: int):
        """Remove an override: the default file applies again."""
        template = db.session.get(MessageTemplate, template_id)
        if template is None:
            abort(404)
        name = str(template)
        editing.delete_template(current_actor(), template)
        db.session.commit()
        flash(_("Template removed; the default applies again: %(name)s", name=name), "success")
        return redirect(url_for(".index"))


def _attach_errors(form: TemplateForm, errors: dict[str, list[str]]) -> None:
    for field, messages in errors.items():
        target = getattr(form, field, None)
        if target is not None:
            target.errors = list(target.errors or []) + [str(m) for m in messages]


def register(admin) -> None:
    """Add the templates page."""
    admin.add_view(
        MessageTemplatesView(
            name=_l("Message templates"),
            category=Category.MESSAGES,
            endpoint="message_templates",
            url="/admin/message-templates",
        )
    )
