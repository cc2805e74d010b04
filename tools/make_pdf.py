"""Print one edition of the book to PDF from its single-page HTML build, offline.

    python tools/make_pdf.py _build/singlehtml _build/pdf/rnn-course-en.pdf --lang en --copy-to _build/html

``make pdf`` runs it after ``jupyter-book build . --builder singlehtml`` (which takes every
notebook's outputs from the jupyter cache, so nothing is executed again). It opens the single
page in Debian's headless Chromium (driven by Selenium, network off), waits until MathJax has
typeset every formula, turns the web page into a book, and prints it with the DevTools command
``Page.printToPDF``:

- a title page (title, authors, edition) and a contents page with page numbers;
- every document (chapter, lab, reference page) on a new page, and the PDF's bookmarks from
  Chromium's document outline (``generateDocumentOutline``, Chromium 126 or later): one per
  page of the site, its sections below it (the preface's own headings go one level down, so
  that they do not hold the whole book), named after the headings' text;
- page numbers in the footer (none on the title page; Chromium 131 or later draws the print
  styles' ``@page`` margin boxes); A4; the print styles of ``tools/pdf_print.css`` (no sidebars
  or buttons, code that wraps, Japanese text in the IPA fonts);
- display equations too wide for the page set smaller to fit it (MathJax 3 does not break
  lines), to no less than ``MIN_MATH_SCALE``; the print stops, naming them, if any still
  reach past the printed line, as it does when a character has no installed font;
- cells the site hides (``hide-input`` and the like) left out, exercise solutions printed open,
  and long outputs cut to their first and last lines with a note of how many were left out.

The page is printed twice: the first print tells on which page each document starts (from the
PDF's bookmarks, read with pypdf), the second, from the page opened afresh, prints the contents
with those numbers, and is checked against its own bookmarks (see ``make_pdf``).
``--copy-to`` copies the PDF into the edition's website, where every page links it (the
download menu; see ``_ext/pdf_book.py``).
"""
from __future__ import annotations

import argparse
import base64
import io
import logging
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import headless_chromium

HERE = Path(__file__).resolve().parent
PRINT_CSS = HERE / "pdf_print.css"
INSTALL_HINT = ("install Debian's chromium and chromium-driver: "
                "sudo apt-get install -y chromium chromium-driver fonts-ipafont-gothic fonts-noto-color-emoji")
# Words printed in the book, per edition.
WORDS = {
    "en": {"edition": "English edition", "contents": "Contents",
           "cut": "[… {n} lines of this output are not printed …]"},
    "ja": {"edition": "日本語版", "contents": "目次",
           "cut": "〔… この出力の {n} 行は印刷を省略 …〕"},
}
OUTPUT_HEAD, OUTPUT_TAIL = 25, 10  # an output of more than 40 lines is cut to its first 25 and last 10
MIN_MATH_SCALE = 0.75  # a display equation too wide for the page is set smaller, down to 3/4 of its size


@contextmanager
def open_chromium() -> Iterator[object]:
    """Headless Chromium with the network off (``headless_chromium``), patient enough to print a book."""
    with headless_chromium.open_chromium(
            SystemExit(f"make_pdf: headless Chromium is missing; {INSTALL_HINT}"), profile_prefix="rnn-course-pdf-",
            page_load_timeout=120, script_timeout=300, command_timeout=600) as driver:
        yield driver


def book_page(folder: Path) -> Path:
    """The single page of a ``singlehtml`` build (``index.html`` may only redirect to it)."""
    if not folder.is_dir():
        raise SystemExit(f"make_pdf: no single-page build at {folder}: run "
                         "`jupyter-book build . --builder singlehtml` first")
    pages = [p for p in folder.glob("*.html") if p.name not in {"index.html", "search.html", "genindex.html"}]
    if len(pages) != 1:
        raise SystemExit(f"make_pdf: expected one book page in {folder}, found {[p.name for p in pages]}")
    return pages[0]


def font_coverage() -> set[int]:
    """Every character some installed font has a glyph for (fontconfig's ``fc-list``)."""
    listing = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, check=True)
    covered: set[int] = set()
    for span in listing.stdout.split():
        first, _, last = span.partition("-")
        covered.update(range(int(first, 16), int(last or first, 16) + 1))
    return covered


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no installed font can draw: Chromium would print a box.

    Private-use characters are left out: they are icons, drawn by the page's own web font
    (Font Awesome), as MathJax draws formulas with its own."""
    covered = font_coverage()
    return sorted({c for c in text if not c.isspace() and ord(c) >= 0x80 and ord(c) not in covered
                   and not 0xE000 <= ord(c) <= 0xF8FF})


# Runs in the page: waits for MathJax and the images, then makes the web page a book.
# Returns the contents: one entry per document, in reading order.
PREPARE_JS = r"""
const [css, words, head, tail, done] = arguments;
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const imgs = [...document.images];
  imgs.forEach((img) => { img.loading = "eager"; });
  await Promise.all(imgs.map((img) => img.decode().catch(() => null)));

  const style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  document.documentElement.dataset.theme = "light";
  document.querySelectorAll(".headerlink, .toggle-button, button.copybtn").forEach((el) => el.remove());

  // Cells the site hides behind "Show code cell source" stay hidden in print.
  document.querySelectorAll("details.hide").forEach((el) => el.remove());
  // Exercise solutions and other dropdowns are printed open.
  document.querySelectorAll(".toggle-hidden").forEach((el) => el.classList.remove("toggle-hidden"));
  document.querySelectorAll("details").forEach((d) => { d.open = true; });

  // Long outputs: the first and the last lines, and how many lines were left out.
  for (const pre of document.querySelectorAll("div.cell_output pre, div.output pre")) {
    const lines = pre.textContent.replace(/\n$/, "").split("\n");
    if (lines.length <= head + tail + 5) continue;
    const note = words.cut.replace("{n}", lines.length - head - tail);
    pre.textContent = "";
    pre.append(lines.slice(0, head).join("\n") + "\n");
    const cut = document.createElement("span");
    cut.className = "pdf-output-cut";
    cut.textContent = note;
    pre.append(cut, "\n" + lines.slice(-tail).join("\n"));
  }

  // Each document of the book (a chapter, a lab, a reference page) starts on a new page. Its
  // title is an h2 (singlehtml nests every document in the root page, the preface): Chromium's
  // outline, the PDF's bookmarks, starts at h2, so the preface's own headings go one level
  // down to stand beside the documents, not above them.
  document.querySelectorAll("#jb-print-docs-body").forEach((el) => el.remove());  // the theme's print header
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const docs = [];
  const inDocument = new Set();
  for (const marker of article.querySelectorAll("span[id^='document-']")) {
    const section = marker.nextElementSibling;
    if (!section || section.tagName !== "SECTION") continue;
    section.classList.add("pdf-document");
    const title = section.querySelector("h1, h2, h3, h4, h5, h6");
    title.classList.add("pdf-document-title");
    title.dataset.pdfDocument = marker.id;  // unique (section ids may repeat across documents)
    docs.push({id: marker.id, level: Number(title.tagName[1]),
               title: title.textContent.trim()});
    section.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach((h) => inDocument.add(h));
  }
  for (const h of article.querySelectorAll("h1, h2, h3, h4, h5")) {
    if (inDocument.has(h)) continue;
    const lowered = document.createElement("h" + (Number(h.tagName[1]) + 1));
    for (const attr of h.attributes) lowered.setAttribute(attr.name, attr.value);
    lowered.append(...h.childNodes);
    h.replaceWith(lowered);
  }
  const top = Math.min(...docs.map((d) => d.level));
  const root = article.querySelector("section");
  const rootHeading = root.querySelector("h2");
  rootHeading.classList.add("pdf-document-title");
  rootHeading.dataset.pdfDocument = root.id;
  const rootEntry = {id: root.id, title: rootHeading.textContent.trim(), lab: false};

  // The title page and the contents, before the book's first page.
  const text = (sel) => { const el = document.querySelector(sel); return el ? el.textContent.trim() : ""; };
  const titlePage = document.createElement("section");
  titlePage.className = "pdf-title-page";
  const line = (cls, value) => { const p = document.createElement("p"); p.className = cls; p.textContent = value; return p; };
  titlePage.append(line("pdf-title", rootEntry.title || document.title),
                   line("pdf-author", text(".component-author").replace(/^(By|著者)\s+/, "")),
                   line("pdf-edition", words.edition),
                   line("pdf-rights", text("footer .copyright, .copyright")));
  const contents = document.createElement("section");
  contents.className = "pdf-contents";
  const heading = document.createElement("h2");
  heading.textContent = words.contents;
  const list = document.createElement("ol");
  const entries = [rootEntry].concat(docs.map((d) => ({id: d.id, title: d.title, lab: d.level > top})));
  for (const entry of entries) {
    const li = document.createElement("li");
    li.className = entry.lab ? "pdf-toc-lab" : "pdf-toc-document";
    li.innerHTML = '<div class="pdf-toc-row"><a class="pdf-toc-title"></a><span class="pdf-toc-dots"></span>' +
                   '<span class="pdf-toc-page">000</span></div>';
    li.querySelector("a").textContent = entry.title;
    li.querySelector("a").href = "#" + entry.id;
    li.dataset.target = entry.id;
    list.append(li);
  }
  contents.append(heading, list);
  article.prepend(titlePage, contents);
  document.title = titlePage.querySelector(".pdf-title").textContent;

  await document.fonts.ready;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  done({entries: entries.map((e) => ({id: e.id, title: e.title, lab: e.lab}))});
})().catch((e) => done({fatal: String(e && e.stack || e)}));
"""

# MathJax 3 does not break a display equation over lines: one wider than its line (beside its
# number) is set smaller, down to a least scale (MathJax sizes it in em). The print styles make
# the article as wide as the printed page, so this measures what will be printed.
FIT_EQUATIONS_JS = r"""
const minScale = arguments[0];
for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
  if (c.getClientRects().length === 0) continue;
  const box = c.parentElement, eqno = box.querySelector(":scope > .eqno");
  const room = box.clientWidth - (eqno ? eqno.getBoundingClientRect().width + 8 : 0);
  const width = c.querySelector("mjx-math").getBoundingClientRect().width;
  if (width <= room) continue;
  const size = parseFloat(getComputedStyle(c).fontSize);
  c.style.fontSize = (size * Math.max(minScale, room / width)) + "px";
}
"""

# The display equations that reach beyond their box (the printed line, which clips them, or
# the equation's number beside them): its id (or number) and by how many pixels.
WIDE_EQUATIONS_JS = r"""
return [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter((c) => c.getClientRects().length > 0)
  .map((c) => {
    const math = c.querySelector("mjx-math").getBoundingClientRect();
    const box = c.parentElement, eqno = box.querySelector(":scope > .eqno");
    const line = box.getBoundingClientRect();
    const right = eqno ? Math.min(line.right, eqno.getBoundingClientRect().left) : line.right;
    const name = box.id || (eqno ? eqno.textContent.replace("#", "").trim() : c.textContent.slice(0, 60));
    return {name: name, over: Math.round(Math.max(line.left - math.left, math.right - right))};
  })
  .filter((e) => e.over > 1);
"""

# The headings Chromium makes bookmarks of, in order: each one's text and, for a document's
# title, the id of the document (its marker in the single page).
HEADINGS_JS = r"""
return [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter((h) => h.getClientRects().length > 0)
  .map((h) => ({title: h.textContent.replace(/\s+/g, " ").trim(),
                target: h.dataset.pdfDocument || ""}));
"""

SET_PAGES_JS = r"""
const pages = arguments[0];
for (const li of document.querySelectorAll(".pdf-contents li")) {
  li.querySelector(".pdf-toc-page").textContent = pages[li.dataset.target] || "";
}
"""


def print_page(driver) -> bytes:
    """The page printed with Chromium's DevTools command (A4 from the print styles)."""
    result = driver.execute_cdp_cmd("Page.printToPDF", {
        "printBackground": True,
        "preferCSSPageSize": True,
        "displayHeaderFooter": False,  # the page numbers are the print styles' (none on the title page)
        "generateTaggedPDF": True,
        "generateDocumentOutline": True,  # bookmarks from the headings (Chromium 126 or later)
    })
    return base64.b64decode(result["data"])


logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's PDFs make pypdf note a trailer size


def bookmarks(pdf: bytes) -> list[tuple[int, str, int]]:
    """The PDF's outline, flattened: (depth, title, page number counted from 1)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    flat: list[tuple[int, str, int]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                flat.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return flat


def start_pages(headings: list[dict], outline: list[tuple[int, str, int]]) -> dict[str, int]:
    """The page on which each document starts: its title's bookmark (bookmarks follow the headings)."""
    return {h["target"]: page for h, (_, _, page) in zip(headings, outline) if h["target"]}


def retitle_bookmarks(pdf: bytes, titles: list[str]) -> bytes:
    """The PDF with its bookmarks named after the headings, in order.

    Chromium's outline repeats the first line of a heading that starts a page ("NotationNotation")
    and drops a formula from a title; the page's own heading texts replace them. The outline
    is walked in the order it lists the headings (depth first)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    items = []

    def walk(node):
        while node is not None:
            node = node.get_object()
            items.append(node)
            if "/First" in node:
                walk(node["/First"])
            node = node.get("/Next")

    walk(writer._root_object["/Outlines"].get_object().get("/First"))
    if len(items) != len(titles):
        raise SystemExit(f"make_pdf: the PDF has {len(items)} bookmarks for {len(titles)} headings")
    for item, title in zip(items, titles):
        item[NameObject("/Title")] = TextStringObject(title)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def prepare(driver, page: Path, lang: str) -> list[dict]:
    """Open the book's page afresh and make it a book; returns its headings (see HEADINGS_JS)."""
    driver.get(page.resolve().as_uri())
    facts = driver.execute_async_script(PREPARE_JS, PRINT_CSS.read_text(encoding="utf-8"),
                                        WORDS[lang], OUTPUT_HEAD, OUTPUT_TAIL)
    if "fatal" in facts:
        raise SystemExit(f"make_pdf: preparing the page failed: {facts['fatal']}")
    driver.execute_script(FIT_EQUATIONS_JS, MIN_MATH_SCALE)
    return driver.execute_script(HEADINGS_JS)


def printed_start_pages(pdf: bytes, headings: list[dict]) -> dict[str, int]:
    outline = bookmarks(pdf)
    if len(outline) != len(headings):
        raise SystemExit(f"make_pdf: Chromium wrote {len(outline)} bookmarks for {len(headings)} headings "
                         "(generateDocumentOutline needs Chromium 126 or later)")
    return start_pages(headings, outline)


def make_pdf(singlehtml: Path, output: Path, lang: str) -> dict:
    """Print the book; returns what was measured (pages, bookmarks, seconds).

    The contents page needs the page numbers of a print. Chromium does not always break the
    pages of one document the same way when it prints it twice (a heading kept with what
    follows it moves by a page, every other print), so each print starts from a freshly
    opened page, and the book is printed again until its contents match its own bookmarks.
    """
    if lang not in WORDS:
        raise SystemExit(f"make_pdf: --lang must be one of {sorted(WORDS)}, got {lang!r}")
    page = book_page(singlehtml)
    start = time.perf_counter()
    with open_chromium() as driver:
        headings = prepare(driver, page, lang)
        text = driver.execute_script(
            "return [...document.querySelectorAll('article')].map((a) => a.innerText).join('\\n')")
        missing = missing_glyphs(text)
        if missing:
            raise SystemExit("make_pdf: no installed font draws " + ", ".join(f"{c} (U+{ord(c):04X})" for c in missing)
                             + f"; {INSTALL_HINT}")
        wide = driver.execute_script(WIDE_EQUATIONS_JS)
        if wide:
            raise SystemExit("make_pdf: display equations too wide for the printed page even at "
                             f"{MIN_MATH_SCALE:.0%} of their size (write them over several lines, e.g. with "
                             "aligned): " + ", ".join(f"{e['name']} ({e['over']} px too wide)" for e in wide))
        pages = printed_start_pages(print_page(driver), headings)
        documents = [h["target"] for h in headings if h["target"]]
        if set(documents) - set(pages):
            raise SystemExit(f"make_pdf: no bookmark for {sorted(set(documents) - set(pages))}")
        for prints in range(2, 5):
            headings = prepare(driver, page, lang)
            driver.execute_script(SET_PAGES_JS, {k: str(v) for k, v in pages.items()})
            pdf = print_page(driver)
            printed = printed_start_pages(pdf, headings)
            if printed == pages:
                break
            pages = printed
        else:
            raise SystemExit("make_pdf: the page numbers of the contents did not settle in 3 prints")
        pdf = retitle_bookmarks(pdf, [h["title"] for h in headings])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pdf)
    from pypdf import PdfReader

    count = len(PdfReader(io.BytesIO(pdf)).pages)
    return {"pages": count, "bookmarks": len(bookmarks(pdf)), "seconds": time.perf_counter() - start,
            "megabytes": len(pdf) / 1e6, "prints": prints}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("singlehtml", type=Path, help="the singlehtml build folder, e.g. _build/singlehtml")
    parser.add_argument("output", type=Path, help="the PDF to write, e.g. _build/pdf/rnn-course-en.pdf")
    parser.add_argument("--lang", default="en", help=f"the edition's language: {', '.join(WORDS)}")
    parser.add_argument("--copy-to", type=Path, help="the edition's website folder; the PDF is copied there")
    args = parser.parse_args(argv)
    facts = make_pdf(args.singlehtml, args.output, args.lang)
    print(f"{args.output}: {facts['pages']} pages, {facts['megabytes']:.1f} MB, {facts['bookmarks']} bookmarks, "
          f"printed in {facts['seconds']:.0f} s ({facts['prints']} prints)")
    if args.copy_to is not None:
        if args.copy_to.is_dir():
            shutil.copy2(args.output, args.copy_to / args.output.name)
            print(f"copied to {args.copy_to / args.output.name}, where every page of the site links it")
        else:
            print(f"NOTE: no website at {args.copy_to}: the PDF is not copied there (make book, then make pdf)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
