"""The default return reasons and goods conditions, added once when a dictionary is empty."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import audit
from models.returns import ReturnCondition, ReturnReason

#: (code, Polish name, English name, description required)
DEFAULT_REASONS = (
    ("defect", "Wada produktu / reklamacja", "Product defect", False),
    ("transport", "Uszkodzenie w transporcie", "Damaged in transport", False),
    ("wrong_item", "Niezgodność z zamówieniem", "Not what was ordered", False),
    ("ordered_by_mistake", "Zamówione przez pomyłkę", "Ordered by mistake", False),
    ("surplus", "Nadwyżka / niepotrzebny towar", "Surplus goods", False),
    ("other", "Inna przyczyna", "Other reason", True),
)
#: (code, Polish name, English name)
DEFAULT_CONDITIONS = (
    ("unopened", "Nienaruszony, oryginalnie zapakowany", "Unopened, original packaging"),
    ("opened", "Rozpakowany, nieużywany", "Opened, unused"),
    ("used", "Używany", "Used"),
    ("damaged", "Uszkodzony", "Damaged"),
    ("incomplete", "Niekompletny", "Incomplete"),
)


def seed_dictionaries(actor: Actor) -> dict[str, int]:
    """Add the defaults to each empty dictionary; returns how many rows were added. No commit."""
    added = {"reasons": 0, "conditions": 0}
    if not db.session.scalar(select(func.count()).select_from(ReturnReason)):
        for position, (code, name, name_en, describe) in enumerate(DEFAULT_REASONS, start=1):
            db.session.add(
                ReturnReason(
                    code=code,
                    name=name,
                    name_en=name_en,
                    requires_description=describe,
                    position=position * 10,
                )
            )
            added["reasons"] += 1
    if not db.session.scalar(select(func.count()).select_from(ReturnCondition)):
        for position, (code, name, name_en) in enumerate(DEFAULT_CONDITIONS, start=1):
            db.session.add(
                ReturnCondition(code=code, name=name, name_en=name_en, position=position * 10)
            )
            added["conditions"] += 1
    if any(added.values()):
        db.session.flush()
        audit.record(actor, "return.dictionaries_seed", object_type="ReturnReason", changes=added)
    return added
