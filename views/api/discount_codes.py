"""Discount codes in the API: batches from the ERP (scope ``erp``) and checkout validation
and redemption from the shop (scope ``shop``)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services import discount_codes as service
from backoffice.services.discount_code_checkout import (
    CheckoutLine,
    CodeRefused,
    redeem_code,
    validate_code,
)
from models.customers import Customer, CustomerGroup
from models.discount_codes import BatchSource, DiscountCode, DiscountCodeBatch
from models.products import ProductGroup
from views.api.base import api_route
from views.api.schemas_discount_codes import (
    BatchIn,
    BatchOut,
    CodeOut,
    CodesPage,
    CodesQuery,
    RedeemIn,
    RedeemOut,
    ValidateIn,
    ValidateOut,
)

TAG = "discount-codes"


def _batch_out(batch: DiscountCodeBatch) -> BatchOut:
    return BatchOut(
        id=batch.id,
        external_id=batch.external_id,
        name=batch.name,
        status=batch.status.value,
        active=batch.active,
        count=batch.count,
        generated=batch.generated,
        progress=batch.progress,
        kind=batch.kind.value,
        value=batch.value,
        max_discount=batch.max_discount,
        min_order_value=batch.min_order_value,
        valid_from=batch.valid_from,
        valid_to=batch.valid_to,
        usage_limit_total=batch.usage_limit_total,
        usage_limit_per_customer=batch.usage_limit_per_customer,
        first_order_only=batch.first_order_only,
    )


def _ids(model, columns: tuple[str, ...], values: list[str], field: str, errors: dict) -> list:
    """Ids of the rows whose first matching column equals each value; unknown ones noted."""
    ids, missing = [], []
    for value in dict.fromkeys(values):
        found = None
        for column in columns:
            found = db.session.scalar(select(model.id).where(getattr(model, column) == value))
            if found is not None:
                break
        if found is None:
            missing.append(value)
        else:
            ids.append(found)
    if missing:
        errors[field] = [_("Unknown: %(values)s.", values=", ".join(missing[:20]))]
    return ids


def _spec(body: BatchIn, errors: dict) -> service.BatchSpec:
    """The request as a BatchSpec; unknown groups and customers are noted in ``errors``."""
    return service.BatchSpec(
        name=body.name,
        count=body.count,
        kind=body.kind,
        value=body.value,
        prefix=body.prefix or "",
        code_length=body.code_length,
        max_discount=body.max_discount,
        min_order_value=body.min_order_value,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        usage_limit_total=body.usage_limit_total,
        usage_limit_per_customer=body.usage_limit_per_customer,
        first_order_only=body.first_order_only,
        customer_group_ids=_ids(
            CustomerGroup, ("code", "name"), body.customer_groups, "customer_groups", errors
        ),
        product_group_ids=_ids(
            ProductGroup, ("code",), body.product_groups, "product_groups", errors
        ),
        customer_ids=_ids(
            Customer, ("external_id",), body.customer_external_ids, "customer_external_ids", errors
        ),
        external_id=body.external_id,
        notes=body.notes,
        source=BatchSource.API,
    )


@api_route(
    "/discount-code-batches",
    methods=["POST"],
    scopes=["erp"],
    body=BatchIn,
    response=BatchOut,
    status=201,
    tag=TAG,
    responses={200: "A batch with this external_id exists already: it is returned unchanged."},
)
def create_discount_code_batch(body: BatchIn):
    """Create a batch of discount codes.

    Up to 2,000 codes are ready in the answer; bigger batches (up to 1,000,000) are
    generated in the background: poll the batch until ``status`` is ``ready``.
    """
    if body.external_id:
        existing = db.session.scalar(
            select(DiscountCodeBatch).where(DiscountCodeBatch.external_id == body.external_id)
        )
        if existing is not None:
            return _batch_out(existing), 200
    errors: dict[str, list[str]] = {}
    spec = _spec(body, errors)
    service.validate_spec(spec)
    errors.update(spec.errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    batch = service.create_batch(current_actor(), spec)
    db.session.commit()
    return _batch_out(batch), 201


def _batch(batch_id: int) -> DiscountCodeBatch:
    batch = db.session.get(DiscountCodeBatch, batch_id)
    if batch is None:
        raise NotFound(_("Batch %(id)s not found.", id=batch_id), field="batch_id")
    return batch


@api_route("/discount-code-batches/<int:batch_id>", scopes=["erp"], response=BatchOut, tag=TAG)
def get_discount_code_batch(batch_id: int):
    """A batch with its generation progress."""
    return _batch_out(_batch(batch_id))


@api_route(
    "/discount-code-batches/<int:batch_id>/codes",
    scopes=["erp"],
    query=CodesQuery,
    response=CodesPage,
    tag=TAG,
)
def list_discount_codes(batch_id: int, query: CodesQuery):
    """The batch's codes in generation order, page by page (``cursor`` = ``next_cursor``)."""
    batch = _batch(batch_id)
    rows = db.session.execute(
        select(DiscountCode, Customer.external_id)
        .outerjoin(Customer, Customer.id == DiscountCode.customer_id)
        .where(DiscountCode.batch_id == batch.id, DiscountCode.id > query.cursor)
        .order_by(DiscountCode.id)
        .limit(query.limit)
    ).all()
    items = [
        CodeOut(
            code=code.code,
            customer_external_id=external_id,
            assigned_at=code.assigned_at,
            use_count=code.use_count,
            blocked=code.blocked,
        )
        for code, external_id in rows
    ]
    more = len(rows) == query.limit
    return CodesPage(items=items, next_cursor=rows[-1][0].id if rows and more else None)


def _lines(body) -> list[CheckoutLine]:
    return [
        CheckoutLine(line.product_external_id, line.quantity, line.unit_price_net, line.net_value)
        for line in body.lines
    ]


@api_route(
    "/discount-codes/validate",
    methods=["POST"],
    scopes=["shop"],
    body=ValidateIn,
    response=ValidateOut,
    tag=TAG,
)
def validate_discount_code(body: ValidateIn):
    """Would the code apply to this basket, and for how much? Changes nothing.

    Always 200: ``valid`` false comes with the ``reason`` to show the customer.
    """
    quote = validate_code(
        body.code, body.customer_external_id, body.order_value, _lines(body), body.order_external_id
    )
    db.session.rollback()
    return ValidateOut(
        valid=quote.valid,
        discount=quote.discount,
        reason=quote.reason,
        reason_code=quote.reason_code,
    )


@api_route(
    "/discount-codes/redeem",
    methods=["POST"],
    scopes=["shop"],
    body=RedeemIn,
    response=RedeemOut,
    tag=TAG,
    responses={409: "The code is used up or the customer's limit is reached (see reason)."},
)
def redeem_discount_code(body: RedeemIn):
    """Apply the code to an order: the discount is reserved for it.

    The same order redeeming the same code again gets the same answer. A refused code is
    answered 409 (used up, limit reached, order has another code) or 422 (expired, not
    valid for this customer or basket) with ``reason``. A ``cancelled`` order event
    releases the use.
    """
    try:
        use, _created = redeem_code(
            current_actor(),
            body.code,
            body.customer_external_id,
            body.order_external_id,
            body.order_value,
            _lines(body),
        )
    except CodeRefused as refused:
        db.session.rollback()
        payload = {
            "errors": {"code": [refused.message]},
            "message": refused.message,
            "reason": refused.reason,
        }
        response = jsonify(payload)
        response.status_code = refused.status_code
        return response
    answer = RedeemOut(
        code=use.code.code,
        order_external_id=use.order_external_id,
        customer_external_id=use.customer_external_id,
        order_value=use.order_value,
        discount=use.discount,
        used_at=use.used_at,
    )
    db.session.commit()
    return answer
