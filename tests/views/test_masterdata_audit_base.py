"""The console base view writes its audit entry in the same transaction as the change."""

from sqlalchemy import func, select

from models import AuditEntry, CustomerGroup
from views.admin.base import SecureModelView


def entries(db):
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "customer_group.create")
    )


def test_change_and_its_audit_entry_commit_together(app, db):
    view = SecureModelView(CustomerGroup, endpoint="audit_probe", url="/admin/audit-probe")
    with app.test_request_context(method="POST", data={"name": "Hurt"}):
        model = view.create_model(view.create_form())
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "customer_group.create")
    ).one()
    assert entry.object_id == str(model.id)
    assert entry.changes["name"] == [None, "Hurt"]

    # A save that fails in the database leaves neither a row nor an audit entry.
    with app.test_request_context(method="POST", data={"name": "Hurt"}):
        assert view.create_model(view.create_form()) is False
    assert entries(db) == 1
    assert db.session.scalar(select(func.count()).select_from(CustomerGroup)) == 1
