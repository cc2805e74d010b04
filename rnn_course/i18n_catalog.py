"""Maintaining the feedback catalogue: ``python -m rnn_course.i18n update`` (or ``status``).

The messages are those marked with ``_()`` / ``N_()`` in :mod:`rnn_course.checks` and
:mod:`rnn_course.instructor`. ``update`` extracts them (Babel), merges them into
``rnn_course/locales/<lang>/LC_MESSAGES/rnn_course.po`` (a new message gets an empty
translation, a changed one keeps the old translation marked fuzzy with the old English as
"previous", a message that is gone is dropped), compiles the ``.mo`` next to it and lists what
needs translating. ``status`` only lists. Babel comes with Sphinx (``requirements.txt``); the
package itself needs only the standard library's ``gettext`` at run time.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import io
import string
import sys
from pathlib import Path

from .i18n import DOMAIN, LANGUAGES, LOCALES

PACKAGE = Path(__file__).resolve().parent
SOURCES = ("checks", "instructor")  # the learner's and the instructor's messages
KEYWORDS = {"_": None, "gettext": None, "N_": None}
FIXED_DATE = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)  # headers do not change on every run
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract():
    """A Babel catalogue template of every message in :data:`SOURCES` (file locations, no line numbers)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    template = Catalog(project="rnn_course", domain=DOMAIN, fuzzy=False, charset="utf-8",
                       creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                       copyright_holder="The rnn_course authors", language_team="Japanese",
                       msgid_bugs_address="https://github.com/rnn-course/rnn-course/issues")
    for folder in SOURCES:
        for path in sorted((PACKAGE / folder).glob("*.py")):
            where = path.relative_to(PACKAGE.parent).as_posix()
            for lineno, message, comments, context in extract_from_file("python", path, keywords=KEYWORDS):
                if isinstance(message, tuple):  # plural forms are not used
                    message = message[0]
                if message:
                    template.add(message, locations=[(where, None)], context=context)
    return template


def read(lang: str):
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if not path.exists():
        from babel.messages.catalog import Catalog

        return Catalog(locale=lang, project="rnn_course", version="0.1.0", domain=DOMAIN, fuzzy=False,
                       charset="utf-8", creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                       language_team="Japanese", last_translator="The rnn_course authors",
                       copyright_holder="The rnn_course authors",
                       msgid_bugs_address="https://github.com/rnn-course/rnn-course/issues",
                       header_comment="# Japanese messages of the rnn_course exercise checks and instructor tools.\n"
                                      "# Update with: python -m rnn_course.i18n update (see CONTRIBUTING.md).")
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=0, sort_output=False, include_previous=True, include_lineno=False,
             ignore_obsolete=True)
    return buf.getvalue()


def mo_bytes(catalog) -> bytes:
    """The compiled catalogue (fuzzy entries left out, as gettext expects)."""
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def fields(message: str) -> set[str]:
    """The placeholders of a message as written, e.g. ``{"got!r", "error:.1e"}`` (empty if none)."""
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError:  # unbalanced braces: a message that is never formatted
        return set()
    return {name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            for _, name, spec, conversion in parsed if name is not None}


def status(catalog) -> dict[str, list[str]]:
    """What needs work: untranslated, fuzzy and obsolete msgids, and translations whose
    placeholders differ from the English."""
    out: dict[str, list[str]] = {"untranslated": [], "fuzzy": [], "obsolete": list(catalog.obsolete),
                                 "placeholders": []}
    for msg in catalog:
        if not msg.id:
            continue
        if not msg.string:
            out["untranslated"].append(msg.id)
        elif msg.fuzzy:
            out["fuzzy"].append(msg.id)
        elif fields(msg.id) != fields(msg.string):
            out["placeholders"].append(msg.id)
    return out


def update(lang: str) -> dict[str, list[str]]:
    """Merge the extracted messages into ``lang``'s catalogue, write the .po and .mo; the status."""
    template = extract()
    catalog = read(lang)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False, update_creation_date=True)
    catalog.obsolete.clear()  # messages gone from the code (a changed one was carried over as fuzzy)
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(po_bytes(catalog))
    compile_catalogue(lang)
    return status(read(lang))


def compile_catalogue(lang: str) -> None:
    mo_path(lang).write_bytes(mo_bytes(read(lang)))


def _report(lang: str, st: dict[str, list[str]], total: int) -> int:
    needs = sum(len(v) for v in st.values())
    path = po_path(lang)
    shown = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent) else path
    print(f"{shown}: {total} messages, {len(st['untranslated'])} untranslated, "
          f"{len(st['fuzzy'])} fuzzy, {len(st['obsolete'])} obsolete, {len(st['placeholders'])} with other "
          "placeholders than the English")
    for kind, ids in st.items():
        for msgid in ids:
            print(f"  {kind}: {msgid!r}")
    return 1 if needs else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_course.i18n",
                                     description="Keep the feedback catalogue in step with the code.")
    parser.add_argument("command", choices=["update", "status"],
                        help="update: extract, merge, compile and list; status: only list")
    args = parser.parse_args(argv)
    code = 0
    for lang in TRANSLATED:
        st = update(lang) if args.command == "update" else status(read(lang))
        code |= _report(lang, st, sum(1 for m in read(lang) if m.id))
    return code


if __name__ == "__main__":
    sys.exit(main())
