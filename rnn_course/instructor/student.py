"""``rnn-course student``: the student version of an instructor notebook.

Solutions are removed, solution code becomes a stub written for a person (the signature and
one instruction), checks are kept. The exercise pattern is read by :mod:`.exercises`.
"""
from __future__ import annotations

import ast
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..i18n import N_, _, notebook_language, using
from .exercises import (ANSWER_TAG, HIDDEN_TAG, SHOWS_ANSWER_TAG, SOLUTION_TAG, Exercise, parse, python_source,
                        solution_regions, tags)

STUDENT_HEADER = N_("""\
> **Student version** of `{name}`. The solutions are removed: where a cell says
> `raise NotImplementedError(...)` or "write your code here", write your answer.
> Then run the check cell below it: it prints ✅ when your answer is right and ❌ with a hint when not.""")
ANSWERS_NOTE = N_("> Questions answered in words have a cell marked ✍️ **Your answer**: write your answer there.")
LEFT_OUT = N_("*(A cell that prints the package's code is left out here: that code answers an exercise at the end "
              "of this notebook. Write your own first.)*")
ANSWER_PROMPT = N_("✍️ **Your answer** to {what} (double-click to edit; write below this line):")


def answer_cell(exercise: Exercise) -> nbformat.NotebookNode:
    """The markdown cell where a learner writes an answer in words: tagged ``answer`` and
    labelled with the exercise (``metadata.rnn_course.answer_to``), so ``grade`` collects it.
    Its first line starts with ✍️, which is how ``grade`` finds it where the tags were lost."""
    what = f'"{exercise.title}"' if exercise.title else exercise.label
    cell = nbformat.v4.new_markdown_cell(_(ANSWER_PROMPT).format(what=what) + "\n\n")
    cell.metadata["tags"] = [ANSWER_TAG]
    cell.metadata["rnn_course"] = {"answer_to": exercise.label}
    return cell


def _answer_anchor(exercise: Exercise) -> int:
    """Index of the instructor cell after which the exercise's answer cell goes: the end of
    its solution block (after the stubs, before the check), else the exercise itself."""
    block = [exercise.solution_end, *exercise.solution_code, *exercise.solution_markdown]
    return max((i for i in block if i is not None), default=exercise.cell)


class InstructorError(ValueError):
    """A notebook does not follow the exercise pattern of CONTRIBUTING.md."""


def _raise_line(label: str) -> str:
    message = _("exercise {label}: replace this line with your code").format(label=label)
    return f'raise NotImplementedError("{message}")'


def _header(exercise: Exercise) -> str:
    what = f'"{exercise.title}"' if exercise.title else exercise.label
    return _("# Exercise {exercise}: write your code here.").format(exercise=what)


def _function_lines(source: str) -> list[tuple[int, int]]:
    """0-based (first, last) line ranges of every function in ``source``."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return []
    return [(n.lineno - 1, (n.end_lineno or n.lineno) - 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, label: str, indent: str) -> list[str]:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    lines = [f"{indent}{prefix} {node.name}({ast.unparse(node.args)}){returns}:"]
    doc = ast.get_docstring(node, clean=False)
    if doc is not None:  # the docstring is the specification, not the answer
        quoted = f'"""{doc}"""' if '"""' not in doc and not doc.endswith('"') else repr(doc)
        lines.append(f"{indent}    {quoted}")
    return lines + [f"{indent}    {_raise_line(label)}"]


def _stub_code(code: str, label: str, needed: set[str], indent: str = "") -> list[str]:
    """What a student sees instead of ``code``: of what it defines, only what the exercise's
    check cells read (``needed``): the signatures of those functions and classes, and
    ``name = None`` for those values. Helpers, imports and everything else go."""
    try:
        tree = ast.parse(python_source(code))
    except SyntaxError:
        return []
    lines: list[str] = []
    defined: set[str] = set()
    for node in tree.body:
        if getattr(node, "name", None) not in needed:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [""] * (bool(lines) and not indent) + _signature(node, label, indent)
            defined.add(node.name)
        elif isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
            lines += [""] * (bool(lines) and not indent)
            lines.append(f"{indent}class {node.name}({', '.join(bases)}):" if bases else f"{indent}class {node.name}:")
            methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for m in methods:
                lines += _signature(m, label, indent + "    ")
            lines += [] if methods else [f"{indent}    pass"]
            defined.add(node.name)
    bound = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    for name in dict.fromkeys(bound):
        if name in needed and name not in defined:
            lines.append(f"{indent}{name} = None  " + _("# replace None with your answer"))
    return lines


def stub_solution_source(source: str, exercise: Exercise, needed: set[str] = frozenset()) -> str:
    """The student version of one solution cell.

    Each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region inside a function becomes one
    ``raise NotImplementedError(...)`` line (the code around it is the instructor's scaffold and
    stays). A region outside any function, or a cell without markers, becomes an instruction
    comment plus, of what it defines, the signatures and ``name = None`` stubs of what the
    check cells read (``needed``).
    """
    try:
        regions = solution_regions(source)
    except ValueError as e:
        raise InstructorError(str(e)) from None
    if not regions:
        return "\n".join([_header(exercise), *_stub_code(source, exercise.label, needed)])
    lines, functions = source.splitlines(), _function_lines(source)
    out: list[str] = []
    previous = 0
    for begin, end, indent in regions:
        out += lines[previous:begin]
        if any(first < begin <= last for first, last in functions):
            out.append(indent + _raise_line(exercise.label))
        else:
            body = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip()
                             for line in lines[begin + 1:end])
            stubs = _stub_code(body, exercise.label, needed, indent)
            out += [indent + _header(exercise).lstrip()] + (stubs or ([indent + "pass"] if indent else []))
        previous = end + 1
    return "\n".join(out + lines[previous:])


def _names_read(nb: nbformat.NotebookNode, cells: list[int]) -> set[str]:
    names: set[str] = set()
    for i in cells:
        try:
            tree = ast.parse(python_source(nb.cells[i].source))
        except SyntaxError:
            continue
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


@dataclass
class StudentReport:
    """What :func:`make_student_notebook` did, for the command's summary line."""

    stubbed: list[str] = field(default_factory=list)  # exercise labels whose code was stubbed
    removed_markdown: int = 0                         # solution-start/end and explanations
    removed_hidden: int = 0                           # remove-cell cells after the exercises begin
    answer_cells: int = 0                             # cells added for answers in words
    left_out: int = 0                                 # cells tagged shows-answer, replaced by a note


def _student_cell(nb, i, original, parsed, by_label, report, name) -> list[nbformat.NotebookNode]:
    """Cell ``i`` as the student version has it: [] (removed) or [the cell]."""
    cell = copy.deepcopy(original)
    cell.metadata.pop("execution", None)
    if SHOWS_ANSWER_TAG in tags(cell):
        report.left_out += 1
        return [nbformat.v4.new_markdown_cell(_(LEFT_OUT))]
    label = parsed.solution_cells.get(i)
    if label is not None and cell.cell_type != "code":
        report.removed_markdown += cell.cell_type == "markdown"
        return []
    if cell.cell_type == "code":
        if label is not None:
            exercise = by_label.get(label) or Exercise(label or "exercise", "", -1)
            # what the check cells the student keeps read (hidden assertion cells are removed)
            needed = _names_read(nb, [c for c in exercise.check_cells if HIDDEN_TAG not in tags(nb.cells[c])])
            try:
                cell.source = stub_solution_source(cell.source, exercise, needed)
            except InstructorError as e:
                raise InstructorError(_("{name}, cell {cell}: {error}").format(name=name, cell=i, error=e)) from None
            cell.metadata["tags"] = list(dict.fromkeys([*tags(cell), SOLUTION_TAG]))
            report.stubbed.append(exercise.label)
        elif HIDDEN_TAG in tags(cell) and parsed.first_exercise is not None and i > parsed.first_exercise:
            report.removed_hidden += 1
            return []
        cell.outputs = []
        cell.execution_count = None
    return [cell]


def make_student_notebook(nb: nbformat.NotebookNode, name: str = "notebook"
                          ) -> tuple[nbformat.NotebookNode, StudentReport]:
    """Return the student version of an instructor notebook (the input is not modified).

    - every cell of a solution block (solution-start to solution-end) is removed, except
      its code cells, which become stubs (:func:`stub_solution_source`) tagged ``solution``;
    - a cell tagged ``shows-answer`` (exposition that prints what an exercise asks for, e.g.
      the package's source of the function to write) becomes a one-line note saying so;
    - hidden ``remove-cell`` code cells after the first exercise are removed: they assert
      that the reference solutions work, which stubs cannot; the lab's own hidden
      assertions (before the exercises) stay;
    - every exercise answered in words (:attr:`.Exercise.written`: no check, or tagged
      ``written-answer``) gets an answer cell (:func:`answer_cell`) after its stubs;
    - exercise texts and check cells stay; outputs and execution counts are cleared; a note
      saying this is the student version goes after the title; the notebook's language (its
      ``rnn_course.language`` metadata) is kept, and the header and stubs are written in it.
    """
    if nb.metadata.get("rnn_course", {}).get("student_version"):
        raise InstructorError(_("{name} is already a student version; run the command on the instructor "
                                "notebook").format(name=name))
    with using(notebook_language(nb)):
        return _make_student_notebook(nb, name)


def _make_student_notebook(nb: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, StudentReport]:
    parsed = parse(nb)
    fatal = [p for p in parsed.problems if p.fatal]
    if fatal:
        raise InstructorError(f"{name}, " + "; ".join(map(str, fatal)))
    by_label = {e.label: e for e in parsed.exercises}
    report = StudentReport()
    answers_after = {_answer_anchor(e): answer_cell(e) for e in parsed.exercises if e.written and e.label}
    cells: list[nbformat.NotebookNode] = []
    for i, original in enumerate(nb.cells):
        cells += _student_cell(nb, i, original, parsed, by_label, report, name)
        if i in answers_after:
            cells.append(answers_after[i])
            report.answer_cells += 1
    student = copy.deepcopy(nb)
    header = nbformat.v4.new_markdown_cell(_(STUDENT_HEADER).format(name=name)
                                           + ("\n" + _(ANSWERS_NOTE) if report.answer_cells else ""))
    if student.get("nbformat_minor", 5) < 5:  # cell ids came with nbformat 4.5
        for cell in [header, *cells]:
            cell.pop("id", None)
    has_title = bool(cells) and cells[0].cell_type == "markdown" and cells[0].source.lstrip().startswith("# ")
    student.cells = [cells[0], header, *cells[1:]] if has_title else [header, *cells]
    student.metadata.pop("widgets", None)
    student.metadata["rnn_course"] = {**(nb.metadata.get("rnn_course") or {}), "student_version": True, "source": name}
    return student, report


def write_student_notebooks(paths: list[Path], out_dir: Path) -> int:
    """Write the student version of each notebook into ``out_dir``; the command's exit status."""
    names = [p.name for p in paths]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        print(_("error: several notebooks are named {names}; run the command once per folder").format(names=repeated),
              file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = out_dir / path.name
        if target.resolve() == path.resolve():
            print(_("error: {path} would overwrite the instructor notebook; choose another --out").format(path=target),
                  file=sys.stderr)
            return 2
        try:
            student, report = make_student_notebook(nbformat.read(path, as_version=4), path.name)
        except InstructorError as e:
            print(_("error: {error}").format(error=e), file=sys.stderr)
            return 1
        nbformat.write(student, target)
        # Four short lines per notebook, so the report fits a narrow terminal.
        print(f"{path}\n  -> {target}\n     " + _("{stubbed} solution cell(s) stubbed; "
              "{markdown} markdown and {hidden} hidden cell(s) removed; "
              "{checks} check(s) kept").format(stubbed=len(report.stubbed), markdown=report.removed_markdown,
                                              hidden=report.removed_hidden, checks=len(parse(student).checks))
              + "\n     " + _("{answers} answer cell(s) added").format(answers=report.answer_cells)
              + (_("; {left_out} cell(s) that show an answer left out").format(left_out=report.left_out)
                 if report.left_out else ""))
    return 0
