"""Factories for the returns module: dictionaries, returnable deliveries, returns, files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from backoffice.actors import Actor, actor_for
from backoffice.extensions import db
from backoffice.services.returns import LineRequest, ReturnDraft, file_return
from models.returns import ReturnCondition, ReturnReason
from tests.factories import make_customer, make_delivery_note, make_product, seq


def make_reason(**overrides) -> ReturnReason:
    n = seq()
    reason = ReturnReason(
        code=overrides.pop("code", f"R{n}"),
        name=overrides.pop("name", f"Wada fabryczna {n}"),
        name_en=overrides.pop("name_en", f"Factory defect {n}"),
        **overrides,
    )
    db.session.add(reason)
    db.session.flush()
    return reason


def make_condition(**overrides) -> ReturnCondition:
    n = seq()
    condition = ReturnCondition(
        code=overrides.pop("code", f"S{n}"),
        name=overrides.pop("name", f"Nienaruszony {n}"),
        name_en=overrides.pop("name_en", f"Unopened {n}"),
        **overrides,
    )
    db.session.add(condition)
    db.session.flush()
    return condition


def make_returnable_note(customer=None, *, months_ago: int = 1, lines=None, **overrides):
    """A delivery note issued ``months_ago`` with lines [(product, qty, [serials])]."""
    customer = customer or make_customer()
    if lines is None:
        lines = [(make_product(), "10"), (make_product(name="Szlifierka kątowa"), "4")]
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(days=int(months_ago * 30.5))
    return make_delivery_note(customer, lines=lines, issued_at=issued, **overrides)


def draft_for(note, quantities: dict[int, str | None], reason=None, condition=None, **kw):
    """A ReturnDraft: {line_no: quantity or None (all)}; serials via ``serials={no: [...]}``."""
    reason = reason or make_reason()
    condition = condition or make_condition()
    serials = kw.pop("serials", {})
    description = kw.pop("description", None)
    by_no = {line.line_no: line for line in note.lines}
    lines = [
        LineRequest(
            by_no[no].id,
            None if qty is None else Decimal(qty),
            serials.get(no, ()),
            reason.id,
            condition.id,
            description,
        )
        for no, qty in quantities.items()
    ]
    return ReturnDraft(lines=lines, **kw)


def make_return(note=None, quantities=None, actor: Actor | None = None, portal_user=None, **kw):
    """File a return through the real service (status submitted)."""
    note = note or make_returnable_note()
    draft = draft_for(note, quantities or {1: "1"}, **kw)
    actor = actor or (actor_for(portal_user) if portal_user else Actor("staff", None, "test"))
    rr = file_return(actor, note.customer, note, draft, filed_by=portal_user)
    db.session.flush()
    return rr


# --- files -------------------------------------------------------------------------------


def png_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(64, 48)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def pdf_bytes(text: str = "List przewozowy — zażółć gęślą jaźń") -> bytes:
    from reports.pdf import html_to_pdf

    return html_to_pdf(f"<html><body><p>{text}</p></body></html>")


def exe_bytes() -> bytes:
    """The start of a Windows executable (MZ header, PE stub)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def make_api_token(scopes: str = "shop") -> str:
    """An API token row; returns the raw bearer token."""
    import secrets

    from models.api_tokens import ApiToken
    from views.api.base import hash_token

    raw = "tok_" + secrets.token_urlsafe(24)
    db.session.add(
        ApiToken(name=f"test {scopes}", token_hash=hash_token(raw), prefix=raw[:8], scopes=scopes)
    )
    db.session.flush()
    return raw
