"""Open the built book in headless Chromium, as a reader with no network would, and list problems.

``check_site(html_dir, pages, screenshot_dir)`` opens each page from ``file://`` in one
headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium) whose
network is off (DevTools offline emulation, and a proxy that goes nowhere), and returns one
line per problem:

- a JavaScript error or a failed load in the console (level SEVERE);
- a request to the network (http, https, ws): nothing needed to read the book may be online;
- math left unrendered: MathJax did not load or did not finish, a math element of the page
  has no rendered ``mjx-container``, MathJax reported an error in a formula or met an
  undefined macro (it shows those in red), or raw
  ``\\(``, ``\\[``, ``$$`` or ``\\begin{`` text is left in the page outside code;
- an image that does not load (its file is missing or not an image);
- an image without alt text: in the content, the alt must say something (not empty, not the
  file's name, which is what Sphinx writes when no alt was given); elsewhere it must be there;
- an internal link to a file that does not exist, or to an anchor (``#id``) the target page
  does not have;
- a line of code (or of a cell's output) too wide for its box, so the reader must scroll
  sideways; measured with every collapsed cell and dropdown opened, in a 1280×900 window.

It also saves a full-page screenshot of each page (collapsed parts opened) under
``screenshot_dir`` for a person to look at. Run it by hand with
``python tests/browser_check.py _build/html``.
"""
from __future__ import annotations

import base64
import json
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from headless_chromium import WINDOW, find_chromium, open_chromium  # noqa: E402  (shared with make_pdf.py)

INSTALL_HINT = ("headless Chromium is not installed, so the browser test is skipped. Install it with "
                "`sudo apt-get install -y chromium chromium-driver` (Debian/Ubuntu), then run `make test` "
                "again; CI (.ci/run) installs it and always runs the test.")
IMAGE_SUFFIX = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


def require_chromium() -> None:
    """In a test: skip it (with the install command) when Chromium is missing; fail it in CI."""
    import os

    import pytest

    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run should have installed chromium and chromium-driver")
        pytest.skip(INSTALL_HINT)


@contextmanager
def open_browser() -> Iterator[object]:
    """A headless Chromium with the network off and console and network logs recorded."""
    with open_chromium(RuntimeError(INSTALL_HINT), profile_prefix="rnn-course-chromium-",
                       page_load_timeout=60, script_timeout=60, logs=True) as driver:
        yield driver


# Runs in the page: waits for MathJax and the images, then reports what a reader would meet.
COLLECT_JS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const out = {};
  const mjScript = document.querySelector("script[src*='mathjax' i], script[src*='tex-chtml' i], script[src*='tex-mml' i]");
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    try { await window.MathJax.startup.promise; out.mathjax = "ready"; }
    catch (e) { out.mathjax = "failed: " + e; }
  } else { out.mathjax = mjScript ? "not loaded (" + mjScript.getAttribute("src") + ")" : "absent"; }
  const imgs = [...document.images];
  imgs.forEach((img) => { img.loading = "eager"; });
  await Promise.all(imgs.map((img) => img.decode().catch(() => null)));
  const inContent = (el) => !!el.closest("article, .bd-article, main");
  out.images = imgs.map((img) => ({
    src: img.getAttribute("src") || "", url: img.currentSrc || img.src,
    ok: img.complete && img.naturalWidth > 0, alt: img.getAttribute("alt"), content: inContent(img)}));
  const math = [...document.querySelectorAll(".math, .tex2jax_process")]
    .filter((el) => !el.parentElement.closest(".math"));
  out.mathCount = math.length;
  out.rendered = document.querySelectorAll("mjx-container").length;
  out.unrendered = math.filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  // a TeX error, or an undefined macro (MathJax writes its name in red)
  out.mathErrors = [...document.querySelectorAll("mjx-merror, mjx-container [style*='color: red']")]
    .map((el) => {
      const mml = el.closest("mjx-container").querySelector("mjx-assistive-mml");
      return (el.getAttribute("data-mjx-error") || (mml ? mml.textContent : "") || "?").slice(0, 80);
    });
  const raw = /\\\(|\\\[|\$\$|\\begin\{/;
  const skip = "script, style, pre, code, textarea, mjx-container, .highlight, noscript, title";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  out.rawTex = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (raw.test(n.nodeValue) && !n.parentElement.closest(skip)) out.rawTex.push(n.nodeValue.trim().slice(0, 80));
  }
  out.links = [...document.querySelectorAll("a[href]")].map((a) => ({href: a.getAttribute("href"), url: a.href}));
  out.ids = [...document.querySelectorAll("[id]")].map((el) => el.id)
    .concat([...document.querySelectorAll("a[name]")].map((el) => el.getAttribute("name")));
  // open every collapsed cell, dropdown and toggle so that their lines are measured and shown
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach((el) => el.classList.remove("toggle-hidden"));
  document.querySelectorAll(".dropdown, .toggle").forEach((el) => el.classList.add("toggle-shown"));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  out.wide = [...document.querySelectorAll("pre")]
    .filter((pre) => pre.clientWidth > 0 && pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => {
      const lines = pre.textContent.split("\n");
      const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
      const kind = pre.closest(".cell_output, .output") ? "output" : "code";
      return {kind, overflow: pre.scrollWidth - pre.clientWidth, chars: longest.length, line: longest.trim().slice(0, 70)};
    });
  await document.fonts.ready;
  out.height = Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);
  done(out);
})().catch((e) => done({fatal: String(e)}));
"""


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    math: int = 0
    screenshot: Path | None = None


def _local_path(url: str, html_dir: Path) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


_ID_CACHE: dict[Path, set[str]] = {}


def _ids_of(path: Path) -> set[str]:
    if path not in _ID_CACHE:
        html = path.read_text(encoding="utf-8", errors="replace")
        _ID_CACHE[path] = set(re.findall(r'\bid="([^"]+)"', html)) | set(re.findall(r'\bname="([^"]+)"', html))
    return _ID_CACHE[path]


def _check_links(page_path: Path, links: list[dict], ids: set[str], html_dir: Path) -> list[str]:
    problems = []
    for link in links:
        url, href = link["url"], link["href"]
        if not url.startswith("file:"):
            continue
        target = _local_path(url, html_dir)
        fragment = unquote(urlsplit(url).fragment)
        if target is None:
            continue
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            problems.append(f"link to a missing file {href!r}")
            continue
        if fragment and target.suffix == ".html":
            known = ids if target.resolve() == page_path.resolve() else _ids_of(target)
            if fragment not in known:
                problems.append(f"link to a missing anchor {href!r}")
    return problems


def check_page(driver, html_dir: Path, page_path: Path, screenshot: Path | None = None) -> PageReport:
    """Open one page and return what is wrong with it."""
    start = time.perf_counter()
    report = PageReport(page=str(page_path.relative_to(html_dir)))
    driver.get_log("browser"), driver.get_log("performance")  # drop what came before
    redirect = re.search(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"',
                         page_path.read_text(encoding="utf-8", errors="replace"), re.IGNORECASE)
    if redirect:  # a page that only sends the reader on (index.html -> intro.html)
        if not (page_path.parent / unquote(redirect.group(1).split("#")[0])).is_file():
            report.problems.append(f"redirects to a missing page {redirect.group(1)!r}")
        return report
    driver.get(page_path.resolve().as_uri())
    facts = driver.execute_async_script(COLLECT_JS)
    if "fatal" in facts:
        report.problems.append(f"the page could not be inspected: {facts['fatal']}")
        return report
    problems = report.problems
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console error: {entry['message'][:200]}")
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if urlsplit(url).scheme in ("http", "https", "ws", "wss"):
                problems.append(f"the page asks the network for {url[:120]}")
    report.math = facts["rendered"]
    if facts["mathCount"] and facts["mathjax"] != "ready":
        problems.append(f"the page has {facts['mathCount']} formulas but MathJax is {facts['mathjax']}")
    for text in facts["unrendered"][:5]:
        problems.append(f"unrendered math: {text!r}")
    if len(facts["unrendered"]) > 5:
        problems.append(f"... and {len(facts['unrendered']) - 5} more unrendered formulas")
    for text in facts["mathErrors"]:
        problems.append(f"MathJax could not typeset a formula: {text!r}")
    for text in facts["rawTex"][:5]:
        problems.append(f"raw LaTeX in the page: {text!r}")
    for img in facts["images"]:
        if not img["ok"]:
            problems.append(f"image does not load: {img['src']!r}")
        alt = img["alt"]
        if alt is None:
            problems.append(f"image without alt text: {img['src']!r}")
        elif img["content"] and (not alt.strip() or IMAGE_SUFFIX.search(alt.strip())):
            problems.append(f"image without alt text (alt={alt!r}): {img['src']!r}")
    problems += _check_links(page_path, facts["links"], set(facts["ids"]), html_dir)
    for wide in facts["wide"]:
        problems.append(f"{'an' if wide['kind'] == 'output' else 'a'} {wide['kind']} line needs horizontal scrolling ({wide['chars']} characters, "
                        f"{wide['overflow']} px too wide): {wide['line']!r}")
    report.problems = list(dict.fromkeys(problems))
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        height = int(facts["height"])
        scale = min(1.0, 16000 / height)  # at most 16000 px tall: long labs are shrunk a little
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WINDOW[0], "height": height, "scale": scale}})
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        report.screenshot = screenshot
    report.seconds = time.perf_counter() - start
    return report


def site_pages(html_dir: Path, pages: list[str] | None = None) -> list[Path]:
    """The HTML files of ``pages`` (docnames), or every page of the built site."""
    if pages is not None:
        return [html_dir / f"{page}.html" for page in pages]
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and not p.relative_to(html_dir).parts[0].startswith(("_", ".")))


def check_site(html_dir: Path | str, pages: list[str] | None = None,
               screenshot_dir: Path | str | None = None) -> list[PageReport]:
    """Open every page in one browser; one report per page."""
    html_dir = Path(html_dir)
    _ID_CACHE.clear()
    reports = []
    with open_browser() as driver:
        for path in site_pages(html_dir, pages):
            shot = None
            if screenshot_dir is not None:
                shot = Path(screenshot_dir) / path.relative_to(html_dir).with_suffix(".png")
            if not path.is_file():
                reports.append(PageReport(page=str(path.relative_to(html_dir)), problems=["the page is missing"]))
                continue
            reports.append(check_page(driver, html_dir, path, shot))
    return reports


def search(driver, html_dir: Path, query: str) -> list[str]:
    """The result links (page files) the book's own search page lists for ``query``."""
    from urllib.parse import quote

    driver.get((html_dir / "search.html").resolve().as_uri() + "?q=" + quote(query))
    return driver.execute_async_script(r"""
const done = arguments[arguments.length - 1];
const t0 = Date.now();
(function poll() {
  const status = document.querySelector(".search-summary, #search-results p");
  const items = [...document.querySelectorAll("#search-results li a, ul.search li a")];
  if ((status && /found|did not match|no results/i.test(status.textContent)) || Date.now() - t0 > 20000) {
    done(items.map((a) => a.getAttribute("href")));
  } else { setTimeout(poll, 100); }
})();
""")


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    start = time.perf_counter()
    reports = check_site(html_dir, screenshot_dir=html_dir.parent / "screenshots")
    for report in reports:
        print(f"{report.page}: {len(report.problems)} problems, {report.math} formulas, {report.seconds:.1f} s")
        for problem in report.problems:
            print(f"    {problem}")
    print(f"{len(reports)} pages in {time.perf_counter() - start:.0f} s; screenshots in {html_dir.parent / 'screenshots'}")
    return 1 if any(r.problems for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
