"""Rendering message templates in Jinja's immutable sandbox; checking staff-edited ones.

A message is rendered from the console's override for (event, channel, language, customer
group) when there is an active one, else from the default file ``templates/emails/<event>.
<locale>.html`` (blocks ``subject``, ``html``, ``text``, ``sms``), trying the recipient's
language first and Polish second. E-mail HTML content is wrapped in ``emails/_layout.html``
(our company's header and footer) unless it is a whole document already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, Undefined, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import or_, select

from backoffice.extensions import db
from backoffice.mail.compose import inline_css
from backoffice.services.message_cache import memo
from backoffice.services.message_events import TEMPLATES
from models.message_templates import MessageTemplate
from models.messaging import Channel

WARSAW = ZoneInfo("Europe/Warsaw")
BLOCKS = ("subject", "html", "text", "sms")


@dataclass(frozen=True)
class Rendered:
    """A message's texts for one channel; ``source`` says which template made them."""

    subject: str | None
    html: str | None
    text: str
    source: str


class TemplateMissing(LookupError):
    """Neither an override nor a default file exists for the event."""


# --- the environments ------------------------------------------------------------------------


def _locale(ctx) -> str:
    return str(ctx.get("locale") or "pl")


@pass_context
def _money(ctx, amount, currency: str = "PLN") -> str:
    if amount is None or amount == "":
        return ""
    try:
        return format_currency(Decimal(str(amount)), currency, locale=_locale(ctx))
    except (InvalidOperation, ValueError):
        return str(amount)


@pass_context
def _number(ctx, value, digits: int = 0) -> str:
    if value is None or value == "":
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else ".###")
    return format_decimal(Decimal(str(value)), format=pattern, locale=_locale(ctx))


@pass_context
def _when(ctx, value, fmt: str = "medium") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value, fmt, tzinfo=WARSAW, locale=_locale(ctx))
    return format_date(value, fmt, locale=_locale(ctx))


#: Longest string or list a template may build with ``*``, largest exponent of ``**``.
MAX_REPEAT = 100_000
MAX_EXPONENT = 100


class MessageSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, also refusing ``'x' * 10**9``-style memory bombs."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent larger than {MAX_EXPONENT}")
            return left**right
        sized = left if isinstance(left, str | list | tuple) else right
        times = right if sized is left else left
        if (
            isinstance(sized, str | list | tuple)
            and isinstance(times, int)
            and len(sized) * times > MAX_REPEAT
        ):
            raise SecurityError(f"result longer than {MAX_REPEAT}")
        return left * right


def _make_env(strict: bool, autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = MessageSandbox(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined if strict else Undefined,
    )
    env.filters.update(money=_money, number=_number, when=_when)
    return env


_ENVS: dict[tuple[bool, bool], ImmutableSandboxedEnvironment] = {}


def template_env(strict: bool = False, autoescape: bool = True) -> ImmutableSandboxedEnvironment:
    """The sandbox (``strict``: undefined variables are errors; ``autoescape`` for HTML)."""
    key = (strict, autoescape)
    if key not in _ENVS:
        _ENVS[key] = _make_env(strict, autoescape)
    return _ENVS[key]


# --- finding and rendering -----------------------------------------------------------------


def find_override(
    event: str, channel: Channel | str, locale: str, group_id: int | None
) -> MessageTemplate | None:
    """The active console template for the key: the group's own first, then the general one."""
    key = (event, Channel(channel), locale, group_id)
    return memo("override", key, lambda: _load_override(*key))


def _load_override(event, channel, locale, group_id) -> MessageTemplate | None:
    rows = db.session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.event == event,
            MessageTemplate.channel == Channel(channel),
            MessageTemplate.locale == locale,
            MessageTemplate.active.is_(True),
            or_(
                MessageTemplate.customer_group_id.is_(None),
                MessageTemplate.customer_group_id == group_id,
            ),
        )
    ).all()
    rows.sort(key=lambda t: t.customer_group_id is None)
    return rows[0] if rows else None


def file_blocks(event: str, locale: str, context: dict) -> dict[str, str] | None:
    """The default file's blocks rendered, or None when there is no file for the locale."""
    try:
        template = template_env().get_template(f"{event}.{locale}.html")
    except TemplateNotFound:
        return None
    ctx = template.new_context(dict(context))
    blocks = {}
    for name, block in template.blocks.items():
        if name in BLOCKS:
            value = "".join(block(ctx)).strip()
            # The file is autoescaped HTML; text parts must not keep "&amp;" and the like.
            blocks[name] = value if name == "html" else Markup(value).unescape()
    return blocks


def render_message(
    event: str,
    channel: Channel | str,
    locale: str,
    context: dict,
    group_id: int | None = None,
) -> Rendered | None:
    """The texts of one message; None when the event has nothing for this channel.

    Raises TemplateMissing when the event has neither an override nor a default file.
    """
    channel = Channel(channel)
    context = {**context, "locale": locale}
    for loc in dict.fromkeys((locale, "pl")):
        override = find_override(event, channel, loc, group_id)
        if override is not None:
            return render_override(override, {**context, "locale": loc})
        blocks = file_blocks(event, loc, {**context, "locale": loc})
        if blocks is not None:
            return _from_blocks(blocks, channel, f"file:{event}.{loc}.html", context)
    raise TemplateMissing(f"no template for {event} ({locale})")


def render_string(source: str | None, context: dict, *, html: bool, strict: bool = False) -> str:
    """Render one template text in the sandbox (HTML autoescaped, plain text not)."""
    if not source:
        return ""
    return template_env(strict, autoescape=html).from_string(source).render(context).strip()


def render_override(template: MessageTemplate, context: dict, strict: bool = False) -> Rendered:
    """Render a console template (subject, HTML, text or SMS)."""
    source = f"db:{template.id}"
    text = render_string(template.body_text, context, html=False, strict=strict)
    if template.channel == Channel.SMS:
        return Rendered(None, None, text, source)
    subject = render_string(template.subject, context, html=False, strict=strict)
    html = render_string(template.body_html, context, html=True, strict=strict)
    return Rendered(
        " ".join(subject.split()), wrap_layout(html, context) if html else None, text, source
    )


def _from_blocks(blocks: dict, channel: Channel, source: str, context: dict) -> Rendered | None:
    if channel == Channel.SMS:
        sms = blocks.get("sms", "")
        return Rendered(None, None, sms, source) if sms else None
    html = blocks.get("html") or None
    subject = " ".join((blocks.get("subject") or "").split())
    return Rendered(
        subject, wrap_layout(html, context) if html else None, blocks.get("text", ""), source
    )


def wrap_layout(html: str, context: dict) -> str:
    """Put content into the e-mail layout (unless it is a complete document already), with
    the CSS inlined — what is stored is exactly what is sent."""
    if "<html" not in html[:500].lower():
        layout = template_env().get_template("_layout.html")
        html = layout.render({**context, "content": Markup(html)})
    return inline_css(html)
