"""The built book in a real browser (headless Chromium, network off), and proof that the check bites.

``test_every_page_in_a_browser`` (marked ``built_html``: it runs after the book build in
``make test``) opens every page of ``_build/html`` from ``file://`` and fails on any problem
``browser_check.check_page`` finds: a console error, a request to the network, unrendered
math, an image that does not load or has no alt text, a link or anchor that points nowhere,
a line of code that needs sideways scrolling. Screenshots go to ``_build/screenshots/``.

The demonstrations below open small hand-written pages, each broken in one way, and show that
each problem is reported (and that a page without problems passes). Without Chromium these
tests are skipped with the command that installs it; in CI (``CI=true``) they fail instead,
since ``.ci/run`` installs it.
"""
from __future__ import annotations

import base64
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib
import browser_check  # noqa: E402
from test_notebooks_static import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    browser_check.require_chromium()
    with browser_check.open_browser() as driver:
        yield driver


# ================================================================== the real site
def _source_has_math(page: str) -> bool:
    """Whether the page's source writes math ($...$, $$...$$ or a math directive) in its prose."""
    md, nb = ROOT / f"{page}.md", ROOT / f"{page}.ipynb"
    if md.is_file():
        text = re.sub(r"```.*?```", "", md.read_text(encoding="utf-8"), flags=re.DOTALL)
    elif nb.is_file():
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        return False
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code may hold a dollar sign
    return re.search(r"\$\$|\$[^$\s][^$\n]*\$|\{math\}", text) is not None


@pytest.mark.built_html
def test_every_page_in_a_browser():
    assert HTML.is_dir(), "no _build/html: build the book first (jupyter-book build . -W --keep-going)"
    browser_check.require_chromium()
    pages = toc_files(ROOT / "_toc.yml")
    start = time.perf_counter()
    reports = browser_check.check_site(HTML, pages, screenshot_dir=SCREENSHOTS)
    seconds = time.perf_counter() - start
    problems = [f"{r.page}: {p}" for r in reports for p in r.problems]
    for report, page in zip(reports, pages):
        if _source_has_math(page) and report.math == 0:
            problems.append(f"{report.page}: the source has math but the page shows no rendered formula")
    summary = (f"{len(reports)} pages opened in headless Chromium in {seconds:.0f} s "
               f"({sum(r.math for r in reports)} formulas rendered); screenshots in {SCREENSHOTS}")
    print(summary)
    assert not problems, f"{summary}\n{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.built_html
def test_search_finds_english_and_japanese_words(browser):
    assert (HTML / "search.html").is_file(), "no _build/html/search.html: build the book first"
    for query in ("hidden state", "隠れ状態", "状態", "勾配消失"):
        results = browser_check.search(browser, HTML, query)
        assert any("glossary.html" in r for r in results), (query, results)
    assert browser_check.search(browser, HTML, "量子色力学") == []  # a term the book does not use


@pytest.mark.built_html
def test_every_japanese_page_in_a_browser():
    """The Japanese edition passes the same checks; its switch links are internal links, so they
    are checked to resolve too, and its screenshots go to _build/screenshots/ja/."""
    ja = HTML / "ja"
    assert ja.is_dir(), "no _build/html/ja: build the book first (make book)"
    browser_check.require_chromium()
    pages = toc_files(ROOT / "_toc.yml")
    reports = browser_check.check_site(ja, pages, screenshot_dir=SCREENSHOTS / "ja")
    problems = [f"ja/{r.page}: {p}" for r in reports for p in r.problems]
    for report, page in zip(reports, pages):
        if _source_has_math(page) and report.math == 0:
            problems.append(f"ja/{report.page}: the source has math but the page shows no rendered formula")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.built_html
def test_japanese_search_finds_japanese_words(browser):
    ja = HTML / "ja"
    results = browser_check.search(browser, ja, "勾配消失")
    assert any("04_gradient_problem/index.html" in r for r in results), results
    assert any("glossary.html" in r for r in browser_check.search(browser, ja, "隠れ状態"))
    assert browser_check.search(browser, ja, "量子色力学") == []


# ================================================================== the check bites (demo pages)
PNG = base64.b64decode(  # a 1x1 grey pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")
MATHJAX = Path(__import__("importlib").import_module("sphinx-mathjax-offline").__file__).parent / "static" / "mathjax"


def demo_page(folder: Path, name: str, body: str, head: str = "") -> Path:
    mathjax = os.path.relpath(MATHJAX / "tex-chtml.js", folder)
    page = folder / name
    page.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>
<script>window.MathJax = {{"options": {{"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}}}</script>
{head.replace("MATHJAX", mathjax)}
</head><body><main><article class="bd-article" style="width: 600px">
<section id="top"><h1>Demo</h1>{body}</section></article></main></body></html>""", encoding="utf-8")
    return page


GOOD = """<p>A formula <span class="math notranslate nohighlight">\\(h_t = \\tanh(a_t)\\)</span> and</p>
<div class="math notranslate nohighlight">\\[\\begin{aligned} a_t &amp;= W x_t + U h_{t-1} \\end{aligned}\\]</div>
<img src="dot.png" alt="a grey dot">
<p><a href="other.html">other page</a>, <a href="other.html#part">its part</a>, <a href="#top">top</a>.</p>
<div class="highlight"><pre>short = "code"</pre></div>"""


@pytest.fixture
def demo(tmp_path):
    (tmp_path / "dot.png").write_bytes(PNG)
    demo_page(tmp_path, "other.html", '<section id="part"><p>Other.</p></section>', head='')
    return tmp_path


def problems_of(browser, folder: Path, name: str, body: str, head: str = '<script defer src="MATHJAX"></script>'):
    page = demo_page(folder, name, body, head)
    return browser_check.check_page(browser, folder, page).problems


def test_demo_good_page_passes(browser, demo):
    report = browser_check.check_page(browser, demo, demo_page(demo, "good.html", GOOD,
                                                               '<script defer src="MATHJAX"></script>'))
    assert report.problems == []
    assert report.math == 2  # both formulas rendered by the local MathJax


def test_demo_raw_math_without_mathjax(browser, demo):
    problems = problems_of(browser, demo, "raw.html", GOOD, head="")
    assert "unrendered math: '\\\\(h_t = \\\\tanh(a_t)\\\\)'" in problems
    assert any(p.startswith("raw LaTeX in the page:") for p in problems)
    assert any("formulas but MathJax is absent" in p for p in problems)


def test_demo_math_from_a_cdn_is_blocked_and_reported(browser, demo):
    head = '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
    problems = problems_of(browser, demo, "cdn.html", GOOD, head=head)
    assert "the page asks the network for https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js" in problems
    assert any(p.startswith("console error: https://cdn.jsdelivr.net") for p in problems)
    assert any("MathJax is not loaded" in p for p in problems)


def test_demo_formula_mathjax_cannot_typeset(browser, demo):
    body = ('<p><span class="math notranslate nohighlight">\\(\\frac{1}\\)</span> and '
            '<span class="math notranslate nohighlight">\\(\\undefinedmacro x\\)</span></p>')
    problems = problems_of(browser, demo, "bad_tex.html", body)
    assert problems == ["MathJax could not typeset a formula: 'Missing argument for \\\\frac'",
                        "MathJax could not typeset a formula: '\\\\undefinedmacrox'"], problems


def test_demo_broken_image(browser, demo):
    problems = problems_of(browser, demo, "img.html", GOOD.replace("dot.png", "missing.png"))
    assert "image does not load: 'missing.png'" in problems
    assert any("console error" in p and "missing.png" in p for p in problems)


def test_demo_images_without_alt_text(browser, demo):
    body = GOOD + '<img src="dot.png"><img src="dot.png" alt="../_images/dot.png"><img src="dot.png" alt="">'
    problems = problems_of(browser, demo, "alt.html", body)
    assert problems == ["image without alt text: 'dot.png'",
                        "image without alt text (alt='../_images/dot.png'): 'dot.png'",
                        "image without alt text (alt=''): 'dot.png'"]


def test_demo_broken_links_and_anchors(browser, demo):
    body = GOOD + ('<a href="nowhere.html">a</a> <a href="other.html#no-such-part">b</a> '
                   '<a href="#nothing-here">c</a> <a href="https://example.org/">online is not checked</a>')
    problems = problems_of(browser, demo, "links.html", body)
    assert problems == ["link to a missing file 'nowhere.html'",
                        "link to a missing anchor 'other.html#no-such-part'",
                        "link to a missing anchor '#nothing-here'"]


def test_demo_code_line_too_wide(browser, demo):
    long_line = "x = " + " + ".join(["value"] * 40)
    body = GOOD + f'<div class="highlight"><pre>{long_line}</pre></div>'
    problems = problems_of(browser, demo, "wide.html", body)
    assert len(problems) == 1 and problems[0].startswith(
        f"a code line needs horizontal scrolling ({len(long_line)} characters"), problems


def test_demo_javascript_error(browser, demo):
    problems = problems_of(browser, demo, "js.html", GOOD + "<script>undefinedFunction();</script>")
    assert len(problems) == 1 and "Uncaught ReferenceError: undefinedFunction is not defined" in problems[0]


def test_demo_redirect_page(browser, demo):
    (demo / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=gone.html" />')
    assert browser_check.check_page(browser, demo, demo / "index.html").problems == [
        "redirects to a missing page 'gone.html'"]


def test_demo_screenshot_is_saved(browser, demo, tmp_path):
    page = demo_page(demo, "shot.html", GOOD, '<script defer src="MATHJAX"></script>')
    report = browser_check.check_page(browser, demo, page, screenshot=tmp_path / "shots" / "shot.png")
    assert report.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_which_sources_have_math(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "a.md").write_text("The state $h_t$ is a vector.\n")
    (tmp_path / "b.md").write_text("Costs `$5` in code and\n```python\nprice = '$5 $6'\n```\nno math.\n")
    (tmp_path / "c.md").write_text("$$\nx = 1\n$$ (eq-c)\n")
    cells = [{"cell_type": "code", "source": ["plt.xlabel(r'$t$')"]},
             {"cell_type": "markdown", "source": ["No math here."]}]
    (tmp_path / "d.ipynb").write_text(json.dumps({"cells": cells}))
    cells.append({"cell_type": "markdown", "source": ["The gate $f_t$."]})
    (tmp_path / "e.ipynb").write_text(json.dumps({"cells": cells}))
    assert [_source_has_math(p) for p in "abcde"] == [True, False, True, False, True]
