"""The console base view keeps the changes it audits per request, not on the shared view."""

import threading

from models import CustomerGroup
from views.admin import base
from views.admin.base import SecureModelView


def test_pending_audit_changes_do_not_leak_between_threads(app, monkeypatch):
    recorded = {}
    monkeypatch.setattr(
        base,
        "record",
        lambda actor, action, model, changes=None: recorded.update({model.name: changes}),
    )
    view = SecureModelView(CustomerGroup, endpoint="audit_probe", url="/admin/audit-probe")
    monkeypatch.setattr(view, "session", type("S", (), {"commit": lambda self: None})())
    a_changed, b_done = threading.Event(), threading.Event()

    def save(name: str, first: bool):
        group = CustomerGroup(name=name)
        with app.test_request_context():
            if not first:
                a_changed.wait(5)
            view.on_model_change(None, group, True)
            if first:
                a_changed.set()
                b_done.wait(5)
            view.after_model_change(None, group, True)
            if not first:
                b_done.set()

    threads = [
        threading.Thread(target=save, args=("A", True)),
        threading.Thread(target=save, args=("B", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert recorded["A"]["name"] == [None, "A"]
    assert recorded["B"]["name"] == [None, "B"]
