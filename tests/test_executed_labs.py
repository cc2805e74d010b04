"""Checks that read the labs as the book build executed them (the jupyter-cache copy).

``make book`` / ``make test`` execute every notebook of the book once, into
``_build/.jupyter_cache`` (``_ext/execute_labs.py``), and the book is rendered from there.
These tests read that copy instead of running the labs again:

- every notebook of the book has an executed copy of its current source, with no error output
  (a hidden assertion that fails is a failed execution: the build stops before this);
- the reference notebook of every chapter scores 100 %: each check line (✅/❌) its exercise
  checks printed in the executed outputs says passed, and every check the notebook calls printed
  one; the grade table of that executed copy says 100.

Run after the book build (marker ``built_html``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from execute_labs import cache_folder, toc_notebooks  # noqa: E402

from rnn_course.instructor import Graded, check_lines, grade_table, parse  # noqa: E402

pytestmark = pytest.mark.built_html
NOTEBOOKS = toc_notebooks(ROOT)


def executed_copy(path: Path) -> nbformat.NotebookNode:
    """The executed notebook the cache holds for this source (outputs merged in)."""
    from jupyter_cache import get_cache

    folder = cache_folder(ROOT)
    assert folder.is_dir(), f"no {folder}: run `make book` (or `python _ext/execute_labs.py`) first"
    cache = get_cache(str(folder))
    source = nbformat.read(path, as_version=4)
    try:
        _, executed = cache.merge_match_into_notebook(source)
    except KeyError:
        pytest.fail(f"{path.relative_to(ROOT)} has no executed copy of its current source in {folder}: "
                    "run `make book` again", pytrace=False)
    return executed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_executed_copy_has_no_error(path):
    executed = executed_copy(path)
    errors = [(i, o.get("ename")) for i, c in enumerate(executed.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    code = [c for c in executed.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.get("execution_count") for c in code), "a code cell that did not run"


GRADED = [p for p in NOTEBOOKS if parse(nbformat.read(p, as_version=4)).checks]


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_reference_scores_every_graded_exercise(path):
    expected = parse(nbformat.read(path, as_version=4)).checks
    lines = check_lines(executed_copy(path))
    failed = {name: line.message for name, line in lines.items() if not line.passed}
    assert failed == {}
    assert sorted(lines) == sorted(expected), "checks that printed nothing: " + str(sorted(set(expected) - set(lines)))
    assert grade_table([Graded(path.name, checks=lines)], expected)["percent"].tolist() == [100.0]
