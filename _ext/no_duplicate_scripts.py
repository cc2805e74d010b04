"""Write each script of a page once.

sphinx-thebe registers its inline configuration (``const THEBE_JS_URL = ...``) a second time
in this build, and a ``const`` declared twice is a JavaScript error on every page
("Identifier 'THEBE_JS_URL' has already been declared"). This drops exact duplicates from
the page's scripts before the page is written; the browser test (tests/test_browser.py)
fails on any console error, so it would show if the duplicate came back some other way.
"""
from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _key(script: Any) -> tuple[str, str]:
    filename = getattr(script, "filename", script) or ""  # None and "" both mean an inline script
    attributes = getattr(script, "attributes", {})
    return str(filename), repr(sorted(attributes.items()))


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        if _key(script) not in seen:
            seen.add(_key(script))
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
