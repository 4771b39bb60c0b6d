"""Jobs of the returns module."""

from __future__ import annotations

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.services.return_labels import LABEL_STATUSES, ensure_label
from models.returns import ReturnRequest


def render_label(return_id: int) -> None:
    """Render, store and announce the label of an accepted return (once)."""
    rr = db.session.get(ReturnRequest, return_id)
    if rr is None or rr.label_path or rr.status not in LABEL_STATUSES:
        return
    ensure_label(SYSTEM, rr)
    db.session.commit()
