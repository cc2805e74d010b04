"""The language of the learner's feedback: English, or Japanese in the Japanese edition.

Both editions run the same code cells (one execution serves both), so the language is not in
the code. It is found, in this order:

1. ``RNN_COURSE_LANG`` (``en`` or ``ja``), for anyone who wants to choose;
2. the notebook being run: the Japanese notebooks (``ja/chapters/...``) say
   ``"rnn_course": {"language": "ja"}`` in their metadata, read from the file Jupyter names in
   ``JPY_SESSION_NAME``, the file VS Code names in ``__vsc_ipynb_file__``, or, in Google Colab,
   from the open notebook itself;
3. otherwise English.

``gettext(message)`` returns the message in that language from the catalogue
``rnn_course/locales/ja/LC_MESSAGES/rnn_course.po`` (compiled to ``.mo`` next to it);
a message without a translation stays English. Messages are translated when they are shown,
so a message kept in a module-level table is marked with ``N_`` (for extraction only) and
passed through ``_`` where it is used. Placeholders are named: ``_("got {got}").format(got=...)``.

For maintainers: ``python -m rnn_course.i18n update`` re-extracts the messages, merges them
into the catalogue (changed ones become fuzzy), compiles the ``.mo`` and lists what needs
translating (see :mod:`rnn_course.i18n_catalog`; it needs Babel, which Sphinx brings).
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import json
import os
import sys
from pathlib import Path
from typing import Iterator

LANGUAGES = ("en", "ja")
ENV = "RNN_COURSE_LANG"
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "rnn_course"
_USING: contextvars.ContextVar[str | None] = contextvars.ContextVar("rnn_course_language", default=None)


def _notebook_language(nb: dict) -> str | None:
    lang = ((nb.get("metadata") or {}).get("rnn_course") or {}).get("language")
    return lang if lang in LANGUAGES else None


def notebook_language(nb: dict) -> str:
    """The language a notebook's metadata names (``"rnn_course": {"language": "ja"}``), else ``"en"``."""
    return _notebook_language(nb) or "en"


def _running_notebook() -> dict | None:
    """The notebook this kernel runs, when the front end says which (else None)."""
    candidates = [os.environ.get("JPY_SESSION_NAME", "")]
    main = sys.modules.get("__main__")
    candidates.append(getattr(main, "__vsc_ipynb_file__", "") or "")
    for name in candidates:
        if not name.endswith(".ipynb"):
            continue
        # A path relative to the server's root rather than to the kernel's folder (the notebook's
        # own folder) is found by its file name.
        path = next((p for p in (Path(name), Path.cwd() / Path(name).name) if p.is_file()), None)
        if path is not None:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    if "google.colab" in sys.modules:
        try:
            from google.colab import _message  # type: ignore[import-not-found]

            return _message.blocking_request("get_ipynb", timeout_sec=5)["ipynb"]
        except Exception:  # Colab's private API may change; English is a safe answer
            return None
    return None


@functools.lru_cache(maxsize=1)
def _detected_language() -> str:
    nb = _running_notebook()
    return (_notebook_language(nb) if nb else None) or "en"


def language() -> str:
    """``"en"`` or ``"ja"``: the language of the learner's feedback (see the module docstring),
    or the one a surrounding :func:`using` block names."""
    if (chosen := _USING.get()) is not None:
        return chosen
    chosen = os.environ.get(ENV, "").strip().lower()
    if chosen:
        if chosen not in LANGUAGES:
            raise ValueError(f"{ENV} must be one of {', '.join(LANGUAGES)}; got {chosen!r}")
        return chosen
    return _detected_language()


@functools.lru_cache(maxsize=None)
def _translations(lang: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALES, languages=[lang], fallback=True)


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Within the block, ``_`` translates into ``lang`` (e.g. the instructor tools writing a
    Japanese notebook's student version), whatever the environment says."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    token = _USING.set(lang)
    try:
        yield
    finally:
        _USING.reset(token)


def translate(message: str, lang: str) -> str:
    """``message`` in ``lang`` (English when there is no translation), whatever the learner's language."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return message if lang == "en" else _translations(lang).gettext(message)


def gettext(message: str) -> str:
    """``message`` in the learner's language (English when there is no translation)."""
    return translate(message, language())


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate it with ``_`` where shown)."""
    return message


_ = gettext

if __name__ == "__main__":  # python -m rnn_course.i18n update
    from .i18n_catalog import main

    raise SystemExit(main())
