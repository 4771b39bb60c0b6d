"""HTML → PDF with xhtml2pdf, with DejaVu Sans embedded so Polish letters render.

xhtml2pdf ignores fonts and images outside the document's directory unless a
``link_callback`` resolves them; ours maps ``font:NAME`` and ``static:PATH`` to files shipped
in ``static/`` and ``file:PATH`` to absolute paths the caller chose (logos in STORAGE_DIR).
Renders are serialised by a process-wide lock (ReportLab is not thread-safe).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
FONT_CSS = """
@font-face { font-family: "DejaVu"; src: url("font:DejaVuSans.ttf"); }
@font-face { font-family: "DejaVu"; src: url("font:DejaVuSans-Bold.ttf"); font-weight: bold; }
html, body, table, td, th, p, div, span { font-family: "DejaVu"; }
"""
_LOCK = threading.Lock()


class PdfError(RuntimeError):
    """xhtml2pdf reported errors while rendering."""


def _link_callback(uri: str, rel: str) -> str:
    if uri.startswith("font:"):
        return str(STATIC / "fonts" / Path(uri[5:]).name)
    if uri.startswith("static:"):
        path = (STATIC / uri[7:]).resolve()
        if STATIC in path.parents:
            return str(path)
        return ""
    if uri.startswith("file:"):
        return uri[5:]
    return uri


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes; the DejaVu font CSS is prepended."""
    from xhtml2pdf import pisa

    if "</head>" in html:
        html = html.replace("</head>", f"<style>{FONT_CSS}</style></head>", 1)
    else:
        html = f"<style>{FONT_CSS}</style>{html}"
    out = io.BytesIO()
    with _LOCK:
        status = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_link_callback)
    if status.err:
        raise PdfError(f"PDF rendering failed with {status.err} error(s)")
    return out.getvalue()
