"""Discount code jobs: generating a batch chunk by chunk, exporting a batch to XLSX/CSV."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.queue import heartbeat
from backoffice.services.discount_code_export import export_headers, export_rows
from backoffice.services.discount_code_generation import CodeClash
from backoffice.services.discount_codes import generate_next_chunk
from models.base import utcnow
from models.discount_codes import (
    BatchStatus,
    DiscountCodeBatch,
    DiscountCodeExport,
    ExportStatus,
)
from reports.discount_codes import codes_csv, codes_xlsx

log = logging.getLogger(__name__)


def generate_codes(batch_id: int) -> None:
    """Store the batch's remaining codes, one committed chunk at a time (progress shows).

    Resumes where a previous run stopped; a finished batch is left alone. A chunk is one
    COPY; if it clashes with an existing code (rare) it is rolled back and stored again
    the careful way, replacing only the clashing codes.
    """
    fast = True
    while True:
        batch = db.session.get(DiscountCodeBatch, batch_id)
        if batch is None or batch.status != BatchStatus.GENERATING:
            return
        try:
            done = generate_next_chunk(batch, SYSTEM, fast=fast)
            db.session.commit()
        except CodeClash:
            db.session.rollback()
            fast = False
            continue
        except Exception as exc:
            db.session.rollback()
            _record_error(batch_id, exc)
            raise
        fast = True
        heartbeat()
        if done:
            return


def _record_error(batch_id: int, exc: Exception) -> None:
    db.session.execute(
        update(DiscountCodeBatch)
        .where(DiscountCodeBatch.id == batch_id)
        .values(error=f"{type(exc).__name__}: {exc}"[:2000])
    )
    db.session.commit()


def export_codes(export_id: int) -> None:
    """Write the batch's code register to a file under STORAGE_DIR (once)."""
    export = db.session.get(DiscountCodeExport, export_id)
    if export is None or export.status == ExportStatus.DONE:
        return
    counted = _Counter(export_rows(export.batch_id))
    headers = export_headers()
    if export.format == "xlsx":
        body = codes_xlsx(headers, counted, export.batch.name)
    else:
        body = codes_csv(headers, counted)
    relative = f"discount_codes/{export.filename}"
    path = Path(current_app.config["STORAGE_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(path)
    export.path, export.sha256 = relative, hashlib.sha256(body).hexdigest()
    export.rows, export.status, export.finished_at = counted.count, ExportStatus.DONE, utcnow()
    db.session.commit()
    log.info("exported %d codes of batch %s", counted.count, export.batch_id)


class _Counter:
    """Iterates rows while counting them."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
