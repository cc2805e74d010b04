"""The built Japanese edition (``_build/html/ja``), next to the English one (``_build/html``).

Marked ``built_html``: these run after ``make book`` built both editions.

- every page of the book exists in both editions, with no Sphinx problem, cell error or
  broken link in the Japanese pages (the same checks as the English site);
- every page links the same page in the other edition, and the link resolves;
- the Japanese pages are in Japanese (``<html lang="ja">``, Japanese text in the prose) and
  their code cells and outputs are the English ones (one execution serves both);
- the Japanese build executed no notebook (its log shows every notebook taken from the cache);
- searching 勾配消失 in the Japanese search index finds chapter 4;
- every Japanese character on the Japanese pages is in the Japanese font the browser uses.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_built_html import check_built_site  # noqa: E402
from test_notebooks_static import toc_files  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import translations as tr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
JA = HTML / "ja"
JA_LOG = ROOT / "_build" / "ja" / "build.log"
PAGES = toc_files(ROOT / "_toc.yml")
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

pytestmark = pytest.mark.built_html


class _Page(HTMLParser):
    """The html lang, the edition switch, the code cells' text and the outputs' text of a page."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.switch = None
        self.stack: list[tuple[str, str]] = []
        self.cells: list[str] = []
        self.prose: list[str] = []
        self._cell_depth = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and "edition-switch" in (a.get("class") or ""):
            self.switch = (a.get("href"), a.get("hreflang"))
        if tag in VOID:
            return
        cls = a.get("class") or ""
        self.stack.append((tag, cls))
        if self._cell_depth is None and ("cell_input" in cls.split() or "cell_output" in cls.split()):
            self._cell_depth = len(self.stack)
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        if self._cell_depth is not None and len(self.stack) == self._cell_depth:
            self._cell_depth = None
        self.stack.pop()

    def handle_data(self, data):
        if self._cell_depth is not None:
            self.cells[-1] += data
        elif any(t == "main" or "bd-article" in c for t, c in self.stack):
            self.prose.append(data)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def read(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_japanese_site_has_no_problems():
    assert JA.is_dir(), "no _build/html/ja: build the book first (make book)"
    problems = check_built_site(JA, ROOT / "_toc.yml", ROOT / "ja")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_switch_links_the_same_page_in_the_other_edition(page):
    for html_dir, lang in ((HTML, "ja"), (JA, "en")):
        path = html_dir / f"{page}.html"
        parsed = read(path)
        assert parsed.switch, f"{path}: no link to the other edition"
        href, hreflang = parsed.switch
        assert hreflang == lang
        target = (path.parent / href).resolve()
        other = (JA if lang == "ja" else HTML) / f"{page}.html"
        assert target == other.resolve() and target.is_file(), (path, href)


@pytest.mark.parametrize("page", PAGES)
def test_japanese_page_is_japanese_with_the_english_cells(page):
    en, ja = read(HTML / f"{page}.html"), read(JA / f"{page}.html")
    assert ja.lang == "ja" and en.lang == "en"
    prose, english = "".join(ja.prose), "".join(en.prose)
    source = next(ROOT.glob(f"{page}.*"))
    if sum(len(u.text.split()) for u, _ in tr.document_units(source)) < 50:   # e.g. the references
        pytest.skip(f"{page} has little prose to translate")
    assert len(CJK.findall(prose)) > 0.3 * len(re.findall(r"[A-Za-z]", english)) / 5, \
        f"{page}: the Japanese page has little Japanese text"
    assert ja.cells == en.cells, f"{page}: code cells or outputs differ between the editions"


def test_japanese_build_executed_no_notebook():
    log = JA_LOG.read_text(encoding="utf-8", errors="replace")
    notebooks = [p for p in PAGES if (ROOT / f"{p}.ipynb").is_file()]
    assert "Executing notebook" not in log, "the Japanese build executed a notebook"
    assert log.count("Using cached notebook") >= len(notebooks) or "0 source files that are out of date" in log \
        or "no targets are out of date" in log, log[-3000:]


def _search_index(html_dir: Path) -> dict:
    text = (html_dir / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1: text.rindex(")")])


def test_japanese_search_finds_chapter_4():
    sys.path.insert(0, str(ROOT / "_ext"))
    from bilingual_search import SearchJapaneseEdition

    index = _search_index(JA)
    splitter = SearchJapaneseEdition({})
    docs = None
    for word in splitter.split("勾配消失"):
        word = splitter.stem(word.lower())
        hits = set()
        for kind in ("terms", "titleterms"):   # a word of a page's title is indexed only there
            found = index[kind].get(word, [])
            hits |= {found} if isinstance(found, int) else set(found)
        docs = hits if docs is None else docs & hits
    names = {index["docnames"][i] for i in docs or ()}
    assert "chapters/04_gradient_problem/index" in names, names


def test_japanese_glyphs_are_in_the_font():
    from fontTools.ttLib import TTFont

    found = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=ja"], capture_output=True, text=True)
    assert found.returncode == 0 and found.stdout, "no Japanese font (sudo apt-get install fonts-ipafont-gothic)"
    font = TTFont(found.stdout, fontNumber=0)
    covered = set(font.getBestCmap())
    missing = {}
    for page in PAGES:
        for ch in set(CJK.findall("".join(read(JA / f"{page}.html").prose))):
            if ord(ch) not in covered:
                missing.setdefault(ch, page)
    assert not missing, f"characters the font {found.stdout} has no glyph for: {missing}"


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / f"{p}.ipynb").is_file()])
def test_colab_and_download_give_the_japanese_notebook(page):
    html = (JA / f"{page}.html").read_text(encoding="utf-8")
    colab = re.findall(r'https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/([^"]+)"', html)
    assert colab == [f"ja/{page}.ipynb"] and (ROOT / colab[0]).is_file(), colab
    download = JA / "_sources" / f"{page}.ipynb"
    assert json.loads(download.read_text(encoding="utf-8")) == json.loads((ROOT / "ja" / f"{page}.ipynb").read_text(encoding="utf-8"))


def test_exercises_and_solutions_are_named_as_japanese_textbooks_name_them():
    titles = re.findall(r'<p class="admonition-title">(?:<span class="caption-number">)?([^<]*)',
                        (JA / "chapters/02_bptt/bptt_lab.html").read_text(encoding="utf-8"))
    assert any(t.startswith("演習 2.") for t in titles) and "解答" in titles, titles
    assert not [t for t in titles if t.startswith(("練習", "Exercise", "Solution"))], titles
