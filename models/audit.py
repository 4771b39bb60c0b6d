"""The audit trail: who did what to which object, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, utcnow


class AuditEntry(Base):
    """One audited action. Rows are only ever inserted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: staff, portal, api or system.
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    #: Human-readable actor at the time (kept if the user is renamed or deleted).
    actor_label: Mapped[str] = mapped_column(String(300))
    #: Dotted verb, e.g. "customer.update" or "offer.accept".
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    #: {"field": [old, new], ...} or other structured details.
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
