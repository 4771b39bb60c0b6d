"""The JSON API at /api/v1 for the shop and the ERP (bearer tokens with scopes)."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")
