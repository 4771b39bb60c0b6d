"""The JSON API at /api/v1 for the shop and the ERP (bearer tokens with scopes).

``views/api/base.py`` holds the plumbing (``api_route``); every other module in this package
declares endpoints and is imported here, so adding a file is enough to publish it.
"""

import importlib
import pkgutil

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

importlib.import_module(f"{__name__}.base")
for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")
