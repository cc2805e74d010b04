"""The instructor command line: ``python -m rnn_course.instructor`` (or ``rnn-course``).

Subcommands:
    clean NOTEBOOK...                 strip outputs, execution counts and run metadata before
                                      committing, keeping the outputs of cells tagged
                                      ``nbval-check-output`` (nbval compares against them).
    student NOTEBOOK... --out DIR     write student notebooks: solutions removed, solution code
                                      replaced by ``NotImplementedError`` stubs, checks kept.
    grade SUBMISSION... [--out CSV]   execute submitted notebooks and tabulate their check lines.

The exercise pattern these commands rely on is described in ``CONTRIBUTING.md``: a
``{solution-start} ex-...`` markdown cell, solution code cells tagged ``solution`` (the code
between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines is the answer), optional markdown
explanations, a ``{solution-end}`` markdown cell, then a check cell that prints
``✅ check_...: passed`` or ``❌ check_...: <hint>`` (see :mod:`rnn_course.checks`).
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CHECK_TAG = "nbval-check-output"  # nbval compares these cells' outputs
SOLUTION_TAG = "solution"
HIDDEN_TAG = "remove-cell"
BEGIN_MARK = "# BEGIN SOLUTION"
END_MARK = "# END SOLUTION"

_FENCE = r"^[ \t]*(?:`{3,}|:{3,})[ \t]*"
_EXERCISE_RE = re.compile(_FENCE + r"\{exercise(?:-start)?\}", re.MULTILINE)
_EXERCISE_LABEL_RE = re.compile(r"^[ \t]*:label:[ \t]*(\S+)", re.MULTILINE)
_SOLUTION_START_RE = re.compile(_FENCE + r"\{solution-start\}[ \t]*(\S*)", re.MULTILINE)
_SOLUTION_END_RE = re.compile(_FENCE + r"\{solution-end\}", re.MULTILINE)
_SOLUTION_RE = re.compile(_FENCE + r"\{solution\}[ \t]*(\S*)", re.MULTILINE)  # non-gated solution
_BEGIN_RE = re.compile(r"^([ \t]*)#[ \t]*BEGIN SOLUTION[ \t]*$")
_END_RE = re.compile(r"^[ \t]*#[ \t]*END SOLUTION[ \t]*$")
_CHECK_LINE_RE = re.compile(r"^[ \t]*(✅|❌)[ \t]+([A-Za-z_][\w.]*):")
_CHECK_CALL_RE = re.compile(r"(?<![\w.])(check_\w+)\s*\(")

STUDENT_HEADER = """\
> **Student version** of `{name}`, made with `rnn-course student`. The solutions are removed:
> in each exercise cell, replace the `raise NotImplementedError(...)` line (or the `= None` stub) with your code.
> Run the check cell after each exercise: it prints ✅ when your answer is right and ❌ with a hint when not."""


class InstructorError(ValueError):
    """A notebook does not follow the exercise pattern of CONTRIBUTING.md."""


# --------------------------------------------------------------------------- clean


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs except on cells tagged ``nbval-check-output``; renumber execution counts.

    Checked cells keep their outputs and get execution counts 1, 2, ... (nbval refuses a
    reference cell that has outputs but no execution count); all other counts are cleared.
    """
    checked = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECK_TAG in cell.metadata.get("tags", []):
            checked += 1
            cell.execution_count = checked
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = checked
        else:
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    return nb


def _clean(args: argparse.Namespace) -> int:
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(clean_notebook(nb), path)
        print(f"cleaned {path}")
    return 0


# --------------------------------------------------------------------------- student


def _not_implemented(label: str) -> str:
    return f'raise NotImplementedError("Exercise {label}: your code here")'


def _strip_magics(source: str) -> str:
    """Blank out IPython magics and shell lines so that ``ast`` can parse the rest."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _assigned_names(stmts: list[ast.stmt]) -> list[str]:
    """Names bound by these statements at their own scope (not inside defs, classes, lambdas)."""
    names: list[str] = []
    todo: list[ast.AST] = list(stmts)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                             ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                             ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in names:
            names.append(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _stub_def(node: ast.FunctionDef | ast.AsyncFunctionDef, label: str, indent: str) -> list[str]:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return [f"{indent}{prefix} {node.name}({ast.unparse(node.args)}){returns}:",
            f"{indent}    {_not_implemented(label)}"]


def _stub_statements(code: str, label: str, indent: str = "") -> list[str]:
    """Stub lines that define what ``code`` defines, with none of its logic.

    Each ``def`` keeps its signature and raises ``NotImplementedError``; each class keeps its
    bases and method signatures; imports are kept; every other name the code binds is set to
    ``None``. Comments, docstrings and all other statements are dropped.
    """
    try:
        tree = ast.parse(_strip_magics(code))
    except SyntaxError:
        return []
    lines: list[str] = []
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.append(indent + ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += ([""] if lines and not indent else []) + _stub_def(node, label, indent)
            defined.add(node.name)
        elif isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
            lines += [""] if lines and not indent else []
            lines.append(f"{indent}class {node.name}({', '.join(bases)}):" if bases else f"{indent}class {node.name}:")
            methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for m in methods:
                lines += _stub_def(m, label, indent + "    ")
            if not methods:
                lines.append(f"{indent}    pass")
            defined.add(node.name)
    for name in _assigned_names(tree.body):
        if name not in defined:
            lines.append(f"{indent}{name} = None  # TODO: your answer")
    return lines


def _enclosing_function_lines(source: str) -> list[tuple[int, int]]:
    """1-based (first, last) line ranges of every function body in ``source``."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return []
    return [(n.lineno, n.end_lineno or n.lineno) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def stub_solution_source(source: str, label: str) -> str:
    """The student version of one solution cell.

    With markers, each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region (markers included)
    becomes ``raise NotImplementedError(...)`` at the marker's indentation when the region is
    inside a function body (so the cell still defines the function and the check reports
    "not implemented yet"); a region outside any function becomes stub definitions of the
    names it binds (``name = None``), so running the cell never fails. Without markers, the
    whole cell becomes stub definitions (see :func:`_stub_statements`).
    """
    lines = source.splitlines()
    begins = [i for i, line in enumerate(lines) if _BEGIN_RE.match(line)]
    ends = [i for i, line in enumerate(lines) if _END_RE.match(line)]
    header = f"# Exercise {label}: write your code here."
    if not begins and not ends:
        return "\n".join([header, *_stub_statements(source, label)])
    functions = _enclosing_function_lines(source)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _END_RE.match(lines[i]):
            raise InstructorError(f"'{END_MARK}' on line {i + 1} has no '{BEGIN_MARK}' before it")
        m = _BEGIN_RE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not _END_RE.match(lines[j]):
            if _BEGIN_RE.match(lines[j]):
                raise InstructorError(f"'{BEGIN_MARK}' on line {i + 1} is not closed before the next one on line {j + 1}")
            j += 1
        if j == len(lines):
            raise InstructorError(f"'{BEGIN_MARK}' on line {i + 1} has no '{END_MARK}' after it")
        indent = m.group(1)
        if any(first < i + 1 <= last for first, last in functions):
            out.append(indent + _not_implemented(label))
        else:
            body = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip()
                             for line in lines[i + 1:j])
            out.append(f"{indent}# Exercise {label}: write your code here.")
            stubs = _stub_statements(body, label, indent)
            out += stubs if stubs or not indent else [indent + "pass"]
        i = j + 1
    return "\n".join(out)


@dataclass
class StudentReport:
    """What :func:`make_student_notebook` did, for the command's summary line."""

    stubbed: list[str] = field(default_factory=list)   # exercise labels whose code was stubbed
    removed_markdown: int = 0                          # solution-start/end and explanations
    removed_hidden: int = 0                            # remove-cell cells after the exercises begin


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def make_student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> tuple[nbformat.NotebookNode, StudentReport]:
    """Return the student version of an instructor notebook (the input is not modified).

    Rules (CONTRIBUTING.md, "Exercise pattern"):
    - markdown cells from ``{solution-start}`` to ``{solution-end}`` (both included) and
      non-gated ``{solution}`` cells are removed;
    - code cells tagged ``solution``, and any code cell inside a solution block, are stubbed
      with :func:`stub_solution_source`;
    - hidden ``remove-cell`` code cells that come after the first ``{exercise}`` are removed:
      there they assert that the reference solutions work, which stubs cannot; the hidden
      assertions of the lab itself (before the exercises) are kept;
    - exercise text and check cells are kept; all outputs and execution counts are cleared;
      a note saying this is the student version goes first (after the title, if any).
    """
    if nb.metadata.get("rnn_course", {}).get("student_version"):
        raise InstructorError(f"{name} is already a student version; run the command on the instructor notebook")
    report = StudentReport()
    cells: list[nbformat.NotebookNode] = []
    block: str | None = None           # label of the open solution block
    block_cell = -1
    last_exercise = "exercise"        # label used for a solution cell outside a block
    exercises_started = False
    for index, original in enumerate(nb.cells):
        cell = copy.deepcopy(original)
        where = f"{name}, cell {index}"
        if cell.cell_type == "markdown":
            text = cell.source
            start, end = _SOLUTION_START_RE.search(text), _SOLUTION_END_RE.search(text)
            if _EXERCISE_RE.search(text):
                exercises_started = True
                label = _EXERCISE_LABEL_RE.search(text)
                last_exercise = label.group(1) if label else last_exercise
            if start:
                if block is not None:
                    raise InstructorError(f"{where}: solution-start of {start.group(1) or '?'} inside the "
                                          f"unclosed solution block {block} (opened in cell {block_cell})")
                if end and end.start() > start.start():
                    raise InstructorError(f"{where}: put solution-start and solution-end in separate cells "
                                          "with the solution code cells between them")
                block, block_cell = start.group(1) or last_exercise, index
                exercises_started = True
                report.removed_markdown += 1
                continue
            if end:
                if block is None:
                    raise InstructorError(f"{where}: solution-end without a solution-start before it")
                block = None
                report.removed_markdown += 1
                continue
            if block is not None or _SOLUTION_RE.search(text) or SOLUTION_TAG in _tags(cell):
                report.removed_markdown += 1
                continue
            cells.append(cell)
            continue
        if cell.cell_type == "code":
            tags = _tags(cell)
            if SOLUTION_TAG in tags or block is not None:
                label = block or last_exercise
                if SOLUTION_TAG not in tags and _CHECK_CALL_RE.search(cell.source):
                    raise InstructorError(f"{where}: a check call inside the solution block {label} would be "
                                          "removed; move the check cell after the solution-end cell")
                try:
                    cell.source = stub_solution_source(cell.source, label)
                except InstructorError as e:
                    raise InstructorError(f"{where}: {e}") from None
                report.stubbed.append(label)
                if SOLUTION_TAG not in tags:  # mark every stub, so tools and tests can find them
                    cell.metadata["tags"] = [*tags, SOLUTION_TAG]
                exercises_started = True
            elif HIDDEN_TAG in tags and exercises_started:
                report.removed_hidden += 1
                continue
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        if cell.cell_type == "raw" and block is not None:
            continue
        cells.append(cell)
    if block is not None:
        raise InstructorError(f"{name}: the solution block {block} opened in cell {block_cell} has no solution-end")
    student = copy.deepcopy(nb)
    header = nbformat.v4.new_markdown_cell(STUDENT_HEADER.format(name=name))
    if student.get("nbformat_minor", 5) < 5:
        header.pop("id", None)
    has_title = bool(cells) and cells[0].cell_type == "markdown" and cells[0].source.lstrip().startswith("# ")
    student.cells = [cells[0], header, *cells[1:]] if has_title else [header, *cells]
    student.metadata.pop("widgets", None)
    student.metadata["rnn_course"] = {"student_version": True, "source": name}
    return student, report


def _student(args: argparse.Namespace) -> int:
    out_dir: Path = args.out
    names = [p.name for p in args.notebooks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        print(f"error: several notebooks are named {duplicates}; run the command once per folder", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        target = out_dir / path.name
        if target.resolve() == path.resolve():
            print(f"error: {target} would overwrite the instructor notebook; choose another --out", file=sys.stderr)
            return 2
        try:
            student, report = make_student_notebook(nbformat.read(path, as_version=4), path.name)
        except InstructorError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        nbformat.write(student, target)
        print(f"{path} -> {target}: {len(report.stubbed)} solution cell(s) stubbed, "
              f"{report.removed_markdown} solution markdown cell(s) and "
              f"{report.removed_hidden} hidden exercise assertion(s) removed")
    return 0


# --------------------------------------------------------------------------- grade


def check_lines(nb: nbformat.NotebookNode) -> dict[str, bool]:
    """Check name -> passed, read from the outputs of an executed notebook.

    A check may print its line and also show its result as the cell's value; when a check
    appears several times, the last occurrence counts.
    """
    results: dict[str, bool] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
            elif out.get("output_type") in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain", "")
            else:
                continue
            text = "".join(text) if isinstance(text, list) else text
            for line in text.splitlines():
                m = _CHECK_LINE_RE.match(line)
                if m:
                    results.pop(m.group(2), None)  # keep the order of the last occurrence
                    results[m.group(2)] = m.group(1) == "✅"
    return results


def expected_checks(nb: nbformat.NotebookNode) -> list[str]:
    """Names of the checks a notebook calls (``check_...(`` in its code cells), in order."""
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith(("def ", "async def ", "import ", "from ", "#")):
                continue
            for name in _CHECK_CALL_RE.findall(line):
                if name not in names:
                    names.append(name)
    return names


async def _execute(path: Path, timeout: int) -> tuple[nbformat.NotebookNode | None, str]:
    from nbclient import NotebookClient

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # not a notebook: report it, do not stop grading the class
        return None, f"could not read notebook: {type(e).__name__}: {e}"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        await client.async_execute()
    except Exception as e:  # the kernel died or could not start
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return None, f"execution failed: {type(e).__name__}: {first}"
    return nb, ""


async def _execute_all(paths: list[Path], timeout: int, jobs: int) -> list[tuple[nbformat.NotebookNode | None, str]]:
    import asyncio

    gate = asyncio.Semaphore(max(1, jobs))

    async def one(path: Path):
        async with gate:
            return await _execute(path, timeout)

    return list(await asyncio.gather(*(one(p) for p in paths)))


def execute_notebook(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode | None, str]:
    """Run a notebook top to bottom in its own folder; return (executed notebook, error note).

    Cells that raise do not stop the run (``allow_errors``); a cell running longer than
    ``timeout`` seconds is interrupted and the run goes on. The note is empty unless the
    notebook could not be read or the kernel failed, in which case the notebook is None.
    """
    from nbclient.util import run_sync

    return run_sync(_execute_all)([Path(path)], timeout, 1)[0]


def grade_notebooks(paths: list[Path], timeout: int = 600, expected: list[str] | None = None,
                    executed_dir: Path | None = None, jobs: int = 1):
    """Execute each notebook (``jobs`` at a time) and return a pandas DataFrame of check results.

    One row per notebook (its file name; ``folder/name`` when names repeat), one 0/1 column
    per check (the ``expected`` ones first, then any other check seen), then ``total``,
    ``max``, ``percent`` and ``error`` (empty when the notebook ran; a notebook that could
    not be read or whose kernel failed scores 0 everywhere).
    """
    import pandas as pd
    from nbclient.util import run_sync

    paths = [Path(p) for p in paths]
    names = [p.name for p in paths]
    labels = [p.name if names.count(p.name) == 1 else f"{p.parent.name}/{p.name}" for p in paths]
    runs = run_sync(_execute_all)(paths, timeout, jobs)
    columns: list[str] = list(expected or [])
    results: list[dict[str, bool]] = []
    for label, (nb, _) in zip(labels, runs):
        found = check_lines(nb) if nb is not None else {}
        if nb is not None and executed_dir is not None:
            executed_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, executed_dir / label.replace("/", "__"))
        columns += [c for c in found if c not in columns]
        results.append(found)
    table = pd.DataFrame([[int(found.get(c, False)) for c in columns] for found in results],
                         index=pd.Index(labels, name="notebook"), columns=columns, dtype=int)
    table["total"] = table[columns].sum(axis=1).astype(int)
    table["max"] = len(columns)
    table["percent"] = (100.0 * table["total"] / len(columns)).round(1) if columns else 0.0
    table["error"] = [note for _, note in runs]
    return table


def _grade(args: argparse.Namespace) -> int:
    import pandas as pd

    expected = expected_checks(nbformat.read(args.expected, as_version=4)) if args.expected else None
    table = grade_notebooks(args.submissions, timeout=args.timeout, expected=expected,
                            executed_dir=args.executed, jobs=args.jobs)
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(table.to_string())
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out)
        print(f"wrote {args.out}")
    return 0


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnn-course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("clean", help="strip outputs before committing a notebook")
    p.add_argument("notebooks", nargs="+", type=Path)
    p.set_defaults(run=_clean)

    p = sub.add_parser("student", help="write student notebooks (solutions replaced by stubs)")
    p.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="folder for the student notebooks (same file names)")
    p.set_defaults(run=_student)

    p = sub.add_parser("grade", help="execute submitted notebooks and tabulate their checks")
    p.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION")
    p.add_argument("--out", type=Path, default=None, metavar="CSV", help="also write the table as CSV")
    p.add_argument("--timeout", type=int, default=600, metavar="S",
                   help="seconds a single cell may run before it is interrupted (default 600)")
    p.add_argument("--expected", type=Path, default=None, metavar="NOTEBOOK",
                   help="notebook whose check calls define the columns (e.g. the student version), "
                        "so a deleted check cell scores 0 instead of vanishing")
    p.add_argument("--executed", type=Path, default=None, metavar="DIR",
                   help="also save the executed notebooks here (to return to students)")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="notebooks to execute at the same time (default 1)")
    p.set_defaults(run=_grade)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
