"""Turning a campaign into e-mails: compiled once, personalised per recipient in microseconds.

``compile_campaign`` renders the base template (``templates/newsletters/base.html``) with
every block that is the same for everybody, inlines the CSS (css-inline) and generates the
plain-text part — once. Blocks with personalisation become sandbox templates of their own
(sanitised and CSS-inlined when compiled). Links, the unsubscribe and preferences links,
the open pixel and the unique code are markers that ``render`` replaces per recipient, so
one recipient costs a few small template renders and one substitution pass.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from dataclasses import dataclass, field
from typing import Any

import css_inline
from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

from backoffice.i18n import format_when
from backoffice.mail.compose import html_to_text
from backoffice.services import newsletter_blocks as blocks_service
from backoffice.services.company import get_profile
from backoffice.services.newsletter_sandbox import (
    clean_html,
    guard_jinja,
    has_jinja,
    restore_jinja,
    sandbox,
)

#: Markers in the compiled document, replaced per recipient. URL markers are valid URLs so
#: the sanitiser, the CSS inliner and the text converter leave them alone.
_MARK_URL = "https://x-nl-mark-{}.invalid"
_MARK_CODE = "\ue000C\ue001"
_MARK_BLOCK = "\ue000B{}\ue001"
_MARKERS = re.compile(r"https://x-nl-mark-(L\d+|U|P|O)\.invalid|\ue000(C)\ue001")
#: Every marker, blocks included: compiled documents are split on them once.
_ANY_MARKER = re.compile(r"https://x-nl-mark-(L\d+|U|P|O)\.invalid|\ue000(C|B\d+)\ue001")
_HREF = re.compile(r'href="(https?://[^"]+)"')
_ANCHOR = re.compile(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.S)
_TAGS = re.compile(r"<[^>]+>")
_INLINER = css_inline.CSSInliner(keep_style_tags=True)


@dataclass(frozen=True)
class Personal:
    """What differs per recipient."""

    email: str
    name: str = ""
    company: str = ""
    points: int | None = None
    code: str = ""
    recipient_id: int | None = None

    def variables(self) -> dict[str, Any]:
        name = (self.name or "").strip()
        return {
            "email": self.email,
            "name": name,
            "first_name": name.split()[0] if name else "",
            "company": self.company or "",
            "points": self.points,
        }


#: Sample people for previews and for checking marketing's texts.
SAMPLE = Personal(
    "jan.kowalski@example.com",
    "Jan Kowalski",
    "Przykładowa Hurtownia sp. z o.o.",
    1250,
    "KOD-7KQ2M9",
)
EMPTY = Personal("anonim@example.com")


@dataclass(frozen=True)
class Urls:
    """Where the per-recipient links point (tracking URLs, or plain ones in previews)."""

    unsubscribe: str
    preferences: str
    pixel: str = ""
    #: link id → URL of the signed redirect; None: links stay direct.
    click: dict[int, str] | None = None


@dataclass
class Slot:
    """A personalised block: its HTML and plain-text templates."""

    html: Any
    text: Any


@dataclass
class Compiled:
    """A campaign ready to be personalised."""

    subject: Any
    html_parts: Parts
    text_parts: Parts
    slots: list[Slot]
    base: dict[str, Any]
    #: URL → label of every tracked link (static hrefs).
    links: dict[str, str] = field(default_factory=dict)
    #: link id → URL, for direct links in previews.
    link_urls: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mail:
    """One recipient's texts."""

    subject: str
    html: str
    text: str


def base_context(locale: str) -> dict[str, Any]:
    """Variables every text can use besides ``recipient`` and ``code``."""
    profile = get_profile()
    company = {
        name: getattr(profile, name) or ""
        for name in ("name", "street", "postal_code", "city", "nip", "email", "phone", "website")
    }
    return {"company": company, "shop_url": current_app.config["SHOP_URL"], "locale": locale}


def logo_url() -> str | None:
    """The public address of our logo (served by the public newsletter views)."""
    if not get_profile().logo_path:
        return None
    return current_app.config["BASE_URL"] + "/nl/logo"


def _register_links(html: str, links: dict[str, str], ids: dict[str, int] | None) -> str:
    """Collect static http(s) links; with ``ids`` replace each by its marker."""
    for match in _ANCHOR.finditer(html):
        url = html_lib.unescape(match.group(1))
        if url.startswith(("http://", "https://")) and "x-nl-mark-" not in url:
            label = " ".join(html_lib.unescape(_TAGS.sub(" ", match.group(2))).split())
            links.setdefault(url, label[:300])
    if not ids:
        return html

    def replace(match: re.Match) -> str:
        link_id = ids.get(html_lib.unescape(match.group(1)))
        return f'href="{_MARK_URL.format(f"L{link_id}")}"' if link_id else match.group(0)

    return _HREF.sub(replace, html)


def _slot(source: str, css: str, links: dict, ids: dict | None) -> Slot:
    guarded, found = guard_jinja(source)
    cleaned = clean_html(guarded)
    inlined = css_inline.inline_fragment(cleaned, css) if css else cleaned
    inlined = _register_links(inlined, links, ids)
    html_source = restore_jinja(inlined, found)
    text_source = restore_jinja(tidy_text(html_to_text(inlined)).strip(), found)
    return Slot(
        sandbox(autoescape=True).from_string(html_source), sandbox(False).from_string(text_source)
    )


def _block_html(block: dict, slots: list, css: str, links, ids, code_marker) -> Markup:
    macros = current_app.jinja_env.get_template("newsletters/_blocks.html").module
    if block["type"] == "products":
        return Markup(macros.products_block(block))
    if block["type"] == "code":
        details = block.get("details") or {}
        code = Markup(code_marker) if block["mode"] == "unique" else block["code"]
        valid_to = details.get("valid_to")
        return Markup(
            macros.code_block(
                block,
                code,
                blocks_service.describe_discount(details),
                format_when(dt.datetime.fromisoformat(valid_to).date()) if valid_to else "",
            )
        )
    html = block.get("html") or ""
    if has_jinja(html):
        slots.append(_slot(html, css, links, ids))
        body = Markup(_MARK_BLOCK.format(len(slots) - 1))
    else:
        body = Markup(clean_html(html))
    return Markup(macros.text_block(block, body))


def compile_campaign(
    campaign, snap: dict, link_ids: dict[str, int] | None = None, *, pixel: bool = False
) -> Compiled:
    """Compile a campaign's snapshot; ``link_ids`` (URL → id) turns tracking on."""
    with force_locale(campaign.locale):
        css = _stylesheet(campaign.primary_color)
        links: dict[str, str] = {}
        slots: list[Slot] = []
        rendered = [_block_html(b, slots, css, links, link_ids, _MARK_CODE) for b in snap["blocks"]]
        document = render_template(
            "newsletters/base.html",
            company=base_context(campaign.locale)["company"],
            logo_url=logo_url(),
            color=campaign.primary_color,
            preheader=campaign.preheader or "",
            blocks=rendered,
            list_name=campaign.newsletter_list.name,
            unsubscribe_url=_MARK_URL.format("U"),
            preferences_url=_MARK_URL.format("P"),
            pixel_url=_MARK_URL.format("O") if pixel else "",
            locale=campaign.locale,
        )
    document = _register_links(document, links, link_ids)
    document = _INLINER.inline(document)
    subject = sandbox(autoescape=False).from_string(campaign.subject or "")
    return Compiled(
        subject=subject,
        html_parts=_split(document),
        text_parts=_split(tidy_text(html_to_text(document))),
        slots=slots,
        base=base_context(campaign.locale),
        links=links,
        link_urls={v: k for k, v in (link_ids or {}).items()},
    )


def tidy_text(text: str) -> str:
    """Plain text without the table layout's tabs and runs of empty lines."""
    lines = [" ".join(line.replace("\t", " ").split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


@dataclass(frozen=True)
class Parts:
    """A compiled text cut at its markers: ``pieces`` with the markers' keys at ``slots``
    (index → "L12", "U", "P", "O", "C" or "B0"); a recipient's text is a join."""

    pieces: tuple[str, ...]
    slots: tuple[tuple[int, str], ...]


def _split(text: str) -> Parts:
    pieces: list[str] = []
    slots: list[tuple[int, str]] = []
    last = 0
    for match in _ANY_MARKER.finditer(text):
        pieces.append(text[last : match.start()])
        slots.append((len(pieces), match.group(1) or match.group(2)))
        pieces.append("")
        last = match.end()
    pieces.append(text[last:])
    return Parts(tuple(pieces), tuple(slots))


def _join(parts: Parts, values: dict[str, str]) -> str:
    pieces = list(parts.pieces)
    for index, key in parts.slots:
        pieces[index] = values[key]
    return "".join(pieces)


def _stylesheet(color: str) -> str:
    """The base template's CSS (for inlining marketing's personalised blocks)."""
    source = current_app.jinja_env.get_template("newsletters/base.html").render(
        company={}, color=color, blocks=[], locale="pl", list_name=""
    )
    match = re.search(r"<style>(.*?)</style>", source, re.S)
    css = match.group(1) if match else ""
    return re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)


def render(compiled: Compiled, person: Personal, urls: Urls) -> Mail:
    """One recipient's subject, HTML and plain text."""
    context = {
        **compiled.base,
        "recipient": person.variables(),
        "code": person.code or "",
        "unsubscribe_url": urls.unsubscribe,
        "preferences_url": urls.preferences,
    }
    text_values = {
        "U": urls.unsubscribe,
        "P": urls.preferences,
        "O": urls.pixel,
        "C": person.code or "",
    }
    for link_id, url in compiled.link_urls.items():
        text_values[f"L{link_id}"] = (urls.click or {}).get(link_id, url)
    html_values = {k: str(escape(v)) for k, v in text_values.items()}

    def fill(text: str, values: dict[str, str]) -> str:
        return _MARKERS.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)

    for index, slot in enumerate(compiled.slots):
        html_values[f"B{index}"] = fill(clean_html(slot.html.render(context)), html_values)
        text_values[f"B{index}"] = fill(slot.text.render(context), text_values)
    return Mail(
        subject=" ".join(compiled.subject.render(context).split()),
        html=_join(compiled.html_parts, html_values),
        text=_join(compiled.text_parts, text_values),
    )
