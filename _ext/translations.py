"""The Japanese edition: gettext catalogues of the English sources, and the sources they make.

The English pages (``*.md``) and notebooks (``*.ipynb``) are the only source of code and of
structure. Their prose is cut into *units* (a paragraph, a heading, a list, a table row, a
directive title, an alt text, a glossary definition); code, math, labels and directive options
are never units. Each document has one catalogue, ``locales/ja/LC_MESSAGES/<document>.po``, with
one entry per unit, editable in any PO editor.

Commands (run from the repository root with the project's Python)::

    python _ext/translations.py update      # re-extract the units, merge them into the catalogues
                                            # (changed units become fuzzy), rewrite ja/ notebooks,
                                            # and list what needs translating
    python _ext/translations.py status      # list what needs translating; exit 1 if anything does
    python _ext/translations.py sources DIR # write the Japanese book's source tree into DIR
    python _ext/translations.py export FILE.po > todo.json        # what one catalogue needs, as JSON
    python _ext/translations.py import FILE.po done.json          # write [{"en", "ja"}] back

``ja/chapters/**.ipynb`` are the Japanese notebooks (Colab opens them from the repository):
the English notebook with its markdown cells translated, code cells untouched.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
LANG = "ja"
# Catalogue headers carry fixed dates, so that an update changes a file only when its entries change.
FIXED_DATE = datetime(2026, 12, 1, tzinfo=timezone.utc)
LOCALES = ROOT / "locales"
CATALOGUES = LOCALES / LANG / "LC_MESSAGES"
NOTEBOOKS_OUT = ROOT / LANG  # ja/chapters/NN_slug/<lab>.ipynb

# ----------------------------------------------------------------------------- what is a source
def source_documents() -> list[Path]:
    """Every page and notebook the book is built from (the files named in _toc.yml)."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = ["intro"] + re.findall(r"^\s*-?\s*file:\s*(\S+)", toc, re.M)
    docs = []
    for name in names:
        for suffix in (".md", ".ipynb"):
            if (ROOT / (name + suffix)).exists():
                docs.append(ROOT / (name + suffix))
                break
        else:
            raise FileNotFoundError(f"_toc.yml names {name!r}, but neither {name}.md nor {name}.ipynb exists")
    return list(dict.fromkeys(docs))


def catalogue_path(doc: Path) -> Path:
    return CATALOGUES / doc.relative_to(ROOT).with_suffix(".po")


# ----------------------------------------------------------------------------- cutting markdown
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})(?:\{(?P<name>[^}]+)\})?(?P<arg>.*)$")
OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):(?P<value>.*)$")
# Directives whose body is code, math or machinery: copied as they are.
VERBATIM_BODY = {"code-cell", "code-block", "code", "math", "raw", "eval-rst", "literalinclude",
                 "include", "bibliography", "run-times", "toctree", "tableofcontents", "mermaid"}
# Directives whose argument is a path or a label, not words.
VERBATIM_ARG = VERBATIM_BODY | {"figure", "image", "solution-start", "solution-end", "glossary"}
TRANSLATED_OPTIONS = {"alt"}
MATH_OPEN = re.compile(r"^[ \t]*\$\$")
MATH_CLOSE = re.compile(r"\$\$(?:[ \t]*\([^)]*\))?[ \t]*$")
VERBATIM_LINE = re.compile(r"^[ \t]*(\([\w:.-]+\)=|%|<!--|\+\+\+|-->)")


@dataclass
class Unit:
    """A piece of prose to translate; ``prefix`` and ``indent`` are put back around it."""
    text: str
    line: int
    indent: str = ""
    prefix: str = ""   # e.g. "# " of a heading, "```{exercise} " of a directive title


@dataclass
class Cut:
    """A document cut into verbatim strings and units, in order."""
    pieces: list = field(default_factory=list)   # str (verbatim, with newlines) or Unit

    def units(self) -> list[Unit]:
        return [p for p in self.pieces if isinstance(p, Unit)]

    def join(self, translate) -> str:
        out = []
        for p in self.pieces:
            if isinstance(p, _NoNewline):
                out[-1] = out[-1][:-1]   # the source's last line had no newline
            elif isinstance(p, str):
                out.append(p)
            else:
                text = translate(p.text)
                lines = text.split("\n")
                out.append("\n".join(p.indent + (p.prefix if i == 0 else "") + ln if ln else ln
                                     for i, ln in enumerate(lines)) + "\n")
        return "".join(out)


_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_WORDS = re.compile(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\]\([^)]*\)|<[^>]*>|https?://\S+")


def needs_translation(text: str) -> bool:
    """True when the text has words outside code, math, roles, links and tags."""
    return bool(_WORD.search(_NOT_WORDS.sub(" ", text)))


def cut_markdown(text: str, first_line: int = 1) -> Cut:
    """Cut MyST markdown into verbatim pieces and translation units."""
    cut = Cut()
    lines = text.split("\n")
    trailing_newline = text.endswith("\n")
    if trailing_newline:
        lines = lines[:-1]
    _cut_lines(lines, 0, len(lines), cut, first_line, glossary=False)
    if not trailing_newline and cut.pieces:
        # the last piece ends without a newline in the source
        last = cut.pieces[-1]
        if isinstance(last, str) and last.endswith("\n"):
            cut.pieces[-1] = last[:-1]
        else:
            cut.pieces.append(_NO_NEWLINE)
    return cut


class _NoNewline(str):
    pass


_NO_NEWLINE = _NoNewline("")


def _verbatim(cut: Cut, text: str) -> None:
    if cut.pieces and isinstance(cut.pieces[-1], str):
        cut.pieces[-1] += text
    else:
        cut.pieces.append(text)


def _unit(cut: Cut, lines: list[str], line_no: int, prefix: str = "") -> None:
    """Add ``lines`` as one unit (its common indentation kept aside), or verbatim if no words."""
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    body = "\n".join(ln[indent:] for ln in lines)
    lead = lines[0][:indent] if lines else ""
    if prefix:
        body = body[len(prefix):]
    if needs_translation(body):
        cut.pieces.append(Unit(body, line_no, lead, prefix))
    else:
        _verbatim(cut, "\n".join(lines) + "\n")


def _closing(fence: str) -> re.Pattern:
    return re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")


def _cut_lines(lines: list[str], start: int, stop: int, cut: Cut, base: int, glossary: bool) -> None:
    i = start
    para: list[int] = []

    def flush() -> None:
        if not para:
            return
        block = [lines[j] for j in para]
        if all(ln.lstrip().startswith("|") for ln in block):
            for j in para:   # a table: one unit per row
                _unit(cut, [lines[j]], base + j)
        else:
            _unit(cut, block, base + para[0])
        para.clear()

    while i < stop:
        line = lines[i]
        fence = FENCE.match(line)
        if not line.strip():
            flush()
            _verbatim(cut, line + "\n")
            i += 1
        elif fence:
            flush()
            close = _closing(fence["fence"])
            end = i + 1
            while end < stop and not close.match(lines[end]):
                end += 1
            name = (fence["name"] or "").strip()
            if not name or name in VERBATIM_BODY:
                _verbatim(cut, "\n".join(lines[i:end + 1]) + "\n")
                i = end + 1
                continue
            head = line[: len(line) - len(fence["arg"])]
            if name not in VERBATIM_ARG and needs_translation(fence["arg"]):
                cut.pieces.append(Unit(fence["arg"].strip(), base + i, "", head + (" " if not head.endswith(" ") else "")))
            else:
                _verbatim(cut, line + "\n")
            j = i + 1
            while j < end and OPTION.match(lines[j]):
                opt = OPTION.match(lines[j])
                if opt["key"] in TRANSLATED_OPTIONS and needs_translation(opt["value"]):
                    prefix = lines[j][: len(lines[j]) - len(opt["value"].lstrip())]
                    cut.pieces.append(Unit(opt["value"].strip(), base + j, "", prefix))
                else:
                    _verbatim(cut, lines[j] + "\n")
                j += 1
            _cut_lines(lines, j, end, cut, base, glossary=(name == "glossary"))
            if end < stop:
                _verbatim(cut, lines[end] + "\n")
            i = end + 1
        elif MATH_OPEN.match(line):
            flush()
            rest = line.strip()[2:]
            end = i
            if not (rest.strip() and MATH_CLOSE.search(rest)):
                end = i + 1
                while end < stop and not MATH_CLOSE.search(lines[end]):
                    end += 1
            _verbatim(cut, "\n".join(lines[i:end + 1]) + "\n")
            i = end + 1
        elif VERBATIM_LINE.match(line):
            flush()
            _verbatim(cut, line + "\n")
            i += 1
        elif line.lstrip().startswith("#") and re.match(r"^[ \t]*#{1,6} ", line):
            flush()
            prefix = re.match(r"^[ \t]*#{1,6} ", line).group(0)
            _unit(cut, [line], base + i, prefix=prefix.lstrip())
            i += 1
        elif glossary and not line[:1].isspace() and not line.startswith(":"):
            flush()   # a glossary term: the English name stays (roles point to it)
            _verbatim(cut, line + "\n")
            i += 1
        else:
            para.append(i)
            i += 1
    flush()


# ----------------------------------------------------------------------------- documents
def _cell_source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def document_units(doc: Path) -> list[tuple[Unit, str]]:
    """Units of a page or a notebook's markdown cells, with a location for the catalogue."""
    rel = doc.relative_to(ROOT).as_posix()
    out = []
    if doc.suffix == ".md":
        for u in cut_markdown(doc.read_text(encoding="utf-8")).units():
            out.append((u, f"{rel}:{u.line}"))
    else:
        nb = json.loads(doc.read_text(encoding="utf-8"))
        for k, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                for u in cut_markdown(_cell_source(cell)).units():
                    out.append((u, f"{rel}:{k + 1}"))   # the cell's number
    return out


def extra_units() -> dict[str, list[str]]:
    """Words outside the documents: the book's title and the table of contents' captions."""
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    title = re.search(r'^title:\s*"?(.*?)"?\s*$', config, re.M).group(1)
    captions = re.findall(r"^\s*-\s*caption:\s*(.+?)\s*$", (ROOT / "_toc.yml").read_text(encoding="utf-8"), re.M)
    return {"_config.yml": [title], "_toc.yml": captions}


# ----------------------------------------------------------------------------- catalogues
def _catalogue_template(doc_label: str, entries: list[tuple[str, str]]):
    from babel.messages.catalog import Catalog
    cat = Catalog(locale=LANG, project="rnn_course book", domain=doc_label, fuzzy=False,
                  charset="utf-8", copyright_holder="The rnn_course authors",
                  msgid_bugs_address="https://github.com/rnn-course/rnn-course/issues",
                  last_translator="The rnn_course authors", language_team="Japanese",
                  creation_date=FIXED_DATE, revision_date=FIXED_DATE)
    for msgid, location in entries:
        path, _, where = location.rpartition(":")
        lineno = int(re.sub(r"\D", "", where) or 0)
        if msgid in cat:
            cat[msgid].locations.append((path, lineno))
        else:
            cat.add(msgid, locations=[(path, lineno)])
    return cat


def read_catalogue(path: Path):
    from babel.messages.pofile import read_po
    with path.open("rb") as f:
        return read_po(f, locale=LANG)


def write_catalogue(cat, path: Path) -> None:
    from babel.messages.pofile import write_po
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, cat, width=0, sort_output=False, include_previous=True, omit_header=False)


def all_templates() -> dict[Path, list[tuple[str, str]]]:
    """Catalogue path -> [(msgid, location)] for every document and the extras."""
    out: dict[Path, list[tuple[str, str]]] = {}
    for doc in source_documents():
        out[catalogue_path(doc)] = [(u.text, loc) for u, loc in document_units(doc)]
    for name, texts in extra_units().items():
        out[CATALOGUES / (Path(name).stem + ".po")] = [(t, f"{name}:0") for t in texts]
    return out


def update() -> None:
    """Merge the current English units into every catalogue (new ones empty, changed ones fuzzy)."""
    templates = all_templates()
    for path, entries in templates.items():
        template = _catalogue_template(path.relative_to(CATALOGUES).with_suffix("").as_posix(), entries)
        if path.exists():
            cat = read_catalogue(path)
            cat.update(template, no_fuzzy_matching=False, update_header_comment=False)
        else:
            cat = template
        write_catalogue(cat, path)
    for stale in CATALOGUES.rglob("*.po"):
        if stale not in templates:
            print(f"{stale.relative_to(ROOT)}: no English source any more; delete it once reviewed")
    write_notebooks()


@dataclass
class Status:
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def status() -> dict[Path, Status]:
    """What each catalogue still needs: untranslated, fuzzy and obsolete entries, broken markup."""
    out = {}
    templates = all_templates()
    for path, entries in templates.items():
        st = Status()
        if not path.exists():
            st.untranslated = [m for m, _ in entries]
            out[path] = st
            continue
        cat = read_catalogue(path)
        wanted = {m for m, _ in entries}
        for msgid in wanted:
            msg = cat.get(msgid)
            if msg is None or not msg.string:
                st.untranslated.append(msgid)
            elif msg.fuzzy:
                st.fuzzy.append(msgid)
            else:
                st.problems += [f"{p}: {msgid[:60]!r}" for p in markup_problems(msgid, msg.string)]
        st.obsolete = [m.id for m in cat if m.id and m.id not in wanted] + list(cat.obsolete)
        out[path] = st
    return out


# ----------------------------------------------------------------------------- what must survive
# Roles and inline code read left to right, so `{name}` in code is code and `a`{eq}`b` is code + role.
_TOKEN = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<body>[^`]*)`|`(?P<code>[^`]+)`")
_MATH = re.compile(r"(?<!\$)\$([^$]+)\$(?!\$)")   # inline math may wrap a line
_URL = re.compile(r"\]\(([^)]*)\)")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*")   # Japanese may touch a number


def _roles(text: str) -> list[tuple[str, str]]:
    return [(m["role"], m["body"]) for m in _TOKEN.finditer(text) if m["role"]]


def _codes(text: str) -> list[str]:
    return [m["code"] for m in _TOKEN.finditer(text) if m["code"] is not None]


def _strip_tokens(text: str) -> str:
    return _TOKEN.sub(" ", text)


def _role_targets(text: str) -> list[str]:
    out = []
    for role, body in _roles(text):
        m = re.search(r"<([^>]*)>\s*$", body)
        target = m.group(1) if m and role not in ("cite", "cite:t", "cite:p", "math") else body
        out.append(f"{role}:{target.strip()}")
    return sorted(out)


def _literal_stars(text: str) -> int:
    """How many '*' a reader would see: Markdown emphasis that did not open or close."""
    from markdown_it import MarkdownIt

    plain = _MATH.sub(" ", _strip_tokens(text))
    html = MarkdownIt("commonmark").render(plain)
    return re.sub(r"<[^>]+>", "", html).count("*")


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """Differences that would break the page: roles, code, math, links and numbers must survive."""
    problems = []
    if _role_targets(msgid) != _role_targets(msgstr):
        problems.append(f"roles differ: {_role_targets(msgid)} vs {_role_targets(msgstr)}")
    a, b = sorted(" ".join(c.split()) for c in _codes(msgid)), sorted(" ".join(c.split()) for c in _codes(msgstr))
    if a != b:
        problems.append(f"inline code differ: {a} vs {b}")
    for name, pattern in (("math", _MATH), ("links", _URL)):
        a = sorted(" ".join(m.split()) for m in pattern.findall(_strip_tokens(msgid)))   # a line may wrap inside
        b = sorted(" ".join(m.split()) for m in pattern.findall(_strip_tokens(msgstr)))
        if a != b:
            problems.append(f"{name} differ: {a} vs {b}")
    plain = lambda s: _URL.sub(" ", _MATH.sub(" ", _strip_tokens(s)))  # noqa: E731
    missing = set(_NUMBER.findall(plain(msgid))) - set(_NUMBER.findall(plain(msgstr)))
    if missing:
        problems.append(f"numbers missing from the translation: {sorted(missing)}")
    if _literal_stars(msgstr) > _literal_stars(msgid):
        problems.append("emphasis shown as literal '*': Markdown does not close ** after full-width "
                        "punctuation followed by a letter; write **隠れ状態**（hidden state）, not "
                        "**隠れ状態（hidden state）**の")
    for marker in ("**", "$$", "```"):
        if msgid.count(marker) != msgstr.count(marker):
            problems.append(f"{marker!r} appears {msgid.count(marker)}× in English, {msgstr.count(marker)}× in Japanese")
    return problems


# ----------------------------------------------------------------------------- building sources
def translator_for(path: Path):
    """msgid -> msgstr, falling back to English where there is no finished translation."""
    table = {}
    if path.exists():
        for msg in read_catalogue(path):
            if msg.id and msg.string and not msg.fuzzy:
                table[msg.id] = msg.string
    return lambda text: table.get(text, text)


def translate_markdown(text: str, translate) -> str:
    cut = cut_markdown(text)
    return cut.join(translate)


def japanese_notebook(doc: Path) -> dict:
    """The English notebook with its markdown translated; code cells and their metadata untouched."""
    nb = json.loads(doc.read_text(encoding="utf-8"))
    translate = translator_for(catalogue_path(doc))
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if cell["cell_type"] == "markdown":
            src = _cell_source(cell)
            new = translate_markdown(src, translate)
            cell["source"] = new.splitlines(keepends=True) if isinstance(nb["cells"][0]["source"], list) else new
    out["metadata"].setdefault("rnn_course", {})["language"] = LANG
    return out


def notebook_text(nb: dict) -> str:
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"   # as nbformat writes


def japanese_notebook_path(doc: Path) -> Path:
    return NOTEBOOKS_OUT / doc.relative_to(ROOT)


def write_notebooks() -> None:
    for doc in source_documents():
        if doc.suffix == ".ipynb":
            target = japanese_notebook_path(doc)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(notebook_text(japanese_notebook(doc)), encoding="utf-8")


def write_sources(out: Path) -> None:
    """The Japanese book's source tree: translated pages, the ja/ notebooks, config and figures."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("references.bib", "_ext", "_static", "_templates"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, out / name, dirs_exist_ok=True)
        else:
            shutil.copy2(src, out / name)
    for figures in ROOT.glob("chapters/**/figures"):
        shutil.copytree(figures, out / figures.relative_to(ROOT), dirs_exist_ok=True)
    for doc in source_documents():
        target = out / doc.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        if doc.suffix == ".md":
            text = translate_markdown(doc.read_text(encoding="utf-8"), translator_for(catalogue_path(doc)))
        else:
            text = notebook_text(japanese_notebook(doc))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")   # unchanged files keep their time stamps
    toc = translator_for(CATALOGUES / "_toc.po")
    toc_text = re.sub(r"^(\s*-\s*caption:\s*)(.+?)\s*$", lambda m: m.group(1) + toc(m.group(2)),
                      (ROOT / "_toc.yml").read_text(encoding="utf-8"), flags=re.M)
    (out / "_toc.yml").write_text(toc_text, encoding="utf-8")
    (out / "_config.yml").write_text(japanese_config(), encoding="utf-8")


def japanese_config() -> str:
    """_config.yml of the Japanese edition: same book, Japanese language, the English cache."""
    import yaml
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = translator_for(CATALOGUES / "_config.po")(config["title"])
    config["execute"]["cache"] = str(ROOT / "_build" / ".jupyter_cache")
    config["repository"]["path_to_book"] = LANG
    sphinx = config["sphinx"]["config"]
    sphinx["language"] = LANG
    sphinx["numfig_format"] = {"figure": "図 %s", "table": "表 %s", "code-block": "リスト %s"}
    sphinx["edition"] = LANG
    return "# Generated by _ext/translations.py from the English _config.yml: do not edit.\n" + \
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


# ----------------------------------------------------------------------------- for translators
def export_todo(path: Path) -> list[dict]:
    """The entries of one catalogue that need work, as JSON-friendly dicts (English, old Japanese)."""
    cat = read_catalogue(path)
    return [{"en": m.id, "ja": m.string if m.fuzzy else "", "fuzzy": m.fuzzy}
            for m in cat if m.id and (not m.string or m.fuzzy)]


def import_done(path: Path, done: list[dict]) -> list[str]:
    """Write translations ({"en": ..., "ja": ...}) into a catalogue; return the markup problems."""
    cat = read_catalogue(path)
    problems = []
    for item in done:
        msg = cat.get(item["en"])
        if msg is None:
            problems.append(f"not in {path.name}: {item['en'][:60]!r}")
            continue
        if not item.get("ja"):
            continue
        msg.string = item["ja"]
        msg.flags.discard("fuzzy")
        msg.previous_id = []
        problems += [f"{p} in {item['en'][:50]!r}" for p in markup_problems(msg.id, msg.string)]
    write_catalogue(cat, path)
    return problems


# ----------------------------------------------------------------------------- command line
def print_status(report: dict[Path, Status]) -> int:
    todo = 0
    for path, st in report.items():
        n = len(st.untranslated) + len(st.fuzzy) + len(st.obsolete) + len(st.problems)
        if n:
            todo += n
            print(f"{path.relative_to(ROOT)}: {len(st.untranslated)} untranslated, {len(st.fuzzy)} fuzzy, "
                  f"{len(st.obsolete)} obsolete, {len(st.problems)} with broken markup")
            for p in st.problems[:5]:
                print("   ", p)
    print("Every unit is translated." if not todo else f"{todo} entries need work (edit the .po files above).")
    return 1 if todo else 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "export" and len(argv) == 2:
        print(json.dumps(export_todo(Path(argv[1])), ensure_ascii=False, indent=1))
        return 0
    if argv and argv[0] == "import" and len(argv) == 3:
        problems = import_done(Path(argv[1]), json.loads(Path(argv[2]).read_text(encoding="utf-8")))
        print("\n".join(problems) or "imported; no markup problems")
        return 1 if problems else 0
    if not argv or argv[0] not in ("update", "status", "sources"):
        print(__doc__)
        return 2
    if argv[0] == "update":
        update()
        return print_status(status()) and 0
    if argv[0] == "status":
        return print_status(status())
    if len(argv) != 2:
        print("usage: python _ext/translations.py sources DIR")
        return 2
    write_sources(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
