"""The book as a PDF: a link to it on every page, and a single-page build to print it from.

``make pdf`` builds the book with Sphinx's ``singlehtml`` builder and prints that one page
with headless Chromium (``tools/make_pdf.py``) into ``_build/pdf/rnn-course-<lang>.pdf``.
This extension does the two things that need Sphinx:

- **The link.** Every page's download menu (the theme's download button) gets an entry for
  the whole book as a PDF, ``rnn-course-<lang>.pdf`` at the root of the edition's site
  (``<lang>`` is the edition's ``language``, English when unset). ``make pdf`` copies the
  PDF there; an HTML build also copies it there when it is already printed (see
  ``printed_pdf``).
- **The single-page build.** Sphinx looks up a custom node's HTML writer first under the
  builder's own name. sphinx-exercise registers its nodes for ``singlehtml`` by name, so
  ``singlehtml`` stops falling back to the ``html`` writers, and MyST-NB's nodes (a hidden
  code cell, registered for ``html`` only) crash that build ("unknown node type:
  HideCodeCellNode"). The single-page build is given every ``html`` writer it lacks.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
# The entry's words, per edition language; other languages get the English words.
LABELS = {
    "en": ("Book (.pdf)", "The whole book as one PDF, for print and offline reading"),
    "ja": ("本書 (.pdf)", "本書全体を 1 つの PDF で（印刷・オフライン用）"),
}


def edition(app: Sphinx) -> str:
    """The edition's language code: ``en`` when the book sets none."""
    return (app.config.language or "en").split("_")[0].split("-")[0]


def pdf_name(app: Sphinx) -> str:
    """The PDF's file name, e.g. ``rnn-course-en.pdf``."""
    return app.config.pdf_book_file or f"rnn-course-{edition(app)}.pdf"


def add_pdf_to_download_menu(app: Sphinx, pagename: str, templatename: str,
                             context: dict, doctree: Any) -> None:
    """Append the whole-book PDF to the page's download menu (the theme builds it at priority 501)."""
    if app.builder.name != "html":
        return
    text, tooltip = LABELS.get(edition(app), LABELS["en"])
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append({
                "type": "link",
                "url": context["pathto"](pdf_name(app), 1),
                "text": text,
                "tooltip": tooltip,
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


def share_html_writers(app: Sphinx) -> None:
    """Give the single-page build every HTML node writer it lacks (see the module docstring)."""
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node_name, writers in handlers.get("html", {}).items():
        single.setdefault(node_name, writers)


def printed_pdf(app: Sphinx) -> Path | None:
    """The PDF ``make pdf`` printed, if any: in ``pdf_book_dir``, or in ``_build/pdf`` of the book's
    folder or of a folder above it (the Japanese edition's sources are ``_build/ja_src``)."""
    if app.config.pdf_book_dir:
        folders = [Path(app.config.pdf_book_dir)]
    else:
        confdir = Path(app.confdir).resolve()
        folders = [folder / "_build" / "pdf" for folder in [confdir, *confdir.parents][:3]]
    return next((f / pdf_name(app) for f in folders if (f / pdf_name(app)).is_file()), None)


def copy_printed_pdf(app: Sphinx, exception: Exception | None) -> None:
    """Copy the printed PDF (if ``make pdf`` made one) into the site, where the menu links it."""
    if exception is not None or app.builder.name != "html":
        return
    printed = printed_pdf(app)
    if printed is not None:
        shutil.copy2(printed, Path(app.outdir) / printed.name)
    else:
        LOGGER.info(f"[pdf_book] {pdf_name(app)} is not printed yet: `make pdf` prints it and adds it to the site")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("pdf_book_file", "", "html", types=[str])
    app.add_config_value("pdf_book_dir", "", "html", types=[str])
    app.connect("html-page-context", add_pdf_to_download_menu, priority=600)
    app.connect("builder-inited", share_html_writers)
    app.connect("build-finished", copy_printed_pdf)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
