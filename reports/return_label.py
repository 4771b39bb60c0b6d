"""The RMA label: an A6 page with a Code128 barcode of the return number (pure renderer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.labels import LabelData, render_label_pdf


@dataclass(frozen=True)
class ReturnLabelView:
    """Everything printed on a return label, already translated and formatted."""

    number: str
    title: str
    sender: list[str] = field(default_factory=list)
    recipient: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sender_label: str = "Nadawca"
    recipient_label: str = "Odbiorca"


def render_return_label(view: ReturnLabelView) -> bytes:
    """PDF bytes of the label; the barcode encodes exactly ``view.number``."""
    return render_label_pdf(
        LabelData(
            code=view.number,
            title=view.title,
            sender=view.sender,
            recipient=view.recipient,
            notes=view.notes,
            sender_label=view.sender_label,
            recipient_label=view.recipient_label,
        )
    )
