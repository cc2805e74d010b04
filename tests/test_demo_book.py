"""A tiny book built with this project's own _config.yml, _ext/, _static/ and _templates/: what the site promises.

Two chapters in two numbered parts (chapter 1 with a lab notebook), a run-times page and a
root page are built once per session with ``jupyter-book build -W`` (about 15 s). The tests
then read the result:

- math is served from the site (MathJax copied into ``_static/mathjax``, no CDN script);
- numbering: chapters 1 and 2 (numbering continues from one numbered part to the next), the
  lab numbered inside its chapter, its "## 1. ..." headings left alone, equations "(1.1)",
  figures "Figure 1.1", the front matter unnumbered;
- the alt text a notebook cell sets in its metadata (``mystnb.image.alt``) is the image's
  ``alt`` in the HTML;
- the run-times page lists the lab with its wall and CPU time, and a rebuild from the cache
  keeps the CPU time measured when it ran;
- copy buttons and the notebook download are there; the search index holds Japanese words;
- in Chromium (skipped without it): every page passes the browser check, 88-character code
  lines fit (also inside a solution), and removing MathJax from the build is caught.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib
import browser_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from bilingual_search import split_bilingual  # noqa: E402

pytestmark = pytest.mark.slow  # builds a small book three times (about a minute)

PNG = base64.b64encode(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")).decode()
ALT = "A grey dot, the only figure of the demo lab"
LINE_88 = "result = some_function(first_argument, second_argument) + other_function(third_argument)"
assert len(LINE_88) == 88


def _cell(kind: str, source: str, **extra) -> dict:
    cell = {"cell_type": kind, "metadata": extra.pop("metadata", {}), "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook() -> dict:
    cells = [
        _cell("markdown", "# Lab: the demo\n\nA lab with one figure. The **hidden state (隠れ状態)** is $h_t$."),
        _cell("code", 'print("Using device cpu (no GPU here).")'),
        _cell("markdown", "## 1. A figure\n\nThe figure below has alt text from the cell metadata."),
        _cell("code", "from IPython.display import Image, display\n\ndisplay(Image(filename='dot.png'))",
              metadata={"mystnb": {"image": {"alt": ALT}}}),
        _cell("markdown", "## 2. Long lines\n\n$$\n a_t = W x_t\n$$ (eq-ch01-lab)"),
        _cell("code", f"def some_function(a, b):\n    return a + b\n\n\ndef other_function(c):\n    return c\n\n\n"
                      f"first_argument = second_argument = third_argument = 1\n{LINE_88}"),
        _cell("markdown", "```{exercise} Add\n:label: ex-ch01-demo\n\nWrite it again.\n```"),
        _cell("markdown", "```{solution-start} ex-ch01-demo\n:class: dropdown\n```"),
        _cell("code", LINE_88, metadata={"tags": ["solution"]}),
        _cell("markdown", "```{solution-end}\n```"),
    ]
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


CHAPTER_1 = r"""(ch-demo)=
# Demo chapter

(sec-ch01-first)=
## First section

The recurrence

$$
h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b)
$$ (eq-ch01-recurrence)

is {eq}`eq-ch01-recurrence`; the figure is {numref}`fig-ch01-dot`.

```{figure} dot.png
:name: fig-ch01-dot
:alt: A grey dot

A dot.
```
"""
CHAPTER_2 = r"""(ch-demo-two)=
# Second chapter

$$
c_t = f_t \odot c_{t-1}
$$ (eq-ch02-cell)

See {eq}`eq-ch02-cell` and {eq}`eq-ch01-recurrence` of {ref}`ch-demo`.
"""
TOC = {
    "format": "jb-book", "root": "intro",
    "parts": [
        {"caption": "Getting started", "chapters": [{"file": "chapters/run_times"}]},
        {"caption": "Part one", "numbered": 2, "chapters": [
            {"file": "chapters/01_demo/index", "sections": [{"file": "chapters/01_demo/demo_lab"}]}]},
        {"caption": "Part two", "numbered": 2, "chapters": [{"file": "chapters/02_demo/index"}]},
    ],
}


def _jupyter_book() -> list[str]:
    script = Path(sys.executable).parent / "jupyter-book"
    return [str(script)] if script.exists() else [sys.executable, "-m", "jupyter_book.cli.main"]


def build(src: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_jupyter_book(), "build", str(src), "-W", "--keep-going", *extra],
                          capture_output=True, text=True, timeout=600)


def execute_labs(src: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(src / "_ext" / "execute_labs.py"), str(src), "--jobs", "2"],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    src = tmp_path_factory.mktemp("demo_book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = "Demo book"
    (src / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (src / "_toc.yml").write_text(yaml.safe_dump(TOC), encoding="utf-8")
    shutil.copytree(ROOT / "_ext", src / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "_static", src / "_static")
    shutil.copytree(ROOT / "_templates", src / "_templates")
    shutil.copy(ROOT / "references.bib", src / "references.bib")
    (src / "chapters").mkdir()
    shutil.copy(ROOT / "chapters" / "run_times.md", src / "chapters" / "run_times.md")
    (src / "intro.md").write_text("# Demo book\n\nThe root page.\n", encoding="utf-8")
    for folder, text in (("01_demo", CHAPTER_1), ("02_demo", CHAPTER_2)):
        (src / "chapters" / folder).mkdir()
        (src / "chapters" / folder / "index.md").write_text(text, encoding="utf-8")
    (src / "chapters" / "01_demo" / "dot.png").write_bytes(base64.b64decode(PNG))
    (src / "chapters" / "01_demo" / "demo_lab.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    # As `make book` does: execute into the cache (two at a time), then render from the cache.
    executed = execute_labs(src)
    assert executed.returncode == 0, executed.stdout + executed.stderr
    assert "executing 1, 2 at a time" in executed.stdout and "executed chapters/01_demo/demo_lab.ipynb" in executed.stdout
    result = build(src)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Executing notebook" not in result.stdout  # every notebook came from the cache
    return src


def html(book: Path, page: str) -> str:
    return (book / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")


def test_math_is_served_by_the_site_not_a_cdn(book):
    out = book / "_build" / "html"
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").is_file()
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        assert remote == [], (page.name, remote)
    assert re.search(r'<script defer="defer" src="\.\./\.\./_static/mathjax/tex-chtml\.js', html(book, "chapters/01_demo/index"))


def test_chapters_labs_equations_and_figures_are_numbered_per_chapter(book):
    ch1, lab, ch2 = (html(book, p) for p in ("chapters/01_demo/index", "chapters/01_demo/demo_lab", "chapters/02_demo/index"))
    assert '<h1><span class="section-number">1. </span>Demo chapter' in ch1
    assert '<span class="section-number">1.1. </span>First section' in ch1
    assert '<h1><span class="section-number">1.2. </span>Lab: the demo' in lab
    assert re.search(r'<h2>1\. A figure', lab)  # the lab's own "## 1." keeps its number, no "1.2.1."
    assert '<h1><span class="section-number">2. </span>Second chapter' in ch2  # continues in part two
    assert '<span class="eqno">(1.1)' in ch1 and '<span class="eqno">(1.2)' in lab  # the lab continues ch. 1
    assert '<span class="eqno">(2.1)' in ch2
    assert re.search(r"\(2\.1\).*\(1\.1\)", re.sub(r"<[^>]+>", "", ch2), re.DOTALL)  # cross-chapter reference
    assert "Figure 1.1" in ch1 and "Exercise 1.1" in lab
    assert "<h1>Run times" in html(book, "chapters/run_times")  # front matter: no number


def test_alt_text_from_cell_metadata_reaches_the_html(book):
    lab = html(book, "chapters/01_demo/demo_lab")
    images = re.findall(r"<img [^>]*>", lab.split('<article')[1])
    assert any(f'alt="{ALT}"' in img for img in images), images


def test_run_times_page_lists_the_lab_with_wall_and_cpu_time(book):
    data = json.loads((book / "_build" / "html" / "run_times.json").read_text(encoding="utf-8"))
    record = data["notebooks"]["chapters/01_demo/demo_lab"]
    assert list(data["notebooks"]) == ["chapters/01_demo/demo_lab"]
    assert 0 < record["cpu_s"] < 60 and 0 < record["wall_s"] < 300, record
    assert record["device"] == "cpu" and record["cores"] >= 1 and record["succeeded"]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(book, "chapters/run_times")))
    assert re.search(rf"1 Lab: the demo {record['wall_s']:.0f} s {record['cpu_s']:.0f} s yes", page), page
    assert "Measured on " in page and "the notebooks ran on the CPU (no GPU was available); run 20" in page
    assert "No GPU was used: every lab ran on the CPU." in page
    # A rebuild takes the notebook from the cache and keeps the CPU time measured when it ran.
    shutil.rmtree(book / "_build" / "html")
    shutil.rmtree(book / "_build" / ".doctrees")
    result = build(book)
    assert result.returncode == 0, result.stdout[-2000:]
    again = json.loads((book / "_build" / "html" / "run_times.json").read_text(encoding="utf-8"))
    assert again["notebooks"]["chapters/01_demo/demo_lab"] == record
    assert "Executing notebook" not in result.stdout


def test_a_second_execution_run_executes_nothing(book):
    again = execute_labs(book)
    assert again.returncode == 0, again.stderr
    assert "1 already executed" in again.stdout and "executing 0" in again.stdout, again.stdout


def test_a_cell_that_raises_fails_the_execution_run_with_its_traceback(tmp_path):
    (tmp_path / "_ext").mkdir()
    for name in ("execute_labs.py", "run_times.py"):
        shutil.copy(ROOT / "_ext" / name, tmp_path / "_ext" / name)
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "intro",
                                                       "chapters": [{"file": "good"}, {"file": "bad"}]}))
    (tmp_path / "intro.md").write_text("# Intro\n")
    for name, source in (("good", "print('fine')"), ("bad", "x = 1\nraise ValueError('the claim is false')")):
        nb = _notebook()
        nb["cells"] = [_cell("markdown", "# A"), _cell("code", source)]
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    result = execute_labs(tmp_path)
    assert result.returncode == 1
    assert "FAILED bad.ipynb" in result.stderr and "ValueError: the claim is false" in result.stderr
    assert "1 notebook(s) failed to execute: bad.ipynb" in result.stderr
    store = json.loads((tmp_path / "_build" / ".jupyter_cache" / "run_times.json").read_text())
    assert list(store) == ["good"] and store["good"]["succeeded"]  # the failed run is not recorded
    # nothing of the failed notebook is cached: the next run executes it again, and fails again
    again = execute_labs(tmp_path)
    assert again.returncode == 1 and "executing 1" in again.stdout


def test_copy_buttons_and_notebook_download(book):
    lab = html(book, "chapters/01_demo/demo_lab")
    assert "copybutton.js" in lab
    assert (book / "_build" / "html" / "_sources" / "chapters" / "01_demo" / "demo_lab.ipynb").is_file()
    assert 'href="../../_sources/chapters/01_demo/demo_lab.ipynb"' in lab


def test_search_index_holds_japanese_words(book):
    index = (book / "_build" / "html" / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1: index.rindex(")")])["terms"]
    assert {"隠れ", "れ状", "状態", "hidden", "state"} <= set(terms)


@pytest.fixture(scope="module")
def browser():
    browser_check.require_chromium()
    with browser_check.open_browser() as driver:
        yield driver


def test_demo_book_passes_the_browser_check_and_long_lines_fit(book, browser):
    out = book / "_build" / "html"
    pages = ["intro", "chapters/run_times", "chapters/01_demo/index", "chapters/01_demo/demo_lab",
             "chapters/02_demo/index"]
    # The demo book has no Japanese edition and no PDF, so the links every page gives to those
    # point nowhere here; the real site's checks (test_browser, test_pdf) follow them.
    elsewhere = re.compile(r"link to a missing file '(\.\./)*(ja/|rnn-course-en\.pdf)")
    for page in pages:
        report = browser_check.check_page(browser, out, out / f"{page}.html")
        problems = [p for p in report.problems if not elsewhere.match(p)]
        assert problems == [], (page, report.problems)
        if page != "intro" and page != "chapters/run_times":
            assert report.math > 0, page
    browser.get((out / "chapters" / "01_demo" / "demo_lab.html").as_uri())
    code_cells = browser.execute_script("return document.querySelectorAll('.cell_input div.highlight').length")
    buttons = browser.execute_script("return document.querySelectorAll('.cell_input button.copybtn').length")
    assert code_cells >= 3 and buttons == code_cells  # a copy button on every code cell


def test_the_search_splits_queries_as_the_index_does(book, browser):
    browser.get((book / "_build" / "html" / "search.html").as_uri())
    for text in ("隠れ状態", "hidden-state of the LSTM層", "勾配消失問題 (vanishing gradient)", "ゲート"):
        assert browser.execute_script("return splitQuery(arguments[0])", text) == split_bilingual(text)


def test_removing_mathjax_from_the_build_is_caught(book, browser, tmp_path):
    broken = tmp_path / "html"
    shutil.copytree(book / "_build" / "html", broken, ignore=shutil.ignore_patterns("mathjax"))
    problems = browser_check.check_page(browser, broken, broken / "chapters" / "01_demo" / "index.html").problems
    assert any(p.startswith("unrendered math:") for p in problems), problems
    assert any("console error" in p and "tex-chtml.js" in p for p in problems), problems


def test_each_script_is_on_a_page_once(book):
    # sphinx-thebe registers its inline configuration twice; a `const` declared twice is a
    # JavaScript error on every page (the browser check fails on it), so _ext drops the copy
    for page in ("intro", "chapters/01_demo/demo_lab"):
        scripts = re.findall(r"<script[^>]*>.*?</script>", html(book, page), flags=re.DOTALL)
        inline = [s for s in scripts if "src=" not in s.split(">")[0]]
        assert len(inline) == len(set(inline)), [s for s in inline if inline.count(s) > 1][:1]
        assert html(book, page).count("const THEBE_JS_URL") <= 1


def test_japanese_is_indexed_by_character_pairs():
    assert split_bilingual("the hidden state (隠れ状態) of an LSTM層") == [
        "the", "hidden", "state", "隠れ", "れ状", "状態", "of", "an", "LSTM", "層"]
    assert split_bilingual("勾配・消失") == ["勾配", "消失"]  # the middle dot separates words
    assert split_bilingual("x") == ["x"] and split_bilingual("") == []


def test_run_times_page_updates_itself_when_a_lab_changes(book):
    """An incremental build after a lab changed runs it again and rewrites the run-times page,
    although the page's own source did not change. (Last in this file: it changes the book.)"""
    out = book / "_build" / "html"
    before = json.loads((out / "run_times.json").read_text(encoding="utf-8"))["notebooks"]["chapters/01_demo/demo_lab"]
    lab = book / "chapters" / "01_demo" / "demo_lab.ipynb"
    notebook = json.loads(lab.read_text(encoding="utf-8"))
    notebook["cells"].append(_cell("code", "import time\n\ntime.sleep(1.5)"))
    lab.write_text(json.dumps(notebook), encoding="utf-8")
    result = build(book)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Executing notebook" in result.stdout and "chapters/run_times" in result.stdout
    after = json.loads((out / "run_times.json").read_text(encoding="utf-8"))["notebooks"]["chapters/01_demo/demo_lab"]
    assert after["wall_s"] > 1.5 and after["wall_s"] != before["wall_s"]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(book, "chapters/run_times")))
    assert f"Lab: the demo {after['wall_s']:.0f} s {after['cpu_s']:.0f} s" in page
