"""``tools/make_pdf.py``'s layout on hand-made pages: equations that fit the page, and page numbers.

``make_pdf`` sets smaller any display equation too wide for its printed line (MathJax 3 does
not break lines), down to ``MIN_MATH_SCALE``, then stops with the equations that still do not
fit. A page laid out as the theme lays out a numbered equation (a flex row that clips, the
number on the right), with the print styles, shows both: an equation a little too wide is set
smaller and fits; one far too wide is reported; one that fits is left alone. A three-page print
shows the page numbers: in the footer of every page but the title page.
Marked ``slow`` (they drive headless Chromium); without Chromium they are skipped (fail in CI).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check  # noqa: E402
import test_pdf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import make_pdf  # noqa: E402

pytestmark = pytest.mark.slow

# The theme's rules for a numbered display equation (pydata-sphinx-theme), and a stand-in for
# MathJax's output: an mjx-math box whose width is in em, as MathJax sizes it.
THEME = """
div.math { align-items: center; display: flex; max-width: 100%; overflow: hidden;
           flex-direction: row-reverse; gap: .5em; }
div.math mjx-container { flex-grow: 1; overflow: auto; display: block; text-align: center;
                         font-size: 16px; }
mjx-math { display: inline-block; height: 1em; background: black; }
"""


def equation(name: str, number: str, width_em: float) -> str:
    return (f'<div class="math" id="equation-{name}"><span class="eqno">({number})</span>'
            f'<mjx-container display="true"><mjx-math style="width: {width_em}em"></mjx-math>'
            '</mjx-container></div>')


def test_wide_equations_are_set_smaller_and_what_still_does_not_fit_is_reported(tmp_path):
    browser_check.require_chromium()
    page = tmp_path / "page.html"
    page.write_text(
        f"<!doctype html><html><head><style>{THEME}</style>"
        f"<style>{make_pdf.PRINT_CSS.read_text(encoding='utf-8')}</style></head><body>"
        '<article class="bd-article">'
        + equation("fits", "1.1", 20) + equation("a-little-wide", "1.2", 45) + equation("far-too-wide", "1.3", 70)
        + "</article></body></html>", encoding="utf-8")
    with make_pdf.open_chromium() as driver:
        driver.get(page.as_uri())
        width = driver.execute_script("return document.querySelector('article').getBoundingClientRect().width")
        assert width == pytest.approx(180 / 25.4 * 96, abs=1)  # A4 less the margins, as printed
        before = {e["name"] for e in driver.execute_script(make_pdf.WIDE_EQUATIONS_JS)}
        assert before == {"equation-a-little-wide", "equation-far-too-wide"}
        driver.execute_script(make_pdf.FIT_EQUATIONS_JS, make_pdf.MIN_MATH_SCALE)
        after = driver.execute_script(make_pdf.WIDE_EQUATIONS_JS)
        sizes = driver.execute_script("return [...document.querySelectorAll('mjx-container')]"
                                      ".map((c) => parseFloat(getComputedStyle(c).fontSize))")
    assert [e["name"] for e in after] == ["equation-far-too-wide"] and after[0]["over"] > 100
    assert sizes[0] == 16  # what fits is left alone
    assert 16 * make_pdf.MIN_MATH_SCALE < sizes[1] < 16
    assert sizes[2] == pytest.approx(16 * make_pdf.MIN_MATH_SCALE)  # no smaller than that


def test_every_page_but_the_title_page_has_its_number(tmp_path):
    browser_check.require_chromium()
    from pypdf import PdfReader

    page = tmp_path / "book.html"
    page.write_text(
        f"<!doctype html><html><head><style>{make_pdf.PRINT_CSS.read_text(encoding='utf-8')}</style>"
        '</head><body><article class="bd-article"><section class="pdf-title-page"><p class="pdf-title">A book</p>'
        '</section><section class="pdf-contents"><h2>Contents</h2></section><section class="pdf-document">'
        "<h2>Chapter</h2><p>Text.</p></section></article></body></html>", encoding="utf-8")
    with make_pdf.open_chromium() as driver:
        driver.get(page.as_uri())
        pdf = make_pdf.print_page(driver)
    lines = [[line.strip() for line in p.extract_text().splitlines()] for p in PdfReader(io.BytesIO(pdf)).pages]
    # the footer is a margin box, painted (and read) before the page
    assert lines == [["A book"], ["2", "Contents"], ["3", "Chapter", "Text."]]
    assert [test_pdf.footer_last(text, i + 1).split() for i, text in enumerate(["A book", "2\nContents"])] == [
        ["A", "book"], ["Contents", "2"]]
