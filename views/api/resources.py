"""Generic endpoints of an upsertable resource: PUT one, PUT many, GET one, GET a page.

A resource module describes itself with an ``ApiResource`` (the service's ``UpsertSpec``,
pydantic models in and out, how to load and present rows, extra list filters) and calls
``publish``; it gets four documented endpoints::

    PUT /api/v1/<path>/<external_id>   201 created, 200 updated or unchanged
    PUT /api/v1/<path>                 JSON array of ≤ 1,000 items, all-or-nothing
    GET /api/v1/<path>/<external_id>
    GET /api/v1/<path>?updated_since=…&cursor=…&limit=…
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError, OperationalError

from backoffice.actors import current_actor
from backoffice.errors import Conflict, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services.integration_pages import page
from backoffice.services.upserts import CREATED, UNCHANGED, UPDATED, UpsertSpec, upsert_many
from views.api.base import api_route
from views.api.schemas_common import BulkItemResult, BulkResult, ExternalId, ListQuery, page_model

MAX_BULK = 1000
_external_id = TypeAdapter(ExternalId)


@dataclass(frozen=True)
class ApiResource:
    """Everything the generic endpoints need to know about one resource."""

    path: str  #: URL segment, e.g. "delivery-notes"
    noun: str  #: singular for endpoint names and docs, e.g. "delivery_note"
    spec: UpsertSpec
    body: type[BaseModel]  #: one item (``external_id`` optional, must match the path)
    bulk_item: type[BaseModel]  #: one item of a bulk request (``external_id`` required)
    out: type[BaseModel]
    to_out: Callable[[Any], BaseModel]
    #: Adds loader options (selectinload of children) to a select of the model.
    load: Callable[[Select], Select] = lambda stmt: stmt
    scopes: tuple[str, ...] = ("erp",)
    tag: str = "default"
    query: type[ListQuery] = ListQuery
    #: Extra list filters from the query model (e.g. ?source=offer).
    filters: Callable[[Select, Any], Select] | None = None
    description: str = ""
    #: Column values for created rows only, decided per request (e.g. an order's source).
    insert_defaults: Callable[[], dict] | None = None

    def defaults(self) -> dict | None:
        return self.insert_defaults() if self.insert_defaults is not None else None


def encode_cursor(after: tuple[dt.datetime, int] | None) -> str | None:
    """An opaque cursor for the position after a row."""
    if after is None:
        return None
    raw = json.dumps([after[0].isoformat(), after[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The position a cursor stands for; ValidationFailed for anything not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, last_id = json.loads(raw)
        moment = dt.datetime.fromisoformat(moment)
        if moment.tzinfo is None or not isinstance(last_id, int):
            raise ValueError(cursor)
        return moment, last_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(_("Invalid cursor."), field="cursor") from exc


def check_external_id(external_id: str, body: BaseModel | None = None) -> None:
    """The id in the path must be well-formed and agree with one given in the body."""
    try:
        _external_id.validate_python(external_id)
    except ValidationError as exc:
        raise ValidationFailed(exc.errors()[0]["msg"], field="external_id") from exc
    sent = getattr(body, "external_id", None)
    if sent is not None and sent != external_id:
        raise ValidationFailed(
            _("The external id in the body differs from the one in the address."),
            field="external_id",
        )


#: PostgreSQL errors after which the same transaction may simply be tried again: deadlock
#: detected, serialization failure, and a unique violation, which a concurrent insert of the
#: same row can raise from a unique index that is not ON CONFLICT's (e.g. the SKU); tried
#: again, the request sees that row committed.
TRANSIENT = {"40P01", "40001", "23505"}
ATTEMPTS = 3


def _transient(exc: Exception) -> bool:
    """A transient database error, raised as is or as the cause of a domain Conflict."""
    for error in (exc, exc.__cause__):
        if isinstance(error, OperationalError | IntegrityError):
            return getattr(error.orig, "sqlstate", None) in TRANSIENT
    return False


def in_transaction(work: Callable[[], Any]) -> Any:
    """Run ``work`` and commit; a deadlock or a duplicate insert by a concurrent request is
    retried (the whole transaction, from a clean session), then reported as 409."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except (OperationalError, IntegrityError, Conflict) as exc:
            db.session.rollback()
            if not _transient(exc):
                raise
            if attempt == ATTEMPTS:
                if isinstance(exc, Conflict):
                    raise
                raise Conflict(
                    _("The same rows were being changed by another request; send it again.")
                ) from exc
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def bulk_result(items) -> BulkResult:
    """Counts and per-item outcome of a bulk upsert."""
    counts = {s: sum(1 for it in items if it.status == s) for s in (CREATED, UPDATED, UNCHANGED)}
    return BulkResult(
        **counts,
        items=[BulkItemResult(external_id=it.key, id=it.id, status=it.status) for it in items],
    )


def load_one(res: ApiResource, **where: Any):
    """The row of a resource matching ``where`` (e.g. id=…), loaded for output, or 404."""
    model = res.spec.model
    stmt = res.load(select(model)).filter_by(**where)
    obj = db.session.scalars(stmt).unique().first()
    if obj is None:
        raise NotFound(_("Not found."))
    return obj


def publish(res: ApiResource) -> None:
    """Register the four endpoints of a resource."""
    _publish_put_one(res)
    _publish_put_many(res)
    _publish_get_one(res)
    _publish_list(res)


def _named(func: Callable, name: str, doc: str) -> Callable:
    func.__name__ = name
    func.__doc__ = doc
    return func


def _publish_put_one(res: ApiResource) -> None:
    def handler(external_id: str, body: BaseModel):
        check_external_id(external_id, body)
        data = body.model_dump(exclude_unset=True, exclude={"external_id"})
        defaults = res.defaults()
        (item,) = in_transaction(
            lambda: upsert_many(
                current_actor(), res.spec, [(external_id, data)], bulk=False, defaults=defaults
            )
        )
        status = 201 if item.status == CREATED else 200
        return res.to_out(load_one(res, id=item.id)), status

    doc = (
        f"Create or update one {res.noun.replace('_', ' ')} by its external id\n"
        "201 when created, 200 when updated or unchanged. Omitted fields keep their stored "
        "value; null clears an optional field; a sent list replaces the stored one. "
        "Sending the same body again changes nothing." + res.description
    )
    api_route(
        f"/{res.path}/<path:external_id>",
        ["PUT"],
        scopes=res.scopes,
        body=res.body,
        response=res.out,
        tag=res.tag,
        responses={201: "Created"},
    )(_named(handler, f"put_{res.noun}", doc))


def _publish_put_many(res: ApiResource) -> None:
    body_type = Annotated[list[res.bulk_item], Field(min_length=1, max_length=MAX_BULK)]

    def handler(body: list[BaseModel]):
        entries = [
            (it.external_id, it.model_dump(exclude_unset=True, exclude={"external_id"}))
            for it in body
        ]
        defaults = res.defaults()
        items = in_transaction(
            lambda: upsert_many(current_actor(), res.spec, entries, defaults=defaults)
        )
        return bulk_result(items)

    doc = (
        f"Create or update up to {MAX_BULK} {res.path.replace('-', ' ')} at once\n"
        "All or nothing: when any item is invalid nothing is written and the 422 answer "
        'names each problem by the item\'s index, e.g. `"17.nip"`.'
    )
    api_route(
        f"/{res.path}",
        ["PUT"],
        scopes=res.scopes,
        body=body_type,
        response=BulkResult,
        tag=res.tag,
    )(_named(handler, f"put_{res.path.replace('-', '_')}", doc))


def _publish_get_one(res: ApiResource) -> None:
    def handler(external_id: str):
        return res.to_out(load_one(res, external_id=external_id))

    doc = f"One {res.noun.replace('_', ' ')} by its external id"
    api_route(
        f"/{res.path}/<path:external_id>",
        ["GET"],
        scopes=res.scopes,
        response=res.out,
        tag=res.tag,
    )(_named(handler, f"get_{res.noun}", doc))


def _publish_list(res: ApiResource) -> None:
    page_type = page_model(res.out)

    def handler(query: ListQuery):
        model = res.spec.model
        stmt = res.load(select(model))
        if res.filters is not None:
            stmt = res.filters(stmt, query)
        after = decode_cursor(query.cursor) if query.cursor else None
        result = page(
            stmt, model, updated_since=query.updated_since, after=after, limit=query.limit
        )
        return page_type(
            items=[res.to_out(row) for row in result.rows],
            next_cursor=encode_cursor(result.next_after),
        )

    doc = (
        f"{res.path.replace('-', ' ').capitalize()}, oldest change first, a page at a time\n"
        "Pass `next_cursor` back as `cursor` until it is null. To sync, remember the largest "
        "`updated_at` you received and ask again with `updated_since` set to it."
    )
    api_route(
        f"/{res.path}",
        ["GET"],
        scopes=res.scopes,
        query=res.query,
        response=page_type,
        tag=res.tag,
    )(_named(handler, f"list_{res.path.replace('-', '_')}", doc))
