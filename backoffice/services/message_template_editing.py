"""Staff editing message templates: checks before saving, preview, save and delete.

A template is refused (with the line and the reason) when it does not parse, when it reaches
for internals (``__class__``, ``_private``, the ``|attr`` filter, ``{% include %}``) — the
classic sandbox-escape tricks — or when rendering it with a real sample context fails.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass

from flask_babel import gettext as _
from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import diff, record
from backoffice.services.message_events import TEMPLATES, event_info
from backoffice.services.message_templates import (
    Rendered,
    render_override,
    render_string,
    template_env,
)
from models.message_templates import MessageTemplate
from models.messaging import Channel

#: Template fields and whether they are HTML.
FIELDS = {"subject": False, "body_html": True, "body_text": False}
FORBIDDEN_FILTERS = frozenset({"attr"})
#: Tags that load other templates: only the e-mail helpers ("_order_macros.html"), by name.
LOADING_TAGS = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def check_source(source: str, html: bool) -> str | None:
    """A reason (with the line) why the template text is refused, or None when it is fine."""
    try:
        tree = template_env(autoescape=html).parse(source)
    except TemplateSyntaxError as exc:
        return _("Line %(line)s: %(reason)s", line=exc.lineno, reason=exc.message)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Filter)):
        reason = _forbidden(node)
        if reason:
            return _("Line %(line)s: %(reason)s", line=node.lineno, reason=reason)
    for node in tree.find_all(LOADING_TAGS):
        name = node.template.value if isinstance(node.template, nodes.Const) else None
        if isinstance(node, nodes.Extends) or not str(name or "").startswith("_"):
            return _(
                "Line %(line)s: %(reason)s",
                line=node.lineno,
                reason=_("only the e-mail helper templates (names starting with _) can be used"),
            )
    return None


def _forbidden(node) -> str | None:
    name = None
    if isinstance(node, nodes.Getattr):
        name = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        name = str(node.arg.value)
    elif isinstance(node, nodes.Name):
        name = node.name
    elif isinstance(node, nodes.Filter) and node.name in FORBIDDEN_FILTERS:
        return _("the |%(name)s filter is not allowed", name=node.name)
    if name is not None and name.startswith("_"):
        return _("access to “%(name)s” is not allowed", name=name)
    return None


def _error_line(exc: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else getattr(exc, "lineno", None)


def check_render(source: str, context: dict, html: bool, strict: bool) -> str | None:
    """Render with the sample context; a reason with the line when that fails."""
    try:
        render_string(source, context, html=html, strict=strict)
        return None
    except SecurityError as exc:
        reason, error = _("not allowed in a template (%(detail)s)", detail=str(exc)), exc
    except UndefinedError as exc:
        reason, error = _("unknown variable (%(detail)s)", detail=str(exc)), exc
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not raised
        reason, error = f"{type(exc).__name__}: {exc}", exc
    line = _error_line(error)
    return _("Line %(line)s: %(reason)s", line=line, reason=reason) if line else reason


def validate(
    channel: Channel | str, values: dict[str, str | None], context: dict, strict: bool
) -> dict[str, list[str]]:
    """Field → problems for a template about to be saved (empty when it is fine)."""
    channel = Channel(channel)
    errors: dict[str, list[str]] = {}
    if channel == Channel.SMS:
        if not (values.get("body_text") or "").strip():
            errors["body_text"] = [_("An SMS needs its text.")]
    else:
        if not (values.get("subject") or "").strip():
            errors["subject"] = [_("An e-mail needs a subject.")]
        if not (values.get("body_html") or "").strip() and not (values.get("body_text") or ""):
            errors["body_html"] = [_("Give the HTML content or the plain text (or both).")]
    for field, html in FIELDS.items():
        source = values.get(field) or ""
        if not source or field in errors:
            continue
        problem = check_source(source, html) or check_render(source, context, html, strict)
        if problem:
            errors[field] = [problem]
    return errors


@dataclass(frozen=True)
class TemplateData:
    """What the console form submits for one template."""

    event: str
    channel: str
    locale: str
    customer_group_id: int | None
    subject: str | None
    body_html: str | None
    body_text: str | None
    active: bool = True


def save_template(
    actor: Actor,
    template: MessageTemplate | None,
    data: TemplateData,
    context: dict,
    strict: bool = False,
) -> MessageTemplate:
    """Create or update an override after checking it; no commit.

    Raises ValidationFailed (field → "Line N: reason") when it does not render safely, or
    when another template already has the same event, channel, language and group.
    """
    values = {"subject": data.subject, "body_html": data.body_html, "body_text": data.body_text}
    errors = validate(data.channel, values, context, strict)
    clash = db.session.scalar(
        select(MessageTemplate.id).where(
            MessageTemplate.event == data.event,
            MessageTemplate.channel == Channel(data.channel),
            MessageTemplate.locale == data.locale,
            MessageTemplate.customer_group_id.is_(None)
            if data.customer_group_id is None
            else MessageTemplate.customer_group_id == data.customer_group_id,
        )
    )
    if clash is not None and (template is None or clash != template.id):
        errors.setdefault("event", []).append(
            _("A template for this event, channel, language and group exists already.")
        )
    if errors:
        raise ValidationFailed(_("The template was not saved."), errors=errors)
    created = template is None
    template = template or MessageTemplate()
    for name, value in data.__dict__.items():
        setattr(template, name, Channel(value) if name == "channel" else value)
    if Channel(data.channel) == Channel.SMS:
        template.subject = template.body_html = None
    template.updated_by = actor.label[:300]
    changes = diff(template) if not created else None
    db.session.add(template)
    db.session.flush()
    record(
        actor,
        "message_template." + ("create" if created else "update"),
        template,
        summary=str(template),
        changes=changes,
    )
    return template


def delete_template(actor: Actor, template: MessageTemplate) -> None:
    """Remove an override (the default file template applies again); no commit."""
    record(actor, "message_template.delete", template, summary=str(template))
    db.session.delete(template)


def preview(template: MessageTemplate, context: dict) -> Rendered:
    """Render an (unsaved) template leniently for the live preview."""
    return render_override(template, context)


_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)\s*-?%}(.*?){%-?\s*endblock(?:\s+\w+)?\s*-?%}", re.DOTALL)


def default_sources(event: str, channel: Channel | str, locale: str) -> dict[str, str]:
    """The default file's block sources as form fields (a starting point for an override)."""
    path = TEMPLATES / f"{event}.{locale}.html"
    if not path.exists():
        path = TEMPLATES / f"{event}.pl.html"
    if not path.exists():
        return {}
    blocks = {name: body.strip("\n") for name, body in _BLOCK.findall(path.read_text())}
    if Channel(channel) == Channel.SMS:
        return {"body_text": blocks.get("sms", "")}
    return {
        "subject": blocks.get("subject", ""),
        "body_html": blocks.get("html", ""),
        "body_text": blocks.get("text", ""),
    }


SAMPLE_RECIPIENT = {
    "name": "Jan Kowalski",
    "email": "jan.kowalski@example.pl",
    "phone": "+48600100200",
}


def sample_context(event: str, ref: str | None, locale: str) -> tuple[dict, bool]:
    """A context for previews and checks, and whether it is real data (checks are strict).

    Uses the event's ``sample(ref)`` (e.g. a real order by number, else the latest one);
    without one, variables are empty and only syntax and safety can be checked.
    """
    from backoffice.services.messaging import common_context

    info = event_info(event)
    data = info.sample(ref) if info.sample else {}
    context = {**common_context(), **(data or {}), "recipient": SAMPLE_RECIPIENT, "locale": locale}
    return context, bool(data)
