"""Service procedures: admin-configurable ordered status lists with their allowed next steps.

There is one procedure per ticket kind (warranty, post-warranty). A ticket's status is a row
of its procedure; moving it is allowed only along a ``ProcedureTransition``. What a status
*does* (start the repair clock, send a quote, close the ticket) is its ``effect``, so admins
may rename, reorder or add statuses without touching code.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum


class TicketKind(enum.StrEnum):
    """Warranty repairs extend the warranty; post-warranty repairs are paid and do not."""

    WARRANTY = "warranty"
    POST_WARRANTY = "post_warranty"


class StatusEffect(enum.StrEnum):
    """What entering a status does besides changing it (see services/service_tickets.py)."""

    NONE = "none"
    #: The goods arrived at the service: the warranty repair clock starts (date recorded).
    GOODS_RECEIVED = "goods_received"
    #: A quote must be filled in; the customer gets it and may accept or reject it.
    QUOTE_SENT = "quote_sent"
    QUOTE_ACCEPTED = "quote_accepted"
    QUOTE_REJECTED = "quote_rejected"
    #: The goods went back to the customer: the repair clock stops, warranty is extended.
    RETURNED = "returned"


class ServiceProcedure(TimestampMixin, Base):
    """The status list followed by tickets of one kind."""

    __tablename__ = "service_procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind, "ticket_kind"), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    statuses: Mapped[list[ProcedureStatus]] = relationship(
        back_populates="procedure",
        cascade="all, delete-orphan",
        order_by="ProcedureStatus.position",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def initial_status(self) -> ProcedureStatus | None:
        """The status new tickets start in (the first one flagged initial, else the first)."""
        flagged = [s for s in self.statuses if s.is_initial]
        return (flagged or self.statuses or [None])[0]

    def status_by_code(self, code: str) -> ProcedureStatus | None:
        return next((s for s in self.statuses if s.code == code), None)

    def status_with_effect(self, effect: StatusEffect) -> ProcedureStatus | None:
        return next((s for s in self.statuses if s.effect == effect), None)


class ProcedureStatus(Base):
    """One status of a procedure, in display order."""

    __tablename__ = "service_procedure_statuses"
    __table_args__ = (UniqueConstraint("procedure_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("service_procedures.id", ondelete="CASCADE"), index=True
    )
    #: Stable machine name (letters, digits, "_"), used by templates and the API.
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    effect: Mapped[StatusEffect] = mapped_column(
        str_enum(StatusEffect, "status_effect"), default=StatusEffect.NONE
    )
    is_initial: Mapped[bool] = mapped_column(default=False)
    #: Entering it ends the ticket (it leaves the open queue).
    is_final: Mapped[bool] = mapped_column(default=False)
    #: The customer may move the ticket into this status from the portal (quote decisions).
    customer_may_choose: Mapped[bool] = mapped_column(default=False)
    notify_customer: Mapped[bool] = mapped_column(default=True)

    procedure: Mapped[ServiceProcedure] = relationship(back_populates="statuses")
    transitions: Mapped[list[ProcedureTransition]] = relationship(
        foreign_keys="ProcedureTransition.from_status_id",
        cascade="all, delete-orphan",
        back_populates="from_status",
    )

    def label(self, locale: str | None = "pl") -> str:
        """The name in the given language (Polish is the fallback)."""
        return self.name_en if locale == "en" and self.name_en else self.name

    @property
    def next_statuses(self) -> list[ProcedureStatus]:
        """Statuses reachable in one step, in procedure order."""
        return sorted((t.to_status for t in self.transitions), key=lambda s: s.position)

    def __str__(self) -> str:
        return self.name


class ProcedureTransition(Base):
    """An allowed step from one status to another of the same procedure."""

    __tablename__ = "service_procedure_transitions"

    from_status_id: Mapped[int] = mapped_column(
        ForeignKey("service_procedure_statuses.id", ondelete="CASCADE"), primary_key=True
    )
    to_status_id: Mapped[int] = mapped_column(
        ForeignKey("service_procedure_statuses.id", ondelete="CASCADE"), primary_key=True
    )

    from_status: Mapped[ProcedureStatus] = relationship(
        foreign_keys=[from_status_id], back_populates="transitions"
    )
    to_status: Mapped[ProcedureStatus] = relationship(foreign_keys=[to_status_id])
