"""The book's PDF (``make pdf``: ``_build/pdf/rnn-course-<lang>.pdf``), read back with pypdf.

Marked ``built_html`` and ``pdf``: ``make test`` prints the PDFs after building the site and
then runs these with the other checks of the built site (``pytest -m pdf`` runs them alone).
For each edition (English always; Japanese when its sources ``_build/ja_src`` were made):

- a title page with the book's title (and no page number), a contents page, page numbers in
  the footer, and a page count in a sane range for this book;
- bookmarks: one for each page of the site, the eight chapters among them in order, each
  pointing at the page its chapter starts (a new page), and the same page in the contents;
- every equation number of the website's chapter pages, e.g. "(2.3)", is in the text, and no
  raw LaTeX (``\\(``, ``\\[``, ``\\begin``, ``$$``) is left: MathJax typeset every formula;
- cells the site hides are not printed, exercise solutions are, no long output is printed in
  full, every character has a font on this machine (no box for a missing glyph);
- the single-page build it was printed from executed no notebook (its log);
- the website links the PDF from every page and holds the same file.
Without Chromium (no PDF could be printed) these are skipped with the command that installs
it; in CI they fail instead, since ``.ci/run`` installs it.
"""
from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_pdf  # noqa: E402

PDF_DIR = ROOT / "_build" / "pdf"
JA_SRC = ROOT / "_build" / "ja_src"
# edition: (its sources, its website, the words of its title page and contents)
EDITIONS = {"en": (ROOT, ROOT / "_build" / "html"), "ja": (JA_SRC, ROOT / "_build" / "html" / "ja")}
PAGES_RANGE = (120, 600)  # 256 pages in English when this was written (A4)

pytestmark = [pytest.mark.built_html, pytest.mark.pdf]


def editions() -> list[str]:
    return ["en"] + (["ja"] if (JA_SRC / "_config.yml").is_file() else [])


@lru_cache(maxsize=None)
def read_pdf(lang: str):
    """(reader, text of each page) of an edition's PDF."""
    from pypdf import PdfReader

    path = PDF_DIR / f"rnn-course-{lang}.pdf"
    if not path.is_file():
        browser_check.require_chromium()
        pytest.fail(f"no {path}: run `make pdf` (after the book build)")
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return reader, [footer_last(page.extract_text() or "", i + 1) for i, page in enumerate(reader.pages)]


def footer_last(text: str, number: int) -> str:
    """A page's text with its page number last, where it is printed: Chromium paints the footer
    (a margin box of the print styles) before the page, so pypdf reads the number first."""
    first, _, rest = text.lstrip().partition("\n")
    return f"{rest}\n{first}" if first.strip() == str(number) else text


def squeeze(text: str) -> str:
    """Text without spaces and line breaks, ligatures undone: pypdf breaks lines where the page
    wraps them (in Japanese, within a word) and spaces some brackets; ﬁ is one character."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def chapter_titles(source: Path) -> list[str]:
    """The eight chapters' titles, from their index pages' first heading."""
    titles = []
    for index in sorted(source.glob("chapters/0[1-8]_*/index.md")):
        titles.append(re.search(r"^# (.+)$", index.read_text(encoding="utf-8"), re.MULTILINE).group(1).strip())
    return titles


def book_title(source: Path) -> str:
    return re.search(r"^title:\s*['\"]?(.+?)['\"]?\s*$", (source / "_config.yml").read_text(encoding="utf-8"),
                     re.MULTILINE).group(1)


@pytest.fixture(params=editions())
def edition(request):
    lang = request.param
    reader, pages = read_pdf(lang)
    source, site = EDITIONS[lang]
    return {"lang": lang, "reader": reader, "pages": pages, "text": squeeze("".join(pages)),
            "source": source, "site": site, "outline": make_pdf.bookmarks((PDF_DIR / f"rnn-course-{lang}.pdf").read_bytes())}


def test_title_page_contents_and_page_numbers(edition):
    pages = edition["pages"]
    assert PAGES_RANGE[0] <= len(pages) <= PAGES_RANGE[1], f"{len(pages)} pages"
    assert squeeze(book_title(edition["source"])) in squeeze(pages[0])
    assert "1" not in [line.strip() for line in pages[0].splitlines()], "the title page has a page number"
    assert make_pdf.WORDS[edition["lang"]]["contents"] in pages[1]
    numbered = [i for i in range(1, len(pages)) if pages[i].strip().splitlines()[-1].strip() == str(i + 1)]
    assert len(numbered) == len(pages) - 1, "pages without their number in the footer: " + \
        str(sorted(set(range(1, len(pages))) - set(numbered))[:10])


def test_bookmarks_list_the_chapters_where_they_start(edition):
    outline, pages = edition["outline"], edition["pages"]
    chapters = chapter_titles(edition["source"])
    assert len(chapters) == 8
    top = [(title, page) for depth, title, page in outline if depth == 0]
    numbered = [(title, page) for title, page in top if re.match(r"\d\. ", title)]
    assert [title for title, _ in numbered] == [f"{i}. {t}" for i, t in enumerate(chapters, 1)], top
    for title, page in numbered:  # each chapter starts a page, where its bookmark points
        assert squeeze(pages[page - 1]).startswith(squeeze(title)), f"page {page} does not start with {title!r}"
    assert len(outline) > 100  # the sections are bookmarked too, below their chapter
    # the contents page gives each document (chapters, labs, reference pages) its bookmark's page
    where = {squeeze(title): page for depth, title, page in outline if depth <= 1}
    listed = [re.match(r"(.+?)\s*(\d+)$", line.strip()) for line in pages[1].splitlines()[1:-1]]
    listed = [(squeeze(m.group(1)), int(m.group(2))) for m in listed if m]
    assert len(listed) >= 20, pages[1]
    wrong = [(title, page, where.get(title)) for title, page in listed if where.get(title) != page]
    assert not wrong, f"contents entries whose page is not their bookmark's: {wrong}"


def test_equations_typeset_and_numbered_as_on_the_site(edition):
    site_numbers = set()
    for page in edition["site"].glob("chapters/*/index.html"):
        site_numbers |= set(re.findall(r'class="eqno">(\(\d+\.\d+\))', page.read_text(encoding="utf-8")))
    assert len(site_numbers) > 30, f"the site's chapter pages number only {len(site_numbers)} equations"
    assert "(2.3)" in site_numbers
    missing = sorted(n for n in site_numbers if n not in edition["text"])
    assert not missing, f"equation numbers of the site missing from the PDF: {missing}"
    for raw in ("\\(", "\\[", "\\begin", "$$"):
        assert raw not in edition["text"], f"raw LaTeX {raw!r} in the PDF"


def test_hidden_cells_hidden_solutions_shown_outputs_short(edition):
    text = edition["text"]
    hidden, shown = [], [p.read_text(encoding="utf-8") for p in
                                 [edition["source"] / "intro.md", *edition["source"].glob("chapters/**/*.md")]]
    hiding = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
    for notebook in sorted(edition["source"].glob("chapters/*/*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and hiding & set(cell.get("metadata", {}).get("tags", [])):
                hidden += [line.strip() for line in source.splitlines() if len(line.strip()) > 25][:1]
            else:
                shown.append(source)
    shown_text = squeeze("\n".join(shown))
    hidden = [line for line in hidden if squeeze(line) not in shown_text]  # not also written where it shows
    assert hidden, "no hidden cell found in the labs"
    printed = [line for line in hidden if squeeze(line) in text]
    assert not printed, f"hidden cells printed: {printed[:3]}"
    singlehtml = ROOT / ("_build/singlehtml" if edition["lang"] == "en" else "_build/ja/_build/singlehtml")
    html = (singlehtml / "intro.html").read_text(encoding="utf-8")
    titles = re.findall(r'<div class="solution[^"]*"[^>]*>\s*<p class="admonition-title">(.*?)</p>', html, re.DOTALL)
    titles = {squeeze(re.sub(r"<[^>]+>", "", t)) for t in titles}
    solutions = html.count('<div class="solution')
    assert solutions > 20 and titles
    printed_titles = sum(1 for page in edition["pages"] for line in page.splitlines()
                         if any(squeeze(line).startswith(t) for t in titles))
    assert printed_titles >= solutions, f"{printed_titles} solution titles printed for {solutions} solutions"
    assert squeeze("# BEGIN SOLUTION") in text  # their code is printed, not folded away
    assert len(re.findall(r"\d+%\|", text)) < 20, "progress bars printed"


def test_every_character_has_a_font(edition):
    if edition["lang"] == "en":
        assert "隠れ状態" in edition["text"]  # the glossary's Japanese terms are printed
    else:
        assert len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", edition["text"])) > 50_000
    assert make_pdf.missing_glyphs(edition["text"]) == []
    for page in edition["reader"].pages[:3]:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type3":  # MathJax's glyphs and the emoji, drawn inline
                continue
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")


def test_no_notebook_executed_again(edition):
    text = (PDF_DIR / f"singlehtml-{edition['lang']}.log").read_text(encoding="utf-8")
    assert "build succeeded" in text
    assert "Executing notebook" not in text
    # every notebook it read (none, when the site's build had read them all) came from the cache
    read = re.findall(r"reading sources\.\.\..*?(chapters/\S+_lab)\b", text)
    assert len(re.findall(r"Using cached notebook", text)) == len(read), text[-3000:]


def test_every_page_of_the_site_links_the_pdf(edition):
    name = f"rnn-course-{edition['lang']}.pdf"
    site = edition["site"]
    assert (site / name).read_bytes() == (PDF_DIR / name).read_bytes()
    for page in ["intro", "chapters/02_bptt/index", "chapters/02_bptt/bptt_lab"]:
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="{"../" * page.count("/")}{name}"' in html, page
