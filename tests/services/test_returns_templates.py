"""Every default return / account-application template renders in the strict sandbox, in
Polish and English, for e-mail and SMS, with the context the services pass."""

from pathlib import Path

import pytest

from backoffice.actors import actor_for
from backoffice.services.message_events import event_info
from backoffice.services.message_templates import template_env
from backoffice.services.messaging import Recipient, common_context
from backoffice.services.return_notices import return_context
from backoffice.services.return_workflow import (
    Assessment,
    Resolution,
    assess_return,
    decide_return,
    receive_return,
    resolve_return,
)
from tests.factories import make_user
from tests.factories_returns import make_condition, make_return, make_returnable_note

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"
FILES = sorted(
    p.name
    for p in TEMPLATES.glob("*.html")
    if p.name.startswith(("return.", "account_application."))
)


@pytest.fixture
def context(db):
    officer = actor_for(make_user(roles=("rma",)))
    rr = make_return(make_returnable_note(), {1: "2", 2: "1"})
    decide_return(officer, rr, {rr.lines[0].id}, note="Pozycja 2 bez wady")
    receive_return(officer, rr)
    assess_return(officer, rr, {rr.lines[0].id: Assessment(make_condition().id, "Pęknięta")})
    resolve_return(officer, rr, {rr.lines[0].id: Resolution("credit_note", "KOR/1/26")})
    return {
        **common_context(),
        **return_context(rr),
        "recipient": Recipient("jan@klient.pl", None, "Jan Żółw"),
        "locale": "pl",
        "step": "resolved",
        "officer": "Renata",
        "company_name": "Żabka Hurt",
        "contact_name": "Łucja",
        "nip": "5260250274",
        "wants_returns": True,
        "returns": True,
        "decision_note": "Pozycja 2 bez wady",
        "set_password_url": "http://localhost/accounts/set-password/x",
        "portal_url": "http://localhost/portal/returns/1",
    }


def test_every_return_event_has_polish_and_english_files():
    events = {name.rsplit(".", 2)[0] for name in FILES}
    for event in events:
        assert f"{event}.pl.html" in FILES and f"{event}.en.html" in FILES
        assert event_info(event).registered, event


def test_templates_render_strictly(context):
    for name in FILES:
        template = template_env(strict=True).get_template(name)
        ctx = template.new_context(dict(context))
        blocks = {b: "".join(f(ctx)).strip() for b, f in template.blocks.items()}
        assert blocks["subject"] and "\n" not in blocks["subject"], name
        assert blocks["text"] and "<" not in blocks["text"], name
        assert blocks["html"].count("<p") >= 2, name
        if name.startswith("return."):
            assert context["number"] in blocks["subject"], name
            assert context["number"] in blocks["text"], name
        if name.startswith("return.resolved"):
            assert "KOR/1/26" in blocks["text"], name
        if name.startswith("return.") and not name.startswith("return.account_manager"):
            assert blocks.get("sms") and len(blocks["sms"]) <= 160, name
