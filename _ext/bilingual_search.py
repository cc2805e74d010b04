"""Search the book in English and in Japanese.

Sphinx's English search splits text at spaces and punctuation, so a run of Japanese text
without spaces (隠れ状態を更新する) becomes one "word" that only an identical query finds.
This search language keeps English as it was (Porter stemming, English stop words) and
indexes every run of Japanese characters as its overlapping character pairs (bigrams: 隠れ,
れ状, 状態, ...), the usual way to index Chinese and Japanese text without a dictionary.
The query is split the same way in the browser (``splitQuery`` below), and a page matches
when it contains every pair of the query: 状態, 隠れ状態 and 勾配消失 all find their pages.
A single Japanese character is kept as it is.

Used by ``_config.yml`` (``sphinx.local_extensions``); it replaces the English search
language of this book, and the Japanese one in the Japanese edition (the same splitting).
"""
from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx
from sphinx.search.en import SearchEnglish

# Hiragana, katakana (with the prolonged sound mark), CJK ideographs and the iteration mark.
CJK = "\u3005\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_RUN = re.compile(f"[{CJK}]+")
_PIECES = re.compile(f"[{CJK}]+|[^{CJK}]+")


def cjk_bigrams(run: str) -> list[str]:
    """The overlapping character pairs of a run of Japanese text (the run itself if 1 long)."""
    return [run] if len(run) < 2 else [run[i:i + 2] for i in range(len(run) - 1)]


def split_bilingual(text: str) -> list[str]:
    """Words for the search index: Latin words whole, Japanese runs as bigrams."""
    words: list[str] = []
    for token in re.findall(r"\w+", text):
        for piece in _PIECES.findall(token):
            words += cjk_bigrams(piece) if _CJK_RUN.fullmatch(piece) else [piece]
    return words


# The same splitting in the browser: it must give the same words as split_bilingual.
JS_SPLITTER = r"""
var splitQuery = (query) => {
  const cjk = /[@CJK@]+|[^@CJK@]+/gu;
  const isCjk = /^[@CJK@]+$/u;
  const words = [];
  query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((term) => term)
    .forEach((term) => {
      (term.match(cjk) || []).forEach((piece) => {
        if (!isCjk.test(piece) || piece.length < 2) { words.push(piece); return; }
        for (let i = 0; i + 1 < piece.length; i++) words.push(piece.slice(i, i + 2));
      });
    });
  return words;
};
""".replace("@CJK@", CJK.encode("unicode_escape").decode())


class SearchEnglishJapanese(SearchEnglish):
    """English search (stemmed) that also indexes Japanese text by character pairs."""

    lang = "en"
    language_name = "English"
    js_splitter_code = JS_SPLITTER

    def split(self, input: str) -> list[str]:
        return split_bilingual(input)

    def stem(self, word: str) -> str:
        return word if _CJK_RUN.fullmatch(word) else super().stem(word)

    def word_filter(self, word: str) -> bool:
        # the base filter drops two-character words that start with hiragana (e.g. れ状),
        # which every Japanese query needs
        return bool(_CJK_RUN.fullmatch(word)) or super().word_filter(word)


class SearchJapaneseEdition(SearchEnglishJapanese):
    """The Japanese edition's search: the same words, so that a query typed without spaces
    (勾配消失) finds its pages. Sphinx's own Japanese language splits the pages with a word
    segmenter in Python but not the query in the browser, so such a query found nothing."""

    lang = "ja"
    language_name = "Japanese"


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_search_language(SearchEnglishJapanese)
    app.add_search_language(SearchJapaneseEdition)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
