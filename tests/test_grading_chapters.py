"""The instructor's whole loop on every chapter notebook, executed for real.

For each ``chapters/*/*.ipynb`` with exercises (found at collection, so new chapters are
covered when they land): ``student`` makes the student version, then ONE ``grade`` run
executes, in parallel, the reference notebook, the untouched student notebook and a partly
solved student notebook exported from Colab (every other graded exercise solved, and the
outputs of the student's own run claiming that every check passed), plus a truncated file.
Each notebook therefore runs once per variant; a module-scoped fixture per chapter shares
the run among the tests below. Expected: the reference 100 % of its graded exercises, the
untouched notebook 0 with a hint per exercise and no traceback, the partial one exactly its
solved exercises, the truncated file an error row.
"""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from notebook_variants import colab_export, partly_solved, truncated
from rnn_course.instructor import Graded, ParsedNotebook, grade_submissions, grade_table, make_student_notebook, parse

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("*/*.ipynb")
                   if parse(nbformat.read(p, as_version=4)).exercises)
KINDS = ("reference", "student", "colab", "truncated")
JOBS = 2        # one notebook per core (each uses one thread); the third waits for a free one
TIMEOUT = 600   # seconds per cell, as the command's default


@dataclass
class Loop:
    parsed: ParsedNotebook           # the reference notebook's exercises
    solved: list[str]                # labels of the exercises solved in the partial submission
    results: dict[str, Graded]       # kind -> its grading
    seconds: float                   # wall time of the grade run


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.parent.name)
def loop(request, tmp_path_factory) -> Loop:
    path: Path = request.param
    reference = nbformat.read(path, as_version=4)
    parsed = parse(reference)
    student, _ = make_student_notebook(reference, path.name)
    solved = [e.label for e in parsed.exercises if e.graded][::2]
    stale = "".join(f"✅ {name}: passed — from the student's own run\n" for name in parsed.checks)
    folder = tmp_path_factory.mktemp(path.stem)
    files = {kind: folder / kind / path.name for kind in KINDS[1:]}
    for file in files.values():
        file.parent.mkdir()
    nbformat.write(student, files["student"])
    files["colab"].write_text(colab_export(partly_solved(student, reference, solved), stale_text=stale))
    files["truncated"].write_bytes(truncated(path))
    start = time.perf_counter()
    results = grade_submissions([path, *files.values()], timeout=TIMEOUT, jobs=JOBS)
    return Loop(parsed, solved, dict(zip(KINDS, results)), time.perf_counter() - start)


def _passed(graded: Graded) -> list[str]:
    return [name for name, line in graded.checks.items() if line.passed]


def test_reference_scores_every_graded_exercise(loop):
    ref = loop.results["reference"]
    assert loop.parsed.checks, "a chapter with exercises must have at least one auto-graded exercise"
    assert (ref.error, ref.notes) == ("", [])
    failed = {n: line.message for n, line in ref.checks.items() if not line.passed}
    assert not failed and sorted(ref.checks) == sorted(loop.parsed.checks), failed
    table = grade_table([ref], loop.parsed.checks)
    assert table["percent"].tolist() == [100.0]


def test_untouched_student_notebook_scores_zero_with_a_hint_per_exercise(loop):
    student = loop.results["student"]
    assert (student.error, student.notes) == ("", [])
    assert sorted(student.checks) == sorted(loop.parsed.checks)  # every check ran and said why
    assert _passed(student) == []
    for name, line in student.checks.items():
        assert "not implemented yet" in line.message or "is None" in line.message, (name, line.message)
    tracebacks = [(i, o.get("ename")) for i, c in enumerate(student.executed.cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
    assert tracebacks == []
    assert grade_table([student], loop.parsed.checks)["percent"].tolist() == [0.0]


def test_partly_solved_colab_export_scores_exactly_its_solved_exercises(loop):
    colab = loop.results["colab"]
    assert (colab.error, colab.notes) == ("", [])
    solved_checks = [n for e in loop.parsed.exercises if e.label in loop.solved for n in e.checks]
    assert sorted(_passed(colab)) == sorted(solved_checks)  # the stale ✅ lines of its outputs did not count
    assert sorted(colab.checks) == sorted(loop.parsed.checks)


def test_truncated_file_is_an_error_row_and_the_rest_is_graded(loop):
    bad = loop.results["truncated"]
    assert bad.error.startswith("not a readable notebook") and bad.checks == {}
    table = grade_table(list(loop.results.values()), loop.parsed.checks)
    assert table["total"].tolist()[-1] == 0 and table["error"].tolist()[-1] == bad.error
    assert table["total"].tolist()[0] == len(loop.parsed.checks)
    print(f"\ngrade run of 3 notebooks + 1 broken file: {loop.seconds:.0f} s wall")


# ------------------------------------------------------------------ static, nothing executed
def _defined_functions(nb: nbformat.NotebookNode, cells: list[int]) -> list[str]:
    names = []
    for i in cells:
        try:
            tree = ast.parse(nb.cells[i].source)
        except SyntaxError:
            continue
        names += [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_exercise_whose_solution_defines_a_function_has_a_check(path):
    nb = nbformat.read(path, as_version=4)
    unchecked = [(e.label, functions) for e in parse(nb).exercises
                 if (functions := _defined_functions(nb, e.solution_code))
                 and not e.graded and not e.experiment]
    assert unchecked == [], f"coding exercises without a check: {unchecked}"
