"""Marketing's own texts in a newsletter: Jinja in the immutable sandbox, sanitised HTML.

Subjects and text blocks may use personalisation (``{{ recipient.first_name }}``,
``{{ recipient.company }}``, ``{{ recipient.points }}``, ``{{ code }}``…). They render in an
``ImmutableSandboxedEnvironment`` without a template loader; constructs that would switch
escaping off (``|safe``, ``{% autoescape false %}``) or load other templates are refused
when the text is saved, and the HTML is cleaned with nh3 (tags, attributes and URL schemes
from an allow-list) both when saved and after rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from babel.numbers import format_currency, format_decimal
from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes, pass_context
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Tags and attributes marketing's HTML may keep (everything else is removed).
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"style", "class", "align", "title"},
    "a": {"href", "target"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "width", "valign"},
    "th": {"colspan", "rowspan", "width", "valign"},
    "table": {"width", "cellpadding", "cellspacing", "border"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
#: Tags whose content goes too (not only the tag).
DROPPED_WITH_CONTENT = {"script", "style"}
#: Jinja constructs refused in marketing's texts.
FORBIDDEN_FILTERS = {"safe"}
FORBIDDEN_NODES = (
    nodes.EvalContextModifier,
    nodes.Extends,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_GUARD = re.compile(r"zqj(\d+)zq")


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener",
)


def clean_html(html: str) -> str:
    """Sanitise HTML with the newsletter allow-list."""
    return _CLEANER.clean(html or "")


def has_jinja(source: str | None) -> bool:
    """True when a text uses Jinja (and so differs per recipient)."""
    return bool(source) and bool(_JINJA.search(source))


def guard_jinja(source: str) -> tuple[str, list[str]]:
    """Replace Jinja tags by plain words (``zqj0zq``) so an HTML tool leaves them alone."""
    found: list[str] = []

    def keep(match: re.Match) -> str:
        found.append(match.group(0))
        return f"zqj{len(found) - 1}zq"

    return _JINJA.sub(keep, source), found


def restore_jinja(text: str, found: list[str]) -> str:
    """Put the Jinja tags guarded by ``guard_jinja`` back."""
    return _GUARD.sub(lambda m: found[int(m.group(1))], text)


# --- the environment ---------------------------------------------------------------------


def _locale(ctx) -> str:
    return str(ctx.get("locale") or "pl")


@pass_context
def _money(ctx, amount, currency: str = "PLN") -> str:
    if amount in (None, ""):
        return ""
    return format_currency(amount, currency, locale=_locale(ctx))


@pass_context
def _number(ctx, value) -> str:
    if value in (None, ""):
        return ""
    return format_decimal(value, locale=_locale(ctx))


def _blank_none(value):
    """``{{ recipient.points }}`` of someone without points prints nothing, not "None"."""
    return "" if value is None else value


def _make_env(autoescape: bool, strict: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined if strict else Undefined,
        finalize=_blank_none,
    )
    env.filters.pop("safe", None)
    env.filters.update(money=_money, number=_number)
    return env


_ENVS: dict[tuple[bool, bool], ImmutableSandboxedEnvironment] = {}


def sandbox(autoescape: bool = True, strict: bool = False) -> ImmutableSandboxedEnvironment:
    """The newsletter sandbox (HTML: autoescaped; ``strict``: unknown variables are errors)."""
    key = (autoescape, strict)
    if key not in _ENVS:
        _ENVS[key] = _make_env(autoescape, strict)
    return _ENVS[key]


@dataclass(frozen=True)
class Problem:
    """Why a text cannot be used: the message and the line (when known)."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)s: %(message)s", line=self.line, message=self.message)
        return self.message


def check_source(source: str, samples: list[dict], *, html: bool) -> Problem | None:
    """Parse a text, refuse forbidden constructs and render it with each sample context."""
    env = sandbox(autoescape=html, strict=True)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return Problem(_("the template is not valid: %(error)s", error=exc.message), exc.lineno)
    for node in tree.find_all(FORBIDDEN_NODES):
        return Problem(_("this instruction is not allowed in newsletters"), node.lineno)
    for node in tree.find_all(nodes.Filter):
        if node.name in FORBIDDEN_FILTERS:
            return Problem(_("the filter %(name)s is not allowed", name=node.name), node.lineno)
    template = env.from_string(source)
    for context in samples:
        try:
            template.render(context)
        except UndefinedError as exc:
            return Problem(_("unknown variable: %(error)s", error=str(exc)))
        except SecurityError:
            return Problem(_("this expression is not allowed in the sandbox"))
        except Exception as exc:  # noqa: BLE001 - any render error is the author's to fix
            return Problem(_("the text cannot be rendered: %(error)s", error=str(exc)))
    return None
