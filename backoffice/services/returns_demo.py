"""Demo returns (RMA) at different steps of the officer's workflow (called by ``flask demo seed``).

Every return is filed with ``returns.file_return`` and moved on with ``return_workflow``, so
numbers, history, audit entries and e-mails are the real ones. Only recent delivery notes
within the customer's return window are used, one per customer (customers with a portal user
who may file returns first, then by note id), and on each the first line of a returnable
product that does not track serial numbers, never more than is still returnable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from backoffice.actors import Actor, actor_for
from backoffice.extensions import db
from backoffice.services import return_quantities
from backoffice.services.return_workflow import decide_return, receive_return
from backoffice.services.returns import (
    LineRequest,
    ReturnDraft,
    active_conditions,
    active_reasons,
    file_return,
)
from models.base import utcnow
from models.delivery_notes import DeliveryNote, DeliveryNoteLine
from models.returns import ReturnRequest
from models.users import PortalUser

#: Only delivery notes issued this many days back (and not in the future) get a return.
RECENT_DAYS = 90


@dataclass(frozen=True)
class _Case:
    """One demo return: dictionary codes, the customer's description and the officer's steps."""

    reason: str
    condition: str
    description: str
    quantity: int = 1
    #: (step, officer's note): "accept", "reject" (the note is the reason) or "receive".
    steps: tuple[tuple[str, str | None], ...] = ()


CASES = (
    _Case("transport", "damaged", "Uszkodzona obudowa, pęknięty uchwyt — karton był zgnieciony."),
    _Case(
        "wrong_item",
        "unopened",
        "Dostarczono inny wariant niż zamówiony, towar nierozpakowany.",
        quantity=2,
    ),
    _Case(
        "other",
        "opened",
        "Klient końcowy zrezygnował z zakupu; produkt rozpakowany, ale nieużywany.",
    ),
    _Case(
        "defect",
        "used",
        "Urządzenie przestało działać po dwóch dniach, słychać zgrzyt przekładni.",
        steps=(("accept", "Prosimy odesłać towar z kompletem akcesoriów i kopią WZ."),),
    ),
    _Case(
        "ordered_by_mistake",
        "used",
        "Zamówiliśmy przez pomyłkę niewłaściwy rozmiar.",
        steps=(
            (
                "reject",
                "Towar nosi ślady użytkowania; zwrot z przyczyn handlowych przyjmujemy tylko "
                "w stanie nienaruszonym.",
            ),
        ),
    ),
    _Case(
        "surplus",
        "unopened",
        "Nadwyżka po zakończonej inwestycji — zwracamy nienaruszone opakowania.",
        quantity=2,
        steps=(("accept", None), ("receive", "Paczka dotarła, opakowania bez śladów otwierania.")),
    ),
)


def seed_returns(actor: Actor) -> dict[str, int]:
    """File the demo returns and walk some of them on; returns {"returns": n}. No commit.

    Needs delivery notes and the return dictionaries; files fewer (or none) when there are
    not enough suitable notes or no active reasons and conditions.
    """
    reasons = {r.code: r for r in active_reasons()}
    conditions = {c.code: c for c in active_conditions()}
    if not reasons or not conditions:
        return {"returns": 0}
    filers = _portal_filers()
    picks = _pick_lines(filers, len(CASES))
    for case, (note, line, returnable) in zip(CASES, picks, strict=False):
        reason = reasons.get(case.reason) or next(iter(reasons.values()))
        condition = conditions.get(case.condition) or next(iter(conditions.values()))
        request = LineRequest(
            line.id,
            min(Decimal(case.quantity), returnable),
            (),
            reason.id,
            condition.id,
            case.description,
        )
        rr = _file(actor, note, ReturnDraft(lines=[request]), filers.get(note.customer_id))
        _walk(actor, rr, case.steps)
    db.session.flush()
    return {"returns": len(picks)}


def _portal_filers() -> dict[int, PortalUser]:
    """Per customer id, its first active portal user who may file returns."""
    users = db.session.scalars(
        select(PortalUser)
        .where(
            PortalUser.customer_id.is_not(None),
            PortalUser.can_file_returns.is_(True),
            PortalUser.active.is_(True),
        )
        .order_by(PortalUser.id)
    )
    filers: dict[int, PortalUser] = {}
    for user in users:
        filers.setdefault(user.customer_id, user)
    return filers


def _pick_lines(filers: dict[int, PortalUser], limit: int):
    """Up to ``limit`` (note, line, returnable quantity), one per customer, deterministic."""
    now = utcnow()
    notes = db.session.scalars(
        select(DeliveryNote)
        .where(
            DeliveryNote.issued_at <= now,
            DeliveryNote.issued_at >= now - dt.timedelta(days=RECENT_DAYS),
        )
        .order_by(DeliveryNote.id)
    ).all()
    notes.sort(key=lambda n: n.customer_id not in filers)  # stable: by id within each group
    picks: list[tuple[DeliveryNote, DeliveryNoteLine, Decimal]] = []
    customers: set[int] = set()
    for note in notes:
        if len(picks) >= limit:
            break
        if note.customer_id in customers or not return_quantities.within_window(note, now):
            continue
        for state in return_quantities.returnable_lines(note.lines):
            if not state.line.product.serial_tracked and state.returnable > 0:
                picks.append((note, state.line, state.returnable))
                customers.add(note.customer_id)
                break
    return picks


def _file(
    actor: Actor, note: DeliveryNote, draft: ReturnDraft, filer: PortalUser | None
) -> ReturnRequest:
    """Filed in the portal by the customer's user when it has one, else by staff."""
    if filer is not None:
        return file_return(actor_for(filer), note.customer, note, draft, filed_by=filer)
    return file_return(actor, note.customer, note, draft, channel="staff")


def _walk(actor: Actor, rr: ReturnRequest, steps) -> None:
    for step, note in steps:
        if step == "accept":
            decide_return(actor, rr, note=note)
        elif step == "reject":
            decide_return(actor, rr, set(), note=note)
        elif step == "receive":
            receive_return(actor, rr, note=note)
