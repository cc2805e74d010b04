"""Two editions of one book: English at the site root, Japanese under ``ja/``.

Every page gets a link to the same page in the other edition (in the page's header, next to
the download and launch buttons) and a ``<link rel="alternate" hreflang=…>`` for search engines.
The Japanese edition (``edition: ja`` in its generated ``_config.yml``, see
``_ext/translations.py``) also names sphinx-exercise's directives as Japanese textbooks do:
演習 and 解答 (the extension's own catalogue says 練習).
"""
from __future__ import annotations

import gettext
from typing import Any

from sphinx import locale
from sphinx.application import Sphinx

EDITIONS = {"en": ("English", ""), "ja": ("日本語", "ja/")}   # name, folder under the site root
EXERCISE_WORDS_JA = {"Exercise": "演習", "Solution": "解答", "Solution to": "解答"}


class _Words(gettext.NullTranslations):
    """A few words of our own, in front of an extension's catalogue."""

    def __init__(self, words: dict[str, str]):
        super().__init__()
        self.words = words

    def gettext(self, message: str) -> str:
        if message in self.words:
            return self.words[message]
        return self._fallback.gettext(message) if self._fallback else message


def _exercise_words(app: Sphinx, config) -> None:
    if config.edition != "ja":
        return
    key = ("general", "exercise")
    words = _Words(EXERCISE_WORDS_JA)
    if key in locale.translators:
        words.add_fallback(locale.translators[key])
    locale.translators[key] = words


def other_edition_url(pagename: str, edition: str) -> tuple[str, str, str]:
    """(URL relative to the page, language code, name) of the same page in the other edition."""
    other = "en" if edition == "ja" else "ja"
    up = "../" * pagename.count("/")
    to_root = up + ("../" if edition == "ja" else "")
    return f"{to_root}{EDITIONS[other][1]}{pagename}.html", other, EDITIONS[other][0]


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    url, lang, name = other_edition_url(pagename, app.config.edition)
    context["edition_switch"] = {"url": url, "lang": lang, "name": name}
    context["metatags"] = context.get("metatags", "") + \
        f'\n    <link rel="alternate" hreflang="{lang}" href="{url}" />'


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("edition", "en", "html")
    # before sphinx-exercise's own config-inited handler (priority 500) numbers "Exercise %s"
    app.connect("config-inited", _exercise_words, priority=400)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
