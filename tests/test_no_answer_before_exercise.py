"""No student notebook shows an exercise's answer before the exercise.

For each exercise of each chapter notebook, the significant lines of its reference solution
(the code between ``# BEGIN SOLUTION`` and ``# END SOLUTION``, or the whole solution cell)
are compared, normalised (comments and spaces dropped), with what the student version shows
before the exercise: the source of every earlier cell, and the source of every package
function an earlier cell prints with ``inspect.getsource``. Nothing is executed.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

from rnn_course.instructor import make_student_notebook, parse
from rnn_course.instructor.exercises import python_source, solution_regions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("*/*.ipynb")
                   if parse(nbformat.read(p, as_version=4)).exercises)
MIN_CHARS = 12  # shorter lines (`return h, y`, `total = 0`) say nothing about the answer
# Lines every lab repeats (figures, seeds, clocks) give nothing away either.
BOILERPLATE = re.compile(r"^(fig|ax|plt)\b|^\w+\.(set|set_xlabel|set_ylabel|set_title|legend|axhline|show)\("
                         r"|^(seed_everything|torch\.manual_seed|np\.random\.seed)\(|=time\.\w+\(\)$")


def normalise(line: str) -> str:
    """The line without its comment and without spaces."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
                  if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = []
    if tokens:
        line = line.strip()[:tokens[0].start[1]]
    return re.sub(r"\s+", "", line)


def significant(source: str) -> list[str]:
    """Normalised lines of ``source`` that could give an answer away."""
    lines = [normalise(line) for line in source.splitlines()]
    return [line for line in lines if len(line) >= MIN_CHARS and not BOILERPLATE.search(line)
            and not line.startswith(("def", "import", "from", '"""', "@"))]


def solution_lines(nb: nbformat.NotebookNode, cells: list[int]) -> list[str]:
    found = []
    for i in cells:
        source = nb.cells[i].source
        regions = solution_regions(source)
        lines = source.splitlines()
        body = "\n".join("\n".join(lines[b + 1:e]) for b, e, _ in regions) if regions else source
        found += significant(body)
    return list(dict.fromkeys(found))


def printed_sources(source: str, namespace: dict[str, str]) -> list[str]:
    """The source of each package object the cell passes to ``inspect.getsource(...)``."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return []
    shown = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and ast.unparse(node.func) in ("inspect.getsource", "getsource")
                and node.args):
            name = ast.unparse(node.args[0])
            head, _, rest = name.partition(".")
            if head in namespace:
                obj = importlib.import_module(namespace[head].rsplit(":", 1)[0])
                for part in ([namespace[head].rsplit(":", 1)[1]] if ":" in namespace[head] else []) + \
                        ([p for p in rest.split(".") if p]):
                    obj = getattr(obj, part)
                shown.append(inspect.getsource(obj))
    return shown


def imported_names(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Name in the notebook -> ``module:attribute`` (or ``module``) for its imports."""
    names: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(python_source(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}:{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
    return names


def shown_before(student: nbformat.NotebookNode, index: int) -> set[str]:
    """Normalised lines of everything the student notebook shows above cell ``index``."""
    namespace = imported_names(student)
    texts = []
    for cell in student.cells[:index]:
        texts.append(cell.source)
        if cell.cell_type == "code":
            texts += printed_sources(cell.source, namespace)
    return {line for text in texts for line in significant(text)}


def leaks(path: Path) -> list[tuple[str, list[str]]]:
    """(exercise label, its solution lines shown before it) for every exercise with a leak."""
    nb = nbformat.read(path, as_version=4)
    student, _ = make_student_notebook(nb, path.name)
    found = []
    for exercise in parse(nb).exercises:
        answer = solution_lines(nb, exercise.solution_code)
        where = next(i for i, c in enumerate(student.cells) if c.source == nb.cells[exercise.cell].source)
        seen = [line for line in answer if line in shown_before(student, where)]
        if seen and (len(seen) >= 2 or len(seen) == len(answer)):
            found.append((exercise.label, seen))
    return found


def test_the_test_finds_a_printed_answer():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import inspect\nfrom rnn_course.recurrent.numpy_rnn import rnn_backward"),
        nbformat.v4.new_code_cell("print(inspect.getsource(rnn_backward))"),
        nbformat.v4.new_markdown_cell("```{exercise} Loop\n:label: ex-x\n\nWrite it.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-x\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell(
            "def my_backward(dh, cache):\n    # BEGIN SOLUTION\n"
            "    for t in reversed(range(len(cache))):  # backwards in time\n"
            "        dx[:, t], dh_future = g.dx, g.dh_prev\n    # END SOLUTION", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
    ])
    student, _ = make_student_notebook(nb, "x.ipynb")
    answer = solution_lines(nb, [4])
    assert answer == ["fortinreversed(range(len(cache))):", "dx[:,t],dh_future=g.dx,g.dh_prev"]
    assert set(answer) <= shown_before(student, 3)          # printed by the cell above
    student.cells[2].source = "print('nothing')"
    assert not set(answer) & shown_before(student, 3)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_answer_is_shown_before_its_exercise(path):
    found = leaks(path)
    assert found == [], (f"{path.name}: the student notebook shows these solution lines before their exercise "
                         f"(in a cell, or printed with inspect.getsource): {found}")
