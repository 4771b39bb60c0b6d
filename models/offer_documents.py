"""Offer documents (PDF, XLSX per version and recipient) and e-mail dispatches of offers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from models.offers import Offer, OfferRecipient, OfferVersion


class DocumentKind(enum.StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"


class DocumentStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the documents queue
    READY = "ready"
    FAILED = "failed"


MIMETYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class OfferDocument(Base):
    """A rendered document of one offer version for one recipient, stored with its hash.

    It is current when ready and rendered from the version's present revision; a current
    document of a sent version is never rendered again.
    """

    __tablename__ = "offer_documents"
    __table_args__ = (UniqueConstraint("version_id", "recipient_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("offer_versions.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("offer_recipients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, "offer_document_kind"))
    status: Mapped[DocumentStatus] = mapped_column(
        str_enum(DocumentStatus, "offer_document_status"), default=DocumentStatus.PENDING
    )
    #: The version revision the stored file shows.
    revision: Mapped[int | None]
    #: Inside STORAGE_DIR.
    path: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rendered_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    version: Mapped[OfferVersion] = relationship(back_populates="documents")
    recipient: Mapped[OfferRecipient] = relationship()

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.kind]

    @property
    def is_current(self) -> bool:
        return self.status == DocumentStatus.READY and self.revision == self.version.revision


class DispatchStatus(enum.StrEnum):
    WAITING = "waiting"  # for its documents
    QUEUED = "queued"  # messages written to the register
    CANCELLED = "cancelled"


class OfferDispatch(Base):
    """An e-mail sending of an offer version, waiting until its attachments are rendered.

    ``recipients`` is ``[{"recipient_id": 1, "to": [{"email", "name", "contact_id"}]}]``.
    """

    __tablename__ = "offer_dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("offer_versions.id", ondelete="CASCADE"))
    status: Mapped[DispatchStatus] = mapped_column(
        str_enum(DispatchStatus, "offer_dispatch_status"), default=DispatchStatus.WAITING
    )
    attach_pdf: Mapped[bool] = mapped_column(default=True)
    attach_xlsx: Mapped[bool] = mapped_column(default=False)
    #: The rep's own subject and message; None: each recipient's language template.
    subject: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None]
    queued_at: Mapped[dt.datetime | None]
    message_count: Mapped[int] = mapped_column(default=0)

    offer: Mapped[Offer] = relationship()
    version: Mapped[OfferVersion] = relationship()
