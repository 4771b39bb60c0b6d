"""The API's plumbing: bearer-token scopes, pydantic validation, JSON errors, OpenAPI registry.

Every endpoint is declared with ``api_route``; the same declaration validates the request,
serialises the response and describes the endpoint in ``/api/v1/openapi.json``::

    @api_route("/returns", methods=["POST"], scopes=["shop"], body=ReturnIn,
               response=ReturnOut, status=201, tag="returns")
    def create_return(body: ReturnIn):
        ...
        return ReturnOut(...)

Handlers receive the validated body as ``body`` (and path arguments by name); they call a
service, commit, and return a pydantic model, a list of them, a dict, or a Response.
``DomainError`` from services becomes 422/404/409 with ``{"errors": {...}}``; pydantic
errors become 422 with field paths such as ``lines.0.quantity``. Nothing is written when
a request fails: the handler's transaction is rolled back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, g, jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import or_, select, update

from backoffice.errors import DomainError
from backoffice.extensions import db
from models.api_tokens import ApiToken
from models.base import utcnow
from views.api import api

SCOPES = ("erp", "shop")
#: Ids in paths (``<int:…>``) are INTEGER columns: larger numbers cannot name a row.
MAX_PATH_INT = 2**31 - 1


@dataclass
class Endpoint:
    """One API operation as the OpenAPI document describes it."""

    rule: str
    method: str
    func_name: str
    scopes: tuple[str, ...]
    summary: str
    description: str
    tag: str
    body: Any = None
    response: Any = None
    status: int = 200
    query: type[BaseModel] | None = None
    extra_responses: dict[int, str] = field(default_factory=dict)


ENDPOINTS: list[Endpoint] = []


# --- errors ------------------------------------------------------------------------------


def error_response(status: int, errors: dict[str, list[str]] | None = None, message: str = ""):
    """A JSON error: ``{"errors": {"field": [...]}}`` (and ``message`` when there is one)."""
    payload: dict[str, Any] = {"errors": errors or {}}
    if message:
        payload["message"] = message
        if not errors:
            payload["errors"] = {"_": [message]}
    return jsonify(payload), status


def validation_errors(exc: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    """pydantic errors as {"lines.0.quantity": ["…"]}."""
    out: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "_"
        if prefix:
            path = f"{prefix}.{path}" if path != "_" else prefix
        out.setdefault(path, []).append(err["msg"])
    return out


@api.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status_code, exc.errors or None, exc.message)


# --- authentication ------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The stored SHA-256 of a token (see ``backoffice.services.api_tokens``)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _authenticate(scopes: Iterable[str]):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorised("Missing bearer token.")
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return _unauthorised("Invalid or revoked token.")
    if scopes and not (row.scope_set & set(scopes)):
        return error_response(403, message=f"This token lacks the scope: {' or '.join(scopes)}.")
    g.api_token = row
    _touch(row)
    return None


def _unauthorised(message: str):
    resp, status = error_response(401, message=message)
    resp.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return resp, status


def _touch(row: ApiToken) -> None:
    """Record use at most once a minute per token, committed at once.

    The request's own session is used (a second connection would wait for the request's
    transaction on SQLite); the conditional UPDATE holds the token row only until this
    commit, and concurrent requests of one token turn it into a no-op.
    """
    now = utcnow()
    stale = now - dt.timedelta(minutes=1)
    if row.last_used_at is not None and row.last_used_at >= stale:
        return
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == row.id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- declaring endpoints ------------------------------------------------------------------


def api_route(
    rule: str,
    methods: Iterable[str] = ("GET",),
    *,
    scopes: Iterable[str] = ("erp",),
    body: Any = None,
    response: Any = None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    tag: str = "default",
    responses: dict[int, str] | None = None,
):
    """Register an API endpoint with auth, validation, serialisation and OpenAPI entry.

    ``body``/``response`` are pydantic models or types (``list[Model]``); ``query`` is a
    pydantic model for query-string parameters, passed to the handler as ``query``.
    """
    scopes = tuple(scopes)
    methods = tuple(m.upper() for m in methods)
    body_adapter = TypeAdapter(body) if body is not None else None
    query_adapter = TypeAdapter(query) if query is not None else None
    response_adapter = TypeAdapter(response) if response is not None else None

    def decorate(func: Callable):
        doc = (func.__doc__ or "").strip()
        summary, _, description = doc.partition("\n")
        for method in methods:
            ENDPOINTS.append(
                Endpoint(
                    rule,
                    method,
                    func.__name__,
                    scopes,
                    summary.strip(),
                    description.strip(),
                    tag,
                    body,
                    response,
                    status,
                    query,
                    responses or {},
                )
            )

        @wraps(func)
        def view(**path_args):
            denied = _authenticate(scopes)
            if denied is not None:
                return denied
            if any(isinstance(v, int) and v > MAX_PATH_INT for v in path_args.values()):
                return error_response(404, message="Not found.")  # no such row can exist
            kwargs = dict(path_args)
            if body_adapter is not None:
                payload = request.get_json(silent=True)
                if payload is None:
                    return error_response(422, {"_": ["The body must be JSON."]})
                try:
                    kwargs["body"] = body_adapter.validate_python(payload)
                except ValidationError as exc:
                    return error_response(422, validation_errors(exc))
            if query_adapter is not None:
                try:
                    kwargs["query"] = query_adapter.validate_python(request.args.to_dict())
                except ValidationError as exc:
                    return error_response(422, validation_errors(exc))
            try:
                result = func(**kwargs)
            except DomainError:
                raise
            except Exception:
                db.session.rollback()
                raise
            return _serialise(result, response_adapter, status)

        api.add_url_rule(rule, endpoint=func.__name__, view_func=view, methods=list(methods))
        return view

    return decorate


def _serialise(result: Any, adapter: TypeAdapter | None, status: int):
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        result, status = result
    if adapter is not None and not isinstance(result, dict | list):
        data = adapter.dump_python(result, mode="json")
    elif isinstance(result, BaseModel):
        data = result.model_dump(mode="json")
    elif adapter is not None:
        data = adapter.dump_python(adapter.validate_python(result), mode="json")
    else:
        data = result
    return jsonify(data), status


def openapi_path(rule: str) -> str:
    """Flask's ``/orders/<external_id>`` → OpenAPI's ``/orders/{external_id}``."""
    return re.sub(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule)
