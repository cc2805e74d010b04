"""The instructor's loop on every chapter notebook, without executing the labs again.

Each lab is executed once per test run, by the book build (``_ext/execute_labs.py`` into the
jupyter-cache); what needs an executed lab reads that copy (``test_executed_labs.py``: the
reference notebook scores 100 %). Here, for each ``chapters/*/*.ipynb`` with exercises
(found at collection, so new chapters are covered when they land), ``make_student_notebook``
makes the student version and the exercise cells run in this process, without the lab:

- the untouched student version: its stubs (functions raising ``NotImplementedError``,
  ``name = None``) go through every check, which says "not implemented yet" or "is None",
  with no exception: 0 %, a hint per exercise, no crash;
- a partly solved version (every other graded exercise's stub replaced by the reference
  code, as ``notebook_variants.partly_solved`` does): exactly the solved checks pass, so the
  stubs line up with the solutions and no check passes on another exercise's answer;
- statically, no cell of the lab outside the exercises reads a name that only the solutions
  define, so the untouched student notebook runs from top to bottom (its exercise cells do
  not raise, as above).

Grading itself (a fresh kernel per submission, stale ✅ lines of a Colab export not counting,
a truncated file as an error row) is tested on a small fixture notebook in
``test_instructor.py``, and ONE real end-to-end loop (``rnn-course student``, then
``rnn-course grade`` on the reference, the untouched student notebook, a partly solved Colab
export and a truncated file) runs on the fastest lab, chapter 2's, below (marked
``executes_lab``). CONTRIBUTING.md lists what each removed execution proved and where.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import csv
import io
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebook_variants import colab_export, partly_solved, truncated
from rnn_course.instructor import CheckLine, check_lines, make_student_notebook, parse
from rnn_course.instructor.exercises import python_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("*/*.ipynb")
                   if parse(nbformat.read(p, as_version=4)).exercises)
END_TO_END = ROOT / "chapters" / "02_bptt" / "bptt_lab.ipynb"  # the fastest lab with graded exercises


# ------------------------------------------------------------------ reading cells with ast
def _tree(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(source))
    except SyntaxError:
        return None


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level (functions, classes, assignments, imports)."""
    tree, names = _tree(source), set()
    for node in tree.body if tree else []:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if not isinstance(node, ast.With) else
                       [i.optional_vars for i in node.items if i.optional_vars])
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def read_names(source: str) -> set[str]:
    tree = _tree(source)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} if tree else set()


def imports_of(nb: nbformat.NotebookNode) -> str:
    """Every top-level import statement of the notebook's code cells (cheap: no lab runs)."""
    lines = []
    for cell in nb.cells:
        tree = _tree(cell.source) if cell.cell_type == "code" else None
        lines += [ast.unparse(n) for n in (tree.body if tree else []) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


# ------------------------------------------------------------------ running the exercise cells
def exercise_cells(nb: nbformat.NotebookNode) -> list[int]:
    """The graded exercises' code cells that the checks read, and the check cells, in order.

    A solution may also apply the function to the lab's data (a cell that reads e.g. the test
    set); such a cell runs in the executed lab (the cached reference), not here.
    """
    parsed = parse(nb)
    wanted: list[int] = []
    for exercise in parsed.exercises:
        if not exercise.graded:
            continue
        read = set().union(*(read_names(nb.cells[i].source) for i in exercise.check_cells))
        code = [i for i, label in parsed.solution_cells.items()
                if label == exercise.label and nb.cells[i].cell_type == "code"]
        wanted += [i for i in code if defined_names(nb.cells[i].source) & read] + exercise.check_cells
    return sorted(wanted)


def run_exercises(nb: nbformat.NotebookNode) -> dict[str, CheckLine]:
    """Run the notebook's imports and its exercise cells here; what the checks printed."""
    namespace: dict = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(imports_of(nb), namespace)
        for i in exercise_cells(nb):
            exec(compile(python_source(nb.cells[i].source), f"<cell {i}>", "exec"), namespace)
    output = nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue())
    return check_lines(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[output])]))


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.parent.name + "/" + p.stem)
def chapter(request):
    reference = nbformat.read(request.param, as_version=4)
    student, _ = make_student_notebook(reference, request.param.name)
    return reference, parse(reference), student


def test_untouched_student_exercises_score_zero_with_a_hint_per_check(chapter):
    _, parsed, student = chapter
    assert parsed.checks, "a chapter with exercises must have at least one auto-graded exercise"
    lines = run_exercises(student)  # raises if a stub or a check crashes
    assert sorted(lines) == sorted(parsed.checks)  # every check ran and said why
    assert [name for name, line in lines.items() if line.passed] == []
    for name, line in lines.items():
        assert "not implemented yet" in line.message or "is None" in line.message, (name, line.message)


def test_partly_solved_student_notebook_passes_exactly_its_solved_checks(chapter):
    reference, parsed, student = chapter
    solved = [e.label for e in parsed.exercises if e.graded][::2]
    lines = run_exercises(partly_solved(student, reference, solved))
    solved_checks = [n for e in parsed.exercises if e.label in solved for n in e.checks]
    assert sorted(n for n, line in lines.items() if line.passed) == sorted(solved_checks), \
        {n: line.message for n, line in lines.items()}
    assert sorted(lines) == sorted(parsed.checks)


def reads_of_solution_only_names(nb: nbformat.NotebookNode) -> dict[int, list[str]]:
    """Cell index -> the names it reads that only solution or check cells define, for every
    code cell outside the exercises (in a student notebook those names are stubs)."""
    parsed = parse(nb)
    exercise = set(parsed.solution_cells) | set(parsed.check_cells)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    inside = set().union(*(defined_names(nb.cells[i].source) for i in code if i in exercise))
    outside = set().union(*(defined_names(nb.cells[i].source) for i in code if i not in exercise))
    only = inside - outside - set(dir(builtins))
    found = {i: sorted(read_names(nb.cells[i].source) & only) for i in code if i not in exercise}
    return {i: names for i, names in found.items() if names}


def test_the_student_notebook_runs_on_without_the_solutions(chapter):
    """No cell outside the exercises reads what only a solution defines (it would raise)."""
    assert reads_of_solution_only_names(chapter[2]) == {}


def test_the_scan_sees_definitions_and_reads():
    source = "import numpy as np\nfrom a import b as c\ndef f(x):\n    return g(x)\nclass K: pass\n" \
             "u, (v, w) = 1, (2, 3)\nfor i in range(2):\n    pass\nz: int = 3\nprint(y)\n"
    assert defined_names(source) == {"np", "c", "f", "K", "u", "v", "w", "i", "z"}
    assert {"g", "y", "print", "range"} <= read_names(source) and "u" not in read_names(source)


def test_a_lab_cell_that_reads_a_stub_is_found():
    cells = [nbformat.v4.new_code_cell("from rnn_course.checks.ch01 import check_rnn_step"),
             nbformat.v4.new_markdown_cell("```{exercise} E\n:label: ex-e\n\nWrite f.\n```"),
             nbformat.v4.new_markdown_cell("```{solution-start} ex-e\n:class: dropdown\n```"),
             nbformat.v4.new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION",
                                       metadata={"tags": ["solution"]}),
             nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
             nbformat.v4.new_code_cell("check_rnn_step(f);"),
             nbformat.v4.new_code_cell("print(f(3))")]  # the lab goes on using the answer
    nb = nbformat.v4.new_notebook(cells=cells)
    assert parse(nb).check_cells == {5: ["check_rnn_step"]}
    assert reads_of_solution_only_names(nb) == {6: ["f"]}
    nb.cells.insert(0, nbformat.v4.new_code_cell("def f(x):\n    return 2 * x"))  # the lab has its own f
    assert reads_of_solution_only_names(nb) == {}


# ------------------------------------------------------------------ one real loop, end to end
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnn_course.instructor", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


@pytest.mark.executes_lab
def test_end_to_end_student_and_grade_on_the_fastest_lab(tmp_path):
    """``rnn-course student`` then ``rnn-course grade`` on chapter 2's lab, for real: the
    reference 100 %, the untouched student notebook 0 with a hint per check and no traceback,
    a partly solved Colab export exactly its solved exercises (its stale ✅ lines do not
    count), a truncated file an error row."""
    reference = nbformat.read(END_TO_END, as_version=4)
    parsed = parse(reference)
    made = _cli("student", str(END_TO_END), "--out", str(tmp_path / "student"))
    assert made.returncode == 0, made.stderr
    student_path = tmp_path / "student" / END_TO_END.name
    student = nbformat.read(student_path, as_version=4)
    solved = [e.label for e in parsed.exercises if e.graded][::2]
    stale = "".join(f"✅ {name}: passed — from the student's own run\n" for name in parsed.checks)
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / END_TO_END.name).write_text(colab_export(partly_solved(student, reference, solved),
                                                                   stale_text=stale))
    (tmp_path / "truncated").mkdir()
    (tmp_path / "truncated" / END_TO_END.name).write_bytes(truncated(END_TO_END))
    files = [END_TO_END, student_path, tmp_path / "colab" / END_TO_END.name, tmp_path / "truncated" / END_TO_END.name]
    graded = _cli("grade", *map(str, files), "--jobs", "2", "--out", str(tmp_path / "grades.csv"),
                  "--executed", str(tmp_path / "executed"))
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    rows = list(csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8")))
    assert len(rows) == 4, rows
    ref, untouched, colab, broken = rows
    checks = parsed.checks
    assert float(ref["percent"]) == 100.0 and all(ref[c] == "1" for c in checks), ref
    assert float(untouched["percent"]) == 0.0 and all(untouched[c] == "0" for c in checks), untouched
    solved_checks = {n for e in parsed.exercises if e.label in solved for n in e.checks}
    assert {c for c in checks if colab[c] == "1"} == solved_checks, colab
    assert broken["total"] == "0" and broken["error"].startswith("not a readable notebook"), broken
    executed = list((tmp_path / "executed").rglob("*.ipynb"))
    student_runs = [nbformat.read(p, as_version=4) for p in executed if p.name.startswith("student")]
    assert len(student_runs) == 1, executed
    lines = check_lines(student_runs[0])
    assert sorted(lines) == sorted(checks) and not any(line.passed for line in lines.values())
    assert all("not implemented yet" in line.message or "is None" in line.message for line in lines.values())
    tracebacks = [o.get("ename") for c in student_runs[0].cells if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
    assert tracebacks == []


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
