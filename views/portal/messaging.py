"""Portal: the user's own notification preferences and consents, with their history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import portal_required
from backoffice.services import consents as consent_service
from models.consents import ConsentSource
from models.messaging import Channel, Purpose
from views.portal import customers_only, nav_item, portal

nav_item("portal.preferences", _l("Notifications and consents"), order=85, visible=customers_only)

PURPOSES = [
    (
        Purpose.TRANSACTIONAL,
        _l("Order and service notices"),
        _l("Order confirmations, shipment and delivery notices, returns and service tickets."),
    ),
    (
        Purpose.PAYMENT_REMINDERS,
        _l("Payment reminders"),
        _l("Reminders before and after the due date, thank-yous for payments."),
    ),
    (
        Purpose.MARKETING,
        _l("Newsletter and offers"),
        _l("News about products, promotions and discount codes."),
    ),
]


def my_addresses() -> list[tuple[Channel, str]]:
    """The logged-in user's e-mail and phone (normalised), as consents are kept per address."""
    out = []
    for channel, raw in ((Channel.EMAIL, current_user.email), (Channel.SMS, current_user.phone)):
        try:
            address = consent_service.normalise_address(raw, channel) if raw else None
        except DomainError:
            address = None
        if address:
            out.append((channel, address))
    return out


def effective(decision: bool | None, purpose: Purpose) -> bool:
    """What applies without a recorded decision: yes, except for marketing."""
    if decision is None:
        return purpose not in consent_service.OPT_IN_PURPOSES
    return decision


@portal.route("/preferences", methods=["GET", "POST"])
@portal_required
def preferences():
    """The user's choices: which messages to get by e-mail and by SMS."""
    if current_user.customer_id is None:
        abort(404)
    addresses = my_addresses()
    if request.method == "POST":
        changed = 0
        for channel, address in addresses:
            known = consent_service.decisions([address], channel)
            for purpose, _label, _help in PURPOSES:
                wanted = request.form.get(f"{channel.value}:{purpose.value}") == "on"
                if effective(known.get((address, purpose)), purpose) == wanted:
                    continue
                consent_service.set_consent(
                    current_actor(),
                    address,
                    channel,
                    purpose,
                    wanted,
                    source=ConsentSource.PORTAL,
                    customer_id=current_user.customer_id,
                    portal_user_id=current_user.id,
                )
                changed += 1
        db.session.commit()
        flash(
            _("Your preferences have been saved.") if changed else _("Nothing changed."), "success"
        )
        return redirect(url_for("portal.preferences"))
    state = {}
    for channel, address in addresses:
        known = consent_service.decisions([address], channel)
        for purpose, _label, _help in PURPOSES:
            state[(channel, purpose)] = effective(known.get((address, purpose)), purpose)
    history = [c for _ch, a in addresses for c in consent_service.history(a)]
    history.sort(key=lambda c: c.id, reverse=True)
    return render_template(
        "portal/messaging/preferences.html",
        addresses=addresses,
        state=state,
        purposes=PURPOSES,
        history=history[:20],
        source_labels=consent_service.SOURCE_LABELS,
        title=_("Notifications and consents"),
    )
