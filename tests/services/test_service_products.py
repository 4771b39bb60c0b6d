"""Registering units: delivery-note serials, proof of purchase, staff verification."""

import datetime as dt

import pytest

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.services.service_products import (
    change_warranty_terms,
    register_product,
    reject_registration,
    verify_registration,
)
from backoffice.services.warranty import warsaw_today
from models.service_products import PurchaseSource, RegistrationStatus
from models.service_tickets import AttachmentKind
from tests.factories import make_customer, make_delivery_note, make_product
from tests.factories_service import STAFF, pdf_bytes

D = dt.date
PORTAL = Actor("portal", 7, "Jan Nowak <jan@klient.example.com>")
ISSUED = dt.datetime(2025, 3, 9, 23, 30, tzinfo=dt.UTC)  # 10 March in Warsaw


def _delivered(serial="SN-100", months=24):
    customer = make_customer()
    product = make_product(serial_tracked=True, warranty_months=months)
    note = make_delivery_note(customer, [(product, 1, [serial])], issued_at=ISSUED)
    return customer, product, note


def test_serial_on_a_delivery_note_gives_a_verified_unit_dated_by_the_note(db):
    customer, product, note = _delivered()
    unit = register_product(
        PORTAL,
        customer=customer,
        product=product,
        serial=" sn-100 ",
        by_customer=True,
        source="portal",
    )
    assert unit.serial == "SN-100"
    assert unit.status == RegistrationStatus.VERIFIED
    assert unit.purchase_source == PurchaseSource.DELIVERY_NOTE and unit.delivery_note == note
    assert unit.purchase_date == D(2025, 3, 10)
    assert unit.warranty_ends_on == D(2027, 3, 10)


def test_customer_serial_must_be_on_their_delivery_notes(db):
    customer, product, _note = _delivered()
    other = make_customer()
    with pytest.raises(ValidationFailed) as exc:
        register_product(
            PORTAL,
            customer=customer,
            product=product,
            serial="SN-999",
            by_customer=True,
            purchase_date=D(2025, 1, 1),
        )
    assert exc.value.field == "serial"
    with pytest.raises(ValidationFailed):
        register_product(
            PORTAL,
            customer=other,
            product=product,
            serial="SN-100",
            by_customer=True,
            purchase_date=D(2025, 1, 1),
        )


def test_untracked_product_needs_proof_and_goes_to_verification(db):
    customer, product = make_customer(), make_product(serial_tracked=False)
    with pytest.raises(ValidationFailed) as exc:
        register_product(
            PORTAL,
            customer=customer,
            product=product,
            serial="X1",
            purchase_date=D(2026, 2, 1),
            by_customer=True,
        )
    assert exc.value.field == "proof"
    unit = register_product(
        PORTAL,
        customer=customer,
        product=product,
        serial="X1",
        purchase_date=D(2026, 2, 1),
        by_customer=True,
        proof=[("faktura.pdf", pdf_bytes())],
    )
    assert unit.status == RegistrationStatus.TO_VERIFY
    assert unit.purchase_source == PurchaseSource.PROOF_OF_PURCHASE
    [proof] = unit.attachments
    assert proof.kind == AttachmentKind.PROOF_OF_PURCHASE and proof.mimetype == "application/pdf"


def test_a_renamed_executable_is_not_a_proof(db):
    with pytest.raises(ValidationFailed) as exc:
        register_product(
            PORTAL,
            customer=make_customer(),
            product=make_product(),
            serial="X2",
            purchase_date=D(2026, 2, 1),
            by_customer=True,
            proof=[("faktura.pdf", b"MZ\x90\x00 this is a windows executable")],
        )
    assert exc.value.field == "proof"


def test_staff_registration_is_verified_and_may_override_months(db):
    unit = register_product(
        STAFF,
        customer=make_customer(),
        product=make_product(warranty_months=12),
        serial="Y1",
        purchase_date=D(2025, 3, 10),
        warranty_months=36,
    )
    assert unit.status == RegistrationStatus.VERIFIED
    assert unit.purchase_source == PurchaseSource.STAFF
    assert unit.warranty_ends_on == D(2028, 3, 10)
    with pytest.raises(ValidationFailed):
        register_product(
            PORTAL,
            customer=make_customer(),
            product=make_product(),
            serial="Y2",
            purchase_date=D(2025, 1, 1),
            warranty_months=60,
            by_customer=True,
            proof=[("f.pdf", pdf_bytes())],
        )


@pytest.mark.parametrize("when", [None, "future", D(1980, 1, 1)])
def test_purchase_date_must_be_plausible(db, when):
    if when == "future":
        when = warsaw_today() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        register_product(
            STAFF, customer=make_customer(), product=make_product(), serial="Z1", purchase_date=when
        )
    assert exc.value.field == "purchase_date"


def test_a_serial_is_registered_once(db):
    customer, product, _note = _delivered(serial="DUP-1")
    register_product(STAFF, customer=customer, product=product, serial="DUP-1")
    with pytest.raises(Conflict, match="już zarejestrowany"):
        register_product(STAFF, customer=customer, product=product, serial="dup-1")
    with pytest.raises(Conflict, match="innego klienta"):
        register_product(
            STAFF,
            customer=make_customer(),
            product=product,
            serial="DUP-1",
            purchase_date=D(2025, 1, 1),
        )


def test_serial_tracked_product_needs_a_serial(db):
    with pytest.raises(ValidationFailed) as exc:
        register_product(
            STAFF,
            customer=make_customer(),
            product=make_product(serial_tracked=True),
            purchase_date=D(2025, 1, 1),
        )
    assert exc.value.field == "serial"


def test_verify_corrects_the_date_and_recomputes(db):
    unit = register_product(
        PORTAL,
        customer=make_customer(),
        product=make_product(warranty_months=24),
        serial="V1",
        purchase_date=D(2026, 2, 1),
        by_customer=True,
        proof=[("f.pdf", pdf_bytes())],
    )
    verify_registration(STAFF, unit, D(2025, 3, 10))
    assert unit.status == RegistrationStatus.VERIFIED and unit.verified_at is not None
    assert unit.warranty_ends_on == D(2027, 3, 10)
    with pytest.raises(InvalidTransition):
        verify_registration(STAFF, unit)
    with pytest.raises(InvalidTransition):
        reject_registration(STAFF, unit, "za późno")


def test_rejection_needs_a_reason(db):
    unit = register_product(
        PORTAL,
        customer=make_customer(),
        product=make_product(),
        serial="R1",
        purchase_date=D(2026, 2, 1),
        by_customer=True,
        proof=[("f.pdf", pdf_bytes())],
    )
    with pytest.raises(ValidationFailed):
        reject_registration(STAFF, unit, " ")
    reject_registration(STAFF, unit, "Nieczytelny dowód zakupu")
    assert unit.status == RegistrationStatus.REJECTED and unit.notes == "Nieczytelny dowód zakupu"


def test_changing_terms_needs_a_reason_and_recomputes(db):
    unit = register_product(
        STAFF,
        customer=make_customer(),
        product=make_product(),
        serial="T1",
        purchase_date=D(2025, 3, 10),
    )
    with pytest.raises(ValidationFailed):
        change_warranty_terms(
            STAFF, unit, purchase_date=D(2025, 3, 10), warranty_months=36, reason=""
        )
    change_warranty_terms(
        STAFF,
        unit,
        purchase_date=D(2025, 3, 10),
        warranty_months=36,
        reason="Gwarancja rozszerzona",
    )
    assert unit.warranty_ends_on == D(2028, 3, 10)
