"""Files of service tickets and registered products, on top of the shared upload checks.

``backoffice/services/uploads.py`` decides what is acceptable (PDF, JPEG or PNG by
content, ≤ 10 MB, must parse) and stores files outside the web root (deleted again if the
transaction rolls back). Here: several files are checked before any is stored (all or
nothing), rows are written, and generated documents (labels, repair reports) are kept with
their hash. Who may download a file is decided by the views.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.uploads import CheckedFile, absolute_path, check_upload, store_upload
from models.service_tickets import AttachmentKind, ServiceAttachment

MAX_FILES = 10


def check_files(files, field: str = "attachments") -> list[CheckedFile]:
    """Check every upload (FileStorage or ``(name, bytes)``); empty file inputs are skipped."""
    present = [f for f in files or [] if f is not None and (isinstance(f, tuple) or f.filename)]
    if len(present) > MAX_FILES:
        raise ValidationFailed(
            _("At most %(n)d files can be attached at once.", n=MAX_FILES), field=field
        )
    return [f if isinstance(f, CheckedFile) else check_upload(f, field=field) for f in present]


def _folder(ticket, registered_product) -> str:
    if ticket is not None:
        return f"service/tickets/{ticket.id}"
    return f"service/products/{registered_product.id}"


def store_attachment(
    actor: Actor,
    checked: CheckedFile,
    kind: AttachmentKind,
    *,
    ticket=None,
    registered_product=None,
    public: bool = True,
) -> ServiceAttachment:
    """Store a checked file and add its row (flushed, not committed)."""
    db.session.flush()
    stored = store_upload(checked, _folder(ticket, registered_product))
    row = ServiceAttachment(
        ticket=ticket,
        registered_product=registered_product,
        kind=kind,
        filename=stored.filename,
        path=stored.path,
        mimetype=stored.mimetype,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor.label[:300],
        public=public,
    )
    db.session.add(row)
    db.session.flush()
    return row


def store_document(
    actor: Actor, ticket, kind: AttachmentKind, filename: str, pdf: bytes
) -> ServiceAttachment:
    """Keep a generated PDF (label, repair report) with its hash. No commit."""
    checked = CheckedFile(data=pdf, kind="pdf", filename=filename)
    return store_attachment(actor, checked, kind, ticket=ticket)


def attachment_path(row: ServiceAttachment) -> Path:
    """The absolute path of a stored file (never outside STORAGE_DIR)."""
    return absolute_path(row.path)
