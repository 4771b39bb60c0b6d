"""Checking and storing uploaded files (attachments of returns, service tickets, …).

An upload is accepted only when its *content* is a PDF, JPEG or PNG (the filename and the
browser's content type are ignored: a renamed ``.exe`` is refused) and it is not larger than
``UPLOAD_MAX_BYTES`` (10 MB by default). Accepted files are stored under ``STORAGE_DIR``,
outside the web root, under a random name; callers keep the returned relative path and
serve the file themselves after checking who asks. Files written in a transaction that is
rolled back are deleted again, so a failed request leaves nothing behind.

Usage::

    checked = check_upload(request.files["file"])          # raises ValidationFailed
    stored = store_upload(checked, folder="returns/42")    # StoredFile(path=…, sha256=…)
    send_file(absolute_path(stored.path), download_name=stored.filename)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from backoffice.errors import ValidationFailed
from backoffice.extensions import db

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Kinds accepted by default; callers may narrow them (e.g. images only).
DEFAULT_KINDS = ("pdf", "jpeg", "png")
MIMETYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
_NEW_FILES = "backoffice.uploads.new"


@dataclass(frozen=True)
class CheckedFile:
    """An upload whose content was verified: bytes, detected kind and a display name."""

    data: bytes
    kind: str
    filename: str

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.kind]

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    """A stored upload: ``path`` is relative to STORAGE_DIR."""

    path: str
    filename: str
    mimetype: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    """The configured size limit (``UPLOAD_MAX_BYTES``, default 10 MB)."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def detect_kind(head: bytes) -> str | None:
    """pdf, jpeg or png from the first bytes of a file; None for anything else."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def check_upload(
    upload,
    *,
    kinds: tuple[str, ...] = DEFAULT_KINDS,
    max_bytes: int | None = None,
    field: str = "file",
) -> CheckedFile:
    """Read an upload (a werkzeug FileStorage or (filename, stream)) and verify it.

    Raises ValidationFailed naming ``field`` when it is empty, too large, of a type not in
    ``kinds`` or damaged.
    """
    filename, stream = _name_and_stream(upload)
    limit = max_bytes or max_upload_bytes()
    data = stream.read(limit + 1)
    shown = display_name(filename)
    if not data:
        raise ValidationFailed(_("The file %(name)s is empty.", name=shown), field=field)
    if len(data) > limit:
        megabytes = f"{limit / 1024 / 1024:g}"
        raise ValidationFailed(
            _("The file %(name)s is larger than %(mb)s MB.", name=shown, mb=megabytes),
            field=field,
        )
    kind = detect_kind(data[:16])
    if kind is None or kind not in kinds:
        allowed = ", ".join(k.upper() for k in kinds)
        raise ValidationFailed(
            _(
                "The file %(name)s is not an accepted type (%(allowed)s); its content was "
                "checked, not its name.",
                name=shown,
                allowed=allowed,
            ),
            field=field,
        )
    if not _content_is_sound(kind, data):
        raise ValidationFailed(
            _("The file %(name)s is damaged and cannot be opened.", name=shown), field=field
        )
    return CheckedFile(data=data, kind=kind, filename=_with_extension(shown, kind))


def _name_and_stream(upload) -> tuple[str, BinaryIO]:
    if isinstance(upload, tuple):
        name, stream = upload
        return name or "", stream if hasattr(stream, "read") else io.BytesIO(stream)
    return getattr(upload, "filename", "") or "", upload.stream


def _content_is_sound(kind: str, data: bytes) -> bool:
    """Parse the file: an image must decode, a PDF must have a readable page tree."""
    try:
        if kind == "pdf":
            import pypdf

            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            return len(reader.pages) > 0
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            expected = {"jpeg": "JPEG", "png": "PNG"}[kind]
            if img.format != expected:
                return False
            img.verify()
        return True
    except Exception:  # noqa: BLE001 - any parser error means the file is unusable
        return False


def display_name(filename: str | None) -> str:
    """The user's file name without directories or control characters (≤ 150 chars)."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return (name or "plik")[-150:]


def _with_extension(name: str, kind: str) -> str:
    """Make the shown name end in the extension of the detected type."""
    stem, dot, ext = name.rpartition(".")
    known = {"pdf": {"pdf"}, "jpeg": {"jpg", "jpeg"}, "png": {"png"}}[kind]
    if dot and ext.lower() in known:
        return name
    return f"{stem if dot else name}.{EXTENSIONS[kind]}"


def storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"]).resolve()


def absolute_path(relative: str) -> Path:
    """The file's location for ``send_file``; refuses paths escaping STORAGE_DIR."""
    root = storage_root()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"path outside the storage directory: {relative!r}")
    return path


def store_upload(checked: CheckedFile, folder: str, session: Session | None = None) -> StoredFile:
    """Write a checked file under ``STORAGE_DIR/folder`` with a random name.

    The write is atomic; if ``session``'s transaction (default: ``db.session``) is rolled
    back, the file is deleted.
    """
    relative = store_bytes(checked.data, folder, EXTENSIONS[checked.kind], session=session)
    return StoredFile(relative, checked.filename, checked.mimetype, checked.size, checked.sha256)


def store_bytes(data: bytes, folder: str, extension: str, session: Session | None = None) -> str:
    """Write generated or checked bytes under ``STORAGE_DIR/folder``; the relative path.

    Atomic (temporary file, fsync, rename); deleted again if the session's transaction
    does not commit.
    """
    session = session or db.session
    safe_folder = "/".join(p for p in re.split(r"[\\/]+", folder) if p not in {"", ".", ".."})
    ext = re.sub(r"[^a-z0-9]", "", extension.lower())[:8] or "bin"
    relative = f"{safe_folder}/{secrets.token_hex(16)}.{ext}"
    target = absolute_path(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    os.chmod(target, 0o640)
    session.connection()  # make sure a transaction exists, so its end is seen
    session.info.setdefault(_NEW_FILES, []).append(str(target))
    return relative


@event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_transaction_end")
def _delete_uncommitted(session: Session, transaction) -> None:
    # Runs after after_commit: files still listed belong to a rolled-back or closed
    # transaction, whose rows pointing at them are gone.
    if transaction.parent is not None:
        return
    for path in session.info.pop(_NEW_FILES, []):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
