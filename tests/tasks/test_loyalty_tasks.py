"""Loyalty jobs: the nightly expiry (Warsaw schedule, idempotent) and batch exports (once)."""

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import discount_codes, loyalty, points_ledger
from backoffice.services.discount_codes import BatchSpec
from models.discount_codes import DiscountCodeExport, ExportStatus
from models.loyalty import EntryKind, PointsEntry
from tasks import loyalty as loyalty_tasks
from tasks.discount_codes import export_codes
from tasks.schedule import SCHEDULE
from tests.factories import make_customer
from tests.factories_loyalty import batch_input, give_points, set_programme


def test_expiry_runs_every_night_in_warsaw_time():
    entry = next(e for e in SCHEDULE if e.name == "loyalty-expire-points")
    assert entry.func == "tasks.loyalty.expire_points"
    winter = entry.latest_slot(dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC))
    assert winter == dt.datetime(2026, 1, 14, 23, 20, tzinfo=dt.UTC)  # 00:20 in Warsaw


def test_expire_points_job_is_idempotent(db, monkeypatch):
    set_programme(expiry_months=1)
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(points_ledger, "utcnow", lambda: now)
    people = [make_customer() for _ in range(3)]
    for n, person in enumerate(people, start=1):
        give_points(person, 10 * n)
    later = dt.datetime(2025, 2, 2, tzinfo=dt.UTC)
    monkeypatch.setattr(loyalty_tasks, "utcnow", lambda: later)

    assert loyalty_tasks.expire_points() == 60
    assert loyalty_tasks.expire_points() == 0
    assert [loyalty.balance(p.id) for p in people] == [0, 0, 0]
    expiries = db.session.scalars(
        select(PointsEntry.points).where(PointsEntry.kind == EntryKind.EXPIRY)
    ).all()
    assert sorted(expiries) == [-30, -20, -10]


def test_csv_export_is_written_once_with_bom_and_semicolons(db, app):
    batch = discount_codes.create_batch(SYSTEM, BatchSpec(**batch_input(count=3, prefix="X-")))
    discount_codes.assign_codes(SYSTEM, batch, ['=HYPERLINK("http://evil")'])
    export = discount_codes.request_export(SYSTEM, batch, "csv")
    db.session.commit()

    export_codes(export.id)
    first = db.session.get(DiscountCodeExport, export.id)
    path = Path(app.config["STORAGE_DIR"]) / first.path
    written = path.stat().st_mtime_ns
    export_codes(export.id)

    assert first.status == ExportStatus.DONE and first.rows == 3
    assert path.stat().st_mtime_ns == written
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffKod;Status;Kontrahent")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 4 and all(r[0].startswith("X-") for r in rows[1:])
    assert sum(r[4] == '\'=HYPERLINK("http://evil")' for r in rows) == 1
