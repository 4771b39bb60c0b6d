"""Discount codes: generation, batch validation, checkout rules, redemption, release, assignment."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict, ValidationFailed
from backoffice.services import discount_code_generation as generation
from backoffice.services import discount_codes
from backoffice.services.discount_code_checkout import (
    CheckoutLine,
    CodeRefused,
    redeem_code,
    validate_code,
)
from backoffice.services.discount_codes import BatchSpec, CodeRecipient, create_batch
from models.discount_codes import (
    CODE_ALPHABET,
    BatchStatus,
    DiscountCode,
    DiscountCodeAssignment,
    UseStatus,
)
from tests.factories import make_customer, make_group, make_order, make_product, make_product_group
from tests.factories_loyalty import batch_input, fire

NOW = dt.datetime.now(dt.UTC)


def batch(**overrides):
    return create_batch(SYSTEM, BatchSpec(**batch_input(**overrides)))


def first_code(b) -> str:
    return b and discount_codes_of(b)[0]


def discount_codes_of(b) -> list[str]:
    return list(
        discount_codes.db.session.scalars(
            select(DiscountCode.code).where(DiscountCode.batch_id == b.id).order_by(DiscountCode.id)
        )
    )


# --- generation ----------------------------------------------------------------------------


def test_random_codes_use_only_the_unambiguous_alphabet_evenly():
    codes = generation.random_codes(20_000, 10, "LATO-")
    assert len(set(codes)) == 20_000
    assert all(c.startswith("LATO-") and len(c) == 15 for c in codes)
    chars = "".join(c[5:] for c in codes)
    assert set(chars) <= set(CODE_ALPHABET) and not set("01OIL") & set(chars)
    counts = [chars.count(ch) for ch in CODE_ALPHABET]
    expected = len(chars) / len(CODE_ALPHABET)
    assert max(counts) < expected * 1.05 and min(counts) > expected * 0.95


def test_a_small_batch_is_generated_at_once_with_unique_codes(db):
    b = batch(count=300, prefix="zima-", code_length=8)
    codes = discount_codes_of(b)
    assert b.status == BatchStatus.READY and b.generated == 300
    assert len(set(codes)) == 300 and all(c.startswith("ZIMA-") for c in codes)


def test_clashing_codes_are_regenerated(db, monkeypatch):
    existing = batch(count=3)
    taken = discount_codes_of(existing)
    real = generation.random_codes
    calls = iter([taken + ["NEWCODE111"], None])

    def fake(count, length, prefix=""):
        planned = next(calls, None)
        return planned[:count] if planned else real(count, length, prefix)

    monkeypatch.setattr(generation, "random_codes", fake)
    monkeypatch.setattr(discount_codes, "random_codes", fake)
    b = batch(count=4)
    codes = discount_codes_of(b)
    assert len(codes) == 4 and "NEWCODE111" in codes and not set(taken) & set(codes)


@pytest.mark.committed
def test_a_big_batch_is_generated_by_a_job_in_chunks(db, run_jobs, monkeypatch):
    monkeypatch.setattr(discount_codes, "CHUNK", 1_500)
    b = batch(count=5_000)
    assert b.status == BatchStatus.GENERATING and b.generated == 0
    db.session.commit()
    run_jobs()
    db.session.refresh(b)
    assert b.status == BatchStatus.READY and b.generated == 5_000 and b.progress == 100
    total = db.session.scalar(select(func.count()).where(DiscountCode.batch_id == b.id))
    assert total == 5_000
    # the job running again adds nothing
    from tasks.discount_codes import generate_codes

    generate_codes(b.id)
    assert db.session.scalar(select(func.count()).where(DiscountCode.batch_id == b.id)) == 5_000


@pytest.mark.committed
def test_a_job_chunk_that_clashes_is_rolled_back_and_stored_carefully(db, run_jobs, monkeypatch):
    first = batch(count=2)
    db.session.commit()
    taken = discount_codes_of(first)
    real, calls = generation.random_bytes, []

    def clashing_once(count):
        calls.append(count)
        chars = real(count)
        return taken[0].encode() + chars[10:] if len(calls) == 1 else chars

    monkeypatch.setattr(discount_codes, "INLINE_LIMIT", 1)
    monkeypatch.setattr(generation, "random_bytes", clashing_once)
    second = batch(count=5)
    db.session.commit()
    run_jobs()
    db.session.refresh(second)
    codes = discount_codes_of(second)
    assert second.status == BatchStatus.READY and len(set(codes)) == 5
    assert taken[0] not in codes and len(calls) == 2


def test_copy_block_lines_hold_the_batch_and_a_prefixed_code():
    block = generation.copy_block(42, 1000, 8, "PL-").decode()
    lines = block.splitlines()
    assert len(lines) == 1000 and block.endswith("\n")
    assert all(line.startswith("42\tPL-") and len(line) == 14 for line in lines)
    assert set("".join(line[6:] for line in lines)) <= set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"count": 0}, "count"),
        ({"count": 1_000_001}, "count"),
        ({"prefix": "LATO 2026!"}, "prefix"),
        ({"prefix": "-LATO"}, "prefix"),
        ({"code_length": 5}, "code_length"),
        ({"count": 1_000_000, "code_length": 7}, "code_length"),
        ({"value": Decimal("0")}, "value"),
        ({"value": Decimal("150")}, "value"),
        ({"valid_from": NOW, "valid_to": NOW - dt.timedelta(days=1)}, "valid_to"),
        ({"usage_limit_per_customer": 0}, "usage_limit_per_customer"),
        ({"customer_group_ids": [999_999]}, "customer_group_ids"),
    ],
)
def test_batch_validation_names_the_field(db, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        batch(**overrides)
    assert field in err.value.errors


def test_same_external_id_returns_the_same_batch(db):
    one = batch(external_id="ERP-PROMO-7")
    again = batch(external_id="ERP-PROMO-7", count=50)
    assert again.id == one.id and len(discount_codes_of(one)) == 5


# --- checkout ------------------------------------------------------------------------------


def test_percent_discount_with_a_cap_and_minimum(db):
    b = batch(value=Decimal("15"), max_discount=Decimal("100.00"), min_order_value=Decimal("200"))
    code = first_code(b)
    quote = validate_code(code, "C1", Decimal("199.99"))
    assert not quote.valid and quote.reason_code == "min_order_value"
    assert validate_code(code, "C1", Decimal("400.00")).discount == Decimal("60.00")
    assert validate_code(code, "C1", Decimal("1000.00")).discount == Decimal("100.00")


def test_amount_discount_never_exceeds_the_order(db):
    code = first_code(batch(kind="amount", value=Decimal("50")))
    assert validate_code(code, "C1", Decimal("30.00")).discount == Decimal("30.00")
    assert validate_code(f"  {code.lower()} ", "C1", Decimal("80.00")).discount == Decimal("50.00")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"valid_to": NOW - dt.timedelta(minutes=1)}, "expired"),
        ({"valid_from": NOW + dt.timedelta(hours=1)}, "not_started"),
        ({"first_order_only": True}, "first_order"),
    ],
)
def test_codes_outside_their_rules_are_refused(db, overrides, reason):
    customer = make_customer()
    make_order(customer)
    code = first_code(batch(**overrides))
    quote = validate_code(code, customer.external_id, Decimal("100"))
    assert (quote.valid, quote.reason_code) == (False, reason)
    with pytest.raises(CodeRefused) as err:
        redeem_code(SYSTEM, code, customer.external_id, "O-1", Decimal("100"))
    assert err.value.status_code == 422 and err.value.reason == reason


def test_unknown_inactive_and_blocked_codes(db):
    assert validate_code("NIEMA", "C1", Decimal(10)).reason_code == "unknown"
    b = batch(count=2)
    one, two = discount_codes_of(b)
    code_row = db.session.scalar(select(DiscountCode).where(DiscountCode.code == two))
    discount_codes.set_code_blocked(SYSTEM, code_row, True, "Wyciekł w internecie")
    assert validate_code(two, "C1", Decimal(10)).reason_code == "blocked"
    discount_codes.set_batch_active(SYSTEM, b, False)
    assert validate_code(one, "C1", Decimal(10)).reason_code == "inactive"


def test_customer_group_and_personal_codes(db):
    vip = make_group()
    insider, outsider = make_customer(group=vip), make_customer()
    code = first_code(batch(customer_group_ids=[vip.id]))
    assert validate_code(code, insider.external_id, Decimal(100)).valid
    assert validate_code(code, outsider.external_id, Decimal(100)).reason_code == "customer_group"
    assert validate_code(code, "UNKNOWN-1", Decimal(100)).reason_code == "customer_group"

    personal = batch(count=2, customer_ids=[insider.id])
    mine = db.session.scalar(
        select(DiscountCode.code).where(DiscountCode.customer_id == insider.id)
    )
    assert validate_code(mine, insider.external_id, Decimal(100)).valid
    assert validate_code(mine, outsider.external_id, Decimal(100)).reason_code == (
        "not_for_customer"
    )
    assert personal.pending_assignees is None


def test_product_group_restriction_discounts_only_eligible_lines(db):
    tools = make_product_group()
    drills = make_product_group(parent=tools)
    drill, paint = make_product(group=drills), make_product()
    code = first_code(batch(value=Decimal("10"), product_group_ids=[tools.id]))
    lines = [
        CheckoutLine(drill.external_id, Decimal(2), Decimal("150.00")),
        CheckoutLine(paint.external_id, Decimal(1), net_value=Decimal("200.00")),
    ]
    assert validate_code(code, "C1", Decimal("500.00"), lines).discount == Decimal("30.00")
    only_paint = lines[1:]
    quote = validate_code(code, "C1", Decimal("200.00"), only_paint)
    assert quote.reason_code == "no_eligible_lines"


def test_redeem_is_idempotent_per_order_and_exhausts_a_single_use_code(db):
    code = first_code(batch(value=Decimal("10")))
    use, created = redeem_code(SYSTEM, code, "C1", "SHOP-100", Decimal("250.00"))
    again, created_again = redeem_code(SYSTEM, code, "C1", "SHOP-100", Decimal("999.00"))
    assert created and not created_again and again.id == use.id
    assert again.discount == Decimal("25.00")
    assert validate_code(code, "C1", Decimal(1), order_external_id="SHOP-100").valid
    with pytest.raises(CodeRefused) as err:
        redeem_code(SYSTEM, code, "C2", "SHOP-101", Decimal("250.00"))
    assert err.value.status_code == 409 and err.value.reason == "exhausted"


def test_one_code_per_order(db):
    a, b = discount_codes_of(batch(count=2, usage_limit_total=None))
    redeem_code(SYSTEM, a, "C1", "SHOP-7", Decimal(100))
    with pytest.raises(CodeRefused) as err:
        redeem_code(SYSTEM, b, "C1", "SHOP-7", Decimal(100))
    assert err.value.reason == "order_has_code" and a in err.value.message


def test_per_customer_limit_counts_across_the_batch(db):
    a, b, c = discount_codes_of(batch(count=3, usage_limit_per_customer=2))
    redeem_code(SYSTEM, a, "C1", "O-1", Decimal(100))
    redeem_code(SYSTEM, b, "C1", "O-2", Decimal(100))
    with pytest.raises(CodeRefused) as err:
        redeem_code(SYSTEM, c, "C1", "O-3", Decimal(100))
    assert err.value.reason == "customer_limit" and err.value.status_code == 409
    redeem_code(SYSTEM, c, "C2", "O-4", Decimal(100))


def test_cancelled_order_event_releases_the_use(db):
    customer = make_customer()
    code = first_code(batch())
    order = make_order(customer, external_id="SHOP-55")
    use, _ = redeem_code(SYSTEM, code, customer.external_id, "SHOP-55", Decimal(100))
    fire(order, "paid")
    assert use.order_id == order.id
    fire(order, "cancelled")
    db.session.refresh(use)
    assert use.status == UseStatus.RELEASED and use.code.use_count == 0
    assert validate_code(code, "C9", Decimal(100)).valid
    fire(order, "cancelled")  # a repeated event changes nothing
    assert use.code.use_count == 0
    again, created = redeem_code(SYSTEM, code, customer.external_id, "SHOP-55", Decimal(80))
    assert created and again.id == use.id and again.status == UseStatus.ACTIVE


def test_order_hooks_dispatch_reaches_both_handlers(db):
    from backoffice.services import order_hooks
    from models.orders import OrderEvent

    customer = make_customer()
    code = first_code(batch())
    order = make_order(customer, external_id="SHOP-77")
    redeem_code(SYSTEM, code, customer.external_id, "SHOP-77", Decimal(100))
    event = OrderEvent(order=order, event_id="e-1", type="cancelled", at=NOW)
    db.session.add(event)
    db.session.flush()
    order_hooks.dispatch(SYSTEM, order, event)
    assert validate_code(code, "C9", Decimal(100)).valid


# --- assignment ----------------------------------------------------------------------------


def test_assign_codes_is_idempotent_per_recipient_and_distinct(db):
    b = batch(count=4)
    first = discount_codes.assign_codes(
        SYSTEM, b, ["newsletter:1:anna@example.com", CodeRecipient("newsletter:1:jan@example.com")]
    )
    second = discount_codes.assign_codes(
        SYSTEM, b, ["newsletter:1:jan@example.com", "newsletter:1:ola@example.com"]
    )
    assert len(set(first.values())) == 2
    assert second["newsletter:1:jan@example.com"] == first["newsletter:1:jan@example.com"]
    assert second["newsletter:1:ola@example.com"] not in first.values()
    assert db.session.scalar(select(func.count(DiscountCodeAssignment.id))) == 3
    with pytest.raises(Conflict):
        discount_codes.assign_codes(SYSTEM, b, [f"k{i}" for i in range(5)])


def test_assign_to_a_group_gives_each_active_customer_a_personal_code(db):
    group = make_group()
    people = [make_customer(group=group) for _ in range(3)]
    make_customer(group=group, active=False)
    b = batch(count=10)
    codes = discount_codes.assign_to_group(SYSTEM, b, group)
    assert set(codes) == {p.id for p in people} and len(set(codes.values())) == 3
    assert discount_codes.assign_to_group(SYSTEM, b, group) == codes
    rows = db.session.scalars(select(DiscountCode).where(DiscountCode.customer_id.is_not(None)))
    assert {r.customer_id for r in rows} == {p.id for p in people}
