"""The exercise syntax of the course's notebooks, parsed in one place.

Used by ``student`` (what to remove or stub), ``grade`` (which checks a notebook calls) and
the static notebook tests (is the pattern of CONTRIBUTING.md followed?). In cell order:

- a markdown cell with an ``{exercise}`` directive (````` ``` ````` or ``:::`` fence) and
  ``:label: ex-...`` (and ``:class: experiment`` for an experiment read by a person);
- a markdown cell ``{solution-start} ex-...`` with ``:class: dropdown``;
- the solution: code cells tagged ``solution`` (the lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` are the answer, the rest is scaffold the student keeps), and optional
  markdown explanations;
- a markdown cell ``{solution-end}``;
- the check cell(s): code that calls an **exercise check**. A check is recognised by what
  it is: a function of ``rnn_course.checks`` made with ``@exercise_check`` (imported in the
  notebook, or defined there with that decorator), never by its name.

:func:`parse` returns the exercises, the check cells and every departure from the pattern
(a :class:`Problem`; ``fatal`` ones make a student version impossible).
"""
from __future__ import annotations

import ast
import importlib
import re
import types
from dataclasses import dataclass, field
from typing import Any

import nbformat

from ..i18n import _

SOLUTION_TAG = "solution"
HIDDEN_TAG = "remove-cell"
WRITTEN_TAG = "written-answer"  # on an auto-graded exercise's cell: it also asks for words
ANSWER_TAG = "answer"           # on the student's answer cell of an exercise answered in words
SHOWS_ANSWER_TAG = "shows-answer"  # exposition that gives an exercise's answer away: not in student versions
CHECKS_PACKAGE = "rnn_course.checks"
BEGIN_MARK = "# BEGIN SOLUTION"
END_MARK = "# END SOLUTION"

_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})[ \t]*\{([\w-]+)\}[ \t]*(.*?)[ \t]*$")
_OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*?)[ \t]*$")
_BEGIN = re.compile(r"^([ \t]*)#[ \t]*BEGIN SOLUTION[ \t]*$")
_END = re.compile(r"^[ \t]*#[ \t]*END SOLUTION[ \t]*$")


@dataclass
class Directive:
    """One MyST directive opening: ``name`` (e.g. ``"exercise"``), its argument and options."""

    name: str
    argument: str
    options: dict[str, str]


def directives(text: str) -> list[Directive]:
    """Every directive opened in a markdown text, in order, with its ``:key: value`` options."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        options = {}
        for following in lines[i + 1:]:
            option = _OPTION.match(following)
            if not option:
                break
            options[option.group(1)] = option.group(2)
        found.append(Directive(m.group(1), m.group(2), options))
    return found


def statement(text: str) -> str:
    """The body of the first directive in ``text``: the lines after its fence and options,
    up to its closing fence."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _DIRECTIVE.match(line)), None)
    if start is None:
        return text.strip()
    fence = re.match(r"[ \t]*(`{3,}|:{3,})", lines[start]).group(1)
    body = lines[start + 1:]
    while body and _OPTION.match(body[0]):
        body = body[1:]
    end = next((i for i, line in enumerate(body) if line.strip() == fence), len(body))
    return "\n".join(body[:end]).strip()


@dataclass
class Problem:
    """A departure from the exercise pattern; ``fatal`` if no student version can be made."""

    cell: int | None
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        return self.message if self.cell is None else _("cell {cell}: {message}").format(cell=self.cell,
                                                                                        message=self.message)


@dataclass
class Exercise:
    """One ``{exercise}`` and what belongs to it (cell indices into the notebook)."""

    label: str
    title: str
    cell: int
    solution_start: int | None = None
    solution_end: int | None = None
    solution_code: list[int] = field(default_factory=list)
    solution_markdown: list[int] = field(default_factory=list)
    check_cells: list[int] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # names the check lines print
    classes: list[str] = field(default_factory=list)  # the directive's :class: option
    statement: str = ""  # the exercise text, without the directive's fence and options
    tagged_written: bool = False  # the exercise cell is tagged 'written-answer'

    @property
    def graded(self) -> bool:
        """True if a check grades this exercise automatically."""
        return bool(self.checks)

    @property
    def written(self) -> bool:
        """True if the learner answers (also) in words: every exercise without a check
        (conceptual questions, experiments), and checked ones tagged ``written-answer``."""
        return not self.graded or self.tagged_written

    @property
    def experiment(self) -> bool:
        """True for an exercise marked ``:class: experiment``: its answer is a measurement
        and its interpretation, read by a person, even when the model answer defines helpers."""
        return "experiment" in self.classes


@dataclass
class ParsedNotebook:
    """The exercises of a notebook, its check cells and the problems found."""

    exercises: list[Exercise]
    check_cells: dict[int, list[str]]  # cell index -> names of the checks it calls
    solution_cells: dict[int, str]     # index of every cell of a solution block -> exercise label
    problems: list[Problem]
    first_exercise: int | None         # index of the first {exercise} cell

    @property
    def checks(self) -> list[str]:
        """Names of the checks the notebook calls, in order of their first call."""
        names: list[str] = []
        for cell in sorted(self.check_cells):
            names += [n for n in self.check_cells[cell] if n not in names]
        return names

    def exercise(self, label: str) -> Exercise:
        return next(e for e in self.exercises if e.label == label)


def tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def python_source(source: str) -> str:
    """The cell's code with IPython magics and shell lines blanked, so ``ast`` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def solution_regions(source: str) -> list[tuple[int, int, str]]:
    """``(begin, end, indent)`` of every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region.

    Line numbers are 0-based indices of the marker lines. Raises ``ValueError`` naming the
    line when the markers are unbalanced or nested.
    """
    regions, begin, indent = [], None, ""
    for i, line in enumerate(source.splitlines()):
        if m := _BEGIN.match(line):
            if begin is not None:
                raise ValueError(_("'{begin}' on line {line} is not closed before the next one "
                                   "on line {next}").format(begin=BEGIN_MARK, line=begin + 1, next=i + 1))
            begin, indent = i, m.group(1)
        elif _END.match(line):
            if begin is None:
                raise ValueError(_("'{end}' on line {line} has no '{begin}' before it").format(
                    end=END_MARK, line=i + 1, begin=BEGIN_MARK))
            regions.append((begin, i, indent))
            begin = None
    if begin is not None:
        raise ValueError(_("'{begin}' on line {line} has no '{end}' after it").format(
            begin=BEGIN_MARK, line=begin + 1, end=END_MARK))
    return regions


# ------------------------------------------------------------------------- recognising checks
def _is_check(obj: Any) -> bool:
    return callable(obj) and getattr(obj, "is_exercise_check", False) is True


def _resolve(module: str, name: str) -> Any:
    """``module.name`` (a submodule if that is what it is), or None if it does not exist."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    if hasattr(mod, name):
        return getattr(mod, name)
    try:
        return importlib.import_module(f"{module}.{name}")
    except ImportError:
        return None


def _from_checks(module: str | None) -> bool:
    return module is not None and (module == CHECKS_PACKAGE or module.startswith(CHECKS_PACKAGE + "."))


def _decorator_name(node: ast.expr) -> str:
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


@dataclass
class _Namespace:
    """What the notebook's code binds to checks: plain names and module aliases."""

    functions: dict[str, str] = field(default_factory=dict)  # name in the notebook -> check name
    modules: dict[str, Any] = field(default_factory=dict)    # alias (maybe dotted) -> checks module
    decorators: set[str] = field(default_factory=set)         # local names of exercise_check


def _check_namespace(trees: list[ast.Module]) -> _Namespace:
    ns = _Namespace()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _from_checks(node.module):
                for alias in node.names:
                    obj = _resolve(node.module, alias.name)
                    local = alias.asname or alias.name
                    if _is_check(obj):
                        ns.functions[local] = obj.__name__
                    elif alias.name == "exercise_check":
                        ns.decorators.add(local)
                    elif isinstance(obj, types.ModuleType):
                        ns.modules[local] = obj
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _from_checks(alias.name):
                        ns.modules[alias.asname or alias.name] = importlib.import_module(alias.name)
    for tree in trees:  # checks defined in the notebook itself, with the decorator
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    _decorator_name(d) in ns.decorators or (isinstance(d, ast.Attribute) and d.attr == "exercise_check")
                    for d in node.decorator_list):
                ns.functions[node.name] = node.name
    return ns


def _check_calls(tree: ast.Module, ns: _Namespace) -> list[str]:
    """Names of the checks called anywhere in ``tree``, in source order."""
    found: list[str] = []
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        name = None
        if isinstance(call.func, ast.Name):
            name = ns.functions.get(call.func.id)
        elif isinstance(call.func, ast.Attribute):
            module = ns.modules.get(ast.unparse(call.func.value))
            obj = getattr(module, call.func.attr, None) if module is not None else None
            name = obj.__name__ if _is_check(obj) else None
        if name and name not in found:
            found.append(name)
    return found


def _parse_code(nb: nbformat.NotebookNode) -> dict[int, ast.Module]:
    trees = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            try:
                trees[i] = ast.parse(python_source(cell.source))
            except SyntaxError:  # a learner's half-written cell: it calls nothing we can see
                pass
    return trees


# ------------------------------------------------------------------------- the parser
def parse(nb: nbformat.NotebookNode) -> ParsedNotebook:
    """Parse the exercises, solution blocks and check cells of a notebook (see the module doc)."""
    trees = _parse_code(nb)
    ns = _check_namespace(list(trees.values()))
    check_cells = {i: names for i, tree in trees.items() if (names := _check_calls(tree, ns))}
    problems: list[Problem] = []
    exercises: list[Exercise] = []
    solution_cells: dict[int, str] = {}
    block: Exercise | None = None  # the exercise whose solution block is open
    block_label = ""
    solved: list[str] = []

    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for d in directives(cell.source):
                if d.name in ("exercise", "exercise-start"):
                    label = d.options.get("label", "")
                    if not label:
                        problems.append(Problem(i, _("exercise without a :label:")))
                    exercises.append(Exercise(label, d.argument, i,
                                              classes=d.options.get("class", "").split(),
                                              statement=statement(cell.source),
                                              tagged_written=WRITTEN_TAG in tags(cell)))
                    if block is not None:
                        problems.append(Problem(i, _("an exercise inside the solution of {label!r}: "
                                                     "put it after the solution-end cell").format(label=block_label),
                                                fatal=True))
                elif d.name == "solution-start":
                    if block is not None:
                        problems.append(Problem(i, _("solution-start {start!r} before the solution-end of "
                                                     "{label!r}").format(start=d.argument, label=block_label),
                                                fatal=True))
                    if not d.argument:
                        problems.append(Problem(i, _("solution-start without an exercise label")))
                    if d.options.get("class") != "dropdown":
                        problems.append(Problem(i, _("solution-start {start!r} needs ':class: dropdown'").format(
                            start=d.argument)))
                    if any(x.name in ("exercise", "exercise-start") for x in directives(cell.source)):
                        problems.append(Problem(i, _("put the exercise and its solution-start in separate cells"),
                                                fatal=True))
                    solved.append(d.argument)
                    block_label = d.argument
                    block = next((e for e in exercises if e.label == d.argument), None) or Exercise(d.argument, "", -1)
                    block.solution_start = i
                elif d.name == "solution-end":
                    if block is None:
                        problems.append(Problem(i, _("solution-end without a solution-start"), fatal=True))
                    elif block.solution_start == i:
                        problems.append(Problem(i, _("put solution-start and solution-end in separate cells "
                                                     "with the solution code cells between them"), fatal=True))
                    else:
                        block.solution_end = i
                        solution_cells[i] = block_label
                    block = None
                elif d.name == "solution":  # sphinx-exercise's non-gated form: text only
                    solution_cells[i] = d.argument
            if block is not None:
                solution_cells[i] = block_label
                if block.solution_start != i:
                    block.solution_markdown.append(i)
            continue
        if block is not None:
            solution_cells[i] = block_label
        if cell.cell_type != "code":
            continue
        tagged = SOLUTION_TAG in tags(cell)
        if block is not None:
            block.solution_code.append(i)
            if not tagged:
                problems.append(Problem(i, _("code cell inside the solution of {label!r} must be tagged "
                                             "'{tag}'").format(label=block_label, tag=SOLUTION_TAG)))
            if i in check_cells and not tagged:
                problems.append(Problem(i, _("a check call inside the solution block of {label!r} would be "
                                             "removed from the student version; move the check cell after the "
                                             "solution-end cell").format(label=block_label), fatal=True))
        elif tagged:
            problems.append(Problem(i, _("tagged '{tag}' but outside solution-start/solution-end").format(
                tag=SOLUTION_TAG)))
            solution_cells[i] = exercises[-1].label if exercises else ""
        if block is not None or tagged:
            try:
                solution_regions(cell.source)
            except ValueError as e:
                problems.append(Problem(i, str(e), fatal=True))
        elif i in check_cells and exercises:
            owner = exercises[-1]
            owner.check_cells.append(i)
            owner.checks += [n for n in check_cells[i] if n not in owner.checks]

    if block is not None:
        problems.append(Problem(None, _("solution-start {label!r} has no solution-end").format(label=block_label),
                                fatal=True))
    labels = [e.label for e in exercises]
    problems += [Problem(None, _("exercise {label!r} has no matching solution-start").format(label=e.label))
                 for e in exercises if e.label and e.label not in solved]
    problems += [Problem(None, _("solution-start {label!r} matches no exercise label").format(label=label))
                 for label in solved if label and label not in labels]
    duplicates = sorted({x for x in labels if x and labels.count(x) > 1})
    if duplicates:
        problems.append(Problem(None, _("duplicate exercise labels: {labels}").format(labels=duplicates)))

    first = exercises[0].cell if exercises else None
    return ParsedNotebook(exercises, check_cells, solution_cells, problems, first)
