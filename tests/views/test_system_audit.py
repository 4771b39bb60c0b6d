"""Console audit log: read-only, filters (Warsaw days), search, details table, XLSX export."""

import datetime as dt
from io import BytesIO

from openpyxl import load_workbook

from backoffice.actors import Actor
from backoffice.services.audit import record
from models import AuditEntry


def text(resp) -> str:
    return resp.get_data(as_text=True)


def entry(db, action, at=None, **kw) -> AuditEntry:
    actor = Actor(kw.pop("kind", "staff"), kw.pop("actor_id", 7), kw.pop("who", "Ewa Księgowa"))
    e = record(actor, action, object_type=kw.pop("type", "Offer"), object_id=kw.pop("id", 1), **kw)
    if at is not None:
        e.at = at
    db.session.flush()
    return e


def test_only_admins(staff_client, client):
    assert client.get("/admin/audit/").status_code == 302
    assert staff_client("sales").get("/admin/audit/").status_code == 403
    assert staff_client("admin").get("/admin/audit/").status_code == 200


def test_read_only(admin_client, db):
    e = entry(db, "offer.accept")
    page = text(admin_client.get("/admin/audit/"))
    assert "offer.accept" in page and "Dziennik zdarzeń" in page
    assert "/admin/audit/new/" not in page and "/admin/audit/edit/" not in page
    assert admin_client.get("/admin/audit/new/").status_code == 302
    resp = admin_client.post(f"/admin/audit/delete/?id={e.id}", data={"id": e.id})
    assert resp.status_code == 302
    assert db.session.get(AuditEntry, e.id) is not None


def test_filters_and_search(admin_client, db):
    entry(db, "offer.accept", who="Ewa Księgowa", type="Offer", id=11)
    entry(db, "return.reject", who="Rafał Zwrotny", type="ReturnRequest", id=12, kind="portal")
    # Filters in Flask-Admin's URL form: flt<n>_<index>, index = position in column_filters.
    by_who = text(admin_client.get("/admin/audit/?flt0_0=Rafał"))
    assert "return.reject" in by_who and "offer.accept" not in by_who
    by_kind = text(admin_client.get("/admin/audit/?flt0_1=portal"))
    assert "return.reject" in by_kind and "offer.accept" not in by_kind
    by_action = text(admin_client.get("/admin/audit/?flt0_2=accept"))
    assert "offer.accept" in by_action and "return.reject" not in by_action
    by_type_and_id = text(admin_client.get("/admin/audit/?flt0_3=Offer&flt1_4=11"))
    assert "offer.accept" in by_type_and_id and "return.reject" not in by_type_and_id
    searched = text(admin_client.get("/admin/audit/?search=zwrotny"))
    assert "return.reject" in searched and "offer.accept" not in searched


def test_date_filters_use_warsaw_days(admin_client, db):
    # 2026-03-09 23:30 UTC is already 10 March in Warsaw (UTC+1).
    late = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    entry(db, "a.late", at=late)
    entry(db, "a.before", at=dt.datetime(2026, 3, 9, 22, 30, tzinfo=dt.UTC))
    entry(db, "a.after", at=dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC))
    between = text(admin_client.get("/admin/audit/?flt0_5=2026-03-10+to+2026-03-10"))
    assert "a.late" in between and "a.before" not in between and "a.after" not in between
    since = text(admin_client.get("/admin/audit/?flt0_6=2026-03-10"))
    assert "a.late" in since and "a.after" in since and "a.before" not in since
    until = text(admin_client.get("/admin/audit/?flt0_7=2026-03-09"))
    assert "a.before" in until and "a.late" not in until


def test_links_by_object_and_actor(admin_client, db):
    entry(db, "user.update", type="User", id=5, summary="piąty")
    entry(db, "user.update", type="User", id=6, summary="szósty")
    entry(db, "user.update", type="User", id=6, summary="przez innego", actor_id=99)
    page = text(admin_client.get("/admin/audit/?object_type=User&object_id=5"))
    assert "piąty" in page and "szósty" not in page
    assert 'data-testid="link-filters"' in page
    page = text(admin_client.get("/admin/audit/?actor_kind=staff&actor_id=99"))
    assert "przez innego" in page and "piąty" not in page


def test_details_show_changes_as_a_table(admin_client, db):
    e = entry(
        db,
        "customer.update",
        changes={"name": ["Stara Łódź", "Nowa Łódź"], "roles": ["sales"]},
        summary="zmiana nazwy",
    )
    entry(db, "customer.create", id=1)
    page = text(admin_client.get(f"/admin/audit/details/?id={e.id}"))
    assert 'data-testid="audit-changes"' in page
    assert "Stara Łódź" in page and "Nowa Łódź" in page and "zmiana nazwy" in page
    assert "customer.create" in page  # the other entries about the same object
    assert admin_client.get("/admin/audit/details/?id=999999").status_code == 302


def test_export_xlsx_escapes_formulas(admin_client, db):
    entry(db, "x.test", summary='=HYPERLINK("http://evil")', changes={"a": [1, 2]})
    resp = admin_client.get("/admin/audit/export/xlsx/")
    assert resp.status_code == 200
    sheet = load_workbook(BytesIO(resp.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Czas"
    summaries = [c for r in rows[1:] for c in r if isinstance(c, str) and "HYPERLINK" in c]
    assert summaries and not summaries[0].startswith("=")
