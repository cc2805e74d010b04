"""The Japanese edition stays in step with the English one.

- Cutting a source into units and putting it back together gives the source, byte for byte.
- Every unit of every page and notebook has a finished Japanese translation: none missing,
  fuzzy (its English changed since) or obsolete, and none that broke a role, inline code,
  math, a link, a number or the bold markers.
- The Japanese notebooks in ``ja/`` are what the catalogues make of the English ones, their
  code cells are the English code cells, and jupyter-cache gives both the same hash (one
  execution serves both editions).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import translations as tr  # noqa: E402

DOCS = tr.source_documents()
NOTEBOOKS = [d for d in DOCS if d.suffix == ".ipynb"]


def _ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_cutting_a_source_loses_nothing(doc):
    if doc.suffix == ".md":
        text = doc.read_text(encoding="utf-8")
        assert tr.translate_markdown(text, lambda s: s) == text
    else:
        for k, cell in enumerate(json.loads(doc.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                assert tr.translate_markdown(text, lambda s: s) == text, f"cell {k + 1}"


def test_units_are_prose_not_code_or_math():
    cut = tr.cut_markdown(
        "(sec-x)=\n# A title\n\nSome **bold** text with $h_t$.\n\n$$\nh_t = W x_t\n$$ (eq-x)\n\n"
        "```python\nprint('no')\n```\n\n```{exercise} One step\n:label: ex-a\n:class: dropdown\n\nDo it.\n```\n\n"
        "```{figure} figures/a.svg\n:name: fig-a\n:alt: An arrow from x to h\n\nThe caption.\n```\n\n"
        "| name | value |\n|---|---|\n| one | 2 |\n")
    units = [(u.prefix, u.text) for u in cut.units()]
    assert units == [("# ", "A title"), ("", "Some **bold** text with $h_t$."), ("```{exercise} ", "One step"),
                     ("", "Do it."), (":alt: ", "An arrow from x to h"), ("", "The caption."),
                     ("", "| name | value |"), ("", "| one | 2 |")]
    assert "print('no')" not in json.dumps(units) and "h_t = W x_t" not in json.dumps(units)


def test_translation_keeps_the_structure_around_a_unit():
    text = "```{exercise} One step\n:label: ex-a\n\nDo it.\n```\n"
    out = tr.translate_markdown(text, {"One step": "1ステップ", "Do it.": "実装せよ。"}.get)
    assert out == "```{exercise} 1ステップ\n:label: ex-a\n\n実装せよ。\n```\n"


@pytest.mark.parametrize("msgid, msgstr, problem", [
    ("See {ref}`sec-a` and `x`.", "{ref}`sec-b`と`x`を見よ。", "roles differ"),
    ("Call `fit(x)` now.", "今`fit()`を呼ぶ。", "inline code differ"),
    ("With $h_t$ here.", "ここで$h_{t}$を使う。", "math differ"),
    ("It took 12.5 s on 2 cores.", "2コアで12秒かかった。", "numbers missing"),
    ("A **hidden state** here.", "ここで**隠れ状態を使う。", "'**' appears"),
])
def test_markup_problems_are_caught(msgid, msgstr, problem):
    assert any(p.startswith(problem) for p in tr.markup_problems(msgid, msgstr)), tr.markup_problems(msgid, msgstr)


def test_a_term_may_get_japanese_display_text():
    assert tr.markup_problems("The {term}`hidden state` is ...", "{term}`隠れ状態 <hidden state>`は……") == []


def test_every_unit_has_a_finished_translation():
    report = tr.status()
    todo = {p.relative_to(ROOT).as_posix(): s for p, s in report.items()
            if s.untranslated or s.fuzzy or s.obsolete or s.problems}
    lines = [f"{name}: {len(s.untranslated)} untranslated, {len(s.fuzzy)} fuzzy, {len(s.obsolete)} obsolete, "
             f"{len(s.problems)} broken {s.problems[:2]}" for name, s in todo.items()]
    assert not todo, ("The Japanese edition is behind the English one. Run "
                      "`python _ext/translations.py update`, translate what it lists, see CONTRIBUTING.md.\n"
                      + "\n".join(lines))


def test_no_catalogue_without_an_english_source():
    wanted = set(tr.all_templates())
    assert {p for p in tr.CATALOGUES.rglob("*.po")} == wanted


@pytest.mark.parametrize("doc", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_japanese_notebook_is_generated_from_the_catalogue(doc):
    target = tr.japanese_notebook_path(doc)
    assert target.exists(), f"{target} is missing: run `python _ext/translations.py update`"
    assert target.read_text(encoding="utf-8") == tr.notebook_text(tr.japanese_notebook(doc)), (
        f"{target.relative_to(ROOT)} is out of date: run `python _ext/translations.py update`")


@pytest.mark.parametrize("doc", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_japanese_notebook_has_the_english_code_and_hash(doc):
    from jupyter_cache.cache.main import JupyterCacheBase

    en = nbformat.read(doc, as_version=4)
    ja = nbformat.read(tr.japanese_notebook_path(doc), as_version=4)
    assert [(c.cell_type, c.get("id")) for c in en.cells] == [(c.cell_type, c.get("id")) for c in ja.cells]
    code = lambda nb: [(c.source, c.metadata, c.get("outputs")) for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    assert code(en) == code(ja)
    cache = JupyterCacheBase.__new__(JupyterCacheBase)   # hashing needs no cache folder
    assert cache.create_hashed_notebook(en)[1] == cache.create_hashed_notebook(ja)[1]
    assert ja.metadata["rnn_course"]["language"] == "ja"
    if any(c.cell_type == "markdown" and tr.needs_translation(c.source) for c in en.cells):
        assert [c.source for c in en.cells if c.cell_type == "markdown"] != \
               [c.source for c in ja.cells if c.cell_type == "markdown"], "no markdown was translated"


def test_japanese_config_shares_the_english_execution(tmp_path):
    import yaml

    config = yaml.safe_load(tr.japanese_config())
    assert config["sphinx"]["config"]["language"] == "ja"
    assert Path(config["execute"]["cache"]) == ROOT / "_build" / ".jupyter_cache"
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["repository"]["path_to_book"] == "ja"   # Colab opens ja/chapters/... from the repository


def test_status_command_lists_what_needs_translating(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "_ext" / "translations.py"), "status"],
                         capture_output=True, text=True, cwd=ROOT)
    assert ("Every unit is translated." in out.stdout) == (out.returncode == 0), out.stdout[-2000:]


def test_bold_that_markdown_cannot_close_is_caught():
    # CommonMark does not close ** after "）" when a letter follows: the reader sees the stars.
    assert any("literal" in p for p in tr.markup_problems("The **hidden state (隠れ状態)** is", "**隠れ状態（hidden state）**は"))
    assert tr.markup_problems("The **hidden state (隠れ状態)** is", "**隠れ状態**（hidden state）は") == []


def test_code_next_to_a_role_and_a_directive_name_in_code():
    assert tr.markup_problems("PyTorch's `nn.GRU` {eq}`eq-a` keeps it.", "PyTorchの`nn.GRU`{eq}`eq-a`は保持する。") == []
    assert tr.markup_problems("the `{solution-start}` and `{solution-end}` cells", "`{solution-start}`と`{solution-end}`のセル") == []
    assert tr.markup_problems("the `{solution-start}` cell", "`{solution-end}`のセル")
