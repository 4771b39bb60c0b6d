"""Finding user-visible strings without a Polish translation.

``python -m backoffice.i18n_catalogs`` prints every msgid used in the code and templates that
no catalog translates, as .po entries ready to paste into an area's catalog
(``backoffice/translations/<area>/pl/LC_MESSAGES/messages.po``). A test runs the same check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("backoffice", "models", "views", "tasks", "reports", "templates")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "_n": (1, 2),
}
METHODS = [
    ("**.py", "python"),
    ("**.html", "jinja2"),
    ("**.txt", "jinja2"),
]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}, "**.txt": {"extensions": "jinja2.ext.do"}}


def used_messages() -> dict[str, str]:
    """msgid → "file:line" of its first use, over code and templates."""
    found: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        base = ROOT / folder
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            str(base), METHODS, options_map=OPTIONS, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{folder}/{filename}:{lineno}")
    return found


def translated_messages(locale: str = "pl") -> set[str]:
    """Every msgid with a non-empty, non-fuzzy translation in any area's catalog."""
    done: set[str] = set()
    for po in (ROOT / "backoffice" / "translations").glob(f"*/{locale}/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale=locale):
                if not msg.id or msg.fuzzy:
                    continue
                ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
                strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
                if all(strings):
                    done.add(ids[0])
    return done


def missing(locale: str = "pl") -> dict[str, str]:
    """msgids used somewhere but translated nowhere."""
    done = translated_messages(locale)
    return {m: where for m, where in used_messages().items() if m not in done}


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def add_translations(area: str, translations: dict[str, str], locale: str = "pl") -> Path:
    """Merge msgid → msgstr pairs into an area's catalog (creating it); returns its path."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = ROOT / "backoffice" / "translations" / area / locale / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=locale, project="backoffice", charset="utf-8")
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    return path


def _main() -> None:
    """Print untranslated msgids (optionally only those used under a path prefix)."""
    todo = missing()
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    for msgid, where in sorted(todo.items(), key=lambda kv: kv[1]):
        if prefix and not where.startswith(prefix):
            continue
        print(f'#: {where}\nmsgid "{_po_escape(msgid)}"\nmsgstr ""\n')
    print(f"# {len(todo)} untranslated", file=sys.stderr)


if __name__ == "__main__":
    _main()
