"""Public endpoints of the messaging module: the signed delivery-report webhook."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Response, abort, current_app, jsonify, request

from backoffice.extensions import csrf, db
from backoffice.services.message_delivery import (
    record_report,
    reports_from_webhook,
    signature_valid,
)
from models.messaging import Channel
from views.public import public


def webhook_secret(channel: Channel) -> str | None:
    """The channel's own secret (DELIVERY_WEBHOOK_SECRET_SMS/_EMAIL), else the shared one."""
    config = current_app.config
    return config.get(f"DELIVERY_WEBHOOK_SECRET_{channel.value.upper()}") or config.get(
        "DELIVERY_WEBHOOK_SECRET"
    )


@public.post("/hooks/delivery/<channel>")
@csrf.exempt
def delivery_webhook(channel: str):
    """Delivery reports (SMS gateway, e-mail provider); the body is signed with HMAC-SHA256.

    Header ``X-Signature: sha256=<hex HMAC of the raw body with the configured secret>``;
    body JSON (``{"events": [{"id", "message_id" | "provider_id", "status", …}]}``) or the
    SMSAPI.pl callback's form fields (``MsgId``, ``status``, ``status_name``, ``idx``…).
    """
    try:
        kind = Channel(channel)
    except ValueError:
        abort(404)
    body = request.get_data(cache=True, parse_form_data=False)
    if not signature_valid(webhook_secret(kind), body, request.headers.get("X-Signature")):
        return jsonify(error="invalid signature"), 401
    if request.mimetype == "application/json":
        payload = request.get_json(silent=True)
    else:
        payload = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not isinstance(payload, dict):
        return jsonify(error="the body must be a JSON object or form fields"), 400
    reports = reports_from_webhook(kind, payload)
    recorded = sum(1 for r in reports if record_report(r) is not None)
    db.session.commit()
    if "MsgId" in payload:
        return Response("OK", mimetype="text/plain")  # what SMSAPI.pl expects
    return jsonify(received=len(reports), recorded=recorded)
