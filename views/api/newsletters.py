"""Newsletter sign-ups from the shop (scope ``shop``): double opt-in, like the public form.

The shop posts what its visitor entered and the visitor's IP; we e-mail the confirmation
link and record the consent only when it is clicked. The answer is the same whether or not
the address was subscribed already (202 ``pending`` — or ``confirmed`` when it is in and
gets no new e-mail), so the endpoint cannot be used to probe a list.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated, Literal

from flask import request
from pydantic import AfterValidator, Field, StringConstraints

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.services import newsletter_subscribers as subscribers
from models.newsletters import SubscriberStatus
from views.api.base import api_route
from views.api.schemas_common import Email, InputModel, OutputModel


def _ip(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    return str(ip_address(value))


class SubscribeIn(InputModel):
    """A visitor's sign-up as the shop received it."""

    email: Email
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    list_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="A public list; the default list if empty."
    )
    locale: Literal["pl", "en"] = "pl"
    ip: Annotated[str | None, AfterValidator(_ip)] = Field(
        None, description="The visitor's IP address (kept as proof of the sign-up)."
    )
    user_agent: Annotated[str, StringConstraints(max_length=300)] | None = None
    consent_text: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="The consent wording the visitor accepted in the shop."
    )


class SubscribeOut(OutputModel):
    status: Literal["pending", "confirmed"]
    list_id: int


@api_route(
    "/newsletter/subscribe",
    methods=["POST"],
    scopes=["shop"],
    body=SubscribeIn,
    response=SubscribeOut,
    status=202,
    tag="newsletters",
)
def newsletter_subscribe(body: SubscribeIn):
    """Sign a visitor up; a confirmation e-mail goes out (double opt-in)."""
    row = subscribers.subscribe(
        current_actor(),
        subscribers.SignUp(
            email=body.email,
            name=body.name,
            list_id=body.list_id,
            locale=body.locale,
            source="api",
            ip=body.ip or None,
            user_agent=body.user_agent or request.user_agent.string,
            consent_text=body.consent_text,
        ),
    )
    status = "confirmed" if row.status == SubscriberStatus.CONFIRMED else "pending"
    list_id = row.list_id
    db.session.commit()
    return SubscribeOut(status=status, list_id=list_id)
