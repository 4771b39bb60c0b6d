"""Console: which events notify on which channel — the matrix and per-customer exceptions."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.services import message_events
from models.customers import Customer
from models.message_templates import CustomerNotificationRule
from models.messaging import Channel
from models.users import Role
from views.admin.base import Category, SecureView

CHANNELS = [c.value for c in Channel]


class NotificationMatrixView(SecureView):
    """Event × channel switches for everyone, and a customer's own exceptions."""

    roles = (Role.MARKETING,)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        events = message_events.all_events()
        if request.method == "POST":
            cells = {
                (e.name, c): request.form.get(f"cell:{e.name}:{c}") == "on"
                for e in events
                for c in CHANNELS
            }
            changed = message_events.set_matrix(current_actor(), cells)
            db.session.commit()
            flash(_("Saved: %(n)s change(s).", n=changed), "success")
            return redirect(url_for(".index"))
        customers_with_rules = db.session.scalars(
            select(Customer)
            .where(Customer.id.in_(select(CustomerNotificationRule.customer_id)))
            .order_by(Customer.name)
        ).all()
        return self.render(
            "admin/messaging/matrix.html",
            events=events,
            channels=CHANNELS,
            cells=message_events.matrix(),
            customers_with_rules=customers_with_rules,
            found=self._search(request.args.get("q", "").strip()),
        )

    def _search(self, q: str) -> list[Customer]:
        if not q:
            return []
        pattern = f"%{q}%"
        return db.session.scalars(
            select(Customer)
            .where(
                or_(
                    Customer.name.ilike(pattern),
                    Customer.nip == q.replace("-", ""),
                    Customer.external_id == q,
                )
            )
            .order_by(Customer.name)
            .limit(20)
        ).all()

    @expose("/customer/<int:customer_id>", methods=("GET", "POST"))
    def customer(self, customer_id: int):
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            abort(404)
        events = message_events.all_events()
        if request.method == "POST":
            values = {"on": True, "off": False}
            cells = {
                (e.name, c): values.get(request.form.get(f"cell:{e.name}:{c}", ""))
                for e in events
                for c in CHANNELS
            }
            changed = message_events.set_customer_rules(current_actor(), customer, cells)
            db.session.commit()
            flash(_("Saved: %(n)s change(s).", n=changed), "success")
            return redirect(url_for(".customer", customer_id=customer.id))
        return self.render(
            "admin/messaging/customer_rules.html",
            customer=customer,
            events=events,
            channels=CHANNELS,
            cells=message_events.matrix(),
            own=message_events.customer_rules(customer.id),
        )


def register(admin) -> None:
    """Add the notification matrix page."""
    admin.add_view(
        NotificationMatrixView(
            name=_l("Notifications"),
            category=Category.MESSAGES,
            endpoint="notification_matrix",
            url="/admin/notifications",
        )
    )
