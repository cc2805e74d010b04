"""``rnn-course grade``: run submitted notebooks and tabulate their exercise checks.

Each submission runs top to bottom in a fresh ``python3`` kernel in its own folder, ``jobs``
at a time. Outputs saved in the file (from the student's own run, in Colab or elsewhere) are
deleted first, so only what the checks print in this run counts. A cell that raises does not
stop the run; a cell that runs longer than the timeout is interrupted and the run goes on.
A file that is not a notebook (truncated, not JSON) or whose kernel dies gets a row that
says so, and the rest of the class is graded. The kernels' own log lines go nowhere, so the
terminal shows a progress bar and the table.

Each row also says why each check scored 0 (``why``): the answer is missing (a check cell that
cannot find the learner's function says so), a solution or check cell raised an exception, or
the check's hint for a wrong answer; a check that passed although its solution cell raised is
reported too. The answers written in words (the student notebook's ``answer`` cells) are
collected per exercise into one Markdown file for the instructor (:func:`answers_markdown`).
"""
from __future__ import annotations

import ast
import asyncio
import logging
import os
import re
import subprocess
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from ..i18n import ENV, LANGUAGES, _, notebook_language, translate
from .exercises import ANSWER_TAG, parse, python_source, tags

_CHECK_LINE = re.compile(r"^[ \t]*(✅|❌)[ \t]+([A-Za-z_]\w*):[ \t]*(.*)$")
_QUIET = logging.getLogger("rnn_course.instructor.grade.kernel")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class CheckLine:
    """What a check printed: passed or not, and its message (the hint when it failed)."""

    passed: bool
    message: str


@dataclass
class Graded:
    """One submission after its run."""

    name: str                                  # the row label
    checks: dict[str, CheckLine] = field(default_factory=dict)
    error: str = ""                            # why it could not be run (all checks then score 0)
    notes: list[str] = field(default_factory=list)  # cells interrupted, kernel died
    called: list[str] = field(default_factory=list)  # the checks its code calls
    executed: nbformat.NotebookNode | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # check -> why it scored 0 (or passed with a warning)
    answers: dict[str, "WrittenAnswer"] = field(default_factory=dict)  # exercise label -> answer in words


@dataclass
class WrittenAnswer:
    """A learner's answer in words to one exercise (``text`` is "" when left empty)."""

    label: str
    title: str
    statement: str
    text: str


def _passed_prefixes() -> tuple[str, ...]:
    """What a passing line puts before its message, in every language ("passed — ", "合格 — ")."""
    return tuple(dict.fromkeys(translate("passed — {message}", lang).split("{message}")[0] for lang in LANGUAGES))


def check_lines(nb: nbformat.NotebookNode) -> dict[str, CheckLine]:
    """Check name -> the last line it printed in this executed notebook's outputs (in any
    language: the line's mark and check name are the same in all of them)."""
    results: dict[str, CheckLine] = {}
    prefixes = _passed_prefixes()
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream":
                text = out.get("text", "")
            elif out.get("output_type") in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain", "")
            else:
                continue
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                if m := _CHECK_LINE.match(line):
                    results.pop(m.group(2), None)  # keep the order of the last occurrence
                    passed = m.group(1) == "✅"
                    message = m.group(3)
                    if passed:
                        message = next((message[len(p):] for p in prefixes if message.startswith(p)), message)
                    results[m.group(2)] = CheckLine(passed, message)
    return results


# ------------------------------------------------------------------------ answers in words
_PROMPT_LINE = re.compile(r"^\s*✍️")  # the answer cell's prompt, in any language


def _is_answer_cell(cell) -> bool:
    first_line = cell.source.lstrip().split("\n", 1)[0]
    return cell.cell_type == "markdown" and (ANSWER_TAG in tags(cell) or bool(_PROMPT_LINE.match(first_line)))


def written_answers(nb: nbformat.NotebookNode) -> dict[str, WrittenAnswer]:
    """Exercise label -> the text of its ``answer`` cell (without the prompt line).

    An answer cell is tagged ``answer`` and names its exercise in ``metadata.rnn_course.answer_to``.
    Where an editor dropped the metadata (Colab's download keeps no tags), a markdown cell that
    still starts with the ✍️ prompt is an answer cell, and it answers the last exercise above it.
    """
    parsed = parse(nb)
    answers: dict[str, WrittenAnswer] = {}
    for i, cell in enumerate(nb.cells):
        if not _is_answer_cell(cell):
            continue
        above = [e for e in parsed.exercises if e.cell < i]
        label = cell.get("metadata", {}).get("rnn_course", {}).get("answer_to") or (above[-1].label if above else "")
        exercise = next((e for e in parsed.exercises if e.label == label), None)
        text = "\n".join(line for line in cell.source.splitlines() if not _PROMPT_LINE.match(line)).strip()
        previous = answers.get(label)
        if previous is not None:  # a second answer cell for the same exercise: keep both texts
            text = "\n\n".join(t for t in (previous.text, text) if t)
        answers[label] = WrittenAnswer(label, exercise.title if exercise else "", exercise.statement if exercise else "",
                                       text)
    return answers


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def answers_markdown(results: list[Graded], exercises: list[WrittenAnswer] | None = None) -> str:
    """One Markdown page for the instructor: per exercise answered in words, its title and
    statement, then every learner's answer (quoted) with a line to write the mark on.

    ``exercises`` fixes which exercises and in what order (from the ``--expected`` notebook);
    by default, those the submissions answer, in the order first seen.
    """
    order: dict[str, WrittenAnswer] = {e.label: e for e in exercises or []}
    if exercises is None:
        for graded in results:
            for label, answer in graded.answers.items():
                order.setdefault(label, answer)
    lines = ["# " + _("Answers in words"), "",
             _("{notebooks} notebook(s), {exercises} exercise(s) answered in words. Under each exercise, every "
               "learner's answer as written in the notebook's ✍️ cell.").format(notebooks=len(results),
                                                                               exercises=len(order)), ""]
    for label, exercise in order.items():
        lines += [f"## {exercise.title or label} (`{label}`)", "", _quote(exercise.statement or _("(no statement)")), ""]
        for graded in results:
            answer = graded.answers.get(label)
            if graded.error:
                text = f"*({graded.error})*"
            elif answer is None:
                text = "*(" + _("no answer cell: it was deleted, or the notebook is not the student version") + ")*"
            else:
                text = _quote(answer.text) if answer.text else "*(" + _("left empty") + ")*"
            lines += [f"### {graded.name}", "", text, "", _("**Mark:** ______ &nbsp; **Comment:**"), ""]
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------ why a check scored 0
def _error_of(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = (out.get("evalue") or "").strip().splitlines()
            return out.get("ename", "Exception"), (value[0][:120] if value else "")
    return None


def _cell_number(nb: nbformat.NotebookNode, i: int) -> str:
    """How a learner finds cell ``i`` in the executed notebook: its execution count, ``[N]``."""
    count = nb.cells[i].get("execution_count")
    return f"[{count}]" if count else _("{cell} (counting from 0)").format(cell=i)


def _raised(nb, i) -> str:
    ename, evalue = _error_of(nb.cells[i])
    return _("cell {cell} raised {ename}").format(cell=_cell_number(nb, i), ename=ename) + (
        f" ({evalue})" if evalue else "")


def _is_stub_function(node: ast.stmt) -> bool:
    """A function (or a class with a method) whose body still raises NotImplementedError."""
    if isinstance(node, ast.ClassDef):
        return any(_is_stub_function(n) for n in node.body)
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n.exc or ast.Constant(None))
        for n in node.body)


def _unanswered(source: str) -> bool:
    """True if a solution cell is still the student version's stub: a function that raises
    NotImplementedError, or ``name = None`` lines with nothing after them but bare expressions
    (the scaffold before them is the instructor's)."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return False
    if any(_is_stub_function(n) for n in tree.body):
        return True
    is_none = [isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and n.value.value is None
               for n in tree.body]
    if not any(is_none):
        return False
    after = tree.body[is_none.index(True):]
    return all(none or isinstance(n, ast.Expr) for n, none in zip(after, is_none[is_none.index(True):]))


def explain(nb: nbformat.NotebookNode, checks: dict[str, CheckLine], expected: list[str]) -> dict[str, str]:
    """Check name -> why it scored 0 in this executed notebook; for a check that passed, a
    warning when a cell of its exercise's solution raised at the top level. Checks that passed
    cleanly are left out.

    The reason is read from the notebook, not from the words of the check's message (which may
    be in another language): missing when the check cell raised ``NameError`` (the learner's
    name is not defined), not answered when the solution cells are still the stubs, else the
    check's hint for a wrong answer."""
    parsed = parse(nb)
    reasons: dict[str, str] = {}
    for name in expected:
        exercise = next((e for e in parsed.exercises if name in e.checks), None)
        solution = [i for i, label in sorted(parsed.solution_cells.items())
                    if exercise is not None and label == exercise.label and nb.cells[i].cell_type == "code"]
        raised = "; ".join(_raised(nb, i) for i in solution if _error_of(nb.cells[i]))
        callers = [i for i, names in sorted(parsed.check_cells.items()) if name in names]
        undefined = [i for i in callers if (_error_of(nb.cells[i]) or ("",))[0] == "NameError"]
        line = checks.get(name)
        if line is not None and line.passed:
            if raised:
                reasons[name] = _("passed, but its solution {raised}: the notebook does not run cleanly"
                                  ).format(raised=raised)
            continue
        if line is not None:
            if undefined:
                why = _("missing: {message}").format(message=line.message)
            elif any(_unanswered(nb.cells[i].source) for i in solution):
                why = _("not answered: {message}").format(message=line.message)
            else:
                why = _("wrong answer: {message}").format(message=line.message)
        elif not callers:
            why = _("missing: no cell calls {check} (was the check cell deleted?)").format(check=name)
        elif any(_error_of(nb.cells[i]) for i in callers):
            why = "; ".join(_("the check {raised}").format(raised=_raised(nb, i))
                            for i in callers if _error_of(nb.cells[i]))
            why = _("missing: {message}").format(message=why) if undefined else why
        elif not any(nb.cells[i].get("execution_count") for i in callers):
            why = _("its check cell did not run")
        else:
            why = _("the check printed no result")
        reasons[name] = _("its solution {raised}; {why}").format(raised=raised, why=why) if raised else why
    return reasons


# ------------------------------------------------------------------------ feedback notebooks
def compact_streams(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Merge each cell's consecutive stream outputs and keep, of every line that a progress
    bar redrew with carriage returns, only what a terminal would finally show. In place."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for out in cell.get("outputs", []):
            if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] += out.get("text", "")
            else:
                merged.append(out)
        for out in merged:
            if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
                out["text"] = "\n".join(next((part for part in reversed(line.split("\r")) if part), "")
                                        for line in out["text"].split("\n"))
        cell.outputs = merged
    return nb


def expected_checks(nb: nbformat.NotebookNode) -> list[str]:
    """Names of the exercise checks a notebook calls (see :mod:`.exercises`), in order."""
    return parse(nb).checks


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as it comes back from a student: Colab's saved widget state and the
    outputs of the student's own run are dropped; schema slips do not stop the read."""
    nb = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4, capture_validation_error={})
    nb.metadata.pop("widgets", None)  # widget state (Colab saves it in its own layout) is not graded
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:120]}" if text else type(error).__name__


async def _execute(path: Path, timeout: int) -> Graded:
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    graded = Graded(path.name)
    try:
        nb = read_submission(path)
    except Exception as e:  # not a notebook: say so in its row, grade the others
        json_error = isinstance(e, ValueError) and "JSON" in f"{type(e).__name__} {e}"
        graded.error = (_("not a readable notebook (truncated, or not JSON)") if json_error
                        else _("not a readable notebook ({error})").format(error=_first_line(e)))
        return graded
    graded.answers = written_answers(nb)
    # The checks speak the notebook's language (a Japanese lab's feedback is Japanese), whatever
    # the grader's own environment says.
    env = {**os.environ, ENV: notebook_language(nb)}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, skip_cells_with_tag="", log=_QUIET,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:  # the kernel's own log lines (e.g. about its TCP transport) are not the grader's output
        await client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    except DeadKernelError:
        graded.notes.append(_("the kernel died (out of memory, or the notebook ended its own process); "
                              "the checks that ran before count"))
    except Exception as e:  # the kernel could not start, or nbclient failed
        graded.error = _("could not run: {error}").format(error=_first_line(e))
        return graded
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("ename") == "KeyboardInterrupt" for o in cell.get("outputs", [])):
            graded.notes.append(_("cell {cell} ran longer than {timeout} s and was stopped").format(cell=i, timeout=timeout))
    compact_streams(nb)
    graded.checks, graded.executed, graded.called = check_lines(nb), nb, parse(nb).checks
    graded.reasons = explain(nb, graded.checks, graded.called)
    return graded


async def _execute_all(paths: list[Path], timeout: int, jobs: int, progress: bool) -> list[Graded]:
    gate = asyncio.Semaphore(max(1, jobs))
    bar = tqdm(total=len(paths), desc=_("grading"), unit=_("notebook"), file=sys.stderr, disable=not progress)

    async def one(path: Path) -> Graded:
        async with gate:
            graded = await _execute(path, timeout)
        bar.update()
        return graded

    try:
        return list(await asyncio.gather(*(one(p) for p in paths)))
    finally:
        bar.close()


def grade_submissions(paths: list[Path], *, timeout: int = 600, jobs: int = 1, progress: bool = False,
          executed_dir: Path | None = None) -> list[Graded]:
    """Run each notebook (``jobs`` at a time, each cell at most ``timeout`` seconds).

    Rows are labelled by file name, or ``folder/name`` when names repeat or when there is only
    one submission (whose folder is often the learner's name). With ``executed_dir``, each
    executed notebook is saved there too (to return to the student).
    """
    from nbclient.util import run_sync

    paths = [Path(p) for p in paths]
    results = run_sync(_execute_all)(paths, timeout, jobs, progress)
    for path, graded, label in zip(paths, results, row_labels(paths)):
        graded.name = label
        if graded.executed is not None and executed_dir is not None:
            executed_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(graded.executed, executed_dir / graded.name.replace("/", "__"))
    return results


def row_labels(paths: list[Path]) -> list[str]:
    """The name of each submission's row: its file name, or ``folder/name`` when file names
    repeat or there is only one submission, or the whole path when even those repeat."""
    names = [p.name for p in paths]
    labels = [p.name if names.count(p.name) == 1 and len(paths) > 1 else
              (f"{p.parent.name}/{p.name}" if p.parent.name else p.name) for p in paths]
    return [label if labels.count(label) == 1 else str(p) for p, label in zip(paths, labels)]


def grade_table(results: list[Graded], expected: list[str] | None = None):
    """A pandas DataFrame: one row per notebook, one 0/1 column per check, then ``total``,
    ``max``, ``percent`` and ``error``.

    The columns are the ``expected`` checks (those a reference or student notebook calls),
    so a deleted check cell scores 0 rather than vanishing; without them, every check seen.
    """
    import pandas as pd

    columns = list(expected or [])
    if expected is None:
        for name in (c for graded in results for c in [*graded.called, *graded.checks]):
            columns += [] if name in columns else [name]
    table = pd.DataFrame([[int(g.checks[c].passed) if c in g.checks else 0 for c in columns] for g in results],
                         index=pd.Index([g.name for g in results], name="notebook"), columns=columns, dtype=int)
    table["total"] = table[columns].sum(axis=1).astype(int)
    table["max"] = len(columns)
    table["percent"] = (100.0 * table["total"] / len(columns)).round(1) if columns else 0.0
    table["error"] = ["; ".join(([g.error] if g.error else []) + g.notes) for g in results]
    table["why"] = ["; ".join(f"{c}: {r}" for c, r in reasons_for(g, columns).items()) for g in results]
    return table


def reasons_for(graded: Graded, columns: list[str]) -> dict[str, str]:
    """Why each of ``columns`` scored 0 for this submission (see :func:`explain`); a check cell
    the learner deleted is explained too, since the columns come from the expected notebook."""
    if graded.error or graded.executed is None:
        return {}
    return explain(graded.executed, graded.checks, columns)


def grade_notebooks(paths: list[Path], *, timeout: int = 600, expected: list[str] | None = None,
                    executed_dir: Path | None = None, jobs: int = 1, progress: bool = False):
    """:func:`grade_submissions` then :func:`grade_table`."""
    return grade_table(grade_submissions(paths, timeout=timeout, jobs=jobs, progress=progress, executed_dir=executed_dir),
                       expected)


def grade_command(submissions: list[Path], *, expected_from: Path | None, out: Path | None,
                  executed: Path | None, timeout: int, jobs: int) -> int:
    """What ``rnn-course grade`` does: grade, print the table, each notebook's error or notes
    and why its checks failed below it, write the CSV (with ``error`` and ``why`` columns) and,
    next to it, the learners' answers in words (``<csv name>-answers.md``); exit status 0."""
    import pandas as pd

    reference = nbformat.read(expected_from, as_version=4) if expected_from else None
    expected = expected_checks(reference) if reference is not None else None
    start = time.perf_counter()
    results = grade_submissions(submissions, timeout=timeout, jobs=jobs, progress=True, executed_dir=executed)
    table = grade_table(results, expected)
    # As wide as the terminal (COLUMNS); wider tables continue below, column block by block.
    width = shutil.get_terminal_size((100, 24)).columns
    with pd.option_context("display.max_columns", None, "display.width", width):
        print(table.drop(columns=["error", "why"]).to_string(line_width=width))
    columns = [c for c in table.columns if c not in ("total", "max", "percent", "error", "why")]
    for graded, (name, error) in zip(results, table["error"].items()):
        if error:
            print(f"{name}: {error}")
        reasons = [f"  {c}: {r}" for c, r in reasons_for(graded, columns).items()]
        if reasons:
            print(f"{name}:\n" + "\n".join(r if len(r) <= width else r[:width - 1] + "…" for r in reasons))
    n, seconds = len(submissions), time.perf_counter() - start
    print(_("graded 1 notebook in {seconds:.0f} s").format(seconds=seconds) if n == 1 else
          _("graded {n} notebooks in {seconds:.0f} s, {jobs} at a time").format(n=n, seconds=seconds,
                                                                              jobs=min(jobs, n)))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out)
        print(_("wrote {path}").format(path=out))
        written = ([WrittenAnswer(e.label, e.title, e.statement, "") for e in parse(reference).exercises if e.written]
                   if reference is not None else None)
        if written or any(g.answers for g in results):
            answers = out.with_name(f"{out.stem}-answers.md")
            answers.write_text(answers_markdown(results, written), encoding="utf-8")
            print(_("wrote {path} (the answers in words, per exercise)").format(path=answers))
    return 0
