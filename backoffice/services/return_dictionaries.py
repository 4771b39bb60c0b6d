"""The default return reasons and goods conditions, added once when a dictionary is empty."""

from __future__ import annotations

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import audit
from backoffice.services.dictionary_defaults import add_if_empty
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
    added = {
        "reasons": add_if_empty(
            ReturnReason, ("code", "name", "name_en", "requires_description"), DEFAULT_REASONS
        ),
        "conditions": add_if_empty(
            ReturnCondition, ("code", "name", "name_en"), DEFAULT_CONDITIONS
        ),
    }
    if any(added.values()):
        db.session.flush()
        audit.record(actor, "return.dictionaries_seed", object_type="ReturnReason", changes=added)
    return added
