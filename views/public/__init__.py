"""Pages and endpoints without login: provider webhooks, newsletter subscribe/unsubscribe,
tracking links. Each must authenticate its caller another way (signatures, signed tokens).
"""

from __future__ import annotations

import importlib

from flask import Blueprint

public = Blueprint("public", __name__)

#: Modules adding routes to ``public``.
MODULES = (
    "views.public.accounts",
    "views.public.messaging",
    "views.public.newsletters",
)
for _name in MODULES:
    importlib.import_module(_name)
