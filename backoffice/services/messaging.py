"""Communication: every module's e-mails and text messages go through ``notify``.

``notify`` renders the event's template for each recipient and writes one ``Message`` row
per recipient and channel in the caller's transaction (the outbox). After commit a
``mail``-queue job sends them; see tasks/messaging.py.

Templates: ``templates/emails/<event>.<locale>.html`` with the blocks ``subject``, ``html``,
``text`` and ``sms`` (each optional), rendered in an immutable sandbox with the caller's
``context``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import FileSystemLoader, TemplateNotFound, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.queue import defer
from models.customers import Customer
from models.messaging import Channel, Message, Purpose

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"

#: Contact flag that selects the recipients of each audience.
AUDIENCE_FLAGS = {
    "orders": "receives_order_notices",
    "returns": "receives_return_notices",
    "payment_reminders": "receives_payment_reminders",
    "offers": "receives_offers",
}


@dataclass(frozen=True)
class Recipient:
    """Where one message goes; ``email`` for e-mail, ``phone`` (E.164) for SMS."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    locale: str = "pl"


@dataclass(frozen=True)
class Attachment:
    """A stored file to attach: ``path`` is relative to STORAGE_DIR."""

    filename: str
    path: str
    mimetype: str


_ENV: ImmutableSandboxedEnvironment | None = None


def template_env() -> ImmutableSandboxedEnvironment:
    """The sandboxed environment that renders message templates."""
    global _ENV
    if _ENV is None:
        _ENV = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV


def render_blocks(event: str, locale: str, context: dict) -> dict[str, str]:
    """Render the event's template blocks (subject, html, text, sms) for one locale."""
    env = template_env()
    try:
        template = env.get_template(f"{event}.{locale}.html")
    except TemplateNotFound:
        template = env.get_template(f"{event}.pl.html")
    ctx = template.new_context(dict(context))
    return {
        name: "".join(block(ctx)).strip()
        for name, block in template.blocks.items()
        if name in {"subject", "html", "text", "sms"}
    }


def default_recipients(customer: Customer, audience: str | None) -> list[Recipient]:
    """The customer's own address plus its contacts flagged for the audience, deduplicated."""
    out: list[Recipient] = []
    if customer.email or customer.phone:
        out.append(
            Recipient(
                customer.email, customer.phone, customer.name, customer.id, None, customer.locale
            )
        )
    flag = AUDIENCE_FLAGS.get(audience or "")
    for contact in customer.contacts:
        if flag and getattr(contact, flag):
            out.append(
                Recipient(
                    contact.email,
                    contact.phone,
                    contact.name,
                    customer.id,
                    contact.id,
                    customer.locale,
                )
            )
    seen, unique = set(), []
    for r in out:
        key = (r.email or "").lower(), r.phone
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def notify(
    actor: Actor,
    event: str,
    *,
    context: dict,
    customer: Customer | None = None,
    related: object | None = None,
    purpose: Purpose | str = Purpose.TRANSACTIONAL,
    audience: str | None = None,
    recipients: Sequence[Recipient] | None = None,
    channels: Iterable[str] = (Channel.EMAIL,),
    attachments: Sequence[Attachment] = (),
) -> list[Message]:
    """Queue ``event``'s messages; one row per recipient and channel. No commit.

    Recipients default to the customer's address and its contacts flagged for ``audience``
    (``orders``, ``returns``, ``payment_reminders``, ``offers``). ``related`` is the object
    the message is about (shown in the register). Sent after the caller commits.
    """
    if recipients is None:
        recipients = default_recipients(customer, audience) if customer is not None else []
    messages = []
    for recipient in recipients:
        for channel in map(Channel, channels):
            address = recipient.email if channel == Channel.EMAIL else recipient.phone
            if not address:
                continue
            blocks = render_blocks(event, recipient.locale, {**context, "recipient": recipient})
            body = blocks.get("sms", "") if channel == Channel.SMS else blocks.get("text", "")
            message = Message(
                channel=channel,
                event=event,
                purpose=Purpose(purpose),
                recipient=address,
                recipient_name=recipient.name,
                customer_id=recipient.customer_id or (customer.id if customer else None),
                contact_id=recipient.contact_id,
                related_type=type(related).__name__ if related is not None else None,
                related_id=str(related.id) if related is not None else None,
                locale=recipient.locale,
                subject=blocks.get("subject") if channel == Channel.EMAIL else None,
                body_html=blocks.get("html") if channel == Channel.EMAIL else None,
                body_text=body,
                attachments=[a.__dict__ for a in attachments] or None,
            )
            db.session.add(message)
            messages.append(message)
    if messages:
        db.session.flush()
        for channel in {m.channel for m in messages}:
            defer(
                "tasks.messaging.dispatch",
                channel.value,
                queue="mail",
                key=f"dispatch-{channel.value}",
                timeout=300,
            )
    return messages
