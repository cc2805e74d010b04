"""Checks on the built website (``_build/html``), and proof that the checks catch problems.

``check_built_site(html_dir, toc)`` returns one line per problem:

- a page of ``_toc.yml`` has no HTML page;
- a page shows a cell error (myst-nb: ``<div class="output traceback">``; older versions
  ``output error``), a ``Traceback (most recent call last)`` inside a cell output, or stderr
  (``<div class="output stderr">``);
- Sphinx left a problem in the page: ``system-message`` or ``problematic`` markup, an
  unresolved cross-reference (an ``xref`` element that is not inside a link) or a citation
  whose key was not found (``[]``);
- an ``<img>`` points to a file that is not in the build, or a local link to a missing page;
- a notebook page shows no figure from its executed outputs (every lab plots something);
- the glossary or the bibliography page is missing or has no entries;
- a page loads a script, stylesheet or image from the network (a reader may have none:
  MathJax and everything else needed to read the book is served by the site itself).

The markers were read off a real Jupyter Book 1.0.4 / myst-nb 1.4 build of a small book
with a notebook that raises (``allow_errors``), one that writes to stderr (``stderr_output:
show``), one with a matplotlib figure, and a page with broken references.

The ``built_html`` test runs after the book build (``make test``); the demonstrations on
small fake sites in ``tmp_path`` run in the normal unit-test pass.
"""
from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib
from test_notebooks_static import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _PageScanner(HTMLParser):
    """Collects images, links and problem markers of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.images: list[tuple[str, bool]] = []  # (src, inside a cell output)
        self.links: list[str] = []
        self.problems: list[str] = []
        self._collect: list[tuple[str, int, list[str]]] = []  # (what, stack depth, text parts)

    # where we are
    def _inside(self, cls: str) -> bool:
        return any(cls in classes for _, classes in self.stack)

    def _inside_tag(self, tag: str) -> bool:
        return any(t == tag for t, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "img":
            self.images.append((attrs.get("src") or "", self._inside("cell_output")))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if "output" in classes and classes & {"traceback", "error"}:
            self.problems.append("a cell raised an error (its traceback is shown on the page)")
        if "output" in classes and "stderr" in classes:
            self._collect.append(("stderr output", len(self.stack), []))
        if "system-message" in classes:
            self._collect.append(("Sphinx system message", len(self.stack), []))
        if "problematic" in classes:
            self._collect.append(("problematic markup", len(self.stack), []))
        if "xref" in classes and not self._inside_tag("a"):
            self._collect.append(("unresolved reference", len(self.stack), []))
        if "bibtex-citation" in classes:
            self._collect.append(("citation", len(self.stack), []))
        if tag not in VOID:
            self.stack.append((tag, classes))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not any(t == tag for t, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            t, _ = self.stack.pop()
            while self._collect and self._collect[-1][1] == len(self.stack):
                what, _, parts = self._collect.pop()
                text = " ".join(" ".join(parts).split())
                if what == "citation":
                    if text.replace(" ", "") in ("[]", "()", ""):
                        self.problems.append("a citation whose key is not in references.bib (shown as [])")
                else:
                    self.problems.append(f"{what}: {text[:120]!r}")
            if t == tag:
                break

    def handle_data(self, data):
        for _, _, parts in self._collect:
            parts.append(data)
        if "Traceback (most recent call last)" in data and self._inside("cell_output"):
            self.problems.append("a Python traceback in a cell output")


def scan_page(path: Path) -> _PageScanner:
    scanner = _PageScanner()
    scanner.feed(path.read_text(encoding="utf-8", errors="replace"))
    scanner.close()
    return scanner


def _local_target(page: Path, url: str, html_dir: Path) -> Path | None:
    """The file a relative URL of ``page`` points to, or None for external/anchor-only URLs."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("#", "//")) or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    return target if target.is_relative_to(html_dir.resolve()) else None


def check_built_site(html_dir: Path | str, toc: Path | str | dict, source_dir: Path | str | None = None) -> list[str]:
    """Return one line per problem found in the built book (empty list: all good).

    ``toc`` is the ``_toc.yml`` (path or parsed dict); ``source_dir`` (default: the toc's
    folder) is where the sources are, to know which pages are notebooks.
    """
    html_dir = Path(html_dir)
    if source_dir is None and not isinstance(toc, dict):
        source_dir = Path(toc).parent
    pages = toc_files(toc)
    problems: list[str] = []
    if not html_dir.is_dir():
        return [f"{html_dir}: no built site here (build the book first)"]
    for page in pages:
        path = html_dir / f"{page}.html"
        if not path.is_file():
            problems.append(f"{page}: page from _toc.yml is missing in the build ({path} not found)")
            continue
        html = path.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="((?:https?:)?//[^"]+)"', html):
            problems.append(f"{page}: loads {url} from the network")
        scanner = scan_page(path)
        problems += [f"{page}: {p}" for p in dict.fromkeys(scanner.problems)]
        if "<h1" not in html:
            problems.append(f"{page}: the page has no title (<h1>)")
        for src, _ in scanner.images:
            target = _local_target(path, src, html_dir)
            if target is not None and not target.is_file():
                problems.append(f"{page}: image {src!r} is missing from the build")
        for href in scanner.links:
            target = _local_target(path, href, html_dir)
            if target is not None and target.suffix == ".html" and not target.is_file():
                problems.append(f"{page}: link to a missing page {href!r}")
        is_notebook = (Path(source_dir) / f"{page}.ipynb").is_file() if source_dir is not None else \
            re.search(r'_sources/[^"]*\.ipynb"', html) is not None
        if is_notebook and not any(in_output for _, in_output in scanner.images):
            problems.append(f"{page}: notebook page shows no figure from its executed outputs")
    for kind, marker, what in [("glossary", r"<dt id=\"term-", "terms"),
                               ("bibliography", r"role=\"doc-biblioentry\"|class=\"citation\"", "references")]:
        named = [p for p in pages if Path(p).name == kind]
        if not named:
            problems.append(f"_toc.yml has no {kind} page")
        for page in named:
            path = html_dir / f"{page}.html"
            if path.is_file() and not re.search(marker, path.read_text(encoding="utf-8", errors="replace")):
                problems.append(f"{page}: the {kind} page lists no {what}")
    return problems


# ================================================================== the real site
@pytest.mark.built_html
def test_built_site_has_no_problems():
    html_dir = ROOT / "_build" / "html"
    assert html_dir.is_dir(), "no _build/html: build the book first (jupyter-book build . -W --keep-going)"
    problems = check_built_site(html_dir, ROOT / "_toc.yml")
    assert problems == [], "problems in the built site:\n" + "\n".join(problems)


# ================================================================== the checks catch problems (fake sites)
PAGE = """<!DOCTYPE html>
<html><head><title>{title}</title><link rel="stylesheet" href="{up}_static/styles/theme.css"></head>
<body><div class="bd-sidebar"><a class="reference internal" href="{up}intro.html">Intro</a>
<img alt="Colab logo" src="{up}_static/images/logo_colab.png"></div>
<main><article class="bd-article"><section id="s"><h1>{title}<a class="headerlink" href="#s">#</a></h1>
{body}
</section></article></main></body></html>
"""
FIGURE_CELL = """<div class="cell docutils container"><div class="cell_input docutils container">
<div class="highlight-ipython3 notranslate"><div class="highlight"><pre><span></span>plt.show()</pre></div></div></div>
<div class="cell_output docutils container">
<img alt="_images/fig1.png" src="{up}_images/fig1.png" />
</div></div>"""
TRACEBACK_CELL = """<div class="cell docutils container"><div class="cell_output docutils container">
<div class="output stream highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>before
</pre></div></div>
<div class="output traceback highlight-ipythontb notranslate"><div class="highlight"><pre><span></span><span class="gt">---------------------------------------------------------------------------</span>
<span class="ne">ValueError</span>                                Traceback (most recent call last)
Cell In[1], line 2
----&gt; 2 raise ValueError('boom')
<span class="ne">ValueError</span>: boom
</pre></div></div></div></div>"""
STDERR_CELL = """<div class="cell docutils container"><div class="cell_output docutils container">
<div class="output stderr highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>  0%|          | 0/3 [00:00&lt;?, ?it/s]
</pre></div></div></div></div>"""


@pytest.fixture
def site(tmp_path):
    """A small built book that passes every check; tests break one thing each."""
    src, html = tmp_path / "src", tmp_path / "src" / "_build" / "html"
    (src / "chapters" / "01_x").mkdir(parents=True)
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: chapters/01_x/index\n    sections:\n      - file: chapters/01_x/lab\n"
        "  - file: chapters/glossary\n  - file: chapters/bibliography\n")
    (src / "intro.md").write_text("(intro)=\n# Intro\n")
    (src / "chapters/01_x/index.md").write_text("(ch-x)=\n# Chapter\n")
    (src / "chapters/01_x/lab.ipynb").write_text("{}")
    for f in ("_static/styles/theme.css", "_static/images/logo_colab.png", "_images/fig1.png"):
        (html / f).parent.mkdir(parents=True, exist_ok=True)
        (html / f).write_bytes(b"x")
    pages = {
        "intro": "<p>Welcome. See <a class=\"reference internal\" href=\"chapters/01_x/index.html#s\">"
                 "<span class=\"std std-ref\">the chapter</span></a>.</p>",
        "chapters/01_x/index": "<p>An RNN reads {cite}. When your own code fails you will see "
                               "<code>Traceback (most recent call last)</code>; read it bottom-up.</p>"
                               "<p><a class=\"reference internal\" href=\"lab.html\"><code class=\"xref py py-func "
                               "docutils literal\">fit()</code></a></p>".replace(
                                   "{cite}", "<span class=\"bibtex-citation\">[<a class=\"reference internal\" "
                                             "href=\"../bibliography.html#id2\">Elman, 1990</a>]</span>"),
        "chapters/01_x/lab": "<p>Lab.</p>" + FIGURE_CELL,
        "chapters/glossary": "<dl class=\"simple glossary\"><dt id=\"term-hidden-state\">hidden state</dt>"
                             "<dd><p>A vector.</p></dd></dl>",
        "chapters/bibliography": "<div role=\"list\" class=\"citation-list\"><div class=\"citation\" id=\"id2\" "
                                 "role=\"doc-biblioentry\"><p>Jeffrey L. Elman. Finding structure in time.</p></div></div>",
    }

    def write(page: str, body: str) -> None:
        up = "../" * page.count("/")
        (html / f"{page}.html").parent.mkdir(parents=True, exist_ok=True)
        (html / f"{page}.html").write_text(PAGE.format(title=page, up=up, body=body.format(up=up)))

    for page, body in pages.items():
        write(page, body)
    return {"src": src, "html": html, "toc": src / "_toc.yml", "write": write, "pages": pages}


def check(site) -> list[str]:
    return check_built_site(site["html"], site["toc"])


def test_demo_good_site_passes(site):
    assert check(site) == []  # prose that mentions a traceback, outside cell outputs, is fine


def test_demo_missing_page(site):
    (site["html"] / "chapters/01_x/lab.html").unlink()
    problems = check(site)
    assert len(problems) == 2
    assert problems[0] == "chapters/01_x/index: link to a missing page 'lab.html'"
    assert problems[1].startswith("chapters/01_x/lab: page from _toc.yml is missing in the build")


def test_demo_no_site_at_all(tmp_path):
    assert "no built site here" in check_built_site(tmp_path / "nothing", {"root": "intro"})[0]


def test_demo_page_with_a_traceback(site):
    site["write"]("chapters/01_x/lab", "<p>Lab.</p>" + FIGURE_CELL + TRACEBACK_CELL)
    problems = check(site)
    assert "chapters/01_x/lab: a cell raised an error (its traceback is shown on the page)" in problems
    assert "chapters/01_x/lab: a Python traceback in a cell output" in problems
    assert all(p.startswith("chapters/01_x/lab:") for p in problems)


def test_demo_old_style_error_output(site):
    site["write"]("chapters/01_x/lab", FIGURE_CELL + '<div class="cell_output"><div class="output error">'
                                                      "<pre>NameError: x</pre></div></div>")
    assert check(site) == ["chapters/01_x/lab: a cell raised an error (its traceback is shown on the page)"]


def test_demo_page_with_stderr(site):
    site["write"]("chapters/01_x/lab", FIGURE_CELL + STDERR_CELL)
    problems = check(site)
    assert len(problems) == 1
    assert problems[0].startswith("chapters/01_x/lab: stderr output: '0%|")


def test_demo_missing_figure_file(site):
    (site["html"] / "_images/fig1.png").unlink()
    assert check(site) == ["chapters/01_x/lab: image '../../_images/fig1.png' is missing from the build"]


def test_demo_notebook_page_without_a_figure(site):
    site["write"]("chapters/01_x/lab", "<p>Lab without plots.</p>")
    assert check(site) == ["chapters/01_x/lab: notebook page shows no figure from its executed outputs"]
    # A prose page needs no figure, and the logo in the sidebar does not count as one.
    site["write"]("chapters/01_x/index", "<p>Prose.</p>")
    assert check(site) == ["chapters/01_x/lab: notebook page shows no figure from its executed outputs"]


def test_demo_notebook_pages_found_from_the_html_without_sources(site):
    import yaml

    toc = yaml.safe_load(site["toc"].read_text())
    site["write"]("chapters/01_x/lab", '<a href="../../_sources/chapters/01_x/lab.ipynb">.ipynb</a>')
    (site["html"] / "_sources/chapters/01_x").mkdir(parents=True)
    (site["html"] / "_sources/chapters/01_x/lab.ipynb").write_text("{}")
    assert check_built_site(site["html"], toc) == [
        "chapters/01_x/lab: notebook page shows no figure from its executed outputs"]


def test_demo_sphinx_problems_in_a_page(site):
    body = ('<p>See <span class="xref std std-ref">no-such-label</span> and '
            '<code class="xref eq docutils literal notranslate"><span class="pre">eq-nope</span></code> and '
            '<span class="bibtex-citation" id="id1">[]</span>.</p>'
            '<p><a href="#id1"><span class="problematic" id="id2">:unknownrole:`x`</span></a></p>'
            '<div class="system-message"><p class="system-message-title">System Message: ERROR/3</p>'
            "<p>Unknown directive type.</p></div>")
    site["write"]("chapters/01_x/index", body)
    problems = check(site)
    assert problems == [
        "chapters/01_x/index: unresolved reference: 'no-such-label'",
        "chapters/01_x/index: unresolved reference: 'eq-nope'",
        "chapters/01_x/index: a citation whose key is not in references.bib (shown as [])",
        "chapters/01_x/index: problematic markup: ':unknownrole:`x`'",
        "chapters/01_x/index: Sphinx system message: 'System Message: ERROR/3 Unknown directive type.'",
    ]


def test_demo_link_to_a_missing_page(site):
    site["write"]("intro", '<p><a class="reference internal" href="chapters/02_y/index.html">next</a></p>')
    assert check(site) == ["intro: link to a missing page 'chapters/02_y/index.html'"]


def test_demo_empty_glossary_and_bibliography(site):
    site["write"]("chapters/glossary", "<p>Coming soon.</p>")
    site["write"]("chapters/bibliography", '<div class="docutils container" id="id1"></div>')
    assert check(site) == ["chapters/glossary: the glossary page lists no terms",
                           "chapters/bibliography: the bibliography page lists no references"]


def test_demo_glossary_and_bibliography_not_in_the_toc(site):
    site["toc"].write_text("format: jb-book\nroot: intro\n")
    assert check(site) == ["_toc.yml has no glossary page", "_toc.yml has no bibliography page"]


def test_demo_page_that_loads_from_the_network(site):
    head = '<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
    site["write"]("chapters/01_x/index", head + "<p>Math.</p>")
    assert check(site) == ["chapters/01_x/index: loads https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js "
                           "from the network"]
    # links to online places (Colab, the repository) are fine: a reader follows them by choice
    site["write"]("chapters/01_x/index", '<a href="https://colab.research.google.com/x">Colab</a>')
    assert check(site) == []
